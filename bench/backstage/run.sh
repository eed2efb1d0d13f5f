#!/usr/bin/env bash
# bench/backstage/run.sh DB - a Backstage catalog protected with
# bsperm_protect_backstage, at each size in BENCH_BACKSTAGE_SIZES (default
# 100000): a selective user's listings and counts through the protected tables
# against the same answer by hand with the best index, and the stitcher's
# writes on the protected catalog against the unprotected one.  Medians of
# BENCH_ROUNDS interleaved rounds (default 7); the write rounds run pgbench for
# BENCH_BACKSTAGE_SECS seconds each (default 10).  BENCH_BACKSTAGE_REUSE=1 keeps the
# data of the last run (one size) and only protects it anew.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
ROUNDS="${BENCH_ROUNDS:-7}"
SECS="${BENCH_BACKSTAGE_SECS:-10}"
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
PGBENCH="$(dirname "$(command -v psql)")/pgbench"
$P -f "$HERE/../common.sql" >/dev/null

ALICE="ARRAY['user:default/alice','group:default/team-1','group:default/team-2']"
OWNED="SELECT o.entity_id FROM bs_plain.search o WHERE o.key = 'relations.ownedby' AND o.value IN ('user:default/alice','group:default/team-1','group:default/team-2')"
# name | protected (as alice's BI role) | by hand (unprotected copy, Backstage's index on search)
QUERIES=(
"list|SELECT sum(length(final_entity)) FROM (SELECT final_entity FROM bs_prot.final_entities ORDER BY entity_ref) x|SELECT sum(length(final_entity)) FROM (SELECT f.final_entity FROM bs_plain.final_entities f WHERE f.entity_id IN ($OWNED) ORDER BY f.entity_ref) x"
"count|SELECT count(*) FROM bs_prot.final_entities|SELECT count(DISTINCT o.entity_id) FROM ($OWNED) o"
"list_kind|SELECT sum(length(f.final_entity)) FROM bs_prot.final_entities f WHERE EXISTS (SELECT FROM bs_prot.search s WHERE s.entity_id = f.entity_id AND s.key = 'kind' AND s.value = 'api')|SELECT sum(length(f.final_entity)) FROM bs_plain.final_entities f WHERE EXISTS (SELECT FROM bs_plain.search s WHERE s.entity_id = f.entity_id AND s.key = 'kind' AND s.value = 'api') AND f.entity_id IN ($OWNED)"
"count_search|SELECT count(*) FROM bs_prot.search WHERE key = 'spec.lifecycle' AND value = 'production'|SELECT count(*) FROM bs_plain.search s WHERE s.key = 'spec.lifecycle' AND s.value = 'production' AND s.entity_id IN ($OWNED)"
"relations|SELECT count(*) FROM bs_prot.relations|SELECT count(*) FROM bs_plain.relations r WHERE r.originating_entity_id IN ($OWNED)"
)

timed() {   # name who query -> psql lines timing it (second of two runs)
	local name="$1" who="$2" q="$3"
	if [ "$who" = alice ]; then
		printf "BEGIN; SELECT bsperm_set_user('user:default/alice', %s) \\\\g /dev/null\nSET LOCAL ROLE bench_bs_bi;\n" "$ALICE"
	else
		printf "BEGIN; SET LOCAL ROLE bench_bs_owner;\n"
	fi
	printf "SELECT public.bench_timed(\$q\$%s\$q\$) \\\\g /dev/null\nSELECT public.bench_timed(\$q\$%s\$q\$) AS ms \\\\gset\nRESET ROLE; INSERT INTO public.bench_bs_rt VALUES ('%s', :ms); COMMIT;\n" "$q" "$q" "$name"
}

for n in ${BENCH_BACKSTAGE_SIZES:-100000}; do
	echo "== Backstage catalog protected by bsperm_protect_backstage: $n entities, $ROUNDS rounds"
	t0=$(date +%s)
	if [ -n "${BENCH_BACKSTAGE_REUSE:-}" ]; then
		$P -f "$HERE/reprotect.sql" >/dev/null   # the data of the last run, bsperm built anew
	else
		(cd "$HERE" && $P -v n="$n" -f setup.sql >/dev/null)
	fi
	$P -f "$HERE/protect.sql" >/dev/null
	echo "   (data and indexes built in $(($(date +%s) - t0)) s)"
	$P -c "DROP TABLE IF EXISTS public.bench_bs_rt; CREATE TABLE public.bench_bs_rt (name text, ms float8)"
	$P -At -c "SELECT '   search rows per entity: ' || min(c) || ' to ' || max(c) || ', average ' || round(avg(c)) FROM (SELECT count(*) c FROM bs_plain.search GROUP BY entity_id) x"
	$P -At -c "SELECT '   storage: final_entities ' || pg_size_pretty(pg_total_relation_size('bs_prot.final_entities')) || ', search ' || pg_size_pretty(pg_total_relation_size('bs_prot.search')) || ', bsperm_entities (the jsonb copy) ' || pg_size_pretty(pg_relation_size('bs_prot.bsperm_entities') + coalesce(pg_total_relation_size(reltoastrelid), 0)) || ' + its GIN index ' || pg_size_pretty(pg_relation_size('bs_prot.bsperm_entities_entity_idx')) FROM pg_class WHERE oid = 'bs_prot.bsperm_entities'::regclass"

	# the answers agree
	for spec in "${QUERIES[@]}"; do
		IFS='|' read -r name prot hand <<<"$spec"
		a=$($P -At -c "BEGIN" -c "SELECT bsperm_set_user('user:default/alice', $ALICE)" -c "SET LOCAL ROLE bench_bs_bi" -c "$prot" -c "COMMIT" | sed -n 2p)
		b=$($P -At -c "$hand")
		echo "   $name: protected $a, by hand $b$([ "$a" = "$b" ] || echo '   ** ANSWERS DIFFER **')"
	done

	script="$(mktemp)"
	for ((r = 1; r <= ROUNDS; r++)); do
		for spec in "${QUERIES[@]}"; do
			IFS='|' read -r name prot hand <<<"$spec"
			timed "$name.protected" alice "$prot"
			timed "$name.by_hand" owner "$hand"
		done
	done >"$script"
	$P -c "SET max_parallel_workers_per_gather = 0" -c "SET jit = off" -f "$script" >/dev/null
	rm -f "$script"
	echo "-- reads: alice's role through the protected tables / the same rows by hand (ms, medians)"
	$P -c "WITH m AS (SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) ms FROM public.bench_bs_rt GROUP BY name)
	       SELECT split_part(p.name, '.', 1) AS query, round(p.ms::numeric, 2) AS protected_ms, round(h.ms::numeric, 2) AS by_hand_ms,
	              round((p.ms / h.ms)::numeric, 2) AS ratio
	         FROM m p JOIN m h ON h.name = split_part(p.name, '.', 1) || '.by_hand'
	        WHERE p.name LIKE '%.protected' ORDER BY 1"

	# writes: the stitcher's statements as Backstage's role, rounds interleaved
	$P -c "TRUNCATE public.bench_bs_rt"
	for ((r = 1; r <= ROUNDS; r++)); do
		for w in stitch insert; do
			for s in bs_plain bs_prot; do
				tps=$(PGOPTIONS="-c search_path=$s,public" "$PGBENCH" -n -M prepared -U bench_bs_owner -d "$DB" \
					-D n="$n" -T "$SECS" -f "$HERE/$w.pgbench" 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
				$P -c "INSERT INTO public.bench_bs_rt VALUES ('$w.$s', ${tps:-0})"
			done
		done
	done
	echo "-- writes: stitches per second, Backstage's role (medians of $ROUNDS rounds of ${SECS}s, one client)"
	$P -c "WITH m AS (SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) tps FROM public.bench_bs_rt GROUP BY name)
	       SELECT split_part(u.name, '.', 1) AS write, round(u.tps::numeric, 1) AS unprotected_tps, round(p.tps::numeric, 1) AS protected_tps,
	              round((u.tps / p.tps)::numeric, 2) AS protected_time_ratio
	         FROM m u JOIN m p ON p.name = split_part(u.name, '.', 1) || '.bs_prot'
	        WHERE u.name LIKE '%.bs_plain' ORDER BY 1"
done
