#!/usr/bin/env bash
# bench/decisions/run.sh [DB] - decision latency for a user holding 50 roles,
# and a 1,000-item authorize batch with resource refs.  Uses the cluster in
# PGHOST/PGPORT; the database must have bsperm installed (bench/run.sh does
# that).  BENCH_DECISIONS_N entities (default 10000), BENCH_SECONDS pgbench time.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
N="${BENCH_DECISIONS_N:-10000}"
SECS="${BENCH_SECONDS:-5}"

psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "DROP EXTENSION IF EXISTS bsperm CASCADE" -c "CREATE EXTENSION bsperm"
echo "== decisions: $N entities, a user in 50 groups holding 50 roles (1,000 roles in all)"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v n="$N" -f "$HERE/setup.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v n="$N" -f "$HERE/bench.sql"

# the same through the client protocol: one statement per decision
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "DROP TABLE IF EXISTS bench_batch_t" -c "
  CREATE TABLE bench_batch_t AS SELECT jsonb_build_object('items', jsonb_agg(jsonb_build_object('id', i::text,
    'permission', '{\"type\":\"resource\",\"name\":\"catalog.entity.read\",\"attributes\":{\"action\":\"read\"},\"resourceType\":\"catalog-entity\"}'::jsonb,
    'resourceRef', 'component:default/c-' || (i * 7 % $N)))) AS body FROM generate_series(1, 1000) i"
echo "== pgbench, 1 client, ${SECS}s: SELECT 1 (the round trip alone)"
pgbench -n -c 1 -T "$SECS" -f "$HERE/baseline.pgbench" "$DB" 2>/dev/null | grep -E "latency average|tps"
echo "== pgbench, 1 client, ${SECS}s: one decision per statement (includes the round trip)"
pgbench -n -c 1 -T "$SECS" -f "$HERE/single.pgbench" "$DB" 2>/dev/null | grep -E "latency average|tps"
echo "== pgbench, 1 client, ${SECS}s: one 1,000-item batch per statement"
pgbench -n -c 1 -T "$SECS" -f "$HERE/batch.pgbench" "$DB" 2>/dev/null | grep -E "latency average|tps"
psql -X -q -d "$DB" -c "DROP TABLE bench_batch_t"
