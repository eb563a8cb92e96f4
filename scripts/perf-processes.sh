#!/usr/bin/env bash
# perf-processes.sh — the figures of the processes and process-pool models, median of RUNS (5)
# runs each, as a Markdown table: 1,000 sleeps of 100 ms under processes; the pool's dispatch
# cost per no-op task, chunked (auto) and one task a hand-out; 2 counts of 10^9 with -j 2 against
# single. Times are the batch wall time concbench records (wall_s), setup excluded.
set -u
bin=${1:-bin/concbench}
runs=${RUNS:-5}

# wall_s of one run; the remaining arguments go to `concbench run`.
wall() {
    "$bin" run "$@" --json | sed -n 's/.*"wall_s":\([0-9.e+-]*\).*/\1/p'
}

# median of RUNS runs of wall().
median() {
    for _ in $(seq "$runs"); do wall "$@"; done | sort -g |
        awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# Named JSON fields of one record on stdin, separated by " / ".
fields() {
    local rec key out=
    rec=$(cat)
    for key in "$@"; do
        out+="${out:+ / }$(printf '%s' "$rec" | sed -n "s/.*\"$key\":\([0-9.e+-]*\).*/\1/p")"
    done
    printf '%s' "$out"
}

printf '| measurement | command | median of %d | target |\n|---|---|---|---|\n' "$runs"

args=(-w sleep -m processes -n 1000 --sleep-ms 100)
t=$(median "${args[@]}")
printf '| processes: 1,000 sleeps of 100 ms | `concbench run %s` | %.3f s | <= 0.25 s |\n' \
    "${args[*]}" "$t"

for chunk in auto 1; do
    args=(-w count -m process-pool --count 0 -n 1000000 -j 2)
    [ "$chunk" = auto ] || args+=(--chunk "$chunk")
    t=$(median "${args[@]}")
    printf '| process-pool dispatch, chunk %s | `concbench run %s` | %.3f µs a task | <= 2 µs |\n' \
        "$chunk" "${args[*]}" "$(awk -v t="$t" 'BEGIN {print t / 1e6 * 1e6}')"
done

args=(-w count -n 2 --count 1000000000)
single=$(median "${args[@]}" -m single)
printf '| single: 2 counts of 10^9 | `concbench run %s -m single` | %.3f s | (reference) |\n' \
    "${args[*]}" "$single"
for m in processes process-pool; do
    t=$(median "${args[@]}" -m "$m" -j 2)
    printf '| %s: 2 counts of 10^9, -j 2 | `concbench run %s -m %s -j 2` | %.3f s, %.2fx single | >= 1.9x |\n' \
        "$m" "${args[*]}" "$m" "$t" "$(awk -v a="$single" -v b="$t" 'BEGIN {print a / b}')"
done

# Memory of one run of each (not a median: the figures barely move).
for m in processes process-pool; do
    args=(-w sleep -m "$m" -n 1000 --sleep-ms 10)
    mem=$("$bin" run "${args[@]}" --json | fields parent_rss_kb children_max_rss_kb \
        children_sum_rss_kb)
    printf '| %s memory (kB): parent at fork / largest child / sum of children | `concbench run %s` | %s | |\n' \
        "$m" "${args[*]}" "$mem"
done
