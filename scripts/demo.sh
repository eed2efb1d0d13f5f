#!/usr/bin/env bash
# The demo: a small catalog in a throwaway cluster (PGHOST/PGPORT set by
# scripts/run demo), the policy it enforces, the criteria engine, decisions,
# the same SELECT as three users under row-level security, a mapped user
# logging in, and a refused write.  Bold headings only on a terminal.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DB=bsperm_demo
if [ -t 1 ]; then
	say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
else
	say() { printf '\n-- %s\n' "$*"; }
fi
sql() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
sql -c "CREATE EXTENSION bsperm"
sql -f "$HERE/demo/catalog.sql"
sql -f "$HERE/demo/policy.sql" >/dev/null
sql >/dev/null <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_app') THEN CREATE ROLE demo_app LOGIN; END IF;
END $$;
GRANT bsperm_trusted TO demo_app;           -- the service that signs users in
GRANT SELECT ON bsperm.entities TO demo_app;
-- people who log in to PostgreSQL directly, mapped to their Backstage users
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_alice') THEN CREATE ROLE demo_alice LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_dave') THEN CREATE ROLE demo_dave LOGIN; END IF;
END $$;
INSERT INTO bsperm.role_users VALUES ('demo_alice', 'user:default/alice', NULL), ('demo_dave', 'user:default/dave', NULL);
GRANT SELECT, INSERT, UPDATE, DELETE ON bsperm.entities TO demo_alice, demo_dave;
SQL

say "the demo catalog (loaded by a superuser, who bypasses row security)"
sql -c "SELECT entity_ref, entity->'spec'->>'owner' AS owner FROM bsperm.entities ORDER BY 1"

say "the policy it enforces (scripts/demo/policy.sql): roles, their members, allow/deny lines, conditions"
sql -c "SELECT role, member FROM bsperm.role_members ORDER BY 1, 2"
sql -c "SELECT coalesce(role, member) AS subject, object, action, effect FROM bsperm.permission_policies ORDER BY 1, 2"
sql -c "SELECT role, resource_type, actions, conditions FROM bsperm.conditional_policies ORDER BY id"

say "the criteria engine: does an entity match Backstage criteria?"
sql -c "SELECT entity_ref, bsperm_matches(entity,
  '{\"anyOf\":[{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\",\"params\":{\"claims\":[\"group:default/team-a\"]}},
              {\"rule\":\"HAS_LABEL\",\"resourceType\":\"catalog-entity\",\"params\":{\"label\":\"TIER\",\"value\":\"Silver\"}}]}') AS matches
  FROM bsperm.entities WHERE entity->>'kind' = 'Component' ORDER BY 1"
say "the same criteria as an index-friendly SQL predicate"
sql -At -c "SELECT bsperm_criteria_sql('{\"anyOf\":[{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\",\"params\":{\"claims\":[\"group:default/team-a\"]}},
              {\"rule\":\"HAS_LABEL\",\"resourceType\":\"catalog-entity\",\"params\":{\"label\":\"TIER\",\"value\":\"Silver\"}}]}')"
say "invalid criteria are refused with the place of the problem"
sql -c "SELECT bsperm_validate_criteria('{\"anyOf\":[{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\",\"params\":{\"claims\":\"team-a\"}}]}')" 2>&1 || true

say "decisions, as Backstage's permission backend would answer them"
for u in alice bob carol; do
	sql -U demo_app -At -F ' | ' <<SQL
BEGIN;
SELECT bsperm_set_user('user:default/$u') \\g /dev/null
SELECT '$u', bsperm_authorize('catalog.entity.read', 'component:default/checkout') AS read_checkout,
       bsperm_authorize('catalog.entity.create') AS create,
       bsperm_authorize_conditional('catalog.entity.read')::text AS read_decision;
COMMIT;
SQL
done

say "row-level security: the same SELECT as anonymous, alice, bob and carol"
Q="SELECT coalesce(string_agg(entity_ref, ', ' ORDER BY entity_ref), '(nothing)') AS visible FROM bsperm.entities"
echo "anonymous: $(sql -U demo_app -At -c "$Q")"
for u in alice bob carol; do
	echo "$u: $(sql -U demo_app -At <<SQL
BEGIN;
SELECT bsperm_set_user('user:default/$u') \\g /dev/null
$Q;
COMMIT;
SQL
)"
done

say "the policy is in the plan: an index condition for alice, nothing for carol, no scan for anonymous"
sql -U demo_app <<'SQL'
SET enable_seqscan = off;   -- the demo table is tiny; on a real catalog the planner picks the index itself
BEGIN;
SELECT bsperm_set_user('user:default/alice') \g /dev/null
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities;
SELECT bsperm_set_user('user:default/carol') \g /dev/null
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities;
COMMIT;
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities;
SQL

say "a mapped user logs in: demo_alice is user:default/alice (bsperm.role_users), no bsperm_set_user needed"
sql -U demo_alice -c "SELECT session_user, bsperm_current_user(), count(*) AS visible FROM bsperm.entities"

say "a refused write: dave (mapped, no role) may not create entities; alice (a developer) may"
sql -U demo_dave -c "INSERT INTO bsperm.entities (entity) VALUES ('{\"kind\":\"Component\",\"metadata\":{\"name\":\"rogue\"}}')" 2>&1 || true
sql -U demo_alice -c "BEGIN" -c "INSERT INTO bsperm.entities (entity) VALUES ('{\"kind\":\"Component\",\"metadata\":{\"name\":\"new-svc\"},\"spec\":{\"owner\":\"team-a\"}}')" -c "ROLLBACK" 2>&1
echo "(alice's insert was rolled back, to keep the demo catalog as loaded)"
sql -U demo_alice -c "DELETE FROM bsperm.entities" 2>&1
echo "(alice holds no delete permission: her DELETE sees no row to delete)"

say "without the bsperm_trusted role, demo_app cannot pick an identity"
sql -c "REVOKE bsperm_trusted FROM demo_app" >/dev/null
sql -U demo_app -c "SELECT bsperm_set_user('user:default/carol')" 2>&1 || true
echo
echo "demo done: database $DB (scripts/run shell to explore a cluster of your own)"
