#!/usr/bin/env bash
# bench/rls/run.sh DB - the row-level-security benchmark at each size in
# BENCH_RLS_SIZES (default "100000 1000000"), BENCH_ROUNDS rounds each.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
ROUNDS="${BENCH_ROUNDS:-7}"
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
$P -f "$HERE/../common.sql" >/dev/null

# One statement block per timing, all in one session (a new session would pay
# for loading the library and filling its caches on every query).
# Each timing is the second of two runs in a row, so every query is measured
# with its own data in cache (at 1M entities the tables do not all fit in
# shared_buffers, and the query run before would otherwise decide the cache).
stmt() {    # name who query -> the SQL that times it once
	local name="$1" who="$2" q="$3" t
	t="INSERT INTO public.bench_rt SELECT '$name', public.bench_timed(\$q\$$q\$q\$);"
	[ -n "${ONCE:-}" ] || t="SELECT public.bench_timed(\$q\$$q\$q\$) \\g /dev/null
$t"
	case "$who" in
		SUPER) printf 'RESET ROLE;\n%s\n' "$t" ;;
		"") printf 'SET ROLE bsperm_bench_app;\n%s\nRESET ROLE;\n' "$t" ;;
		*) printf "SET ROLE bsperm_bench_app; BEGIN; SELECT bsperm_set_user('%s', ARRAY['%s','group:default/team-1','group:default/team-2']) \\g /dev/null\n%s\nCOMMIT; RESET ROLE;\n" "$who" "$who" "$t" ;;
	esac
}

run_script() {   # file -> run it in one session
	$P -c "SET max_parallel_workers_per_gather = 0" -c "SET jit = off" -f "$1" >/dev/null
}

# bulk insert of 100k entities: protected (policies + bsperm index) against
# the same table without row security (bsperm index, no policies), a plain
# table without an index and one with a jsonb_path_ops index
bulk_insert() {
	local n="$1" m
	m=$(( n < 100000 ? n : 100000 ))
	$P >/dev/null <<SQL
DROP TABLE IF EXISTS public.bulk_protected, public.bulk_plain, public.bulk_plain_gin, public.bulk_plain_bsperm, public.bulk_src;
CREATE TABLE public.bulk_src AS SELECT entity FROM public.plain_entities LIMIT $m;
CREATE TABLE public.bulk_protected (entity jsonb NOT NULL);
SELECT bsperm_protect('public.bulk_protected');
CREATE TABLE public.bulk_plain (entity jsonb NOT NULL);
CREATE TABLE public.bulk_plain_gin (entity jsonb NOT NULL);
CREATE INDEX ON public.bulk_plain_gin USING gin (entity jsonb_path_ops);
CREATE TABLE public.bulk_plain_bsperm (entity jsonb NOT NULL);
CREATE INDEX ON public.bulk_plain_bsperm USING gin (entity bsperm_entity_ops);
GRANT SELECT ON public.bulk_src TO bsperm_bench_app;
GRANT SELECT, INSERT, TRUNCATE ON public.bulk_protected, public.bulk_plain, public.bulk_plain_gin, public.bulk_plain_bsperm TO bsperm_bench_app;
TRUNCATE public.bench_rt;
SQL
	script="$(mktemp)"
	for ((i = 1; i <= 3; i++)); do
		for t in bulk_protected bulk_plain_bsperm bulk_plain bulk_plain_gin; do
			echo "TRUNCATE public.$t;"
			ONCE=1 stmt "insert.$t" "user:default/carol" "WITH i AS (INSERT INTO public.$t SELECT entity FROM public.bulk_src RETURNING 1) SELECT count(*) FROM i"
		done
	done > "$script"
	run_script "$script"
	rm -f "$script"
	echo "-- bulk insert of $m entities (medians of 3)"
	$P -c "WITH m AS (SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM public.bench_rt GROUP BY name),
	           j AS (SELECT jsonb_object_agg(name, ms) AS j FROM m)
	       SELECT round((j->>'insert.bulk_protected')::numeric, 1) AS protected_ms,
	              round((j->>'insert.bulk_plain_bsperm')::numeric, 1) AS same_index_no_rls_ms,
	              round((j->>'insert.bulk_plain')::numeric, 1) AS plain_ms,
	              round((j->>'insert.bulk_plain_gin')::numeric, 1) AS plain_jsonb_gin_ms,
	              round(((j->>'insert.bulk_protected')::float8 / (j->>'insert.bulk_plain_bsperm')::float8)::numeric, 2) AS protected_over_no_rls,
	              round(((j->>'insert.bulk_protected')::float8 / (j->>'insert.bulk_plain')::float8)::numeric, 2) AS protected_over_plain,
	              round(((j->>'insert.bulk_protected')::float8 / (j->>'insert.bulk_plain_gin')::float8)::numeric, 2) AS protected_over_plain_gin
	         FROM j"
}

for n in ${BENCH_RLS_SIZES:-100000 1000000}; do
	echo "== row-level security: $n entities, $ROUNDS rounds"
	t0=$(date +%s)
	$P -v n="$n" -f "$HERE/setup.sql" >/dev/null
	echo "   (data and indexes built in $(( $(date +%s) - t0 )) s)"
	$P -f "$HERE/bench.sql" >/dev/null
	mapfile -t rows < <($P -At -F $'\x1f' -c "SELECT name, coalesce(who, ''), regexp_replace(q, '\\s+', ' ', 'g') FROM public.bench_rq ORDER BY name")
	script="$(mktemp)"
	{
		echo "SET max_parallel_workers_per_gather = 0; SET jit = off;"
		for r in "${rows[@]}"; do IFS=$'\x1f' read -r name who q <<<"$r"; stmt "$name" "$who" "$q"; done   # warm-up
		echo "TRUNCATE public.bench_rt;"
		for ((i = 1; i <= ROUNDS; i++)); do
			for r in "${rows[@]}"; do IFS=$'\x1f' read -r name who q <<<"$r"; stmt "$name" "$who" "$q"; done
		done
	} > "$script"
	run_script "$script"
	rm -f "$script"
	echo "-- plans"
	$P -c "SET ROLE bsperm_bench_app" -c "BEGIN" -c "SELECT bsperm_set_user('user:default/alice', ARRAY['user:default/alice','group:default/team-1','group:default/team-2'])" \
	   -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM bsperm.entities" -c "COMMIT" | grep -v '^$'
	$P -c "SET ROLE bsperm_bench_app" -c "BEGIN" -c "SELECT bsperm_set_user('user:default/alice', ARRAY['user:default/alice','group:default/team-1','group:default/team-2'])" \
	   -c "EXPLAIN (ANALYZE, COSTS ON, TIMING OFF, SUMMARY OFF) SELECT entity_ref FROM bsperm.entities ORDER BY entity_ref LIMIT 20" -c "COMMIT" | grep -v '^$'
	$P -c "SET ROLE bsperm_bench_app" -c "BEGIN" -c "SELECT bsperm_set_user('user:default/carol')" \
	   -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM bsperm.entities" -c "COMMIT" | grep -v '^$'
	$P -c "SET ROLE bsperm_bench_app" -c "BEGIN" -c "SELECT bsperm_set_user('user:default/eve')" \
	   -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM bsperm.entities" -c "COMMIT" | grep -v '^$'
	$P -f "$HERE/report.sql"
	bulk_insert "$n"
done
