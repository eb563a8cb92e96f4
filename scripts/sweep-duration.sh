#!/bin/sh
# sweep-duration.sh — how long the quick sweep takes: a thin wrapper of `concbench perf --only sweep-quick`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/sweep-duration.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only sweep-quick "$@"
