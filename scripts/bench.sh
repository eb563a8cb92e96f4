#!/bin/sh
# bench.sh — until the sweep lands: every available workload x model cell once, at small sizes,
# one line per cell.
set -u
bin=${1:-bin/concbench}
rc=0
workloads=$("$bin" list | awk '/^workloads:/{w=1;next} /^models:/{w=0} w{print $1}')
models=$("$bin" list | awk '/^models:/{m=1;next} m{print $1}')
for w in $workloads; do
    case $w in
    sleep) args="-n 16 -j 16 --sleep-ms 100" ;;
    count) args="-n 4 -j 2 --count 200000000" ;;
    *) args="-n 8" ;;
    esac
    for m in $models; do
        # shellcheck disable=SC2086
        "$bin" run -w "$w" -m "$m" $args || rc=1
    done
done
exit $rc
