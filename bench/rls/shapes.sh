#!/usr/bin/env bash
# bench/rls/shapes.sh DB - the catalog's query shapes under row security
# (issue 12): a page by entity ref and by name, the next page by keyset, kind
# and owner facets, a join to a table keyed by entity ref; each as the users
# of shapes_setup.sql (selective, medium, broad CONDITIONAL, ALLOW, DENY),
# against the same rows by hand on an unprotected copy with PostgreSQL's
# default plan and with each scan forced.  Sizes in BENCH_RLS_SIZES (default
# "100000 1000000"), BENCH_ROUNDS rounds (default 3); BENCH_SHAPES_1M lists
# the shapes run at sizes over 100000 (default: all).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
ROUNDS="${BENCH_ROUNDS:-3}"
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
$P -f "$HERE/../common.sql" >/dev/null

declare -A SHAPE=(
 [page]="SELECT count(*) FROM (SELECT entity_ref FROM %T WHERE %P ORDER BY entity_ref LIMIT 20) s"
 [keyset]="SELECT count(*) FROM (SELECT entity_ref FROM %T WHERE %P AND entity_ref > 'component:default/entity-5' ORDER BY entity_ref LIMIT 20) s"
 [name]="SELECT count(*) FROM (SELECT entity_ref FROM %T WHERE %P ORDER BY entity->'metadata'->>'name' LIMIT 20) s"
 [kinds]="SELECT count(*) FROM (SELECT entity->>'kind', count(*) FROM %T WHERE %P GROUP BY 1) s"
 [owners]="SELECT count(*) FROM (SELECT entity->'spec'->>'owner', count(*) FROM %T WHERE %P GROUP BY 1) s"
 [join]="SELECT count(*) FROM %T e JOIN public.facts f ON f.entity_ref = e.entity_ref WHERE %P AND f.score < 10"
)
FORCE=(
 "f_bitmap:SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off;"
 "f_index:SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off;"
 "f_seq:SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off;"
)
WHO=(sel med broad allow deny)
declare -A HAND
while IFS=$'\x1f' read -r w h; do HAND[$w]="$h"; done < <($P -At -F $'\x1f' -c "SELECT who, hand FROM public.shape_who")

q_of() { local t="${SHAPE[$1]}"; t="${t//%T/$2}"; printf '%s' "${t//%P/$3}"; }

# one timing (the second of two runs in a row): name who settings query
stmt() {
	local name="$1" who="$2" set="$3" q="$4" u=""
	[ -n "$who" ] && u="SELECT bsperm.bsperm_set_user('user:default/$who', ARRAY['user:default/$who','group:default/team-7']) \\g /dev/null"
	printf "BEGIN; %s\n%s\nSELECT public.bench_timed(\$q\$%s\$q\$) \\g /dev/null\nINSERT INTO public.bench_st SELECT '%s', public.bench_timed(\$q\$%s\$q\$);\nCOMMIT;\n" \
		"$set" "$u" "$q" "$name" "$q"
}

round() {   # shapes -> one round of every timing
	local s w f
	for s in $1; do
		for w in "${WHO[@]}"; do
			stmt "$s|$w|rls" "$w" "" "$(q_of "$s" bsperm.entities true)"
			stmt "$s|$w|hand" "" "" "$(q_of "$s" public.plain_entities "${HAND[$w]}")"
			[ "$w" = deny ] && continue
			for f in "${FORCE[@]}"; do
				stmt "$s|$w|rls_${f%%:*}" "$w" "${f#*:}" "$(q_of "$s" bsperm.entities true)"
				stmt "$s|$w|hand_${f%%:*}" "" "${f#*:}" "$(q_of "$s" public.plain_entities "${HAND[$w]}")"
			done
		done
	done
}

for n in ${BENCH_RLS_SIZES:-100000 1000000}; do
	shapes="page keyset name kinds owners join"
	[ "$n" -gt 100000 ] && shapes="${BENCH_SHAPES_1M:-$shapes}"
	echo "== catalog query shapes under row security: $n entities, $ROUNDS rounds ($shapes)"
	t0=$(date +%s)
	$P -v n="$n" -f "$HERE/shapes_setup.sql" >/dev/null
	echo "   (data ready in $(( $(date +%s) - t0 )) s)"
	$P -c "DROP TABLE IF EXISTS public.bench_st" -c "CREATE TABLE public.bench_st (name text, ms double precision)" \
	   -c "GRANT ALL ON public.bench_st TO bsperm_bench_app"
	script="$(mktemp)"
	{
		echo "SET max_parallel_workers_per_gather = 0; SET jit = off; SET ROLE bsperm_bench_app;"
		for ((i = 1; i <= ROUNDS; i++)); do round "$shapes"; done
	} > "$script"
	$P -f "$script" >/dev/null
	rm -f "$script"
	echo "-- estimates against actual rows (EXPLAIN ANALYZE of each shape under row security: the plan's"
	echo "   scan of bsperm.entities and the top node; est/actual rows; node types)"
	for s in $shapes; do
		for w in "${WHO[@]}"; do
			$P -At -c "SET ROLE bsperm_bench_app" -c "SET max_parallel_workers_per_gather = 0" -c "BEGIN" \
			   -c "SELECT bsperm.bsperm_set_user('user:default/$w', ARRAY['user:default/$w','group:default/team-7'])" \
			   -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF, FORMAT JSON) $(q_of "$s" bsperm.entities true)" -c "COMMIT" |
			python3 "$HERE/plan_summary.py" "$s" "$w"
		done
	done
	$P -f "$HERE/shapes_report.sql"
done
