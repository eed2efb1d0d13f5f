#!/usr/bin/env bash
# bsperm compatibility suite: installs the pinned Backstage packages from npm
# (package.json / package-lock.json here, into node_modules/ here), then
# compares bsperm with the real Backstage code on a generated catalog, against
# the cluster in PGHOST/PGPORT (it creates and drops its own databases
# bsperm_compat and bsperm_compat_bs).  Last line:
#   # suite compat: N passed, N failed[, N skipped]
# If npm's registry cannot be reached (and the packages are not installed
# yet), or node/npm are missing, the suite says so loudly and FAILS
# ("0 passed, 1 failed"): a run that did not compare bsperm with Backstage
# is not a green run.  A developer without network may opt out with
#   BSPERM_ALLOW_SKIP=compat   (a list: "compat fuzz" or "compat,fuzz")
# and the suite then reports "0 passed, 0 failed, 1 skipped"; the opt-out
# is ignored under CI (CI set and not "false"/"0"), and .ci/run never sets it.
#
#   BSPERM_COMPAT_SEED=N       another catalog and other criteria (default 20240601)
#   BSPERM_COMPAT_CRITERIA=N   number of criteria documents (default 560, plus one)
#   BSPERM_COMPAT_KEEP=1       keep both databases for inspection
#   BSPERM_COMPAT_OUT=DIR      where the report goes (default test/compat/out)
#
# "run.sh SUITE SCRIPT" runs another script of this directory on the same
# packages under another suite name (test/suites/backstage: protect.js).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SUITE="${1:-compat}"
SCRIPT="${2:-compat.js}"

# true when the developer opted out of this suite's skip (never under CI)
skip_allowed() {
	case "${CI:-}" in "" | false | 0) ;; *) return 1 ;; esac
	[[ " ${BSPERM_ALLOW_SKIP:-} " =~ [[:space:],]$SUITE[[:space:],] ]]
}

skip() {
	echo
	echo "##########################################################################"
	echo "##  ${SUITE^^} SUITE NOT RUN: $1"
	echo "##  bsperm was NOT compared with Backstage in this run."
	if skip_allowed; then
		echo "##  Counted as skipped because BSPERM_ALLOW_SKIP names $SUITE."
		echo "##########################################################################"
		echo
		echo "# suite $SUITE: 0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "##  Counted as a FAILURE.  Without network, a developer may opt out with"
	echo "##  BSPERM_ALLOW_SKIP=$SUITE (ignored under CI)."
	echo "##########################################################################"
	echo
	echo "# suite $SUITE: 0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null && command -v npm >/dev/null || skip "node/npm not installed"

# install (in the directory given) unless node_modules already holds exactly its lock file
install() {
	local dir="$1" stamp="$1/node_modules/.bsperm-compat-lock"
	if { [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; }; then
		return 0
	fi
	if ! timeout 45 npm ping --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1; then
		skip "npm registry unreachable"
	fi
	echo "installing the pinned Backstage packages in $dir (npm ci)..."
	if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >npm-install.log 2>&1; then
		if grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' npm-install.log; then
			cat npm-install.log
			skip "npm registry unreachable"
		fi
		cat npm-install.log
		echo "COMPAT SUITE ERROR: npm ci failed in $dir"
		echo "# suite $SUITE: 0 passed, 1 failed"
		exit 1
	fi
	rm -f npm-install.log
	cp "$dir/package-lock.json" "$stamp"
}
install .
if [ "$SUITE" != compat ]; then
	node "$SCRIPT"
	exit
fi
# the real RBAC plugin has its own packages (rbac/, other versions of zod and the backend packages)
install rbac

# part 1: the catalog rules and SQL path (compat.js); part 2: the RBAC plugin (rbac/rbac-compat.js)
p=0 f=0
for script in compat.js rbac/rbac-compat.js; do
	out="$(mktemp /tmp/bsperm-compat.XXXXXX)"
	node "$script" 2>&1 | tee "$out"
	line="$(grep -E '^# (suite compat|rbac): [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)"
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "COMPAT SUITE ERROR: $script printed no result"
		f=$((f + 1))
		continue
	fi
	p=$((p + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
	f=$((f + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
done
echo "# suite compat: $p passed, $f failed"
[ "$f" -eq 0 ]
