#!/bin/sh
# perf-async.sh — the async model's performance targets, median of 5 runs each: batch wall time
# (the record's wall_s), CPU time of the batch (cpu_user_s + cpu_sys_s) and the whole process's
# elapsed time (exec to exit, printing the JSON record included).
#   usage: scripts/perf-async.sh [path/to/concbench] [runs]
set -u
bin=${1:-bin/concbench}
runs=${2:-5}

# The value of a numeric field of a one-line JSON record.
field() {
    printf '%s\n' "$1" | grep -o "\"$2\":[-0-9.e+]*" | head -n 1 | cut -d: -f2
}

# The median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                        else printf "%.9g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

measure() {
    tasks=$1
    target_wall=$2
    target_cpu=$3
    walls="" cpus="" procs=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        t0=$(date +%s%N)
        out=$("$bin" run -w sleep -m async -n "$tasks" --sleep-ms 100 --json) || {
            echo "perf-async: run failed: $out" >&2
            exit 1
        }
        t1=$(date +%s%N)
        case $out in *'"verified":true'*) ;; *) echo "perf-async: not verified" >&2; exit 1 ;; esac
        walls="$walls $(field "$out" wall_s)"
        cpus="$cpus $(awk -v u="$(field "$out" cpu_user_s)" -v s="$(field "$out" cpu_sys_s)" \
                      'BEGIN { printf "%.6f", u + s }')"
        procs="$procs $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')"
        i=$((i + 1))
    done
    w=$(echo "$walls" | tr ' ' '\n' | grep . | median)
    c=$(echo "$cpus" | tr ' ' '\n' | grep . | median)
    p=$(echo "$procs" | tr ' ' '\n' | grep . | median)
    printf '%-58s wall %7.1f ms (target <= %s ms)  cpu %6.1f ms%s  process %7.1f ms\n' \
        "concbench run -w sleep -m async -n $tasks --sleep-ms 100" \
        "$(awk -v x="$w" 'BEGIN { print x * 1000 }')" "$target_wall" \
        "$(awk -v x="$c" 'BEGIN { print x * 1000 }')" \
        "$( [ -n "$target_cpu" ] && echo " (target <= $target_cpu ms)")" \
        "$(awk -v x="$p" 'BEGIN { print x * 1000 }')"
    echo "  wall_s:$walls"
    echo "  cpu_s: $cpus"
    echo "  proc_s:$procs"
}

echo "median of $runs runs, $(nproc) CPUs, $(uname -r), git $(git rev-parse --short HEAD 2>/dev/null)"
measure 10000 102 50
measure 100000 150 ""
