#!/usr/bin/env bash
# bench/run.sh [criteria|decisions|rls|all] - benchmarks against the cluster
# in PGHOST/PGPORT (scripts/run bench starts a throwaway one).
#   BENCH_N=200000 BENCH_ROUNDS=7
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
what="${1:-criteria}"
N="${BENCH_N:-200000}"
ROUNDS="${BENCH_ROUNDS:-7}"
DB=bsperm_bench

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION bsperm"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$HERE/common.sql"

run_criteria() {
	echo "== criteria engine: $N entities, $ROUNDS rounds"
	psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -v n="$N" -f "$HERE/criteria/data.sql"
	PGOPTIONS="-c bench.rounds=$ROUNDS" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$HERE/criteria/bench.sql"
}

case "$what" in
	criteria) run_criteria ;;
	all)
		run_criteria
		for b in "$HERE"/*/run.sh; do [ -x "$b" ] && "$b" "$DB"; done
		;;
	rls) "$HERE/rls/run.sh" "$DB" ;;
	rls-shapes) "$HERE/rls/shapes.sh" "$DB" ;;
	*)
		if [ -x "$HERE/$what/run.sh" ]; then "$HERE/$what/run.sh" "$DB"; else echo "unknown benchmark $what" >&2; exit 2; fi
		;;
esac
