# rls_cases.sh - sourced by run.sh: a committed change is seen by every
# statement whose snapshot includes it, in every way a statement can run.
# Uses the database and sessions of run.sh (ADMIN is a superuser).

# q_send NAME SQL: send without waiting; q_wait NAME: wait for it, print its output
q_send() {
	local name="$1" sql="$2"
	SESS_PENDING[$name]="__bsperm_marker_$(date +%s%N)_${RANDOM}__"
	printf '\\echo %s\n%s\n\\echo %s\n' "${SESS_PENDING[$name]}b" "$sql" "${SESS_PENDING[$name]}" >&"${SESS_IN[$name]}"
}
q_wait() {
	local name="$1" marker="${SESS_PENDING[$1]}" waited=0
	until grep -q "^$marker\$" "$WORK/$name.out"; do
		sleep 0.02; waited=$((waited + 1))
		if [ "$waited" -gt 3000 ]; then echo "timeout in session $name" >&2; return 1; fi
	done
	sed -n "/^${marker}b\$/,/^${marker}\$/p" "$WORK/$name.out" | sed '1d;$d'
}
declare -A SESS_PENDING
# wait_for SQL WANT: poll ADMIN until SQL prints WANT
wait_for() {
	local i
	for i in $(seq 1 500); do
		[ "$(q ADMIN "$1")" == "$2" ] && return 0
		sleep 0.02
	done
	echo "gave up waiting for: $1" >&2
	return 1
}

q ADMIN "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_conc_dave') THEN CREATE ROLE bsperm_conc_dave LOGIN; END IF;
END \$\$;" >/dev/null
q ADMIN "GRANT SELECT ON bsperm.entities TO bsperm_conc_dave;" >/dev/null
q ADMIN "CREATE TABLE public.conc_results (i serial, n bigint); GRANT ALL ON public.conc_results, public.conc_results_i_seq TO bsperm_conc_dave;" >/dev/null
q ADMIN "INSERT INTO bsperm.role_users (role_name, user_ref) VALUES ('bsperm_conc_dave', 'user:default/dave');" >/dev/null
q ADMIN "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/dave');" >/dev/null
GRANT_DAVE="INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/dave');"
REVOKE_DAVE="DELETE FROM bsperm.role_members WHERE member = 'user:default/dave';"
session_start D -d "$DB" -U bsperm_conc_dave
COUNT="SELECT count(*) FROM bsperm.entities;"

for mode in force_generic_plan force_custom_plan; do
	echo "# a revoke committed during a REPEATABLE READ transaction ($mode)"
	q D "SET plan_cache_mode = $mode;" >/dev/null
	q D "PREPARE rr_q AS $COUNT" >/dev/null
	check "mapped dave reads all ($mode)" "$(q D "EXECUTE rr_q;")" "3"
	q D "BEGIN ISOLATION LEVEL REPEATABLE READ;" >/dev/null
	q D "EXECUTE rr_q;" >/dev/null
	q ADMIN "$REVOKE_DAVE" >/dev/null
	check "inside the transaction its snapshot still grants ($mode)" "$(q D "EXECUTE rr_q;")" "3"
	check "bsperm_authorize agrees with the snapshot ($mode)" "$(q D "SELECT bsperm_authorize('catalog.entity.read');")" "ALLOW"
	q D "COMMIT;" >/dev/null
	check "after COMMIT the prepared statement sees the revoke ($mode)" "$(q D "EXECUTE rr_q;")" "0"
	check "and so does an unprepared query ($mode)" "$(q D "$COUNT")" "0"
	q ADMIN "$GRANT_DAVE" >/dev/null
	check "a grant is seen by the next statement ($mode)" "$(q D "EXECUTE rr_q;")" "3"
	q D "DEALLOCATE rr_q;" >/dev/null
done
q D "RESET plan_cache_mode;" >/dev/null

echo "# READ COMMITTED: the next statement of a transaction that already holds its locks"
q D "PREPARE rc_q AS $COUNT" >/dev/null
q D "SET plan_cache_mode = force_generic_plan;" >/dev/null
q D "BEGIN;" >/dev/null
check "before the revoke" "$(q D "EXECUTE rc_q;")" "3"
q ADMIN "$REVOKE_DAVE" >/dev/null
check "the revoke, next statement, same transaction" "$(q D "EXECUTE rc_q;")" "0"
q ADMIN "$GRANT_DAVE" >/dev/null
check "the grant, next statement, same transaction" "$(q D "EXECUTE rc_q;")" "3"
q D "COMMIT;" >/dev/null
q D "DEALLOCATE rc_q;" >/dev/null
q D "RESET plan_cache_mode;" >/dev/null

WAITING="SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid ="
# loop_across_changes LOCK BODY: run a DO block in D whose iteration i reads
# (BODY, which raises a NOTICE) and then waits on advisory lock LOCK+i; ADMIN
# revokes before iteration 2 and grants again before iteration 3; prints the
# NOTICEs on one line
loop_across_changes() {
	local lock="$1" body="$2"
	q ADMIN "SELECT pg_advisory_lock($((lock + 1))), pg_advisory_lock($((lock + 2)));" >/dev/null
	q_send D "DO \$\$ DECLARE n bigint; BEGIN
  FOR i IN 1..3 LOOP
    $body
    PERFORM pg_advisory_lock($lock + i); PERFORM pg_advisory_unlock($lock + i);
  END LOOP; END \$\$;"
	wait_for "$WAITING $((lock + 1));" "1"
	q ADMIN "$REVOKE_DAVE" >/dev/null
	q ADMIN "SELECT pg_advisory_unlock($((lock + 1)));" >/dev/null
	wait_for "$WAITING $((lock + 2));" "1"
	q ADMIN "$GRANT_DAVE" >/dev/null
	q ADMIN "SELECT pg_advisory_unlock($((lock + 2)));" >/dev/null
	q_wait D | grep -o 'sees:.*' | tr '\n' ';'
}

echo "# a running PL/pgSQL loop: each iteration re-executes its cached plan, in one transaction"
check "iterations see grant, revoke, grant" \
	"$(loop_across_changes 4711 "SELECT count(*) INTO n FROM bsperm.entities; RAISE NOTICE 'sees: %', n;")" \
	"sees: 3;sees: 0;sees: 3;"

echo "# an SQL function's statements, re-executed in a loop"
q ADMIN "CREATE FUNCTION public.conc_count() RETURNS bigint LANGUAGE sql VOLATILE SET work_mem = '4MB' AS 'SELECT count(*) FROM bsperm.entities';" >/dev/null
check "SQL-function calls see grant, revoke, grant" \
	"$(loop_across_changes 4721 "RAISE NOTICE 'sees: %', public.conc_count();")" \
	"sees: 3;sees: 0;sees: 3;"
q ADMIN "DROP FUNCTION public.conc_count();" >/dev/null

echo "# the extended protocol: Bind/Execute of a statement prepared once (pgbench -M prepared)"
q ADMIN "TRUNCATE public.conc_results;" >/dev/null
q ADMIN "SELECT pg_advisory_lock(4801);" >/dev/null
cat > "$WORK/ext.sql" <<'PGB'
INSERT INTO public.conc_results (n) SELECT count(*) FROM bsperm.entities;
SELECT pg_advisory_lock(4801);
SELECT pg_advisory_unlock(4801);
PGB
pgbench -n -M prepared -t 2 -f "$WORK/ext.sql" -U bsperm_conc_dave "$DB" > "$WORK/pgbench.out" 2>&1 &
PGB_PID=$!
wait_for "SELECT count(*) FROM public.conc_results;" "1"
q ADMIN "$REVOKE_DAVE" >/dev/null
q ADMIN "SELECT pg_advisory_unlock(4801);" >/dev/null
wait "$PGB_PID"
check "pgbench transactions see grant then revoke" "$(q ADMIN "SELECT string_agg(n::text, ',' ORDER BY i) FROM public.conc_results;")" "3,0"
q ADMIN "$GRANT_DAVE" >/dev/null

echo "# an identity set in one session never changes another's plans, and a writer never waits for idle readers"
q D "PREPARE idle_q AS $COUNT" >/dev/null
q D "SET plan_cache_mode = force_generic_plan;" >/dev/null
q D "BEGIN;" >/dev/null
q D "EXECUTE idle_q;" >/dev/null
q ADMIN "SET lock_timeout = '5s';" >/dev/null
check "a policy change commits while a reader's transaction is open" "$(q ADMIN "$REVOKE_DAVE")" ""
check "and the reader sees it" "$(q D "EXECUTE idle_q;")" "0"
q D "COMMIT;" >/dev/null
q ADMIN "$GRANT_DAVE" >/dev/null
q ADMIN "RESET lock_timeout;" >/dev/null

echo "# a setting that decisions read, changed by ALTER SYSTEM and a reload"
q ADMIN "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_conc_erin') THEN CREATE ROLE bsperm_conc_erin LOGIN; END IF;
END \$\$;" >/dev/null
q ADMIN "GRANT SELECT ON bsperm.entities TO bsperm_conc_erin;" >/dev/null
q ADMIN "INSERT INTO bsperm.entities (entity) VALUES
 ('{\"kind\":\"User\",\"metadata\":{\"name\":\"erin\"},\"relations\":[{\"type\":\"memberOf\",\"targetRef\":\"group:default/team-e\"}]}'),
 ('{\"kind\":\"Group\",\"metadata\":{\"name\":\"team-e\"},\"relations\":[{\"type\":\"childOf\",\"targetRef\":\"group:default/org-e\"}]}'),
 ('{\"kind\":\"Component\",\"metadata\":{\"name\":\"e1\"},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/org-e\"}]}');" >/dev/null
q ADMIN "INSERT INTO bsperm.role_users (role_name, user_ref) VALUES ('bsperm_conc_erin', 'user:default/erin');" >/dev/null
q ADMIN "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/owner', 'user:default/erin');" >/dev/null
session_start E -d "$DB" -U bsperm_conc_erin
E_NAMES="SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '(none)') FROM bsperm.entities WHERE entity->>'kind' = 'Component';"
q E "SET plan_cache_mode = force_generic_plan;" >/dev/null
q E "PREPARE erin_q AS $E_NAMES" >/dev/null
check "erin owns nothing directly" "$(q E "EXECUTE erin_q;")" "(none)"
q ADMIN "ALTER SYSTEM SET bsperm.transitive_ownership = on;" >/dev/null
q ADMIN "SELECT pg_reload_conf();" >/dev/null
for i in $(seq 1 100); do [ "$(q E "SELECT current_setting('bsperm.transitive_ownership');")" = on ] && break; sleep 0.05; done
check "after the reload the prepared statement answers with ancestor groups" "$(q E "EXECUTE erin_q;")" "e1"
q ADMIN "ALTER SYSTEM RESET bsperm.transitive_ownership;" >/dev/null
q ADMIN "SELECT pg_reload_conf();" >/dev/null
for i in $(seq 1 100); do [ "$(q E "SELECT current_setting('bsperm.transitive_ownership');")" = off ] && break; sleep 0.05; done
check "and without them after the reset" "$(q E "EXECUTE erin_q;")" "(none)"
q ADMIN "DELETE FROM bsperm.role_users WHERE role_name = 'bsperm_conc_erin';
 DELETE FROM bsperm.role_members WHERE member = 'user:default/erin';
 DELETE FROM bsperm.entities WHERE entity_ref IN ('user:default/erin', 'group:default/team-e', 'component:default/e1');" >/dev/null

q ADMIN "DROP TABLE public.conc_results; DELETE FROM bsperm.role_users WHERE role_name = 'bsperm_conc_dave';" >/dev/null
