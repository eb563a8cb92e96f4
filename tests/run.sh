#!/bin/sh
# run.sh — run each test program in its own process (one crash cannot take the suite down),
# then print one summary line: "tests: N passed, N failed, N skipped", after the list of
# skipped tests with their reasons (the last line a test printed before cmocka's SKIPPED).
set -u
passed=0
failed=0
skipped=0
failed_names=""
skips=""
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    # cmocka prints "[  PASSED  ] N test(s).", "[  FAILED  ] N test(s), listed below:" and
    # "[  SKIPPED ] N test(s), listed below:".
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1     # crashed before cmocka could count
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    [ "$f" -gt 0 ] && failed_names="$failed_names $(basename "$t")"
    if [ "$s" -gt 0 ]; then
        skips="$skips$(printf '%s\n' "$out" | awk -v prog="$(basename "$t")" '
            /^\[ RUN      \]/ { msg = ""; next }
            /^\[  SKIPPED \] [0-9]+ test/ { done = 1; next }
            /^\[  SKIPPED \] / && !done {
                name = $0; sub(/^\[  SKIPPED \] /, "", name)
                printf "  %s %s: %s\n", prog, name, msg == "" ? "(no reason printed)" : msg
                next
            }
            /^\[/ { next }
            NF { msg = $0 }')
"
    fi
done
echo
[ -n "$failed_names" ] && echo "failing programs:$failed_names"
[ -n "$skips" ] && printf 'skipped:\n%s' "$skips"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
