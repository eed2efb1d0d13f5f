-- bench/decisions/setup.sql: a catalog of :n components owned by 200 teams, and
-- a user (user:default/bench) in 50 teams, each team bound to its own role:
-- 50 roles, 4 lines each, 10 of them with a conditional policy on reads.
SET search_path = bsperm, public;

INSERT INTO entities (entity)
SELECT jsonb_build_object('apiVersion', 'backstage.io/v1alpha1', 'kind', 'Group',
         'metadata', jsonb_build_object('name', 'team-' || i),
         'spec', jsonb_build_object('type', 'team'),
         'relations', jsonb_build_array(jsonb_build_object('type', 'childOf', 'targetRef', 'group:default/dept-' || (i % 5))))
  FROM generate_series(0, 199) i;
INSERT INTO entities (entity)
SELECT jsonb_build_object('kind', 'Group', 'metadata', jsonb_build_object('name', 'dept-' || i),
         'relations', '[{"type":"childOf","targetRef":"group:default/org"}]'::jsonb)
  FROM generate_series(0, 4) i;
INSERT INTO entities (entity) VALUES ('{"kind":"Group","metadata":{"name":"org"}}');
INSERT INTO entities (entity)
SELECT jsonb_build_object('kind', 'User', 'metadata', jsonb_build_object('name', 'bench'),
         'relations', jsonb_agg(jsonb_build_object('type', 'memberOf', 'targetRef', 'group:default/team-' || i)))
  FROM generate_series(0, 49) i;
INSERT INTO entities (entity)
SELECT jsonb_build_object('apiVersion', 'backstage.io/v1alpha1', 'kind', 'Component',
         'metadata', jsonb_build_object('name', 'c-' || i, 'namespace', 'default',
           'annotations', jsonb_build_object('backstage.io/managed-by-location', 'url:https://x/' || i),
           'tags', jsonb_build_array('java', 'tier-' || (i % 3))),
         'spec', jsonb_build_object('type', 'service', 'lifecycle', 'production', 'owner', 'team-' || (i % 200)),
         'relations', jsonb_build_array(
           jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/team-' || (i % 200)),
           jsonb_build_object('type', 'partOf', 'targetRef', 'system:default/sys-' || (i % 40))))
  FROM generate_series(0, :n - 1) i;
ANALYZE entities;

INSERT INTO roles (name) SELECT 'role:default/r' || i FROM generate_series(0, 49) i;
INSERT INTO role_members SELECT 'role:default/r' || i, 'group:default/team-' || i FROM generate_series(0, 49) i;
-- four lines per role: an allow on the resource type, two named permissions, a deny elsewhere
INSERT INTO permission_policies (role, object, action, effect)
SELECT 'role:default/r' || i, o.object, o.action, o.effect
  FROM generate_series(0, 49) i,
       (VALUES ('catalog-entity', 'read', 'allow'), ('catalog.location.read', 'read', 'allow'),
               ('catalog.entity.create', 'create', 'allow'), ('catalog-entity', 'delete', 'deny')) o(object, action, effect);
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions)
SELECT 'role:default/r' || i, 'catalog', 'catalog-entity', '{read}',
       CASE WHEN i % 2 = 0
         THEN '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}'::jsonb
         ELSE jsonb_build_object('allOf', jsonb_build_array(
                '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}'::jsonb,
                jsonb_build_object('rule', 'HAS_METADATA', 'resourceType', 'catalog-entity',
                  'params', jsonb_build_object('key', 'tags', 'value', 'tier-' || (i % 3)))))
       END
  FROM generate_series(0, 9) i;
-- other users' roles, so the tables are not trivially small
INSERT INTO roles (name) SELECT 'role:default/other' || i FROM generate_series(0, 949) i;
INSERT INTO role_members SELECT 'role:default/other' || i, 'group:default/team-' || (50 + i % 150) FROM generate_series(0, 949) i;
INSERT INTO permission_policies (role, object, action, effect)
SELECT 'role:default/other' || i, 'catalog-entity', 'read', 'allow' FROM generate_series(0, 949) i;

-- the benchmark's connection is the user through the role mapping
INSERT INTO role_users VALUES (session_user, 'user:default/bench', NULL);
SELECT count(*) AS roles_of_bench_user FROM role_members
 WHERE member IN (SELECT r->>'targetRef' FROM entities, jsonb_array_elements(entity->'relations') r
                   WHERE entity_ref = 'user:default/bench');
