#!/usr/bin/env bash
# bsperm's Backstage suite: installs the pinned Backstage packages from npm
# (package.json / package-lock.json here, into node_modules/ here), builds
# the module backstage-plugin-permission-backend-module-bsperm/ with them
# (type-checked; its sources are copied into build/ so that they resolve
# these packages), runs its unit tests, then starts a real Backstage backend
# with it on 127.0.0.1 (BSPERM_BACKSTAGE_PORT, else the first free of 7341-7349) against the cluster in
# PGHOST/PGPORT (database bsperm_bs, every plugin in its own schema,
# created and dropped) and compares its HTTP answers with bsperm's SQL
# answers (backstage.js).  Last line:
#   # suite backstage_module: N passed, N failed[, N skipped]
# Without node/npm or npm's registry the suite FAILS ("0 passed, 1 failed");
# a developer without network may opt out with BSPERM_ALLOW_SKIP=backstage_module,
# ignored under CI.  BSPERM_BACKSTAGE_KEEP=1 keeps the databases.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
MODULE=../../backstage-plugin-permission-backend-module-bsperm

NPM_SUITE=backstage_module
. ../npm_suite.sh
fail() { npm_suite_fail "$1"; }

npm_suite_need_node
npm_suite_install .

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
echo "# suite backstage_module: $p passed, $f failed"
[ "$f" -eq 0 ]
