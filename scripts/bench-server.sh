#!/bin/sh
# bench-server.sh — the embedded server's performance, median of RUNS (default 5) runs each:
#  1. wrk, WRK_THREADS thread(s) (default 1), 100 connections, 10 s, GET /status/200: requests/s;
#  2. a burst of 1,000 concurrent GET /status/200?sleep=50, one a connection (server_latency):
#     the p99 and max delay in ms (send to end of response);
#  3. wrk --latency with 1,000 connections on /status/200?sleep=50 for 10 s (1,000 requests in
#     flight all the time): requests/s and wrk's p99 latency.
# usage: sh scripts/bench-server.sh BIN/concbench PATH/server_latency   (make bench-server)
set -eu
bin=${1:-bin/concbench}
lat=${2:-build/default/tools/server_latency}
runs=${RUNS:-5}
wrk_threads=${WRK_THREADS:-1}
wrk_seconds=${WRK_SECONDS:-10}
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >&2
    else
        echo "bench-server: wrk is missing: sudo apt-get install -y wrk" >&2
        exit 1
    fi
fi
tmp=$(mktemp -d)
"$bin" serve --port 0 >"$tmp/url" 2>"$tmp/err" &
srv=$!
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
i=0
while [ ! -s "$tmp/url" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
url=$(cat "$tmp/url")
port=${url##*:}
[ -n "$port" ] || { echo "bench-server: the server did not start: $(cat "$tmp/err")" >&2; exit 1; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "server: $url (pid $srv); $runs runs each; $(nproc) CPUs"
: >"$tmp/rps"
for r in $(seq "$runs"); do
    wrk -t "$wrk_threads" -c 100 -d "${wrk_seconds}s" "$url/status/200" >"$tmp/wrk.$r"
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.$r")
    echo "  wrk -t$wrk_threads -c100 -d${wrk_seconds}s /status/200: $rps requests/s"
    echo "$rps" >>"$tmp/rps"
done
: >"$tmp/p99"
: >"$tmp/max"
for r in $(seq "$runs"); do
    line=$("$lat" 127.0.0.1 "$port" 1000 '/status/200?sleep=50')
    echo "  1000 x sleep=50: $line"
    echo "$line" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' >>"$tmp/p99"
    echo "$line" | sed 's/.*max_ms=\([0-9.]*\).*/\1/' >>"$tmp/max"
    echo "$line" | sed 's/.*min_ms=\([0-9.]*\).*/\1/' >>"$tmp/min"
done
# wrk prints latencies as 50.12ms, 1.02s or 980.00us: into ms.
to_ms() { awk '{v = $1; if (v ~ /us$/) {sub(/us$/, "", v); v /= 1000} else if (v ~ /ms$/) sub(/ms$/, "", v);
               else if (v ~ /s$/) {sub(/s$/, "", v); v *= 1000}; printf "%.2f\n", v}'; }
: >"$tmp/wrk_p99"
: >"$tmp/wrk_rps"
for r in $(seq "$runs"); do
    wrk -t "$wrk_threads" -c 1000 -d "${wrk_seconds}s" --latency "$url/status/200?sleep=50" \
        >"$tmp/wrks.$r"
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrks.$r" | to_ms)
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrks.$r")
    errs=$(grep -E "Socket errors|Non-2xx" "$tmp/wrks.$r" | tr '\n' ' ')
    echo "  wrk -t$wrk_threads -c1000 -d${wrk_seconds}s --latency sleep=50: $rps requests/s," \
         "p99 $p99 ms $errs"
    echo "$p99" >>"$tmp/wrk_p99"
    echo "$rps" >>"$tmp/wrk_rps"
done
cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$srv/stat")
echo "median requests/s (wrk, 100 connections): $(median <"$tmp/rps")"
echo "median of the 1000-request bursts, sleep=50: min $(median <"$tmp/min") ms," \
     "p99 $(median <"$tmp/p99") ms, max $(median <"$tmp/max") ms"
echo "median of wrk with 1000 connections, sleep=50: $(median <"$tmp/wrk_rps") requests/s," \
     "p99 $(median <"$tmp/wrk_p99") ms"
echo "server CPU time over all runs: ${cpu} s"
kill "$srv"
wait "$srv" && echo "server exited 0 on SIGTERM"
