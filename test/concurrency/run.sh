#!/usr/bin/env bash
# Multi-session behaviour of identity, decisions and row-level security.
# Runs against PGHOST/PGPORT in its own database; prints
# "# suite concurrency: N passed, N failed".
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
. "$HERE/lib.sh"
DB=bsperm_concurrency

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<'SQL'
CREATE EXTENSION bsperm;
INSERT INTO bsperm.entities (entity) SELECT e::jsonb FROM (VALUES
 ('{"kind":"Component","metadata":{"name":"a1"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"a2"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"b1"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}')) v(e);
INSERT INTO bsperm.roles (name) VALUES ('role:default/owner'), ('role:default/admin');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/owner', 'user:default/alice'), ('role:default/owner', 'user:default/bob');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owner', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
 ('role:default/admin', 'catalog-entity', 'read', 'allow');
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_conc_app') THEN
    CREATE ROLE bsperm_conc_app LOGIN;
  END IF;
END $$;
GRANT bsperm_trusted TO bsperm_conc_app;
GRANT SELECT ON bsperm.entities TO bsperm_conc_app;
SQL

NAMES="SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '(none)') FROM bsperm.entities;"
session_start A -d "$DB" -U bsperm_conc_app
session_start B -d "$DB" -U bsperm_conc_app
session_start ADMIN -d "$DB" -U postgres

echo "# two sessions as different users at the same time"
q A "BEGIN;" >/dev/null; q B "BEGIN;" >/dev/null
q A "SELECT bsperm_set_user('user:default/alice', ARRAY['user:default/alice','group:default/team-a']);" >/dev/null
q B "SELECT bsperm_set_user('user:default/bob', ARRAY['user:default/bob','group:default/team-b']);" >/dev/null
check "A (alice) sees team-a's entities" "$(q A "$NAMES")" "a1,a2"
check "B (bob) sees team-b's entities at the same time" "$(q B "$NAMES")" "b1"
check "A still sees its own after B read" "$(q A "$NAMES")" "a1,a2"
q A "COMMIT;" >/dev/null; q B "COMMIT;" >/dev/null

echo "# an identity set for one transaction does not leak into the next"
check "A after COMMIT is anonymous" "$(q A "$NAMES")" "(none)"
q A "BEGIN;" >/dev/null
q A "SELECT bsperm_set_user('user:default/alice', ARRAY['group:default/team-a']);" >/dev/null
q A "ROLLBACK;" >/dev/null
check "A after ROLLBACK is anonymous" "$(q A "$NAMES")" "(none)"
q A "BEGIN;" >/dev/null
q A "SELECT bsperm_set_user('user:default/alice', ARRAY['group:default/team-a']);" >/dev/null
q A "SAVEPOINT s;" >/dev/null
q A "SELECT bsperm_set_user('user:default/bob', ARRAY['group:default/team-b']);" >/dev/null
check "inside the savepoint A is bob" "$(q A "$NAMES")" "b1"
q A "ROLLBACK TO SAVEPOINT s;" >/dev/null
check "ROLLBACK TO SAVEPOINT restores alice" "$(q A "$NAMES")" "a1,a2"
q A "COMMIT;" >/dev/null
check "and the next transaction is anonymous again" "$(q A "$NAMES")" "(none)"

echo "# a committed policy change is seen by the next statement of another session"
q A "PREPARE names_q AS $NAMES" >/dev/null
q A "SET plan_cache_mode = force_generic_plan;" >/dev/null
q A "BEGIN;" >/dev/null
q A "SELECT bsperm_set_user('user:default/carol');" >/dev/null
check "carol (no role) before the change" "$(q A "EXECUTE names_q;")" "(none)"
q ADMIN "BEGIN;" >/dev/null
q ADMIN "INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/carol');" >/dev/null
check "an uncommitted grant is not seen" "$(q A "EXECUTE names_q;")" "(none)"
q ADMIN "COMMIT;" >/dev/null
check "the committed grant is seen by the next statement (same transaction, prepared)" "$(q A "EXECUTE names_q;")" "a1,a2,b1"
q A "COMMIT;" >/dev/null
q ADMIN "DELETE FROM bsperm.role_members WHERE member = 'user:default/carol';" >/dev/null
q A "BEGIN;" >/dev/null
q A "SELECT bsperm_set_user('user:default/carol');" >/dev/null
check "a revoked grant is gone for the next statement" "$(q A "EXECUTE names_q;")" "(none)"
q A "COMMIT;" >/dev/null

echo "# a pooled connection: the same prepared statement for user after user"
out=""
for u in alice bob alice bob alice bob alice; do
	if [ $u = alice ]; then g=team-a; else g=team-b; fi
	q B "BEGIN;" >/dev/null
	q B "SELECT bsperm_set_user('user:default/$u', ARRAY['group:default/$g']);" >/dev/null
	[ -z "$out" ] && q B "PREPARE p AS $NAMES" >/dev/null
	out="$out$(q B "EXECUTE p;");"
	q B "COMMIT;" >/dev/null
done
check "seven executions, alternating users, each correct" "$out" "a1,a2;b1;a1,a2;b1;a1,a2;b1;a1,a2;"

. "$HERE/rls_cases.sh"
. "$HERE/policy_cases.sh"
. "$HERE/rules_cases.sh"

session_stop_all
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null
psql -X -q -d postgres -c "DROP ROLE IF EXISTS bsperm_conc_dave" -c "DROP ROLE IF EXISTS bsperm_conc_erin" >/dev/null
echo "# suite concurrency: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
