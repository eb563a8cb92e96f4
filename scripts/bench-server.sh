#!/bin/sh
# bench-server.sh — the embedded server's requests/s under wrk: a thin wrapper of `concbench perf --only server-rps`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/bench-server.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only server-rps "$@"
