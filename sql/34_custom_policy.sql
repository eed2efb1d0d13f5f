-- Policies other than RBAC: allow-all, and an integrator's policy function.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}');

-- allow-all mirrors Backstage's allow-all policy module: everyone, anonymous too
INSERT INTO policy_config (policy) VALUES ('allow-all');
SELECT bsperm_authorize('catalog.entity.delete', 'component:default/svc-b') AS anonymous_delete,
       bsperm_authorize('catalog.entity.read') AS anonymous_read;
DELETE FROM policy_config;
SELECT bsperm_authorize('catalog.entity.read') AS back_to_rbac;

-- a policy function: (request jsonb, user jsonb) -> PolicyDecision jsonb
CREATE TABLE regress_calls (request jsonb, "user" jsonb);
CREATE FUNCTION _regress_policy(request jsonb, "user" jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  name text := request #>> '{permission,name}';
BEGIN
  INSERT INTO regress_calls VALUES (request, "user");
  IF "user" IS NULL THEN
    RETURN '{"result":"DENY"}';
  ELSIF name = 'catalog.entity.read' THEN
    RETURN jsonb_build_object('result', 'CONDITIONAL', 'pluginId', 'catalog',
      'resourceType', 'catalog-entity',
      'conditions', jsonb_build_object('rule', 'IS_ENTITY_OWNER', 'resourceType', 'catalog-entity',
        'params', jsonb_build_object('claims', "user" #> '{info,ownershipEntityRefs}')));
  ELSIF name = 'catalog.location.read' THEN
    RETURN '{"result":"ALLOW","extra":"kept"}';
  ELSIF name = 'catalog.entity.create' THEN
    RETURN '{"result":"CONDITIONAL","pluginId":"catalog","resourceType":"catalog-entity","conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["x"]}}}';
  ELSIF name = 'catalog.entity.delete' THEN
    RETURN '{"result":"CONDITIONAL","pluginId":"catalog","resourceType":"other","conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["x"]}}}';
  ELSIF name = 'catalog.location.delete' THEN
    RAISE EXCEPTION 'policy boom';
  ELSIF name = 'catalog.location.create' THEN
    RETURN '{"result":"MAYBE"}';
  ELSIF name = 'catalog.ingestion.read' THEN
    RETURN NULL;
  END IF;
  RETURN '{"result":"DENY"}';
END $$;
INSERT INTO policy_config (policy, policy_function) VALUES ('function', '_regress_policy(jsonb,jsonb)');

-- the function sees Backstage's request and user objects
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize('catalog.entity.read', 'component:default/svc-a') AS svc_a,
       bsperm_authorize('catalog.entity.read', 'component:default/svc-b') AS svc_b,
       bsperm_authorize('catalog.entity.read') AS no_ref;
SELECT jsonb_pretty(bsperm_authorize_conditional('catalog.entity.read'));
SELECT jsonb_pretty(request) AS request, jsonb_pretty("user") AS "user" FROM regress_calls LIMIT 1;
-- extra fields of a definitive decision are echoed by the JSON form, as in Backstage (W20)
SELECT bsperm_authorize('{"items":[{"id":"x","permission":{"type":"basic","name":"catalog.location.read","attributes":{"action":"read"}}}]}'::jsonb);
SELECT bsperm_authorize_conditional('catalog.location.read');
COMMIT;
-- anonymous: the function gets a NULL user (W21)
TRUNCATE regress_calls;
SELECT bsperm_authorize('catalog.location.read') AS anonymous;
SELECT request, "user" IS NULL AS user_is_null FROM regress_calls;

-- what the function returns is checked as the permission backend does (W10, W11)
\set VERBOSITY default
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SAVEPOINT s;
SELECT bsperm_authorize('catalog.entity.create');
ROLLBACK TO s;
SELECT bsperm_authorize('catalog.entity.delete', 'component:default/svc-a');
ROLLBACK TO s;
SELECT bsperm_authorize('{"items":[{"id":"1","permission":{"type":"resource","name":"catalog.entity.delete","attributes":{"action":"delete"},"resourceType":"catalog-entity"}}]}'::jsonb);
ROLLBACK TO s;
SELECT bsperm_authorize('catalog.location.delete');
ROLLBACK TO s;
SELECT bsperm_authorize('catalog.location.create');
ROLLBACK TO s;
SELECT bsperm_authorize('catalog.ingestion.read');
ROLLBACK;
\set VERBOSITY terse

-- the function must have the right signature
INSERT INTO policy_config (policy, policy_function) VALUES ('function', 'pg_catalog.jsonb_typeof(jsonb)')
  ON CONFLICT (singleton) DO UPDATE SET policy_function = excluded.policy_function;
UPDATE policy_config SET policy_function = NULL;

DELETE FROM policy_config;
DROP FUNCTION _regress_policy(jsonb, jsonb);
DROP TABLE regress_calls;
DROP EXTENSION bsperm CASCADE;
