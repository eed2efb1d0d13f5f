-- Declared rules (doc/rules.md): declaring, changing, dropping; validation
-- with paths; every place the catalog's rules work; owner-only; versioned.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- installed: the two built-in declared rules
SELECT name, builtin, filter FROM bsperm.rules ORDER BY name;

-- the same answers as the catalog rules they stand for
SELECT bsperm_criteria_filter('{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["Prod-EU","prod-us"]}}') AS cluster,
       bsperm_criteria_filter('{"rule":"IN_NAMESPACE","resourceType":"catalog-entity","params":{"namespaces":["default"]}}') AS namespace;
SELECT e.name,
       bsperm_matches(e.entity, '{"rule":"IN_NAMESPACE","resourceType":"catalog-entity","params":{"namespaces":["default"]}}') AS in_default,
       bsperm_matches(e.entity, '{"rule":"IN_NAMESPACE","resourceType":"catalog-entity","params":{"namespaces":[]}}') AS in_none,
       bsperm_matches(e.entity, '{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["PROD-EU"]}}') AS from_prod_eu,
       bsperm_matches(e.entity, '{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":[]}}') AS from_none
  FROM (VALUES ('no namespace', '{"kind":"Component","metadata":{"name":"a","annotations":{"backstage.io/kubernetes-cluster":"prod-eu"}}}'::jsonb),
               ('ops', '{"kind":"Component","metadata":{"name":"b","namespace":"ops"}}'),
               ('Default', '{"kind":"Component","metadata":{"name":"c","namespace":"Default"}}')) e(name, entity);
SELECT bsperm_validate_criteria('{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["a"],"extra":1}}');
SELECT bsperm_criteria_sql('{"not":{"rule":"IN_NAMESPACE","resourceType":"catalog-entity","params":{"namespaces":["ops"]}}}', 'e.doc');

\set VERBOSITY default
-- path-precise errors, as for the catalog's rules
SELECT bsperm_validate_criteria('{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{}}');
SELECT bsperm_validate_criteria('{"anyOf":[{"rule":"IN_NAMESPACE","resourceType":"catalog-entity","params":{"namespaces":["a",1]}}]}');
SELECT bsperm_validate_criteria('{"rule":"IS_FROM_CLUSTERS","resourceType":"catalog-entity","params":{}}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":[],"maxDepth":2}}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":[],"transitive":"ancestors","maxDepth":0}}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":[],"transitive":"up"}}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":[],"transitive":"descendants","maxDepth":2.5}}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["a"],"transitive":"descendants","maxDepth":3}}');

\set VERBOSITY terse
-- declaring: checked completely, with the path of the first problem
SELECT bsperm_declare_rule('HAS_TIER', 'Allow entities with one of the given tiers',
  '{"type":"object","properties":{"tiers":{"type":"array","items":{"type":"string"},"description":"tiers"}},"required":["tiers"]}',
  '{"key":"metadata.labels.tier","values":"${tiers}"}');
SELECT bsperm_declare_rule('HAS_TEAM_ANNOTATION', 'Allow entities whose example.com/<team> annotation is set (or has the value)',
  '{"type":"object","properties":{"team":{"type":"string"},"value":{"type":"string"}},"required":["team"]}',
  '{"anyOf":[{"key":"metadata.annotations.example.com/${team}","values":["${value}"]},{"key":"metadata.labels.team","values":["${team}"]}]}');
SELECT bsperm_criteria_filter('{"rule":"HAS_TEAM_ANNOTATION","resourceType":"catalog-entity","params":{"team":"Payments"}}') AS no_value,
       bsperm_criteria_filter('{"rule":"HAS_TEAM_ANNOTATION","resourceType":"catalog-entity","params":{"team":"Payments","value":"X"}}') AS with_value;
SELECT bsperm_declare_rule('BAD', 'x', '{"type":"object","properties":{"a":{"type":"integer"}}}', '{"key":"k"}');
SELECT bsperm_declare_rule('BAD', 'x', '{"type":"object"}', '{"anyOf":[{"key":"k","values":"${nope}"}]}');
SELECT bsperm_declare_rule('HAS_LABEL', 'x', '{"type":"object"}', '{"key":"k"}');
SELECT bsperm_declare_rule('BAD', 'x', '{"type":"object","properties":{"a":{"type":"string"}}}', '{"key":"k.${a}"}');
INSERT INTO bsperm.rules (name, resource_type, params_schema, filter) VALUES ('BAD', 'catalog-location', '{"type":"object"}', '{"key":"k"}');
SELECT bsperm_drop_rule('NOPE');

-- a declared rule in a conditional policy: decisions, RLS, apply-conditions
INSERT INTO entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Group","metadata":{"name":"team-a"}}'),
 ('{"kind":"Component","metadata":{"name":"gold-svc","labels":{"tier":"Gold"}}}'),
 ('{"kind":"Component","metadata":{"name":"bronze-svc","labels":{"tier":"bronze"}}}');
INSERT INTO roles (name) VALUES ('role:default/readers');
INSERT INTO role_members (role, member) VALUES ('role:default/readers', 'group:default/team-a');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/readers', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"HAS_TIER","resourceType":"catalog-entity","params":{"tiers":["gold"]}}');
CREATE ROLE bsperm_test_rules_app LOGIN;
GRANT bsperm_trusted TO bsperm_test_rules_app;
GRANT SELECT ON bsperm.entities TO bsperm_test_rules_app;
CREATE ROLE bsperm_test_rules_mallory LOGIN;
GRANT SELECT ON bsperm.entities TO bsperm_test_rules_mallory;

SET ROLE bsperm_test_rules_app;
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize('catalog.entity.read', 'component:default/gold-svc') AS gold,
       bsperm_authorize('catalog.entity.read', 'component:default/bronze-svc') AS bronze;
SELECT entity_ref FROM bsperm.entities ORDER BY 1;
SELECT bsperm_rls_filter('catalog.entity.read');
COMMIT;
RESET ROLE;
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":["component:default/gold-svc","component:default/bronze-svc"],"resourceType":"catalog-entity",
  "conditions":{"rule":"HAS_TIER","resourceType":"catalog-entity","params":{"tiers":["bronze"]}}}]}');

-- a change is seen at the next statement, by a plan prepared before it
SET ROLE bsperm_test_rules_app;
PREPARE readable AS SELECT string_agg(entity_ref, ', ' ORDER BY entity_ref) FROM bsperm.entities;
BEGIN; SELECT bsperm_set_user('user:default/alice'); EXECUTE readable; COMMIT;
RESET ROLE;
SELECT bsperm_declare_rule('HAS_TIER', 'Allow entities with one of the given tiers, or no tier',
  '{"type":"object","properties":{"tiers":{"type":"array","items":{"type":"string"}}},"required":["tiers"]}',
  '{"anyOf":[{"key":"metadata.labels.tier","values":"${tiers}"},{"not":{"key":"metadata.labels.tier"}}]}');
SET ROLE bsperm_test_rules_app;
BEGIN; SELECT bsperm_set_user('user:default/alice'); EXECUTE readable; COMMIT;
DEALLOCATE readable;
RESET ROLE;

\set VERBOSITY default
-- a rule in use is neither dropped nor renamed nor changed so that its policy breaks
SELECT bsperm_drop_rule('HAS_TIER');
DELETE FROM bsperm.rules WHERE name = 'HAS_TIER';
UPDATE bsperm.rules SET name = 'HAS_TIERS' WHERE name = 'HAS_TIER';
TRUNCATE bsperm.rules;
SELECT bsperm_declare_rule('HAS_TIER', 'x',
  '{"type":"object","properties":{"levels":{"type":"array","items":{"type":"string"}}},"required":["levels"]}',
  '{"key":"metadata.labels.tier","values":"${levels}"}');
SELECT name, description FROM bsperm.rules WHERE name = 'HAS_TIER';
-- an unused rule drops
SELECT bsperm_drop_rule('HAS_TEAM_ANNOTATION');

-- only the owner declares, changes or drops rules; nobody else sees the table
SET ROLE bsperm_test_rules_mallory;
SELECT bsperm_declare_rule('HAS_TIER', 'x', '{"type":"object"}', '{"allOf":[]}');
SELECT bsperm_drop_rule('HAS_TIER');
SELECT bsperm_set_cluster_annotation('example.com/mine');
UPDATE bsperm.rules SET filter = '{"allOf":[]}';
SELECT count(*) FROM bsperm.rules;
-- but anyone may use them and read the metadata
SELECT bsperm_matches('{"kind":"x","metadata":{"name":"y","labels":{"tier":"gold"}}}',
                      '{"rule":"HAS_TIER","resourceType":"catalog-entity","params":{"tiers":["gold"]}}');
SELECT jsonb_array_length(bsperm_metadata() -> 'rules') AS rules;
RESET ROLE;
\set VERBOSITY terse

-- the owner changes the annotation IS_FROM_CLUSTER reads
SELECT bsperm_set_cluster_annotation('example.com/k8s-cluster');
SELECT bsperm_criteria_filter('{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["eu"]}}');
SELECT bsperm_set_cluster_annotation('backstage.io/kubernetes-cluster');

-- a policy function's conditions may use declared rules
CREATE FUNCTION _regress_rules_policy(request jsonb, "user" jsonb) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT '{"result":"CONDITIONAL","pluginId":"catalog","resourceType":"catalog-entity",
           "conditions":{"rule":"HAS_TIER","resourceType":"catalog-entity","params":{"tiers":["bronze"]}}}'::jsonb $$;
INSERT INTO policy_config (policy, policy_function) VALUES ('function', '_regress_rules_policy(jsonb,jsonb)');
SET ROLE bsperm_test_rules_app;
BEGIN; SELECT bsperm_set_user('user:default/alice'); SELECT entity_ref FROM bsperm.entities ORDER BY 1; COMMIT;
RESET ROLE;
DELETE FROM policy_config;

-- the metadata: Backstage's shape, the catalog's rules, bsperm's extensions, declared rules
SELECT jsonb_pretty(r) FROM jsonb_array_elements(bsperm_metadata() -> 'rules') r
 WHERE r ->> 'name' IN ('IS_ENTITY_OWNER', 'IS_FROM_CLUSTER', 'HAS_TIER');
SELECT r ->> 'name' AS rule, r ->> 'resourceType' AS resource_type FROM jsonb_array_elements(bsperm_metadata() -> 'rules') r;
SELECT p FROM jsonb_array_elements(bsperm_metadata() -> 'permissions') p WHERE p ->> 'name' IN ('catalog.entity.read', 'catalog.entity.validate');

-- transitive claims: the policy's are walked as the owner; a caller's own
-- criteria only through what the caller may read of the catalog
DELETE FROM conditional_policies;
INSERT INTO entities (entity) VALUES
 ('{"kind":"Group","metadata":{"name":"team-a-sub"},"relations":[{"type":"childOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"sub-svc"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a-sub"}]}');
UPDATE entities SET entity = entity || '{"relations":[{"type":"parentOf","targetRef":"group:default/team-a-sub"}]}'
 WHERE entity_ref = 'group:default/team-a';
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/readers', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"],"transitive":"descendants"}}');
SET ROLE bsperm_test_rules_app;
BEGIN; SELECT bsperm_set_user('user:default/alice'); SELECT entity_ref FROM bsperm.entities ORDER BY 1; COMMIT;
RESET ROLE;
SELECT bsperm_criteria_filter('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-a"],"transitive":"descendants"}}') AS owner_sees;
-- (in the leader: a parallel worker cannot read the identity row security needs, doc/rules.md)
SET force_parallel_mode = off;
SET ROLE bsperm_test_rules_mallory;   -- may select from the catalog, sees no row of it
SELECT bsperm_criteria_filter('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-a"],"transitive":"descendants"}}') AS mallory_sees;
RESET ROLE;
REVOKE SELECT ON bsperm.entities FROM bsperm_test_rules_mallory;
SET ROLE bsperm_test_rules_mallory;
SELECT bsperm_matches('{"kind":"x"}', '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-a"],"transitive":"ancestors"}}');
RESET ROLE;
RESET force_parallel_mode;

DELETE FROM conditional_policies;
DROP FUNCTION _regress_rules_policy(jsonb, jsonb);
DROP EXTENSION bsperm CASCADE;
DROP ROLE bsperm_test_rules_app, bsperm_test_rules_mallory;
