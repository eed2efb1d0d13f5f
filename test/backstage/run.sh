#!/usr/bin/env bash
# bsperm's Backstage suite: installs the pinned Backstage packages from npm
# (package.json / package-lock.json here, into node_modules/ here), builds
# the module backstage-plugin-permission-backend-module-bsperm/ with them
# (type-checked; its sources are copied into build/ so that they resolve
# these packages), runs its unit tests, then starts a real Backstage backend
# with it on 127.0.0.1:${BSPERM_BACKSTAGE_PORT:-7341} against the cluster in
# PGHOST/PGPORT (database bsperm_bs, every plugin in its own schema,
# created and dropped) and compares its HTTP answers with bsperm's SQL
# answers (backstage.js).  Last line:
#   # suite backstage: N passed, N failed[, N skipped]
# Without node/npm or npm's registry the suite FAILS ("0 passed, 1 failed");
# a developer without network may opt out with BSPERM_ALLOW_SKIP=backstage,
# ignored under CI.  BSPERM_BACKSTAGE_KEEP=1 keeps the databases.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
MODULE=../../backstage-plugin-permission-backend-module-bsperm

skip_allowed() {
	case "${CI:-}" in "" | false | 0) ;; *) return 1 ;; esac
	[[ " ${BSPERM_ALLOW_SKIP:-} " =~ [[:space:],]backstage[[:space:],] ]]
}
skip() {
	echo
	echo "##########################################################################"
	echo "##  BACKSTAGE SUITE NOT RUN: $1"
	echo "##  The bsperm module was NOT tested with a real Backstage backend."
	if skip_allowed; then
		echo "##  Counted as skipped because BSPERM_ALLOW_SKIP names backstage."
		echo "##########################################################################"
		echo "# suite backstage: 0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "##  Counted as a FAILURE (BSPERM_ALLOW_SKIP=backstage opts out, not under CI)."
	echo "##########################################################################"
	echo "# suite backstage: 0 passed, 1 failed"
	exit 1
}
fail() {
	echo "BACKSTAGE SUITE ERROR: $1"
	echo "# suite backstage: 0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null && command -v npm >/dev/null || skip "node/npm not installed"

stamp=node_modules/.bsperm-backstage-lock
if ! { [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; }; then
	if ! timeout 45 npm ping --fetch-retries=1 --fetch-timeout=20000 >/dev/null 2>&1; then
		skip "npm registry unreachable"
	fi
	echo "installing the pinned Backstage packages (npm ci)..."
	start=$SECONDS
	if ! npm ci --no-audit --no-fund --loglevel=error >npm-install.log 2>&1; then
		cat npm-install.log
		grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' npm-install.log && skip "npm registry unreachable"
		fail "npm ci failed"
	fi
	echo "npm ci took $((SECONDS - start)) s"
	rm -f npm-install.log
	cp package-lock.json "$stamp"
fi

# the module's runtime dependencies must be the ones this suite installs
node -e '
const m = require(process.argv[1] + "/package.json"), s = require("./package.json");
const semver = require("semver");
const bad = Object.entries(m.dependencies).filter(([n, r]) => !s.dependencies[n] || !semver.satisfies(s.dependencies[n], r));
if (bad.length) { console.log("module dependencies not installed by the suite at a version they accept: " + bad.map(b => b.join("@")).join(", ")); process.exit(1); }
' "$MODULE" || fail "package.json of the suite and of the module disagree"

"$MODULE"/build-into.sh . || fail "the module does not compile"

# the module's unit tests, counted in this suite
unit_out=$(cd build/module && node --test dist/ 2>&1)
echo "$unit_out" | grep -E '^(not )?ok ' | sed 's/^/unit: /'
unit_pass=$(echo "$unit_out" | sed -n 's/^# pass //p')
unit_fail=$(echo "$unit_out" | sed -n 's/^# fail //p')
[ -n "$unit_pass" ] || { echo "$unit_out"; fail "the module's unit tests did not run"; }
[ "${unit_fail:-1}" = 0 ] || echo "$unit_out" | grep -A20 '^not ok'

out=$(mktemp)
node backstage.js | tee "$out"
line=$(grep -E '^# backstage.js: ' "$out" | tail -n1)
rm -f "$out"
p=$(sed -nE 's/.*: ([0-9]+) passed.*/\1/p' <<<"$line")
f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")
[ -n "$p" ] || { p=0; f=1; }
p=$((p + unit_pass)); f=$((f + unit_fail))
echo "# suite backstage: $p passed, $f failed"
[ "$f" -eq 0 ]
