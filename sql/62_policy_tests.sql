-- bsperm_test_policy (doc/policy-tests.md): every failing case reported,
-- then an error; invalid cases name the case and the member.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-a"}}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}');
SELECT bsperm_import_rbac_csv($csv$
p, role:default/dev, catalog.entity.create, create, allow
p, role:default/dev, catalog-entity, delete, deny
g, group:default/team-a, role:default/dev
$csv$);
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/dev', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

-- all pass: the number of cases
SELECT bsperm_test_policy($$[
  {"name": "devs create", "user": "user:default/alice", "permission": "catalog.entity.create", "expected": "ALLOW"},
  {"name": "nobody deletes", "user": "user:default/alice", "permission": "catalog.entity.delete", "resource": "component:default/svc-a", "expected": "DENY"},
  {"name": "owners read", "user": "user:default/alice", "permission": "catalog.entity.read", "resource": "component:default/svc-a", "expected": "ALLOW"},
  {"name": "read is conditional", "user": "user:default/alice", "permission": "catalog.entity.read", "expected": "CONDITIONAL"},
  {"name": "claims given", "user": "user:default/alice", "ownershipRefs": ["user:default/alice"], "permission": "catalog.entity.read", "resource": "component:default/svc-a", "expected": "DENY"},
  {"name": "an entity inline", "user": "user:default/alice", "permission": "catalog.entity.read",
   "entity": {"kind": "API", "metadata": {"name": "x"}, "relations": [{"type": "ownedBy", "targetRef": "group:default/team-a"}]}, "expected": "ALLOW"},
  {"name": "anonymous", "user": null, "permission": "catalog.entity.create", "expected": "DENY"}
]$$);

-- two failures: both reported, then the error
SELECT bsperm_test_policy($$[
  {"name": "ok", "user": "user:default/alice", "permission": "catalog.entity.create", "expected": "ALLOW"},
  {"name": "wrong 1", "user": "user:default/bob", "permission": "catalog.entity.create", "expected": "ALLOW"},
  {"user": "user:default/alice", "permission": "catalog.entity.delete", "resource": "component:default/svc-a", "expected": "ALLOW"}
]$$);

-- a policy change tested before it is committed: the failing test rolls it back
BEGIN;
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/dev', 'catalog.entity.create', 'create', 'deny');
SELECT bsperm_test_policy('[{"user": "user:default/alice", "permission": "catalog.entity.create", "expected": "ALLOW"}]');
ROLLBACK;
SELECT count(*) AS deny_lines FROM permission_policies WHERE effect = 'deny' AND object = 'catalog.entity.create';

-- invalid cases
SELECT bsperm_test_policy('{}');
SELECT bsperm_test_policy('[1]');
SELECT bsperm_test_policy('[{"permission": "catalog.entity.create", "expected": "ALLOW"}]');
SELECT bsperm_test_policy('[{"user": null, "permission": "nope", "expected": "ALLOW"}]');
SELECT bsperm_test_policy('[{"user": null, "permission": "catalog.entity.create", "expected": "YES"}]');
SELECT bsperm_test_policy('[{"user": null, "permission": "catalog.entity.create", "resource": "x", "expected": "DENY"}]');
SELECT bsperm_test_policy('[{"user": 1, "permission": "catalog.entity.create", "expected": "DENY"}]');

-- the owner's: PUBLIC may not run it
CREATE ROLE _regress_tester;
SET ROLE _regress_tester;
SELECT bsperm.bsperm_test_policy('[]');
RESET ROLE;
DROP ROLE _regress_tester;
TRUNCATE entities;
DELETE FROM conditional_policies; DELETE FROM permission_policies; DELETE FROM role_members;
DELETE FROM roles;
