#!/usr/bin/env bash
# Runs every test suite against the cluster in PGHOST/PGPORT (scripts/run
# test starts one) and prints, last, "N passed, N failed" over all suites.
#
# A suite is an executable test/suites/NAME that prints, as its last line,
# "# suite NAME: N passed, N failed" (", N skipped" may follow).  The run is
# green only if every suite ran something and nothing failed:
#   - a suite that exits without that line counts as one failure;
#   - a suite that exits non-zero but reports no failure counts as one;
#   - a suite that reports 0 passed, 0 failed and nothing skipped ran
#     nothing and counts as one failure;
#   - skipped tests count as FAILURES, unless BSPERM_ALLOW_SKIP names the
#     suite ("compat", or a list "compat fuzz" / "compat,fuzz") and the run
#     is not under CI (CI unset, "false" or "0").  .ci/run never sets it.
#   BSPERM_SUITES="unit regress"   run only these suites
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
suites="${BSPERM_SUITES:-$(ls test/suites)}"
total_pass=0 total_fail=0 total_skip=0
summary=()

under_ci() { case "${CI:-}" in "" | false | 0) return 1 ;; *) return 0 ;; esac; }

# true when skips of suite $1 are allowed (developer opt-out, never under CI)
skip_allowed() {
	under_ci && return 1
	[[ " ${BSPERM_ALLOW_SKIP:-} " =~ [[:space:],]$1[[:space:],] ]]
}

if under_ci && [ -n "${BSPERM_ALLOW_SKIP:-}" ]; then
	echo "CI=$CI: BSPERM_ALLOW_SKIP=$BSPERM_ALLOW_SKIP is ignored, skipped tests count as failures" >&2
fi

for s in $suites; do
	printf '\n######## suite %s\n' "$s"
	out="$(mktemp)"
	start=$SECONDS
	if [ -x "test/suites/$s" ]; then
		"test/suites/$s" 2>&1 | tee "$out"
		rc=${PIPESTATUS[0]}
	else
		echo "no such suite: test/suites/$s" | tee "$out"
		rc=127
	fi
	secs=$((SECONDS - start))
	line="$(grep -E '^# suite [a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)"
	if [ -z "$line" ]; then
		summary+=("$s: no result line, exit status $rc (counted as 1 failure) [${secs}s]")
		total_fail=$((total_fail + 1))
	else
		p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		k=0
		grep -qE '[0-9]+ skipped' <<<"$line" && k=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
		note=""
		if [ "$k" -gt 0 ]; then
			if skip_allowed "$s"; then
				total_skip=$((total_skip + k))
				note=" (skips allowed by BSPERM_ALLOW_SKIP)"
			else
				f=$((f + k))
				note=" (SKIPPED COUNTED AS FAILED: $k; only BSPERM_ALLOW_SKIP=$s outside CI allows a skip)"
			fi
		fi
		if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then
			f=1
			note="$note (exit status $rc without a reported failure: counted as 1 failure)"
		fi
		if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$k" -eq 0 ]; then
			f=1
			note="$note (ran nothing: counted as 1 failure)"
		fi
		total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
		summary+=("${line#\# suite }$note [${secs}s]")
	fi
	rm -f "$out"
done

printf '\n######## summary\n'
printf '  %s\n' "${summary[@]}"
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ]
