#!/bin/sh
# perf-http.sh — the http workload's figures per model: a thin wrapper of `concbench perf --only http-async,http-threads,http-thread-pool,http-process-pool,http-processes,http-single`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/perf-http.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only http-async,http-threads,http-thread-pool,http-process-pool,http-processes,http-single "$@"
