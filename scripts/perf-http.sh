#!/bin/sh
# perf-http.sh — the http workload's figures against the embedded server (each task GETs
# /bytes/1024 after the server's 50 ms), median of RUNS runs each, runs of one row interleaved
# with nothing else. Prints a Markdown table: command, median wall_s, min-max, target.
#   usage: scripts/perf-http.sh [path/to/concbench] [runs]
set -u
bin=${1:-bin/concbench}
runs=${2:-5}

field() { printf '%s\n' "$1" | grep -o "\"$2\":[-0-9.e+]*" | head -n 1 | cut -d: -f2; }

row() {
    target=$1
    shift
    walls=""
    i=0
    while [ "$i" -lt "$runs" ]; do
        out=$("$bin" run -w http "$@" --json) || { echo "perf-http: '$*' failed" >&2; exit 1; }
        case $out in *'"verified":true'*) ;; *) echo "perf-http: '$*' not verified" >&2; exit 1 ;; esac
        walls="$walls $(field "$out" wall_s)"
        i=$((i + 1))
    done
    printf '%s\n' $walls | sort -g | awk -v cmd="run -w http $*" -v t="$target" '
        { v[NR] = $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "| `%s` | %.3f s | %.3f–%.3f s | %s |\n", cmd, m, v[1], v[NR], t }'
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $runs runs per row"
echo
echo "| command | median wall_s | min–max | target |"
echo "|---|---|---|---|"
row "≤ 0.2 s" -m async -n 1000
row "≤ 0.5 s" -m threads -n 1000
row "≤ 0.6 s" -m thread-pool -n 1000 -j 100
row "—" -m process-pool -n 1000 -j 100
row "—" -m processes -n 1000
row "about 1 s" -m single -n 20
row "completes, verified" -m async -n 10000
