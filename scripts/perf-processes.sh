#!/bin/sh
# perf-processes.sh — the processes and process-pool figures: a thin wrapper of `concbench perf --only processes-sleep-1k,process-pool-dispatch,count-speedup-processes,count-speedup-process-pool`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/perf-processes.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only processes-sleep-1k,process-pool-dispatch,count-speedup-processes,count-speedup-process-pool "$@"
