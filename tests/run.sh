#!/bin/sh
# run.sh — run each test program in its own process (one crash cannot take the suite down),
# then print one summary line: "tests: N passed, N failed".
set -u
passed=0
failed=0
failed_names=""
for t in "$@"; do
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    # cmocka prints "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:".
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1     # crashed before cmocka could count
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    [ "$f" -gt 0 ] && failed_names="$failed_names $(basename "$t")"
done
echo
[ -n "$failed_names" ] && echo "failing programs:$failed_names"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
