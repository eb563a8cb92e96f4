#!/bin/sh
# fork-ab.sh — two concbench binaries on the 1,000-fork check, each beside the same bare fork
# loop (the probes run from the binary that runs perf): a thin wrapper of
# `concbench perf --bin BINARY --only processes-sleep-1k`, once per binary.
#   usage: scripts/fork-ab.sh OLD_concbench NEW_concbench [concbench perf options]
set -u
old=${1:?usage: scripts/fork-ab.sh OLD_concbench NEW_concbench}
new=${2:?usage: scripts/fork-ab.sh OLD_concbench NEW_concbench}
shift 2
perf=${PERF_BIN:-bin/concbench}
for b in "$old" "$new"; do
    echo "== $b"
    "$perf" perf --bin "$b" --only processes-sleep-1k "$@"
done
