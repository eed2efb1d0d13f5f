-- bsperm_authorize(jsonb): Backstage's /api/permission/authorize bodies (spec 1.2, 1.4, 1.7, 8.4).
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}');
-- the spec's wire-test policy: resource permissions CONDITIONAL on team-a ownership, basic ALLOW
SELECT bsperm_import_rbac_csv($$
p, role:default/all, catalog.entity.create, create, allow
p, role:default/all, catalog.entity.validate, use, allow
g, user:default/alice, role:default/all
$$);
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/all', 'catalog', 'catalog-entity', '{read,delete,update}',
   '{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-a"]}}]}');

CREATE FUNCTION _regress_read(id text, ref jsonb DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'permission',
    '{"type":"resource","name":"catalog.entity.read","attributes":{"action":"read"},"resourceType":"catalog-entity"}'::jsonb)
    || CASE WHEN ref IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('resourceRef', ref) END
$$;
CREATE FUNCTION _regress_create(id text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'permission',
    '{"type":"basic","name":"catalog.entity.create","attributes":{"action":"create"}}'::jsonb)
$$;
CREATE FUNCTION _regress_body(VARIADIC items jsonb[]) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('items', to_jsonb(items))
$$;

BEGIN;
SELECT bsperm_set_user('user:default/alice');   -- a backend acting on behalf of alice
-- W1: applied per resource ref; missing and non-canonical refs are DENY; order kept
SELECT jsonb_pretty(bsperm_authorize(_regress_body(
  _regress_read('1', '"component:default/svc-a"'), _regress_read('2', '"component:default/svc-b"'),
  _regress_read('3', '"component:default/missing"'), _regress_read('4', '"Component:default/SVC-A"'),
  _regress_create('5'))));
-- W2: no resourceRef: the CONDITIONAL decision itself
SELECT jsonb_pretty(bsperm_authorize(_regress_body(_regress_read('q'))));
-- W4: an array of refs gives an array of results, duplicates included
SELECT bsperm_authorize(_regress_body(_regress_read('b',
  '["component:default/svc-a","component:default/svc-b","component:default/svc-a"]')));
-- W9: no items
SELECT bsperm_authorize('{"items":[]}'::jsonb);
-- duplicate ids are answered twice; "" is no resourceRef (W6)
SELECT bsperm_authorize(_regress_body(_regress_create('d'), _regress_create('d'), _regress_read('e', '""')));
-- basic permission without an action takes "use" lines; unknown permissions are decided too
SELECT bsperm_authorize('{"items":[
  {"id":"v","permission":{"type":"basic","name":"catalog.entity.validate","attributes":{}}},
  {"id":"u","permission":{"type":"basic","name":"not.registered","attributes":{},"extra":1}}]}'::jsonb);
-- a definitive decision for an array ref is a single result (alice is now a superuser)
INSERT INTO superusers VALUES ('user:default/alice');
SELECT bsperm_authorize(_regress_body(_regress_read('s', '["component:default/svc-a","component:default/missing"]')));
ROLLBACK;

-- W3: a direct user (no bsperm_set_user: role mapping or anonymous) must name the resource
\set VERBOSITY default
SELECT bsperm_authorize(_regress_body(_regress_create('1'), _regress_read('2')));
SELECT bsperm_authorize(_regress_body(_regress_read('2', '"component:default/svc-a"'))) AS anonymous_with_ref;

-- body errors (400, zod's issue list)
SELECT bsperm_authorize('{}'::jsonb);
SELECT bsperm_authorize('{"items":{}}'::jsonb);
SELECT bsperm_authorize('[]'::jsonb);
SELECT bsperm_authorize('{"items":[{"permission":{"type":"basic","name":"x","attributes":{}}}]}'::jsonb);
SELECT bsperm_authorize('{"items":[{"id":7,"permission":{"type":"basic","name":"x","attributes":{}}}]}'::jsonb);
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"other","name":"x","attributes":{}}}]}'::jsonb);
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"basic","name":"x"}}]}'::jsonb);
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"basic","name":"x","attributes":{"action":"write"}}}]}'::jsonb);
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"resource","name":"x","attributes":{}}}]}'::jsonb);
-- W5: resourceRef on a basic permission, even null
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"basic","name":"x","attributes":{}},"resourceRef":"component:default/svc-a"}]}'::jsonb);
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"basic","name":"x","attributes":{}},"resourceRef":null}]}'::jsonb);
-- W7: an empty array of refs; a ref that is not a string
SELECT bsperm_authorize(_regress_body(_regress_read('1', '[]')));
SELECT bsperm_authorize(_regress_body(_regress_read('1', '["component:default/svc-a", 3]')));
SELECT bsperm_authorize(_regress_body(_regress_read('1', '5')));

-- how conditions are applied (W12, W13, W16, W17: see 37_apply_conditions)
BEGIN;
SELECT bsperm_set_user('user:default/alice');
-- W14: the leaf resourceType is not compared
UPDATE conditional_policies SET conditions = '{"rule":"IS_ENTITY_KIND","resourceType":"WRONG-TYPE","params":{"kinds":["component"]}}';
SELECT bsperm_authorize(_regress_body(_regress_read('w14', '"component:default/svc-a"')));
-- W18: not(...) over a missing resource is still DENY
UPDATE conditional_policies SET conditions = '{"not":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["group"]}}}';
SELECT bsperm_authorize(_regress_body(_regress_read('w18', '["component:default/missing","component:default/svc-a"]')));
ROLLBACK;
\set VERBOSITY terse

-- NULL in, NULL out
SELECT bsperm_authorize(NULL::jsonb) IS NULL AS null_body;

DROP FUNCTION _regress_read(text, jsonb), _regress_create(text), _regress_body(jsonb[]);
DROP EXTENSION bsperm CASCADE;
