#!/bin/sh
# perf-thumbnail.sh — the thumbnail per-stage times and speed-ups: a thin wrapper of `concbench perf --only thumbnail-stages,thumbnail-speedup-threads,thumbnail-speedup-thread-pool,thumbnail-speedup-processes,thumbnail-speedup-process-pool`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/perf-thumbnail.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only thumbnail-stages,thumbnail-speedup-threads,thumbnail-speedup-thread-pool,thumbnail-speedup-processes,thumbnail-speedup-process-pool "$@"
