#!/bin/sh
# perf-thumbnail.sh — the thumbnail workload's figures, median of 5 runs each:
#  1. per-stage time of one 1920x1080 RGB image in `single` (the record's stage_ms medians);
#  2. 16 images, -j 2: batch wall time of every model the binary lists, and its speed-up over
#     single (single's median wall / the model's median wall).
# The default corpus (16 of 1920x1080, seed 1) is generated once into the cache first.
#   usage: scripts/perf-thumbnail.sh [path/to/concbench] [runs]
set -u
bin=${1:-bin/concbench}
runs=${2:-5}

# The value of a numeric field of a one-line JSON record (first match).
field() {
    printf '%s\n' "$1" | grep -o "\"$2\":[-0-9.e+]*" | head -n 1 | cut -d: -f2
}

# A member of the "stage_ms" object (wall time), or of "stage_cpu_ms" with obj=stage_cpu_ms.
obj=stage_ms
stage() {
    printf '%s\n' "$1" | grep -o "\"$obj\":{[^}]*}" | grep -o "\"$2\":[-0-9.e+]*" | cut -d: -f2
}

# The median of the numbers on stdin, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                        else printf "%.9g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

run() {
    out=$("$bin" run -w thumbnail "$@" --json) || {
        echo "perf-thumbnail: run failed ($*): $out" >&2
        exit 1
    }
    case $out in *'"verified":true'*) ;; *) echo "perf-thumbnail: not verified: $out" >&2; exit 1 ;; esac
    printf '%s\n' "$out"
}

echo "median of $runs runs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
    sed 's/^ //'), $(uname -r), git $(git rev-parse --short HEAD 2>/dev/null)"
run -m single -n 1 >/dev/null          # makes the corpus once (outside any timing)

echo
echo "per-stage time, one 1920x1080 RGB image (concbench run -w thumbnail -m single -n 16 --json):"
stages="read decode blur shrink encode write"
tmp=$(mktemp)
i=0
while [ "$i" -lt "$runs" ]; do
    run -m single -n 16 >>"$tmp"
    i=$((i + 1))
done
for obj in stage_ms stage_cpu_ms; do
    [ $obj = stage_ms ] && echo "  wall time (stage_ms):" || echo "  thread CPU time (stage_cpu_ms):"
    for s in $stages; do
        m=$(while read -r line; do stage "$line" "$s"; done <"$tmp" | median)
        printf '    %-7s %7.2f ms\n' "$s" "$m"
    done
    bs=$(while read -r line; do
        awk -v b="$(stage "$line" blur)" -v s="$(stage "$line" shrink)" 'BEGIN { print b + s }'
    done <"$tmp" | median)
    dec=$(while read -r line; do stage "$line" decode; done <"$tmp" | median)
    printf '    blur + shrink %.2f ms vs decode %.2f ms: %s\n' "$bs" "$dec" \
        "$(awk -v a="$bs" -v b="$dec" 'BEGIN { print (a < b) ? "less (target met)" : "NOT less" }')"
done
rm -f "$tmp"

echo
echo "16 images, -j 2 (concbench run -w thumbnail -m MODEL -n 16 -j 2 --json), wall time:"
models=$("$bin" list | sed -n '/^models:/,$p' | tail -n +2 | awk '{ print $1 }')
# Rounds interleave the models, so a change in the machine's load hits them all alike.
tmp=$(mktemp)
i=0
while [ "$i" -lt "$runs" ]; do
    for m in $models; do
        out=$(run -m "$m" -n 16 -j 2)
        echo "$m $(field "$out" wall_s) $(field "$out" cpu_user_s) $(field "$out" cpu_sys_s)" >>"$tmp"
    done
    i=$((i + 1))
done
base=""
for m in $models; do
    w=$(awk -v m="$m" '$1 == m { print $2 }' "$tmp" | median)
    c=$(awk -v m="$m" '$1 == m { print $3 + $4 }' "$tmp" | median)
    [ "$m" = single ] && base=$w
    printf '  %-13s %8.1f ms  speed-up %5.2fx  cpu %7.1f ms  (runs:%s)\n' "$m" \
        "$(awk -v x="$w" 'BEGIN { print x * 1000 }')" \
        "$(awk -v b="${base:-$w}" -v x="$w" 'BEGIN { print b / x }')" \
        "$(awk -v x="$c" 'BEGIN { print x * 1000 }')" \
        "$(awk -v m="$m" '$1 == m { printf " %.3f", $2 }' "$tmp")"
done
rm -f "$tmp"
for want in single threads thread-pool processes process-pool async; do
    echo "$models" | grep -qx "$want" || echo "  $want: not in this binary (not measured)"
done
