#!/usr/bin/env bash
# bench/entity_source/run.sh [DB] - the cost of the entity source: the same
# decisions with entities read from bsperm.entities (jsonb), from a table laid
# out like Backstage's final_entities (final_entity TEXT, parsed at each
# lookup) and from a jsonb copy of it (what bsperm_protect_backstage keeps),
# side by side, medians of interleaved rounds.  BENCH_ES_N entities (default
# 100000), BENCH_ROUNDS rounds (default 7).  Uses the cluster in PGHOST/PGPORT.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
N="${BENCH_ES_N:-100000}"
ROUNDS="${BENCH_ROUNDS:-7}"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "DROP EXTENSION IF EXISTS bsperm CASCADE" -c "CREATE EXTENSION bsperm"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$HERE/../common.sql"
echo "== entity source: $N entities, 2,000 users in 500 groups, $ROUNDS rounds"
PGOPTIONS="-c bench.rounds=$ROUNDS" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v n="$N" -f "$HERE/bench.sql"
