#!/usr/bin/env bash
# bench/rules/run.sh DB - cluster-scoped and transitive-ownership policies under
# row-level security against the best hand-written indexed queries, and
# transitive against direct ownership of the same groups, at each size in
# BENCH_RULES_SIZES (default "100000"), BENCH_ROUNDS rounds each (medians of
# interleaved rounds; each timing is the second of two runs in a row).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
ROUNDS="${BENCH_ROUNDS:-7}"
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
$P -f "$HERE/../common.sql" >/dev/null

stmt() {    # name who refs query -> the SQL that times it once (after one untimed run)
	local name="$1" who="$2" refs="$3" q="$4" t set
	t="SELECT public.bench_timed(\$q\$$q\$q\$) \\g /dev/null
INSERT INTO public.bench_rt SELECT '$name', public.bench_timed(\$q\$$q\$q\$);"
	if [ -z "$who" ]; then
		printf 'SET ROLE bsperm_bench_app;\n%s\nRESET ROLE;\n' "$t"
	else
		set="SELECT bsperm_set_user('$who')"
		[ -z "$refs" ] || set="SELECT bsperm_set_user('$who', string_to_array('$refs', ','))"
		printf 'SET ROLE bsperm_bench_app; BEGIN; %s \\g /dev/null\n%s\nCOMMIT; RESET ROLE;\n' "$set" "$t"
	fi
}

for n in ${BENCH_RULES_SIZES:-100000}; do
	echo "== declared rules and transitive ownership: $n entities, $ROUNDS rounds"
	t0=$(date +%s)
	$P -v n="$n" -f "$HERE/setup.sql" >/dev/null
	echo "   (data and indexes built in $(( $(date +%s) - t0 )) s)"
	$P -f "$HERE/bench.sql" >/dev/null
	mapfile -t rows < <($P -At -F $'\x1f' -c "SELECT name, coalesce(who, ''), coalesce(refs, ''), regexp_replace(q, '\\s+', ' ', 'g') FROM public.bench_rq ORDER BY name")
	script="$(mktemp)"
	{
		echo "SET max_parallel_workers_per_gather = 0; SET jit = off;"
		for r in "${rows[@]}"; do IFS=$'\x1f' read -r name who refs q <<<"$r"; stmt "$name" "$who" "$refs" "$q"; done   # warm-up
		echo "TRUNCATE public.bench_rt;"
		for ((i = 1; i <= ROUNDS; i++)); do
			for r in "${rows[@]}"; do IFS=$'\x1f' read -r name who refs q <<<"$r"; stmt "$name" "$who" "$refs" "$q"; done
		done
	} > "$script"
	$P -c "SET max_parallel_workers_per_gather = 0" -c "SET jit = off" -f "$script" >/dev/null
	rm -f "$script"
	echo "-- plans"
	for who in sam dana; do
		$P -c "SET ROLE bsperm_bench_app" -c "BEGIN" -c "SELECT bsperm_set_user('user:default/$who')" \
		   -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM bsperm.entities" -c "COMMIT" | grep -v '^$'
	done
	$P -c "SET ROLE bsperm_bench_app" -c "EXPLAIN (COSTS OFF) $($P -At -c "SELECT q FROM public.bench_rq WHERE name = 'cluster.hand_btree'")" | grep -v '^$'
	$P -f "$HERE/report.sql"
done
