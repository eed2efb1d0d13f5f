-- The RBAC decision algorithm (doc/policy.md), case by case.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- Catalog: org <- dept-x <- team-a (childOf), team-b, a cycle, a group with two parents.
INSERT INTO entities (entity) VALUES
 ('{"kind":"Group","metadata":{"name":"org"}}'),
 ('{"kind":"Group","metadata":{"name":"dept-x"},"relations":[{"type":"childOf","targetRef":"group:default/org"}]}'),
 ('{"kind":"Group","metadata":{"name":"team-a"},"relations":[{"type":"childOf","targetRef":"group:default/dept-x"}]}'),
 ('{"kind":"Group","metadata":{"name":"team-b"}}'),
 ('{"kind":"Group","metadata":{"name":"cyc1"},"relations":[{"type":"childOf","targetRef":"group:default/cyc2"}]}'),
 ('{"kind":"Group","metadata":{"name":"cyc2"},"relations":[{"type":"childOf","targetRef":"group:default/cyc1"}]}'),
 ('{"kind":"Group","metadata":{"name":"team-m"},"relations":[{"type":"childOf","targetRef":"group:default/p1"},{"type":"childOf","targetRef":"group:default/p2"}]}'),
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"User","metadata":{"name":"bob"},"relations":[{"type":"memberOf","targetRef":"group:default/team-b"}]}'),
 ('{"kind":"User","metadata":{"name":"dave"},"relations":[{"type":"memberOf","targetRef":"group:default/cyc1"}]}'),
 ('{"kind":"User","metadata":{"name":"mia"},"relations":[{"type":"memberOf","targetRef":"group:default/team-m"}]}'),
 ('{"kind":"User","metadata":{"name":"erin"}}'),
 ('{"kind":"Component","metadata":{"name":"svc-a"},"spec":{"owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-b"},"spec":{"owner":"team-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}');

-- decide as a user (NULL: anonymous) inside the caller's transaction
CREATE FUNCTION _regress_decide(u text, perm text, ref text DEFAULT NULL) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsperm_set_user(u);
  RETURN bsperm_authorize(perm, ref);
END $$;
CREATE FUNCTION _regress_conditional(u text, perm text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsperm_set_user(u);
  RETURN bsperm_authorize_conditional(perm);
END $$;
CREATE VIEW regress_users(u) AS VALUES (NULL), ('user:default/alice'), ('user:default/bob'),
  ('user:default/dave'), ('user:default/mia'), ('user:default/erin'), ('user:default/ghost');

-- 0. nothing configured: every decision is DENY, whoever asks
BEGIN;
SELECT u, _regress_decide(u, 'catalog.entity.read') AS read,
       _regress_decide(u, 'catalog.entity.create') AS create,
       _regress_decide(u, 'catalog.location.read') AS loc_read
  FROM regress_users;
COMMIT;

-- 1. superusers: by user ref, or by an ownership ref (alice's group)
INSERT INTO superusers VALUES ('user:default/bob'), ('group:default/team-a');
BEGIN;
SELECT u, _regress_decide(u, 'catalog.entity.delete', 'component:default/svc-a') AS del,
       _regress_decide(u, 'catalog.ingestion.manage') AS manage
  FROM regress_users;
COMMIT;
DELETE FROM superusers;

-- 2. the default role: every signed-in user, never anonymous
INSERT INTO roles VALUES ('role:default/everyone', 'signed-in users');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/everyone', 'catalog.location.read', 'read', 'allow');
INSERT INTO policy_config (default_role) VALUES ('role:default/everyone');
BEGIN;
SELECT u, _regress_decide(u, 'catalog.location.read') AS loc_read FROM regress_users;
COMMIT;

-- 3. group roles; resource-type lines; deny overrides allow across roles
INSERT INTO roles (name) VALUES ('role:default/readers'), ('role:default/no-delete'),
  ('role:default/deleters');
INSERT INTO role_members VALUES ('role:default/readers', 'group:default/team-a'),
  ('role:default/readers', 'group:default/team-b'),
  ('role:default/deleters', 'group:default/team-a'), ('role:default/deleters', 'group:default/team-b'),
  ('role:default/no-delete', 'user:default/bob');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/readers', 'catalog-entity', 'read', 'allow'),
  ('role:default/deleters', 'catalog-entity', 'delete', 'allow'),
  ('role:default/no-delete', 'catalog-entity', 'delete', 'deny');
BEGIN;
SELECT u, _regress_decide(u, 'catalog.entity.read', 'component:default/svc-a') AS read,
       _regress_decide(u, 'catalog.entity.delete', 'component:default/svc-a') AS del,
       _regress_decide(u, 'catalog.entity.refresh', 'component:default/svc-a') AS refresh
  FROM regress_users WHERE u IN ('user:default/alice', 'user:default/bob');
COMMIT;

-- 4. a line naming the permission beats resource-type lines for that action
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/no-delete', 'catalog.entity.delete', 'delete', 'allow'),
  ('role:default/readers', 'catalog.entity.read', 'read', 'deny');
BEGIN;
SELECT u, _regress_decide(u, 'catalog.entity.read', 'component:default/svc-a') AS read,
       _regress_decide(u, 'catalog.entity.delete', 'component:default/svc-a') AS del
  FROM regress_users WHERE u IN ('user:default/alice', 'user:default/bob');
COMMIT;
DELETE FROM permission_policies WHERE object IN ('catalog.entity.delete', 'catalog.entity.read');

-- basic permissions without an action take "use" lines
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/readers', 'catalog.entity.validate', 'use', 'allow');
BEGIN;
SELECT _regress_decide('user:default/alice', 'catalog.entity.validate') AS validate,
       _regress_decide('user:default/alice', 'catalog.location.analyze') AS analyze;
COMMIT;

-- 5. conditional policies; placeholders; several roles combine with anyOf
INSERT INTO roles (name) VALUES ('role:default/owners'), ('role:default/kinds');
INSERT INTO role_members VALUES ('role:default/owners', 'group:default/team-a'),
  ('role:default/owners', 'group:default/team-b'), ('role:default/kinds', 'user:default/bob');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/owners', 'catalog', 'catalog-entity', '{update}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":"$ownerRefs"}}'),
  ('role:default/kinds', 'catalog', 'catalog-entity', '{update}',
   '{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"owner","value":"$currentUser"}}');
BEGIN;
SELECT _regress_conditional('user:default/alice', 'catalog.entity.refresh');
SELECT _regress_conditional('user:default/bob', 'catalog.entity.refresh');
SELECT u, _regress_decide(u, 'catalog.entity.refresh') AS no_ref,
       _regress_decide(u, 'catalog.entity.refresh', 'component:default/svc-a') AS svc_a,
       _regress_decide(u, 'catalog.entity.refresh', 'component:default/svc-b') AS svc_b,
       _regress_decide(u, 'catalog.entity.refresh', 'component:default/missing') AS missing,
       _regress_decide(u, 'catalog.entity.refresh', 'Component:default/SVC-A') AS non_canonical
  FROM regress_users WHERE u IN ('user:default/alice', 'user:default/bob');
-- an empty resource ref is no resource ref, as in Backstage
SELECT _regress_decide('user:default/alice', 'catalog.entity.refresh', '');
COMMIT;

-- 6. precedence: a condition and a basic deny for the same permission
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/kinds', 'catalog-entity', 'update', 'deny');
BEGIN;
SELECT _regress_decide('user:default/bob', 'catalog.entity.refresh') AS conditional_precedence;
UPDATE policy_config SET decision_precedence = 'basic';
SELECT _regress_decide('user:default/bob', 'catalog.entity.refresh') AS basic_precedence;
-- basic precedence without any basic line: the condition decides
SELECT _regress_decide('user:default/alice', 'catalog.entity.refresh') AS basic_no_line;
ROLLBACK;
DELETE FROM permission_policies WHERE role = 'role:default/kinds';

-- two matching conditional policies in one role: DENY
INSERT INTO conditional_policies (role, plugin_id, resource_type, permissions, conditions) VALUES
  ('role:default/kinds', 'catalog', 'catalog-entity', '{catalog.entity.refresh}',
   '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}');
BEGIN;
SELECT _regress_decide('user:default/bob', 'catalog.entity.refresh') AS two_in_one_role;
COMMIT;
DELETE FROM conditional_policies WHERE role = 'role:default/kinds';

-- 7. group hierarchy: a role bound to org reaches alice through team-a -> dept-x -> org
INSERT INTO roles (name) VALUES ('role:default/org'), ('role:default/cycle'), ('role:default/p2');
INSERT INTO role_members VALUES ('role:default/org', 'group:default/org'),
  ('role:default/cycle', 'group:default/cyc2'), ('role:default/p2', 'group:default/p2');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/org', 'catalog.location.create', 'create', 'allow'),
  ('role:default/cycle', 'catalog.location.create', 'create', 'allow'),
  ('role:default/p2', 'catalog.location.create', 'create', 'allow');
CREATE VIEW regress_depth AS
  SELECT (SELECT max_depth FROM bsperm.policy_config) AS max_depth, u,
         _regress_decide(u, 'catalog.location.create') AS location_create
    FROM (VALUES ('user:default/alice'), ('user:default/dave'), ('user:default/mia')) AS users(u);
BEGIN;
-- unlimited (NULL); a cycle is followed once; both parents of team-m count
SELECT * FROM regress_depth;
UPDATE policy_config SET max_depth = 0;
SELECT * FROM regress_depth;
UPDATE policy_config SET max_depth = 1;
SELECT * FROM regress_depth;
UPDATE policy_config SET max_depth = 2;
SELECT * FROM regress_depth;
ROLLBACK;

-- 8. lines bound directly to a user or group count only for users without roles
UPDATE policy_config SET default_role = NULL;
INSERT INTO permission_policies (member, object, action, effect) VALUES
  ('user:default/erin', 'catalog.ingestion.read', 'read', 'allow'),
  ('group:default/team-a', 'catalog.ingestion.read', 'read', 'allow');
BEGIN;
SELECT u, _regress_decide(u, 'catalog.ingestion.read') AS ingestion_read
  FROM regress_users WHERE u IN ('user:default/alice', 'user:default/erin', 'user:default/ghost');
COMMIT;

-- 9. use_ownership_entity_refs: roles bound to a claim the caller was given
INSERT INTO roles (name) VALUES ('role:default/claimed');
INSERT INTO role_members VALUES ('role:default/claimed', 'group:default/claimed-team');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/claimed', 'catalog.ingestion.manage', 'update', 'allow');
BEGIN;
SELECT bsperm_set_user('user:default/ghost', ARRAY['user:default/ghost', 'group:default/claimed-team']);
SELECT bsperm_authorize('catalog.ingestion.manage') AS without_setting;
UPDATE policy_config SET use_ownership_entity_refs = true;
SELECT bsperm_authorize('catalog.ingestion.manage') AS with_setting;
ROLLBACK;

-- 10. conditions for another plugin cannot be applied here
INSERT INTO permissions VALUES ('scaffolder.template.read', 'resource', 'scaffolder-template', 'read');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/readers', 'scaffolder', 'scaffolder-template', '{read}',
   '{"rule":"HAS_TAG","resourceType":"scaffolder-template","params":{"tag":"$currentUser"}}');
BEGIN;
SELECT _regress_conditional('user:default/alice', 'scaffolder.template.read');
\set VERBOSITY default
SELECT _regress_decide('user:default/alice', 'scaffolder.template.read', 'template:default/t');
\set VERBOSITY terse
ROLLBACK;

-- an invalid catalog condition is refused when it is stored
\set VERBOSITY default
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/readers', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":"team-a"}}');
INSERT INTO conditional_policies (role, plugin_id, resource_type, conditions) VALUES
  ('role:default/readers', 'catalog', 'catalog-entity',
   '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["x"]}}');
INSERT INTO role_members VALUES ('role:default/readers', 'team-a');
INSERT INTO role_members VALUES ('role:default/nope', 'user:default/alice');
\set VERBOSITY terse

DROP VIEW regress_depth, regress_users;
DROP FUNCTION _regress_decide(text, text, text), _regress_conditional(text, text);
DROP EXTENSION bsperm CASCADE;
