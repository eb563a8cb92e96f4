#!/usr/bin/env bash
# perf-count-check.sh — what the count workload's cancel check costs: the same binary built with
# the check every 2^22 additions (as shipped) and with no check at all (one chunk of 2^62),
# 2 tasks of 10^9 under single, interleaved, median of RUNS.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
make -s BUILD=build/count-check BIN=build/count-check/bin >/dev/null
make -s BUILD=build/count-nocheck BIN=build/count-nocheck/bin \
    CFLAGS="-O2 -g -DCOUNT_CHECK_EVERY=0x4000000000000000ull" >/dev/null
with=()
without=()
for _ in $(seq "$runs"); do
    for v in check nocheck; do
        t=$(build/count-$v/bin/concbench run -w count -m single -n 2 --count 1000000000 --json |
            sed -n 's/.*"wall_s":\([0-9.e+-]*\).*/\1/p')
        if [ $v = check ]; then with+=("$t"); else without+=("$t"); fi
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mw=$(median "${with[@]}")
mo=$(median "${without[@]}")
echo "count, 2 tasks of 10^9, single, median of $runs (load: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  with the check every 2^22 additions: $mw s"
echo "  without any check:                   $mo s"
awk -v a="$mw" -v b="$mo" 'BEGIN { printf "  difference: %+.2f %%\n", (a / b - 1) * 100 }'
