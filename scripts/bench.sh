#!/bin/sh
# bench.sh — what `make bench` runs: the sweep (default profile, or the quick one with QUICK=1),
# then the charts and report (`make plots`) when the Makefile has that target.
# usage: sh scripts/bench.sh [BINARY]   (environment: QUICK, BENCH_ARGS, MAKE, BIN, BUILD)
set -u
bin=${1:-bin/concbench}
profile=default
case ${QUICK:-} in
"" | 0 | no | false) ;;
*) profile=quick ;;
esac
# The sweep prints the folder it wrote on stdout; progress and the summary go to stderr.
# shellcheck disable=SC2086
dir=$("$bin" sweep --profile "$profile" ${BENCH_ARGS:-})
rc=$?
# 130: interrupted (SIGINT, SIGTERM, or SIGHUP when the terminal closed); the partial results are
# written, but drawing them is not what was asked. 3: a write failed (a full disk); the runs
# journaled so far are kept. Either way `concbench sweep --resume DIR` continues the sweep.
if [ "$rc" -eq 130 ]; then
    [ -n "$dir" ] && echo "interrupted; continue with: $bin sweep --resume $dir" >&2
    exit 130
fi
[ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && exit "$rc"
make=${MAKE:-make}
echo "results: $dir"
if [ -n "$dir" ] && $make -n plots >/dev/null 2>&1; then
    $make --no-print-directory plots BIN="${BIN:-bin}" ${BUILD:+BUILD="$BUILD"} RESULTS="$dir" ||
        rc=$?
fi
exit "$rc"
