#!/bin/sh
# fork-cost.sh — 1,000 forked sleeps beside a bare fork-all-then-wait-all loop: a thin wrapper of `concbench perf --only processes-sleep-1k`
# (each figure beside the machine's own limit and judged; harness/perf_checks.c).
#   usage: scripts/fork-cost.sh [path/to/concbench] [concbench perf options, e.g. --runs 3]
set -u
bin=${1:-bin/concbench}
[ $# -gt 0 ] && shift
exec "$bin" perf --only processes-sleep-1k "$@"
