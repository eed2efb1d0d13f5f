-- The worked example of doc/rules.md: "SREs may read entities from the
-- prod-eu and prod-us clusters; everyone reads what their team owns,
-- transitively".  Keep the two in step.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the organisation: platform has two teams, payments has a sub-team
INSERT INTO bsperm.entities (entity) VALUES
 ('{"kind":"Group","metadata":{"name":"platform"},"spec":{"type":"department","children":["sre","payments"]},
    "relations":[{"type":"parentOf","targetRef":"group:default/sre"},{"type":"parentOf","targetRef":"group:default/payments"}]}'),
 ('{"kind":"Group","metadata":{"name":"sre"},"spec":{"type":"team","parent":"platform","children":[]},
    "relations":[{"type":"childOf","targetRef":"group:default/platform"}]}'),
 ('{"kind":"Group","metadata":{"name":"payments"},"spec":{"type":"team","parent":"platform","children":["payments-eu"]},
    "relations":[{"type":"childOf","targetRef":"group:default/platform"},{"type":"parentOf","targetRef":"group:default/payments-eu"}]}'),
 ('{"kind":"Group","metadata":{"name":"payments-eu"},"spec":{"type":"team","parent":"payments","children":[]},
    "relations":[{"type":"childOf","targetRef":"group:default/payments"}]}'),
 ('{"kind":"User","metadata":{"name":"sam"},"relations":[{"type":"memberOf","targetRef":"group:default/sre"}]}'),
 ('{"kind":"User","metadata":{"name":"pat"},"relations":[{"type":"memberOf","targetRef":"group:default/payments-eu"}]}'),
 ('{"kind":"User","metadata":{"name":"dana"},"relations":[{"type":"memberOf","targetRef":"group:default/platform"}]}');

-- 50,000 services discovered in twenty clusters (one in two hundred in
-- prod-eu or prod-us), owned by forty teams (one in two hundred by platform's)
INSERT INTO bsperm.entities (entity)
SELECT jsonb_build_object('kind', 'Component',
         'metadata', jsonb_build_object('name', 'svc-' || i, 'annotations',
           jsonb_build_object('backstage.io/kubernetes-cluster',
             CASE WHEN i % 400 IN (0, 1) OR (i % 200 = 3 AND i / 200 % 3 = 0)
                  THEN (ARRAY['prod-eu', 'prod-us'])[1 + i / 7 % 2] ELSE 'dev-' || (i % 18) END)),
         'spec', jsonb_build_object('type', 'service', 'owner', o.team),
         'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/' || o.team)))
  FROM generate_series(1, 50000) i,
       LATERAL (SELECT CASE WHEN i % 200 = 3 THEN (ARRAY['sre','payments','payments-eu','platform'])[1 + (i / 200) % 4]
                            ELSE 'team-' || (i % 40) END AS team) o;
ANALYZE bsperm.entities;

-- the policy
INSERT INTO bsperm.roles (name) VALUES ('role:default/sre'), ('role:default/everyone');
INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/sre', 'group:default/sre');
INSERT INTO bsperm.policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/sre', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["prod-eu","prod-us"]}}'),
 ('role:default/everyone', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"],"transitive":"descendants"}}');

-- the application connects as one role and says who the user is
CREATE ROLE catalog_app LOGIN;
GRANT bsperm_trusted TO catalog_app;
GRANT SELECT ON bsperm.entities TO catalog_app;

SET ROLE catalog_app;
BEGIN;
SELECT bsperm_set_user('user:default/sam');
SELECT CASE WHEN entity #>> '{spec,owner}' LIKE 'team-%' THEN '(40 other teams)' ELSE entity #>> '{spec,owner}' END AS owner,
       entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' IN ('prod-eu', 'prod-us') AS in_prod,
       count(*) AS readable
  FROM bsperm.entities WHERE entity ->> 'kind' = 'Component' GROUP BY 1, 2 ORDER BY 1, 2;
EXPLAIN (COSTS OFF) SELECT entity_ref FROM bsperm.entities;
COMMIT;

BEGIN;
SELECT bsperm_set_user('user:default/pat');
SELECT CASE WHEN entity #>> '{spec,owner}' LIKE 'team-%' THEN '(40 other teams)' ELSE entity #>> '{spec,owner}' END AS owner,
       entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' IN ('prod-eu', 'prod-us') AS in_prod,
       count(*) AS readable
  FROM bsperm.entities WHERE entity ->> 'kind' = 'Component' GROUP BY 1, 2 ORDER BY 1, 2;
EXPLAIN (COSTS OFF) SELECT entity_ref FROM bsperm.entities;
COMMIT;

BEGIN;
SELECT bsperm_set_user('user:default/dana');
SELECT CASE WHEN entity #>> '{spec,owner}' LIKE 'team-%' THEN '(40 other teams)' ELSE entity #>> '{spec,owner}' END AS owner,
       entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' IN ('prod-eu', 'prod-us') AS in_prod,
       count(*) AS readable
  FROM bsperm.entities WHERE entity ->> 'kind' = 'Component' GROUP BY 1, 2 ORDER BY 1, 2;
EXPLAIN (COSTS OFF) SELECT entity_ref FROM bsperm.entities;
COMMIT;
RESET ROLE;

-- a reorganisation is seen at the next statement: payments-eu moves to sre
UPDATE bsperm.entities SET entity = jsonb_set(entity, '{relations}',
  '[{"type":"parentOf","targetRef":"group:default/sre"},{"type":"parentOf","targetRef":"group:default/payments"}]')
 WHERE entity_ref = 'group:default/platform';
UPDATE bsperm.entities SET entity = jsonb_set(entity, '{relations}',
  '[{"type":"childOf","targetRef":"group:default/platform"},{"type":"parentOf","targetRef":"group:default/payments-eu"}]')
 WHERE entity_ref = 'group:default/sre';
UPDATE bsperm.entities SET entity = jsonb_set(entity, '{relations}',
  '[{"type":"childOf","targetRef":"group:default/platform"}]')
 WHERE entity_ref = 'group:default/payments';
SET ROLE catalog_app;
BEGIN;
SELECT bsperm_set_user('user:default/sam');
SELECT entity #>> '{spec,owner}' AS owner, count(*) AS readable
  FROM bsperm.entities WHERE entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' NOT LIKE 'prod-%'
 GROUP BY 1 ORDER BY 1;
COMMIT;
RESET ROLE;

DROP EXTENSION bsperm CASCADE;
DROP ROLE catalog_app;
