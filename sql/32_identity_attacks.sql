-- Attacks on the identity and the policy by an untrusted role.  Each must fail.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"mallory"},"relations":[{"type":"memberOf","targetRef":"group:default/interns"}]}'),
 ('{"kind":"User","metadata":{"name":"admin"},"relations":[{"type":"memberOf","targetRef":"group:default/admins"}]}'),
 ('{"kind":"Component","metadata":{"name":"secret"},"relations":[{"type":"ownedBy","targetRef":"group:default/admins"}]}');
SELECT bsperm_import_rbac_csv($$
p, role:default/admin, catalog-entity, delete, allow
p, role:default/admin, catalog.location.create, create, allow
g, group:default/admins, role:default/admin
p, role:default/intern, catalog-entity, read, allow
g, group:default/interns, role:default/intern
$$);
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/intern', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

CREATE ROLE regress_bsperm_mallory LOGIN;
CREATE ROLE regress_bsperm_admin_login;
GRANT regress_bsperm_admin_login TO regress_bsperm_mallory;   -- mallory may SET ROLE to it
CREATE SCHEMA regress_evil AUTHORIZATION regress_bsperm_mallory;
INSERT INTO role_users VALUES ('regress_bsperm_mallory', 'user:default/mallory', NULL),
  ('regress_bsperm_admin_login', 'user:default/admin', NULL);

\c - regress_bsperm_mallory
\set VERBOSITY terse
SELECT public.bsperm_current_identity() AS mallory_is;
SELECT public.bsperm_authorize('catalog.location.create') AS baseline,
       public.bsperm_authorize('catalog.entity.read', 'component:default/secret') AS baseline_read;

-- 1. settings: no bsperm.* setting carries an identity, and the real ones are superuser-only
SET bsperm.user_ref = 'user:default/admin';
SELECT set_config('bsperm.user', 'user:default/admin', false);
SELECT set_config('bsperm.identity', '{"userEntityRef":"user:default/admin"}', true);
SET bsperm.transitive_ownership = on;
SET bsperm.max_criteria_depth = 1;
SELECT public.bsperm_current_user() AS still;

-- 2. calling the setter, directly and in a transaction
SELECT public.bsperm_set_user('user:default/admin');
BEGIN;
SELECT public.bsperm_set_user('user:default/admin', ARRAY['group:default/admins']);
ROLLBACK;

-- 3. SET ROLE to a role one may become changes neither the trust nor the identity
SET ROLE regress_bsperm_admin_login;
SELECT public.bsperm_current_user() AS after_set_role;
SELECT public.bsperm_set_user('user:default/admin');
RESET ROLE;
SET ROLE bsperm_trusted;

-- 4. shadowing bsperm's objects through search_path
CREATE FUNCTION regress_evil.bsperm_authorize(text, text DEFAULT NULL) RETURNS text
  LANGUAGE sql AS $$ SELECT 'ALLOW' $$;
CREATE FUNCTION regress_evil.bsperm_current_user() RETURNS text
  LANGUAGE sql AS $$ SELECT 'user:default/admin' $$;
CREATE FUNCTION regress_evil._texteq_evil(text, text) RETURNS boolean
  LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil._texteq_evil);
CREATE TABLE regress_evil.policy_state (version bigint);
CREATE TABLE regress_evil.superusers (ref text);
INSERT INTO regress_evil.superusers VALUES ('user:default/mallory');
SET search_path = regress_evil, bsperm, pg_catalog;
-- the caller fools only itself with an unqualified name...
SELECT bsperm_authorize('catalog.location.create') AS own_shadow;
-- ...bsperm's own functions and queries are not redirected
SELECT public.bsperm_authorize('catalog.location.create') AS real_answer,
       public.bsperm_authorize('catalog.entity.delete', 'component:default/secret') AS real_delete;
CREATE TEMP TABLE superusers (ref text);
INSERT INTO superusers VALUES ('user:default/mallory');
SET search_path = pg_temp, regress_evil, bsperm;
SELECT public.bsperm_authorize('catalog.location.create') AS with_temp_shadow;
RESET search_path;
-- nor can anything be created in bsperm's schema
CREATE FUNCTION bsperm._bsperm_helper() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE bsperm.mine (x int);

-- 5. a SECURITY DEFINER function mallory owns runs as mallory: still untrusted
CREATE FUNCTION regress_evil.become(u text) RETURNS text
  LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  PERFORM public.bsperm_set_user(u);
  RETURN public.bsperm_current_user();
END $$;
SELECT regress_evil.become('user:default/admin');

-- 6. savepoint tricks
BEGIN;
SAVEPOINT s;
SELECT public.bsperm_set_user('user:default/admin');
ROLLBACK TO SAVEPOINT s;
SELECT public.bsperm_current_user() AS after_savepoint_trick;
SELECT public.bsperm_authorize('catalog.location.create') AS still_denied;
COMMIT;

-- 7. reading or changing the policy directly
SELECT * FROM bsperm.roles;
SELECT * FROM bsperm.role_members;
SELECT * FROM bsperm.permission_policies;
SELECT * FROM bsperm.conditional_policies;
SELECT * FROM bsperm.role_users;
SELECT * FROM bsperm.policy_state;
INSERT INTO bsperm.role_members VALUES ('role:default/admin', 'user:default/mallory');
INSERT INTO bsperm.superusers VALUES ('user:default/mallory');
UPDATE bsperm.role_users SET user_ref = 'user:default/admin';
DELETE FROM bsperm.permission_policies;
UPDATE bsperm.policy_state SET version = 0;
SELECT bsperm_import_rbac_csv('g, user:default/mallory, role:default/admin');
SELECT public.bsperm_import_rbac_csv('g, user:default/mallory, role:default/admin');

-- 8. switching enforcement off
INSERT INTO bsperm.policy_config (policy) VALUES ('allow-all');
UPDATE bsperm.policy_config SET policy = 'allow-all';
SET bsperm.allow_all = on;

-- 9. probing entities through apply-conditions (a backend-only endpoint)
SELECT public.bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"component:default/secret","resourceType":"catalog-entity","conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}}]}');

-- after all that: the same answers as at the start
SELECT public.bsperm_current_identity() AS mallory_is;
SELECT public.bsperm_authorize('catalog.location.create') AS still,
       public.bsperm_authorize('catalog.entity.read', 'component:default/secret') AS still_read;

\c - postgres
SET search_path = bsperm, public;
-- EXECUTE granted by mistake does not make a role trusted: the C check stays
GRANT EXECUTE ON FUNCTION bsperm_set_user(text, text[]) TO regress_bsperm_mallory;
SET ROLE regress_bsperm_mallory;
SELECT public.bsperm_set_user('user:default/admin');
RESET ROLE;
-- a policy administrator who was granted the config table still cannot switch
-- on allow-all or register a policy function
CREATE ROLE regress_bsperm_policy_admin;
GRANT USAGE ON SCHEMA bsperm TO regress_bsperm_policy_admin;
GRANT SELECT, INSERT, UPDATE ON policy_config TO regress_bsperm_policy_admin;
SET ROLE regress_bsperm_policy_admin;
INSERT INTO bsperm.policy_config (policy) VALUES ('allow-all');
INSERT INTO bsperm.policy_config (policy, policy_function) VALUES ('function', 'pg_catalog.jsonb_concat(jsonb,jsonb)');
INSERT INTO bsperm.policy_config (decision_precedence) VALUES ('basic');
UPDATE bsperm.policy_config SET policy = 'allow-all';
RESET ROLE;
SELECT policy, decision_precedence FROM policy_config;

DROP SCHEMA regress_evil CASCADE;
REVOKE ALL ON policy_config FROM regress_bsperm_policy_admin;
REVOKE ALL ON SCHEMA bsperm FROM regress_bsperm_policy_admin;
DROP EXTENSION bsperm CASCADE;
DROP ROLE regress_bsperm_mallory, regress_bsperm_admin_login, regress_bsperm_policy_admin;
