#!/usr/bin/env bash
# bench/audit/run.sh DB - the decision audit log's cost on row-level-security
# reads: the bench/rls data (BENCH_AUDIT_N entities, default 100000), an ALLOW
# user (carol, count(*) of every row) and a CONDITIONAL one (alice, owner of
# 3 claims, bitmap index scan), each read its own transaction as the
# application role with the identity set, timed by pgbench (commit
# included: the log rows are written at commit).  Rounds interleave log off
# and log on (off-on, then on-off, ...); the ratios are medians over rounds
# of on / off.
#   BENCH_ROUNDS=11 BENCH_AUDIT_SECONDS=3
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB="${1:-bsperm_bench}"
ROUNDS="${BENCH_ROUNDS:-11}"
SECS="${BENCH_AUDIT_SECONDS:-3}"
N="${BENCH_AUDIT_N:-100000}"
P="psql -X -q -v ON_ERROR_STOP=1 -d $DB"
$P -f "$HERE/../common.sql" >/dev/null
$P -v n="$N" -f "$HERE/../rls/setup.sql" >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
script() {   # name user
	cat > "$tmp/$1.pgbench" <<SQL
SET ROLE bsperm_bench_app;
BEGIN;
SELECT bsperm.bsperm_set_user('$2', ARRAY['$2','group:default/team-1','group:default/team-2']);
SELECT count(*) FROM bsperm.entities;
COMMIT;
RESET ROLE;
SQL
}
script allow user:default/carol
script conditional user:default/alice
$P -c "CREATE TABLE IF NOT EXISTS public.bench_audit (round int, name text, log text, ms float8); TRUNCATE public.bench_audit"
audit() {
	$P -c "INSERT INTO bsperm.audit_settings (enabled) VALUES ($1)
	         ON CONFLICT (singleton) DO UPDATE SET enabled = excluded.enabled" -c "TRUNCATE bsperm.decision_log" >/dev/null
}
rows=0
for ((r = 1; r <= ROUNDS; r++)); do
	order="off on"; [ $((r % 2)) = 0 ] && order="on off"
	for log in $order; do
		audit "$([ $log = on ] && echo true || echo false)"
		for name in allow conditional; do
			ms=$(pgbench -n -c 1 -T "$SECS" -f "$tmp/$name.pgbench" "$DB" 2>/dev/null |
				sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p')
			$P -c "INSERT INTO public.bench_audit VALUES ($r, '$name', '$log', $ms)"
		done
		[ $log = off ] || rows=$($P -At -c "SELECT count(*) FROM bsperm.decision_log")
	done
done
audit false
echo "== decision audit log: $N entities, $ROUNDS rounds of ${SECS} s per case (the last logged run wrote $rows rows)"
$P -c "WITH m AS (SELECT name, log, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM public.bench_audit GROUP BY 1, 2)
       SELECT off.name AS read, round(off.ms::numeric, 3) AS log_off_ms, round(\"on\".ms::numeric, 3) AS log_on_ms,
              round((\"on\".ms / off.ms)::numeric, 3) AS on_over_off,
              (SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY b.ms / a.ms))::numeric, 3)
                 FROM public.bench_audit a JOIN public.bench_audit b USING (round, name)
                WHERE a.name = off.name AND a.log = 'off' AND b.log = 'on') AS median_of_round_ratios
         FROM m off JOIN m \"on\" USING (name) WHERE off.log = 'off' AND \"on\".log = 'on' ORDER BY 1"
