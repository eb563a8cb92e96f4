#!/bin/sh
# perf-threads.sh — the threads and thread-pool performance targets, median of 5 runs each:
#   1. threads: 10,000 tasks of 100 ms sleep (batch wall time; target <= 0.8 s)
#   2. thread-pool dispatch: 1,000,000 no-op tasks (count 0), -j 2, per task (target <= 0.5 us);
#      automatic chunks and --chunk 1; single for reference; the whole process's elapsed time
#      too (harness set-up and output included)
#   3. the executor alone (tests/bench/bench_executor.c): one unchunked submit + result
#   4. count, 2 tasks of 10^9 additions, -j 2: speed-up of threads and thread-pool over single
#      (target >= 1.9x), the three models' runs interleaved
# Batch figures are the record's wall_s (CLOCK_MONOTONIC around the model's run; set-up and
# output outside), read from text output.
#   usage: scripts/perf-threads.sh [path/to/concbench] [runs]
set -u
bin=${1:-bin/concbench}
runs=${2:-5}
here=$(cd "$(dirname "$0")/.." && pwd)

# The median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                        else printf "%.9g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Run the CLI `runs` times; set $batch (median wall_s) and $proc (median elapsed of the whole
# process, in seconds).
measure() {
    walls="" procs=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        t0=$(date +%s%N)
        out=$("$bin" run "$@") || { echo "perf-threads: run failed: $* -> $out" >&2; exit 1; }
        t1=$(date +%s%N)
        w=$(printf '%s\n' "$out" | sed -n 's/.* tasks in \([0-9.]*\) s.*/\1/p' | head -n 1)
        walls="$walls$w
"
        procs="$procs$(echo "$t0 $t1" | awk '{ printf "%.6f", ($2 - $1) / 1e9 }')
"
        i=$((i + 1))
    done
    batch=$(printf '%s' "$walls" | median)
    proc=$(printf '%s' "$procs" | median)
}

# The value of a numeric field of a one-line JSON record.
field() {
    printf '%s\n' "$1" | grep -o "\"$2\":[-0-9.e+]*" | head -n 1 | cut -d: -f2
}

us_per() {      # seconds, tasks -> microseconds per task
    echo "$1 $2" | awk '{ printf "%.4f", $1 / $2 * 1e6 }'
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs online, $(uname -sr)"
echo "runs per figure: $runs (median); load average at start: $(cut -d" " -f1-3 /proc/loadavg)"
echo

echo "| command | median | target |"
echo "|---|---|---|"

measure -w sleep -m threads -n 10000 --sleep-ms 100
echo "| \`run -w sleep -m threads -n 10000 --sleep-ms 100\` | $batch s batch ($proc s process) | <= 0.8 s |"

measure -w count -m thread-pool -n 1000000 --count 0 -j 2
echo "| \`run -w count -m thread-pool -n 1000000 --count 0 -j 2\` | $(us_per "$batch" 1000000) us/task batch ($batch s; $proc s process) | <= 0.5 us/task |"
measure -w count -m thread-pool -n 1000000 --count 0 -j 2 --chunk 1
echo "| \`run -w count -m thread-pool -n 1000000 --count 0 -j 2 --chunk 1\` | $(us_per "$batch" 1000000) us/task batch ($proc s process) | - |"
measure -w count -m single -n 1000000 --count 0
echo "| \`run -w count -m single -n 1000000 --count 0\` (reference) | $(us_per "$batch" 1000000) us/task batch ($proc s process) | - |"

# The executor alone, built from the sources beside this script.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -O2 -std=gnu11 -pthread -I"$here" "$here/tests/bench/bench_executor.c" \
    "$here/runtime/executor.c" -o "$tmp/bench_executor" || exit 1
for name in submit_result_roundtrip submit_burst_then_results map_chunk1 map_auto; do
    : >"$tmp/$name"
done
i=0
while [ "$i" -lt "$runs" ]; do
    "$tmp/bench_executor" 2 | while read -r name value unit; do
        echo "$value" >>"$tmp/$name"
    done
    i=$((i + 1))
done
for name in submit_result_roundtrip submit_burst_then_results map_chunk1 map_auto; do
    echo "| \`tests/bench/bench_executor 2\`: $name | $(median <"$tmp/$name") us/task | - |"
done

# Interleaved (single, threads, thread-pool, single, ...) so that a load that comes and goes on
# a shared machine falls on the three alike.
: >"$tmp/single"; : >"$tmp/threads"; : >"$tmp/thread-pool"
i=0
while [ "$i" -lt "$runs" ]; do
    for m in single threads thread-pool; do
        out=$("$bin" run -w count -m "$m" -n 2 --count 1000000000 -j 2 --json) ||
            { echo "perf-threads: $m failed: $out" >&2; exit 1; }
        # wall_s and the CPU the batch got (user + system): their ratio is the parallelism
        # actually obtained (2.0 at best here; less when other processes take the CPUs).
        w=$(field "$out" wall_s)
        c=$(echo "$(field "$out" cpu_user_s) $(field "$out" cpu_sys_s)" | awk '{ print $1 + $2 }')
        echo "$w" | awk '{ printf "%.3f\n", $1 }' >>"$tmp/$m"
        echo "$c $w" | awk '{ printf "%.3f\n", $1 / $2 }' >>"$tmp/$m.par"
    done
    i=$((i + 1))
done
single=$(median <"$tmp/single")
echo "| \`run -w count -m single -n 2 --count 1000000000 -j 2\` | $single s (CPU/wall $(median <"$tmp/single.par")) | - |"
for m in threads thread-pool; do
    batch=$(median <"$tmp/$m")
    echo "| \`run -w count -m $m -n 2 --count 1000000000 -j 2\` | $batch s, $(echo "$single $batch" | awk '{ printf "%.2f", $1 / $2 }')x over single (CPU/wall $(median <"$tmp/$m.par")) | >= 1.9x |"
done
echo
echo "load average at end: $(cut -d" " -f1-3 /proc/loadavg)"
