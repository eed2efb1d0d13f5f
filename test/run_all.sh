#!/usr/bin/env bash
# Runs every test suite against the cluster in PGHOST/PGPORT (scripts/run
# test starts one) and prints, last, "N passed, N failed" over all suites.
#
# A suite is an executable test/suites/NAME that prints, as its last line,
# "# suite NAME: N passed, N failed" (", N skipped" may follow).  A suite
# that exits without that line counts as one failure.
#   BSPERM_SUITES="unit regress"   run only these suites
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
suites="${BSPERM_SUITES:-$(ls test/suites)}"
total_pass=0 total_fail=0 total_skip=0
summary=()

for s in $suites; do
	printf '\n######## suite %s\n' "$s"
	out="$(mktemp)"
	"test/suites/$s" 2>&1 | tee "$out"
	line="$(grep -E '^# suite [a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)"
	if [ -z "$line" ]; then
		summary+=("$s: no result line (counted as 1 failure)")
		total_fail=$((total_fail + 1))
	else
		p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		k=0
		grep -qE '[0-9]+ skipped' <<<"$line" && k=$(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")
		total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + k))
		summary+=("${line#\# suite }")
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
