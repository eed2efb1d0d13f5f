-- Enforcement that holds: each case is an attack or a defect that once worked.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = public;

INSERT INTO bsperm.entities (entity) SELECT e::jsonb FROM (VALUES
 ('{"kind":"Component","metadata":{"name":"a1"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"a2"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"b1"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}')) v(e);
INSERT INTO bsperm.roles (name) VALUES ('role:default/owner'), ('role:default/admin');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/owner', 'user:default/alice'), ('role:default/owner', 'user:default/bob'),
 ('role:default/admin', 'user:default/carol');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owner', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
 ('role:default/admin', 'catalog-entity', 'read', 'allow');

CREATE ROLE regress_holds_app LOGIN;
GRANT bsperm_trusted TO regress_holds_app;
CREATE ROLE regress_holds_alice LOGIN;
CREATE ROLE regress_holds_bob LOGIN;
CREATE ROLE regress_holds_shared;
GRANT regress_holds_shared TO regress_holds_alice, regress_holds_bob;
INSERT INTO bsperm.role_users (role_name, user_ref, ownership_refs) VALUES
 ('regress_holds_alice', 'user:default/alice', '{user:default/alice,group:default/team-a}'),
 ('regress_holds_bob', 'user:default/bob', '{user:default/bob,group:default/team-b}');
GRANT SELECT ON bsperm.entities TO regress_holds_app, regress_holds_shared;
CREATE FUNCTION public._holds_names() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '(none)') FROM bsperm.entities $$;

-- @~ keeps SQL's NULL semantics (it used to be folded to true/false/IS NOT NULL)
SELECT count(*) AS not_anyof_null FROM (VALUES (NULL::jsonb)) v(e) WHERE NOT (e OPERATOR(public.@~) '{"anyOf":[]}');
SELECT e OPERATOR(public.@~) '{"allOf":[]}' AS allof_on_null FROM (VALUES (NULL::jsonb)) v(e);
SELECT count(*) AS outer_join_nulls FROM generate_series(1, 3) g
  LEFT JOIN bsperm.entities e ON false WHERE e.entity OPERATOR(public.@~) '{"allOf":[]}';
SELECT count(*) AS not_allof FROM bsperm.entities e WHERE NOT (e.entity OPERATOR(public.@~) '{"allOf":[]}');

-- a superuser pooler switching users with SET SESSION AUTHORIZATION and a shared role:
-- one prepared statement, each user its own rows, with generic and custom plans
PREPARE pooled AS SELECT public._holds_names();
SET plan_cache_mode = force_generic_plan;
SET SESSION AUTHORIZATION regress_holds_alice; SET ROLE regress_holds_shared;
EXECUTE pooled;
RESET ROLE; RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_holds_bob; SET ROLE regress_holds_shared;
EXECUTE pooled;
RESET ROLE; RESET SESSION AUTHORIZATION;
SET plan_cache_mode = force_custom_plan;
SET SESSION AUTHORIZATION regress_holds_alice; SET ROLE regress_holds_shared;
EXECUTE pooled;
RESET ROLE; RESET SESSION AUTHORIZATION;
RESET plan_cache_mode;
-- switched with set_config() inside a statement, the next statement is still right
SET plan_cache_mode = force_generic_plan;
SELECT set_config('session_authorization', 'regress_holds_bob', false) IS NOT NULL AS switched;
SET ROLE regress_holds_shared;
EXECUTE pooled;
RESET ROLE; RESET SESSION AUTHORIZATION;
RESET plan_cache_mode;
DEALLOCATE pooled;

-- a domain whose CHECK asks for the decision: each user gets their own, not the first user's
CREATE DOMAIN public.readable_entity AS jsonb
  CHECK (VALUE OPERATOR(public.@~) bsperm.bsperm_rls_filter('catalog.entity.read'));
SET ROLE regress_holds_app;
BEGIN; SELECT bsperm_set_user('user:default/alice', ARRAY['group:default/team-a']);
SELECT '{"kind":"Component","metadata":{"name":"a1"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'::public.readable_entity IS NOT NULL AS alice_may;
COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/bob', ARRAY['group:default/team-b']);
SELECT '{"kind":"Component","metadata":{"name":"a1"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'::public.readable_entity IS NOT NULL AS bob_may_not;
COMMIT;
RESET ROLE;
DROP DOMAIN public.readable_entity;

-- a PL/pgSQL loop over identities reuses its plan: each iteration gets its own decision
CREATE FUNCTION public._holds_loop() RETURNS text LANGUAGE plpgsql AS $$
DECLARE u text; out text := '';
BEGIN
  FOREACH u IN ARRAY ARRAY['alice', 'bob', 'carol', 'dave', 'alice'] LOOP
    PERFORM bsperm_set_user('user:default/' || u,
      ARRAY['user:default/' || u, 'group:default/team-' || CASE u WHEN 'alice' THEN 'a' WHEN 'bob' THEN 'b' ELSE 'z' END]);
    out := out || u || '=' || (SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '-') FROM bsperm.entities) || ' ';
  END LOOP;
  RETURN out;
END $$;
SET ROLE regress_holds_app;
BEGIN; SELECT public._holds_loop(); COMMIT;
RESET ROLE;

-- only plans that fold a decision depend on the marker; others are not invalidated by identity changes
SELECT count(*) AS marker_exists FROM pg_class WHERE oid = 'bsperm.policy_epoch'::regclass;

-- estimates do not answer questions about hidden rows: a hidden kind and a kind
-- that does not exist are estimated alike for a user row security applies to
INSERT INTO bsperm.entities (entity)
  SELECT jsonb_build_object('kind', 'Secret', 'metadata', jsonb_build_object('name', 's' || i),
                            'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/hidden')))
    FROM generate_series(1, 2000) i;
ANALYZE bsperm.entities;
CREATE FUNCTION public._holds_estimate(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j->0->'Plan'->>'Plan Rows')::float8;
END $$;
SET ROLE regress_holds_app;
BEGIN; SELECT bsperm_set_user('user:default/carol');
SELECT public._holds_estimate($$SELECT * FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"key":"kind","values":["secret"]}'$$)
     = public._holds_estimate($$SELECT * FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"key":"kind","values":["no-such-kind"]}'$$)
  AS hidden_and_absent_look_alike;
COMMIT;
RESET ROLE;
-- the superuser (no row security) gets estimates from the statistics
SELECT public._holds_estimate($$SELECT * FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"key":"kind","values":["secret"]}'$$)
     > 10 * public._holds_estimate($$SELECT * FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"key":"kind","values":["no-such-kind"]}'$$)
  AS superuser_uses_statistics;
DELETE FROM bsperm.entities WHERE entity->>'kind' = 'Secret';

-- any role may write protected_tables rows of its own tables; a statement that
-- changes nothing must not make every session re-plan (the trigger is per row)
SELECT tgname, (tgtype & 1) = 1 AS per_row, tgenabled FROM pg_trigger
 WHERE tgrelid = 'bsperm.protected_tables'::regclass AND NOT tgisinternal ORDER BY tgname;

-- bsperm_protect narrows what a table already grants, never widens it
CREATE ROLE regress_holds_owner LOGIN;
GRANT bsperm_trusted TO regress_holds_owner;
CREATE SCHEMA holds AUTHORIZATION regress_holds_owner;
SET ROLE regress_holds_owner;
CREATE TABLE holds.tenant_catalog (tenant text, doc jsonb);
RESET ROLE;
INSERT INTO holds.tenant_catalog SELECT t, e.entity FROM bsperm.entities e, (VALUES ('t1'), ('t2')) v(t);
SET ROLE regress_holds_owner;
ALTER TABLE holds.tenant_catalog ENABLE ROW LEVEL SECURITY;
ALTER TABLE holds.tenant_catalog FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON holds.tenant_catalog USING (tenant = current_setting('app.tenant', true));
SET app.tenant = 't1';
SELECT count(*) AS tenant_rows_before FROM holds.tenant_catalog;
SELECT bsperm_protect('holds.tenant_catalog', 'doc');
SELECT count(*) AS anonymous_tenant_rows FROM holds.tenant_catalog;
BEGIN; SELECT bsperm_set_user('user:default/carol');
SELECT count(*) AS carol_tenant_rows FROM holds.tenant_catalog;
COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/alice', ARRAY['group:default/team-a']);
SELECT count(*) AS alice_tenant_rows FROM holds.tenant_catalog;
COMMIT;
-- unprotecting leaves the owner's own policy in force
SELECT bsperm_unprotect('holds.tenant_catalog');
SELECT count(*) AS tenant_rows_after FROM holds.tenant_catalog;
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'holds.tenant_catalog'::regclass;
-- a table without row security gets it back off
CREATE TABLE holds.plain (doc jsonb);
SELECT bsperm_protect('holds.plain', 'doc');
SELECT bsperm_unprotect('holds.plain');
SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = 'holds.plain'::regclass;
-- a permission name that does not exist is refused (every write would fail)
SELECT bsperm_protect('holds.plain', 'doc', update_permission => 'catalog.entity.update');

-- partitions and inheritance: protected with the parent, also when created later
CREATE TABLE holds.parts (k int, doc jsonb) PARTITION BY LIST (k);
CREATE TABLE holds.parts_1 PARTITION OF holds.parts FOR VALUES IN (1);
RESET ROLE;
INSERT INTO holds.parts SELECT 1, entity FROM bsperm.entities;
SET ROLE regress_holds_owner;
SELECT bsperm_protect('holds.parts_1', 'doc');
SELECT bsperm_protect('holds.parts', 'doc');
CREATE TABLE holds.parts_2 PARTITION OF holds.parts FOR VALUES IN (2);
CREATE TABLE holds.parts_3 (k int, doc jsonb);
ALTER TABLE holds.parts ATTACH PARTITION holds.parts_3 FOR VALUES IN (3);
RESET ROLE;
INSERT INTO holds.parts SELECT k, entity FROM bsperm.entities, (VALUES (2), (3)) v(k);
SET ROLE regress_holds_owner;
SELECT relid::text, entity_column FROM bsperm.protected_tables WHERE relid::text LIKE 'holds.%' ORDER BY 1;
SELECT count(*) AS partition_1_anonymous FROM holds.parts_1;
SELECT count(*) AS partition_2_anonymous FROM holds.parts_2;
SELECT count(*) AS partition_3_anonymous FROM holds.parts_3;
SELECT count(*) AS parent_anonymous FROM holds.parts;
BEGIN; SELECT bsperm_set_user('user:default/alice', ARRAY['group:default/team-a']);
SELECT count(*) AS alice_parent FROM holds.parts;
SELECT count(*) AS alice_partition_3 FROM holds.parts_3;
COMMIT;
SELECT bsperm_unprotect('holds.parts_2');
CREATE TABLE holds.base (doc jsonb);
CREATE TABLE holds.child () INHERITS (holds.base);
SELECT bsperm_protect('holds.child', 'doc');
SELECT bsperm_protect('holds.base', 'doc');
SELECT relid::text FROM bsperm.protected_tables WHERE relid::text IN ('holds.base', 'holds.child') ORDER BY 1;
SELECT bsperm_unprotect('holds.parts');
SELECT count(*) AS still_protected FROM bsperm.protected_tables WHERE relid::text LIKE 'holds.parts%';
RESET ROLE;
DROP SCHEMA holds CASCADE;
-- dropped tables leave no row behind
SELECT count(*) AS dangling FROM bsperm.protected_tables WHERE relid::text NOT IN ('bsperm.entities');

-- The executor-start check: a decision that changed without any invalidation
-- reaching the plan (a policy function reading a table nobody told bsperm
-- about) is never run with; the statement fails with 40001 and the next one
-- is planned with the new decision.
CREATE TABLE public.holds_switch (allow boolean);
INSERT INTO public.holds_switch VALUES (true);
CREATE FUNCTION public._holds_policy(request jsonb, "user" jsonb) RETURNS jsonb LANGUAGE sql STABLE AS
  $$ SELECT CASE WHEN (SELECT allow FROM public.holds_switch) THEN '{"result":"ALLOW"}'::jsonb
                 ELSE '{"result":"DENY"}'::jsonb END $$;
GRANT SELECT ON public.holds_switch TO regress_holds_app;
INSERT INTO bsperm.policy_config (policy, policy_function) VALUES ('function', 'public._holds_policy(jsonb,jsonb)');
SET ROLE regress_holds_app;
PREPARE guarded AS SELECT count(*) FROM bsperm.entities;
SET plan_cache_mode = force_generic_plan;
EXECUTE guarded;
RESET ROLE;
UPDATE public.holds_switch SET allow = false;   -- no trigger: no invalidation
SET ROLE regress_holds_app;
\set VERBOSITY sqlstate
EXECUTE guarded;
\set VERBOSITY default
EXECUTE guarded;
RESET plan_cache_mode;
DEALLOCATE guarded;
RESET ROLE;
DELETE FROM bsperm.policy_config;
DROP FUNCTION public._holds_policy(jsonb, jsonb);
DROP TABLE public.holds_switch;

DROP FUNCTION public._holds_estimate(text);
DROP FUNCTION public._holds_loop();
DROP FUNCTION public._holds_names();
DROP EXTENSION bsperm CASCADE;
REVOKE bsperm_trusted FROM regress_holds_app, regress_holds_owner;
DROP ROLE regress_holds_app;
DROP ROLE regress_holds_alice;
DROP ROLE regress_holds_bob;
DROP ROLE regress_holds_shared;
DROP ROLE regress_holds_owner;
