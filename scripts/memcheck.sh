#!/bin/sh
# memcheck.sh BIN — valgrind memcheck on `BIN run` of every workload under single (small sizes):
# any definite or indirect leak, or any memory error, fails. The http run's embedded server is a
# forked child that valgrind does not follow (--trace-children=no; it is the same binary's code,
# checked by the sanitizer builds). Used by `make memcheck`.
set -u
bin=$1
if ! command -v valgrind >/dev/null 2>&1; then
    echo "memcheck: valgrind is not installed (apt-get install valgrind)" >&2
    exit 3
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/concbench-memcheck-XXXXXX") || exit 3
trap 'rm -rf "$tmp"' EXIT INT TERM
"$bin" corpus "$tmp/images" -n 2 --size 64x48 >/dev/null || exit 3
printf '# two lines of a URL list\nhttp://127.0.0.1:9/\n\n' > "$tmp/urls"

failed=0
check() {
    name=$1 want=$2
    shift 2
    if valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --show-leak-kinds=definite,indirect --error-exitcode=99 --trace-children=no \
        --child-silent-after-fork=yes "$bin" run -m single "$@" >"$tmp/out" 2>"$tmp/err"; then
        rc=0
    else
        rc=$?
    fi
    # 99 is valgrind's: an error or a leak. Any other code is the run's own, and must be the
    # one expected (the run did what it should under valgrind).
    if [ "$rc" -eq 99 ] || [ "$rc" -ne "$want" ]; then
        echo "memcheck: FAIL $name (exit $rc, expected $want)"
        cat "$tmp/err"
        failed=$((failed + 1))
    else
        echo "memcheck: ok   $name (exit $rc)"
    fi
}
check sleep 0 -w sleep -n 3 --sleep-ms 1
check count 0 -w count -n 3 --count 1000
check http 0 -w http -n 3 --sleep-ms 1
check http-urls-refused 1 -w http -n 2 --urls "$tmp/urls" --timeout-ms 500
check thumbnail 0 -w thumbnail -n 3 --images "$tmp/images" --out "$tmp/thumbs"
check probe 0 -w probe -n 3 --sleep-ms 1
check usage-error 2 -w sleep -n 0
[ "$failed" -eq 0 ] && echo "memcheck: no leak, no memory error" && exit 0
echo "memcheck: $failed run(s) failed" >&2
exit 1
