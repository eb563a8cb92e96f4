#!/usr/bin/env bash
# perf-cancel.sh — how fast each model ends after Ctrl-C: 100 tasks of --sleep-ms 60000, SIGINT
# after 0.5 s, time from the signal to the process's exit; median of 5 per model.
set -u
bin=${1:-bin/concbench}
runs=${RUNS:-5}
models=$("$bin" list | awk '/^models:/{m=1;next} m{print $1}')
printf '| model | exit code | signal → exit, median of %d (ms) | max (ms) |\n|---|---|---|---|\n' "$runs"
for m in $models; do
    times=()
    code=
    for _ in $(seq "$runs"); do
        "$bin" run -w sleep -m "$m" -n 100 --sleep-ms 60000 >/dev/null 2>&1 &
        pid=$!
        sleep 0.5
        t0=$(date +%s%N)
        kill -INT "$pid"
        wait "$pid"
        code=$?
        t1=$(date +%s%N)
        times+=($(( (t1 - t0) / 1000 )))
    done
    sorted=($(printf '%s\n' "${times[@]}" | sort -n))
    med=${sorted[$(( runs / 2 ))]}
    max=${sorted[$(( runs - 1 ))]}
    printf '| %s | %s | %d.%01d | %d.%01d |\n' "$m" "$code" $((med / 1000)) $((med % 1000 / 100)) \
        $((max / 1000)) $((max % 1000 / 100))
done
