#!/usr/bin/env bash
# fork-ab.sh — two concbench binaries on the 1,000-fork command, runs interleaved so load from
# elsewhere hits both alike, median of RUNS (5) of each; then what libpng alone adds to a fork:
# the bare fork program of scripts/fork-cost.sh built alone, with libpng (+ libz, libm) and with
# libcurl + libpng, also interleaved (fork loop | whole batch, the median by whole batch).
#   usage: scripts/fork-ab.sh OLD_concbench NEW_concbench
set -u
old=${1:?usage: scripts/fork-ab.sh OLD_concbench NEW_concbench}
new=${2:?usage: scripts/fork-ab.sh OLD_concbench NEW_concbench}
runs=${RUNS:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
                                        else printf "%.9g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
wall() {
    "$1" run -w sleep -m processes -n 1000 --sleep-ms 100 --json |
        grep -o '"wall_s":[-0-9.e+]*' | cut -d: -f2
}
maps() {    # mappings of a sleep run of this binary, read from /proc while it sleeps
    local pid n
    "$1" run -w sleep -m single -n 1 --sleep-ms 1000 >/dev/null &
    pid=$!
    sleep 0.5
    n=$(grep -c . "/proc/$pid/maps")
    wait "$pid"
    printf '%s' "$n"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
a= b=
for _ in $(seq "$runs"); do
    a+="$(wall "$old")"$'\n'
    b+="$(wall "$new")"$'\n'
done
echo
echo "| \`concbench run -w sleep -m processes -n 1000 --sleep-ms 100\` | mappings | median of $runs |"
echo "|---|---|---|"
printf '| %s | %s | %.3f s |\n' "$old" "$(maps "$old")" "$(printf '%s' "$a" | median)"
printf '| %s | %s | %.3f s |\n' "$new" "$(maps "$new")" "$(printf '%s' "$b" | median)"

sed -n "/^cat >\"\$dir\/fork.c\" <<'EOF'/,/^EOF/p" "$(dirname "$0")/fork-cost.sh" | sed '1d;$d' \
    >"$dir/fork.c"
cc -O2 -o "$dir/bare" "$dir/fork.c" || exit 1
cc -O2 -o "$dir/png" "$dir/fork.c" -Wl,--no-as-needed $(pkg-config --libs libpng) -lm -pthread ||
    exit 1
cc -O2 -o "$dir/curl" "$dir/fork.c" -Wl,--no-as-needed $(pkg-config --libs libcurl libpng) -lm \
    -pthread || exit 1
for _ in $(seq "$runs"); do
    for p in bare png curl; do echo "$p $("$dir/$p")"; done
done >"$dir/out"
echo
echo "| 1,000 forks, each child sleeps 100 ms | shared libraries | fork loop | whole batch |"
echo "|---|---|---|---|"
for p in bare png curl; do
    printf '| %s | %s | %s |\n' "$p" "$(ldd "$dir/$p" | grep -c '=>')" "$(grep "^$p " "$dir/out" |
        sort -g -k3 | awk '{l[NR]=$2; t[NR]=$3} END {m=int((NR+1)/2); printf "%.3f s | %.3f s", l[m], t[m]}')"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
