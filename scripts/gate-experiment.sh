#!/bin/sh
# gate-experiment.sh — the proof that the regression gate works on this machine: N gate runs with
# the head slowed by --inject-overhead-pct 25 must flag a regression (exit 1) in at least 9 of 10,
# and N A/A runs (the same revision both sides, nothing injected) must flag none; every gate run
# must finish within 5 minutes. The two kinds alternate, so both see the same machine.
#
#   scripts/gate-experiment.sh [REV]      (default REV: HEAD; both sides are built from it)
#   N=10 PROFILE=ci/profile RUNS=20 OUT=results/gate-experiment-<stamp> BUILD=... BIN=...
#
# Writes every run's table (*.md), log (*.log) and regress.json (*.json) to OUT, and prints a
# summary (also OUT/summary.md). Exit 0 when the criteria hold, 1 otherwise.
set -u
cd "$(dirname "$0")/.."
rev=${1:-HEAD}
n=${N:-10}
profile=${PROFILE:-ci/profile}
runs=${RUNS:-20}
out=${OUT:-results/gate-experiment-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

# The gate program is built once, up front (ci/regress would otherwise check it every time).
build=${BUILD:-build/default}
bin=${BIN:-bin}
make -s --no-print-directory BUILD="$build" BIN="$bin" "$bin/regress" >&2 || exit 2
case $bin in /*) REGRESS_BIN=$bin/regress ;; *) REGRESS_BIN=$(pwd)/$bin/regress ;; esac
export REGRESS_BIN

# One commit for the whole experiment, though others may commit meanwhile.
rev=$(git rev-parse --verify "$rev^{commit}") || exit 2
sha=$(git rev-parse --short=12 "$rev")
inj_flagged=0
aa_flagged=0
other=0
max_s=0
: > "$out/runs.tsv"
gate() {    # gate KIND I ARGS...: one gate run, its exit code and seconds into runs.tsv
    kind=$1 i=$2
    shift 2
    t0=$(date +%s)
    ci/regress --base "$rev" --head "$rev" --profile "$profile" --runs "$runs" \
        --output "$out/$kind-$i.json" "$@" > "$out/$kind-$i.md" 2> "$out/$kind-$i.log"
    rc=$?
    s=$(( $(date +%s) - t0 ))
    [ "$s" -gt "$max_s" ] && max_s=$s
    regressed=$(sed -n 's/^\*\*\([0-9]*\) regressed.*/\1/p' "$out/$kind-$i.md")
    printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$i" "$rc" "$s" "${regressed:-?}" >> "$out/runs.tsv"
    printf '%-7s %2s: exit %s, %s regressed cell(s), %s s\n' "$kind" "$i" "$rc" \
        "${regressed:-?}" "$s" >&2
    return "$rc"
}
i=1
while [ "$i" -le "$n" ]; do
    gate inject "$i" --head-args "--inject-overhead-pct 25"
    case $? in 1) inj_flagged=$((inj_flagged + 1)) ;; 0) ;; *) other=$((other + 1)) ;; esac
    gate aa "$i"
    case $? in 1) aa_flagged=$((aa_flagged + 1)) ;; 0) ;; *) other=$((other + 1)) ;; esac
    i=$((i + 1))
done

need=$(( (n * 9 + 9) / 10 ))
ok=1
[ "$inj_flagged" -ge "$need" ] || ok=0
[ "$aa_flagged" -eq 0 ] || ok=0
[ "$other" -eq 0 ] || ok=0
[ "$max_s" -le 300 ] || ok=0
{
    echo "Gate experiment at $sha, $(date -u +%Y-%m-%dT%H:%MZ), profile $profile, $runs runs a side:"
    echo
    echo "- injected (--head-args \"--inject-overhead-pct 25\"): $inj_flagged of $n flagged a regression (need >= $need)"
    echo "- A/A (same revision, no injection): $aa_flagged of $n flagged a regression (need 0)"
    echo "- runs that could not run (exit 2): $other"
    echo "- longest gate run: $max_s s (limit 300)"
    echo "- cells per injected run flagged REGRESSED: $(awk -F'\t' '$1=="inject"{printf "%s ", $5}' "$out/runs.tsv")"
    echo "- cells measured: $(sed -n 's/^| \([a-z0-9-]*\) | [0-9].*/\1/p' "$out/inject-1.md" | tr '\n' ' ')"
    skipped=$(sed -n 's/^- \([a-z0-9-]*\): .*/\1/p' "$out/inject-1.md" | tr '\n' ' ')
    echo "- cells skipped or failed: ${skipped:-none}"
    echo
    [ "$ok" -eq 1 ] && echo "criteria met" || echo "criteria NOT met"
    echo
    echo "Per cell: injected runs that flagged it, and the range the A/A intervals covered:"
    echo
    echo "| cell | injected: regressed | A/A: lowest CI end | A/A: highest CI end | A/A verdicts |"
    echo "|---|---:|---:|---:|---|"
    awk -F'|' -v n="$n" '
        /^\| [a-z0-9-]+ \| [0-9]/ {
            name = $2; gsub(/ /, "", name)
            ci = $6; gsub(/[][ ]/, "", ci); split(ci, b, ",")
            verdict = $8; sub(/^ */, "", verdict); sub(/ *\(T.*/, "", verdict); gsub(/\*/, "", verdict)
            if (!(name in seen)) { seen[name] = 1; order[++k] = name; lo[name] = 99; hi[name] = 0 }
            if (FILENAME ~ /\/inject-[0-9]+\.md$/) { if (verdict == "REGRESSED") inj[name]++; next }
            if (b[1] + 0 < lo[name]) lo[name] = b[1] + 0
            if (b[2] + 0 > hi[name]) hi[name] = b[2] + 0
            v[name, verdict]++
        }
        END {
            for (i = 1; i <= k; i++) {
                c = order[i]
                printf "| %s | %d/%d | %.3f | %.3f | %d no change, %d inconclusive, %d regressed, %d improved |\n",
                    c, inj[c], n, lo[c], hi[c], v[c, "no change"], v[c, "inconclusive"],
                    v[c, "REGRESSED"], v[c, "improved"]
            }
        }' "$out"/inject-*.md "$out"/aa-*.md

} | tee "$out/summary.md"
[ "$ok" -eq 1 ]
