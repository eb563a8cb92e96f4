#!/bin/sh
# sweep-duration.sh — how long a sweep profile takes here, against its own estimate: runs
# `concbench sweep --profile P` R times into a temporary folder and prints each run's real and
# estimated duration (from metadata.json) and the medians.
# usage: sh scripts/sweep-duration.sh [BINARY] [PROFILE] [R]   (defaults: bin/concbench quick 5)
set -u
bin=${1:-bin/concbench}
profile=${2:-quick}
runs=${3:-5}
out=$(mktemp -d "${TMPDIR:-/tmp}/concbench-sweep-duration.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT INT TERM
echo "profile $profile, $runs sweeps, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
i=1
while [ "$i" -le "$runs" ]; do
    dir=$("$bin" sweep --profile "$profile" --out "$out" 2>/dev/null)
    rc=$?
    if [ "$rc" -gt 1 ] || [ ! -f "$dir/metadata.json" ]; then
        echo "sweep $i failed (exit $rc)" >&2
        exit 1
    fi
    real=$(sed -n 's/.*"duration_s":\([0-9.e+-]*\).*/\1/p' "$dir/metadata.json")
    est=$(sed -n 's/.*"estimated_s":\([0-9.e+-]*\).*/\1/p' "$dir/metadata.json")
    printf 'sweep %d: %.1f s (estimated %.1f s), exit %d\n' "$i" "$real" "$est" "$rc"
    echo "$real $est" >>"$out/durations"
    i=$((i + 1))
done
sort -n "$out/durations" | awk '{ r[NR] = $1 } END { printf "median real: %.1f s\n", r[int((NR + 1) / 2)] }'
sort -n -k2 "$out/durations" | awk '{ e[NR] = $2 } END { printf "median estimate: %.1f s\n", e[int((NR + 1) / 2)] }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
