#!/bin/sh
# perf-async.sh — the async model's figures: a thin wrapper of `concbench perf --only async-sleep-10k,async-loop-cpu-10k,async-sleep-100k`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/perf-async.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only async-sleep-10k,async-loop-cpu-10k,async-sleep-100k "$@"
