#!/usr/bin/env bash
# fork-cost.sh — what a fork costs on this machine, without concbench: a bare program forks 1,000
# children that each sleep 100 ms, built twice — alone, and linked against concbench's libraries
# (libcurl, libpng and what they pull in) — and, for the second, with 50 MB of private heap
# touched before forking. Prints the median of RUNS (5) of the fork loop and of the whole batch.
set -u
runs=${RUNS:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cat >"$dir/fork.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
int main(int argc, char **argv)
{
    size_t heap = argc > 1 ? strtoull(argv[1], NULL, 10) << 20 : 0;
    if (heap)
        memset(malloc(heap), 1, heap);
    double t0 = now();
    for (int i = 0; i < 1000; i++)
        if (fork() == 0) {
            struct timespec d = { 0, 100000000 };
            nanosleep(&d, NULL);
            _exit(0);
        }
    double t1 = now();
    while (wait(NULL) > 0)
        ;
    printf("%.3f %.3f\n", t1 - t0, now() - t0);
    return 0;
}
EOF
cc -O2 -o "$dir/bare" "$dir/fork.c" || exit 1
cc -O2 -o "$dir/linked" "$dir/fork.c" -Wl,--no-as-needed $(pkg-config --libs libcurl libpng) \
    -lm -pthread || exit 1

measure() {
    for _ in $(seq "$runs"); do "$@"; done | sort -g -k2 |
        awk '{l[NR]=$1; t[NR]=$2} END {m=int((NR+1)/2); printf "%.3f s | %.3f s", l[m], t[m]}'
}

printf '| 1,000 forks, each child sleeps 100 ms | shared libraries | fork loop | whole batch |\n'
printf '|---|---|---|---|\n'
libs() { ldd "$1" | grep -c '=>'; }
printf '| bare program | %s | %s |\n' "$(libs "$dir/bare")" "$(measure "$dir/bare")"
printf '| linked with libcurl + libpng | %s | %s |\n' "$(libs "$dir/linked")" \
    "$(measure "$dir/linked")"
printf '| linked, 50 MB private heap | %s | %s |\n' "$(libs "$dir/linked")" \
    "$(measure "$dir/linked" 50)"
printf '| concbench (for reference) | %s | | |\n' "$(libs "${1:-bin/concbench}")"
