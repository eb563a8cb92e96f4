#!/usr/bin/env bash
# perf-processes.sh — the processes and process-pool performance targets, median of RUNS (5)
# runs each, as a Markdown table:
#   1. processes: 1,000 sleeps of 100 ms (target <= 0.25 s)
#   2. process-pool dispatch: 1,000,000 no-op tasks (count 0), -j 2, per task, chunks chosen by
#      the pool (guided) and --chunk 1 (target <= 2 µs); single for reference
#   3. count, 2 tasks of 10^9 additions, -j 2: speed-up of processes and process-pool over single
#      (target >= 1.9x); the three models' runs interleaved, so load from elsewhere hits all three
#   4. memory figures of one run each: the parent's RSS at fork, the largest child, the sum
# Times are the batch wall time the record holds (wall_s: CLOCK_MONOTONIC around the model's
# run, set-up and output outside).
#   usage: scripts/perf-processes.sh [path/to/concbench]
set -u
bin=${1:-bin/concbench}
runs=${RUNS:-5}

# wall_s of one run; the arguments go to `concbench run`.
wall() {
    "$bin" run "$@" --json | grep -o '"wall_s":[-0-9.e+]*' | cut -d: -f2
}

# The median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                        else printf "%.9g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Median wall_s of RUNS runs.
measure() {
    for _ in $(seq "$runs"); do wall "$@"; done | median
}

# The named numeric fields of the JSON record on stdin, joined by " / ".
fields() {
    local rec key out=
    rec=$(cat)
    for key in "$@"; do
        out+="${out:+ / }$(printf '%s' "$rec" | grep -o "\"$key\":[-0-9.e+]*" | cut -d: -f2)"
    done
    printf '%s' "$out"
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs online, $(uname -sr)"
echo "runs per figure: $runs (median); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | median | target |"
echo "|---|---|---|"

args=(-w sleep -m processes -n 1000 --sleep-ms 100)
printf '| `concbench run %s` | %.3f s | <= 0.25 s |\n' "${args[*]}" "$(measure "${args[@]}")"

for extra in "" "--chunk 1"; do
    args=(-w count -m process-pool --count 0 -n 1000000 -j 2 $extra)
    # 10^6 tasks: the batch time in seconds is the time a task in microseconds.
    printf '| `concbench run %s` | %.3f µs a task | <= 2 µs |\n' "${args[*]}" \
        "$(measure "${args[@]}")"
done
args=(-w count -m single --count 0 -n 1000000)
printf '| `concbench run %s` (reference) | %.3f µs a task | |\n' "${args[*]}" \
    "$(measure "${args[@]}")"

args=(-w count -n 2 --count 1000000000)
s= p= q=
for _ in $(seq "$runs"); do
    s+="$(wall "${args[@]}" -m single)"$'\n'
    p+="$(wall "${args[@]}" -m processes -j 2)"$'\n'
    q+="$(wall "${args[@]}" -m process-pool -j 2)"$'\n'
done
single=$(printf '%s' "$s" | median)
printf '| `concbench run %s -m single` | %.3f s | (reference) |\n' "${args[*]}" "$single"
for m in processes process-pool; do
    [ "$m" = processes ] && t=$(printf '%s' "$p" | median) || t=$(printf '%s' "$q" | median)
    printf '| `concbench run %s -m %s -j 2` | %.3f s = %.2fx single | >= 1.9x |\n' \
        "${args[*]}" "$m" "$t" "$(awk -v a="$single" -v b="$t" 'BEGIN { print a / b }')"
done

echo
echo "| command | parent RSS at fork / largest child / sum of children (kB) |"
echo "|---|---|"
for m in processes process-pool; do
    args=(-w sleep -m "$m" -n 1000 --sleep-ms 10)
    printf '| `concbench run %s` | %s |\n' "${args[*]}" "$("$bin" run "${args[@]}" --json |
        fields parent_rss_kb children_max_rss_kb children_sum_rss_kb)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
