-- Row-level security on catalog tables: enforcement, plans, attacks.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the catalog table is protected from the start
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'bsperm.entities'::regclass;
SELECT polname, polcmd, pg_get_expr(polqual, polrelid) AS using_expr, pg_get_expr(polwithcheck, polrelid) AS check_expr
  FROM pg_policy WHERE polrelid = 'bsperm.entities'::regclass ORDER BY polname;
SELECT relid, entity_column, select_permission, insert_permission, update_permission, delete_permission
  FROM bsperm.protected_tables;
-- every table that decides access tells all sessions when it changes
SELECT tgrelid::regclass AS policy_table, tgfoid::regproc AS trigger_function
  FROM pg_trigger WHERE tgfoid = 'bsperm.bsperm_policy_changed'::regproc ORDER BY tgrelid::regclass::text;

-- a small catalog (loaded by a superuser, who bypasses row security)
INSERT INTO bsperm.entities (entity) SELECT e::jsonb FROM (VALUES
 ('{"kind":"Group","metadata":{"name":"team-a"},"relations":[{"type":"hasMember","targetRef":"user:default/alice"}]}'),
 ('{"kind":"Group","metadata":{"name":"team-b"},"relations":[{"type":"hasMember","targetRef":"user:default/bob"}]}'),
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"User","metadata":{"name":"bob"},"relations":[{"type":"memberOf","targetRef":"group:default/team-b"}]}'),
 ('{"kind":"User","metadata":{"name":"carol"}}'),
 ('{"kind":"Component","metadata":{"name":"checkout","labels":{"tier":"gold"}},"spec":{"owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"cart"},"spec":{"owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"search"},"spec":{"owner":"team-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}'),
 ('{"kind":"API","metadata":{"name":"search-api","annotations":{"example.com/cluster":"EU-1"}},"spec":{"owner":"team-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}'),
 ('{"kind":"Component","metadata":{"name":"web"},"spec":{"owner":"user:default/bob"},"relations":[{"type":"ownedBy","targetRef":"user:default/bob"}]}')
) v(e);

-- policy: members of the teams read, refresh and delete what they own; carol reads everything;
-- everybody signed in may create
INSERT INTO bsperm.roles (name) VALUES ('role:default/owner'), ('role:default/admin');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/owner', 'group:default/team-a'), ('role:default/owner', 'group:default/team-b'),
 ('role:default/admin', 'user:default/carol');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owner', 'catalog', 'catalog-entity', '{read,update,delete}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
 ('role:default/admin', 'catalog-entity', 'read', 'allow'),
 ('role:default/owner', 'catalog.entity.create', 'create', 'allow');

CREATE ROLE bsperm_test_app LOGIN;            -- a connection pool acting for users
GRANT bsperm_trusted TO bsperm_test_app;
CREATE ROLE bsperm_test_mallory LOGIN;        -- an untrusted role
CREATE SCHEMA mallory AUTHORIZATION bsperm_test_mallory;
GRANT SELECT, INSERT, UPDATE, DELETE ON bsperm.entities TO bsperm_test_app, bsperm_test_mallory;

CREATE FUNCTION pg_temp.names() RETURNS text LANGUAGE sql AS
  $$ SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY entity->'metadata'->>'name'), '(none)') FROM bsperm.entities $$;

-- each user sees exactly what the policy allows
SET ROLE bsperm_test_app;
SELECT pg_temp.names() AS anonymous;
BEGIN; SELECT bsperm_set_user('user:default/alice'); SELECT pg_temp.names() AS alice; COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/bob');   SELECT pg_temp.names() AS bob;   COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/carol'); SELECT pg_temp.names() AS carol; COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/dave');  SELECT pg_temp.names() AS dave_no_roles; COMMIT;
SELECT pg_temp.names() AS anonymous_again;

-- the decision is in the plan: an index condition, nothing, or a one-time false
SET enable_seqscan = off;
BEGIN; SELECT bsperm_set_user('user:default/alice');
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities;
COMMIT;
RESET enable_seqscan;
BEGIN; SELECT bsperm_set_user('user:default/carol');
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities;
COMMIT;
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities;
SELECT bsperm_rls_filter('catalog.entity.read') AS anonymous_filter;

-- one prepared statement, several users: each gets its own rows, with custom and generic plans
PREPARE names_q AS SELECT string_agg(entity->'metadata'->>'name', ',' ORDER BY entity->'metadata'->>'name') FROM bsperm.entities;
SET plan_cache_mode = force_generic_plan;
BEGIN; SELECT bsperm_set_user('user:default/alice'); EXECUTE names_q; COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/bob');   EXECUTE names_q; COMMIT;
EXECUTE names_q;
BEGIN; SELECT bsperm_set_user('user:default/carol'); EXECUTE names_q; COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/alice'); EXECUTE names_q;
SELECT bsperm_set_user('user:default/bob'); EXECUTE names_q; COMMIT;
SET plan_cache_mode = force_custom_plan;
BEGIN; SELECT bsperm_set_user('user:default/bob'); EXECUTE names_q; COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/alice'); EXECUTE names_q; COMMIT;
RESET plan_cache_mode;
-- a PL/pgSQL function caches its plan too
RESET ROLE;
CREATE FUNCTION pg_temp._count_visible() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN RETURN (SELECT count(*) FROM bsperm.entities); END $$;
SET ROLE bsperm_test_app;
BEGIN; SELECT bsperm_set_user('user:default/alice'); SELECT pg_temp._count_visible() AS alice_count; COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/carol'); SELECT pg_temp._count_visible() AS carol_count; COMMIT;
SELECT pg_temp._count_visible() AS anonymous_count;

-- writes: refresh (UPDATE) and delete only where allowed; a change may not move a row out of reach
BEGIN; SELECT bsperm_set_user('user:default/alice');
UPDATE bsperm.entities SET entity = jsonb_set(entity, '{metadata,description}', '"x"') RETURNING entity->'metadata'->>'name' AS alice_updated;
DELETE FROM bsperm.entities WHERE entity->'metadata'->>'name' = 'search' RETURNING 1 AS deleted_bobs;
SAVEPOINT s;
UPDATE bsperm.entities SET entity = jsonb_set(entity, '{relations}', '[{"type":"ownedBy","targetRef":"group:default/team-b"}]')
 WHERE entity->'metadata'->>'name' = 'cart';
ROLLBACK TO SAVEPOINT s;
INSERT INTO bsperm.entities (entity) VALUES ('{"kind":"Component","metadata":{"name":"new-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}') RETURNING entity_ref;
ROLLBACK;
-- anonymous may not create
INSERT INTO bsperm.entities (entity) VALUES ('{"kind":"Component","metadata":{"name":"anon"}}');
RESET ROLE;

-- users' own filters: bsperm's @~ is leakproof and served by the index under row security
SET ROLE bsperm_test_app;
SET enable_seqscan = off;
BEGIN; SELECT bsperm_set_user('user:default/carol');
SELECT entity->'metadata'->>'name' FROM bsperm.entities WHERE entity @~ '{"key":"metadata.annotations.example.com/cluster","values":["eu-1"]}';
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities WHERE entity @~ '{"key":"kind","values":["api"]}';
COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/bob');
EXPLAIN (COSTS OFF) SELECT * FROM bsperm.entities WHERE entity @~ '{"key":"kind","values":["api"]}';
COMMIT;
RESET enable_seqscan;
RESET ROLE;

-- attacks by an untrusted role
SET ROLE bsperm_test_mallory;
SELECT bsperm_set_user('user:default/carol');
SET bsperm.user_ref = 'user:default/carol';
SELECT set_config('bsperm.identity', 'user:default/carol', false);
SELECT pg_temp.names() AS mallory_sees;
-- shadowing bsperm's functions through search_path
CREATE FUNCTION mallory.bsperm_rls_filter(text) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"allOf":[]}'::jsonb $$;
SET search_path = mallory, bsperm, public;
SELECT pg_temp.names() AS mallory_with_shadow;
SET search_path = bsperm, public;
-- a view and a SECURITY DEFINER function of her own run with her own (anonymous) view
CREATE VIEW mallory.all_entities AS SELECT entity FROM bsperm.entities;
SELECT count(*) AS through_view FROM mallory.all_entities;
CREATE FUNCTION mallory._peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM bsperm.entities $$;
SELECT mallory._peek() AS through_definer;
-- a leaky function sees only the rows the policy lets through (none)
CREATE FUNCTION mallory.leak(e jsonb) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS
  $$ BEGIN RAISE NOTICE 'leaked %', e->'metadata'->>'name'; RETURN true; END $$;
SELECT count(*) FROM bsperm.entities WHERE mallory.leak(entity);
-- @~ is leakproof, so it runs below the policy: a filter computed from the row
-- must not turn hidden rows into errors (an invalid one just matches nothing)
SELECT count(*) AS row_dependent_filter FROM bsperm.entities WHERE entity @~ (entity->'metadata');
SELECT count(*) AS row_dependent_filter2 FROM bsperm.entities WHERE entity @~ jsonb_build_object('key', entity->'kind');
-- the same as a CONDITIONAL user with hidden rows: mallory's login mapped to bob
RESET ROLE;
INSERT INTO bsperm.role_users (role_name, user_ref) VALUES ('bsperm_test_mallory', 'user:default/bob');
SET SESSION AUTHORIZATION bsperm_test_mallory;
SET search_path = bsperm, public;
SELECT pg_temp.names() AS mallory_as_bob;
SELECT count(*) AS leaked_only_visible FROM bsperm.entities WHERE mallory.leak(entity);
SELECT count(*) AS row_dependent_filter FROM bsperm.entities WHERE entity @~ (entity->'metadata');
SELECT count(*) AS row_dependent_filter2 FROM bsperm.entities WHERE entity @~ jsonb_build_object('key', entity->'kind');
SELECT count(*) AS row_dependent_filter3 FROM bsperm.entities
 WHERE entity @~ jsonb_build_object('key', 'metadata.name', 'values', jsonb_build_array(entity->'metadata'->'name'));
-- her own filter, served by the index below the policy, still sees only bob's rows
SET enable_seqscan = off;
SELECT entity->'metadata'->>'name' AS own_filter FROM bsperm.entities WHERE entity @~ '{"key":"kind","values":["component"]}' ORDER BY 1;
RESET enable_seqscan;
RESET SESSION AUTHORIZATION;
DELETE FROM bsperm.role_users WHERE role_name = 'bsperm_test_mallory';
SET ROLE bsperm_test_mallory;
-- COPY out is filtered, COPY in is refused
COPY bsperm.entities (entity) TO STDOUT;
\copy bsperm.entities (entity) from '/dev/null'
-- switching enforcement off
SET row_security = off;
SELECT count(*) FROM bsperm.entities;
RESET row_security;
ALTER TABLE bsperm.entities DISABLE ROW LEVEL SECURITY;
ALTER TABLE bsperm.entities NO FORCE ROW LEVEL SECURITY;
DROP POLICY bsperm_select ON bsperm.entities;
SELECT bsperm_unprotect('bsperm.entities');
SELECT bsperm_protect('bsperm.entities');
UPDATE bsperm.protected_tables SET select_permission = 'catalog.location.read';
INSERT INTO bsperm.protected_tables (relid, entity_column) VALUES ('bsperm.entities', 'entity');
-- forcing every session to re-plan with bsperm's invalidation trigger
CREATE TABLE mallory.noise (x int);
CREATE TRIGGER noise AFTER INSERT ON mallory.noise FOR EACH STATEMENT EXECUTE FUNCTION bsperm.bsperm_policy_changed();
-- reading or writing policy
SELECT count(*) FROM bsperm.role_members;
INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/mallory');
UPDATE bsperm.entities SET entity = entity;
DELETE FROM bsperm.entities;
RESET ROLE;
SELECT count(*) AS rows_still_there FROM bsperm.entities;
DROP SCHEMA mallory CASCADE;

-- a table the user already has, owned by the application role
CREATE SCHEMA app AUTHORIZATION bsperm_test_app;
CREATE TABLE app.my_catalog (id serial PRIMARY KEY, doc jsonb);
INSERT INTO app.my_catalog (doc) SELECT entity FROM bsperm.entities;
ALTER TABLE app.my_catalog OWNER TO bsperm_test_app;
SELECT bsperm_protect('app.my_catalog', 'id');
SELECT bsperm_protect('app.my_catalog', 'nope');
SET ROLE bsperm_test_mallory;
SELECT bsperm_protect('app.my_catalog', 'doc');
SET ROLE bsperm_test_app;
SELECT bsperm_protect('app.my_catalog', 'doc');
SELECT indexdef FROM pg_indexes WHERE tablename = 'my_catalog' AND indexdef LIKE '%bsperm_entity_ops%';
SELECT relid, entity_column FROM bsperm.protected_tables ORDER BY 1;
-- the owner is filtered too (row security is forced)
SELECT count(*) AS owner_anonymous FROM app.my_catalog;
BEGIN; SELECT bsperm_set_user('user:default/bob'); SELECT count(*) AS owner_as_bob FROM app.my_catalog; COMMIT;
-- another mapping of commands to permissions
SELECT bsperm_protect('app.my_catalog', 'doc', select_permission => 'catalog.entity.delete');
BEGIN; SELECT bsperm_set_user('user:default/carol'); SELECT count(*) AS carol_has_no_delete FROM app.my_catalog; COMMIT;
SELECT bsperm_unprotect('app.my_catalog');
SELECT count(*) AS owner_unprotected FROM app.my_catalog;
RESET ROLE;
DROP SCHEMA app CASCADE;

-- a policy change is seen by the next statement, also by a prepared statement
SET plan_cache_mode = force_generic_plan;
SET ROLE bsperm_test_app;
BEGIN; SELECT bsperm_set_user('user:default/dave'); EXECUTE names_q; COMMIT;
RESET ROLE;
INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/admin', 'user:default/dave');
SET ROLE bsperm_test_app;
BEGIN; SELECT bsperm_set_user('user:default/dave'); EXECUTE names_q; COMMIT;
RESET ROLE;
DELETE FROM bsperm.role_members WHERE member = 'user:default/dave';
SET ROLE bsperm_test_app;
BEGIN; SELECT bsperm_set_user('user:default/dave'); EXECUTE names_q; COMMIT;
RESET ROLE;
RESET plan_cache_mode;
DEALLOCATE names_q;
DROP FUNCTION pg_temp._count_visible();

DROP EXTENSION bsperm CASCADE;
REVOKE bsperm_trusted FROM bsperm_test_app;
DROP ROLE bsperm_test_app;
DROP ROLE bsperm_test_mallory;
