-- bsperm_apply_conditions(jsonb): the catalog's apply-conditions endpoint (spec 1.5).
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"Component","metadata":{"name":"svc-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}'),
 ('{"kind":"Group","metadata":{"name":"team-a"}}');

-- the spec's example: order kept, arrays give arrays
SELECT jsonb_pretty(bsperm_apply_conditions('{"items":[
 {"id":"1","resourceRef":"component:default/svc-a","resourceType":"catalog-entity",
  "conditions":{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-a"]}}]}},
 {"id":"2","resourceRef":["component:default/svc-a","group:default/team-a"],"resourceType":"catalog-entity",
  "conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}}]}'));
-- missing or non-canonical refs are DENY, even under not; extra params are accepted
SELECT bsperm_apply_conditions('{"items":[
 {"id":"m","resourceRef":["component:default/nope","Component:default/SVC-A","component:svc-a","component:default/svc-b"],"resourceType":"catalog-entity",
  "conditions":{"not":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["group"],"extra":true}}}}]}');
SELECT bsperm_apply_conditions('{"items":[]}');

\set VERBOSITY default
-- unknown resource types: the whole batch fails, each type named once
SELECT bsperm_apply_conditions('{"items":[
 {"id":"1","resourceRef":"x","resourceType":"foo","conditions":{"rule":"R","resourceType":"foo"}},
 {"id":"2","resourceRef":"x","resourceType":"catalog-entity","conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":[]}}},
 {"id":"3","resourceRef":"x","resourceType":"bar","conditions":{"rule":"R","resourceType":"bar"}},
 {"id":"4","resourceRef":"x","resourceType":"foo","conditions":{"rule":"R","resourceType":"foo"}}]}');
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"x","resourceType":"foo","conditions":{"rule":"R","resourceType":"foo"}}]}');
-- schema errors
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceType":"catalog-entity","conditions":{}}]}');
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":[],"resourceType":"catalog-entity","conditions":{}}]}');
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"x","conditions":{}}]}');
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"x","resourceType":"catalog-entity"}]}');
-- W12: an unknown rule (500 in Backstage); W13: parameters (400); W16: empty anyOf (400)
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"component:default/svc-a","resourceType":"catalog-entity","conditions":{"rule":"NO_SUCH_RULE","resourceType":"catalog-entity"}}]}');
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"component:default/svc-a","resourceType":"catalog-entity","conditions":{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":"group:default/team-a"}}}]}');
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"component:default/svc-a","resourceType":"catalog-entity","conditions":{"anyOf":[]}}]}');
-- W17: Backstage validates lazily and answers ALLOW here; bsperm validates every leaf
SELECT bsperm_apply_conditions('{"items":[{"id":"1","resourceRef":"component:default/svc-a","resourceType":"catalog-entity","conditions":{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}},{"rule":"NO_SUCH","resourceType":"catalog-entity"}]}}]}');
\set VERBOSITY terse

DROP EXTENSION bsperm CASCADE;
