#!/bin/sh
# perf-threads.sh — the threads and thread-pool figures: a thin wrapper of `concbench perf --only threads-sleep-10k,thread-pool-dispatch,count-speedup-threads,count-speedup-thread-pool`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/perf-threads.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only threads-sleep-10k,thread-pool-dispatch,count-speedup-threads,count-speedup-thread-pool "$@"
