#!/usr/bin/env bash
# bench/backstage-module: a batch of 10 decisions through the bsperm Backstage
# module against the RBAC plugin 8.1.3 deciding the same batch with the same
# policy (bench.js says how).  One line:
#   ./scripts/run bench backstage-module      (or bench/run.sh backstage-module)
# Installs the pinned packages here (npm ci), builds the module into build/,
# then runs against the cluster in PGHOST/PGPORT.  BSPERM_BENCH_ROUNDS=N.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
stamp=node_modules/.bsperm-bench-lock
if ! { [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; }; then
	npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json "$stamp"
fi
../../backstage-plugin-permission-backend-module-bsperm/build-into.sh .
echo "== Backstage module: a batch of 10 decisions, bsperm module vs the RBAC plugin"
node bench.js
