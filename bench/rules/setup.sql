-- bench/rules/setup.sql: :n generated entities (bench_entity, owned by team-0..499,
-- each discovered in one of 50 Kubernetes clusters) in the protected
-- bsperm.entities and an unprotected copy with the indexes a hand-written query
-- would use; a group hierarchy (5 divisions > 50 departments > 500 teams);
-- users and policies.  Run as a superuser.
SET max_parallel_workers_per_gather = 0;
ALTER TABLE bsperm.entities DISABLE TRIGGER USER;   -- bulk load; the policy version is bumped below
TRUNCATE bsperm.entities;
INSERT INTO bsperm.entities (entity)
SELECT jsonb_set(public.bench_entity(i), '{metadata,annotations,backstage.io/kubernetes-cluster}',
                 to_jsonb('cluster-' || (i % 50)))
  FROM generate_series(1, :n) i;
-- the hierarchy: team-k childOf dept-(k/10), dept-d childOf div-(d/10), and parentOf back
INSERT INTO bsperm.entities (entity)
SELECT jsonb_build_object('apiVersion', 'backstage.io/v1alpha1', 'kind', 'Group',
         'metadata', jsonb_build_object('name', g.name, 'namespace', 'default'),
         'spec', jsonb_build_object('type', g.type),
         'relations', coalesce((SELECT jsonb_agg(r) FROM (
             SELECT jsonb_build_object('type', 'childOf', 'targetRef', 'group:default/' || g.parent) r WHERE g.parent IS NOT NULL
             UNION ALL
             SELECT jsonb_build_object('type', 'parentOf', 'targetRef', 'group:default/' || c) FROM unnest(g.children) c) x), '[]'))
  FROM (SELECT 'team-' || k AS name, 'team' AS type, 'dept-' || (k / 10) AS parent, '{}'::text[] AS children
          FROM generate_series(0, 499) k
        UNION ALL
        SELECT 'dept-' || d, 'department', 'div-' || (d / 10),
               ARRAY(SELECT 'team-' || k FROM generate_series(d * 10, d * 10 + 9) k)
          FROM generate_series(0, 49) d
        UNION ALL
        SELECT 'div-' || v, 'division', NULL, ARRAY(SELECT 'dept-' || d FROM generate_series(v * 10, v * 10 + 9) d)
          FROM generate_series(0, 4) v) g;
-- users: dana is a member of dept-0 (ten teams below it), sam an SRE
INSERT INTO bsperm.entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"dana","namespace":"default"},"relations":[{"type":"memberOf","targetRef":"group:default/dept-0"}]}'),
 ('{"kind":"User","metadata":{"name":"dora","namespace":"default"},"relations":[{"type":"memberOf","targetRef":"group:default/dept-0"}]}'),
 ('{"kind":"User","metadata":{"name":"sam","namespace":"default"},"relations":[{"type":"memberOf","targetRef":"group:default/sre"}]}');
ALTER TABLE bsperm.entities ENABLE TRIGGER USER;

DROP TABLE IF EXISTS public.plain_entities;
CREATE TABLE public.plain_entities AS SELECT entity_ref, entity FROM bsperm.entities;
CREATE INDEX ON public.plain_entities USING gin (entity jsonb_path_ops);
-- the best index for the cluster question: a B-tree on the annotation itself
CREATE INDEX plain_cluster_idx ON public.plain_entities ((entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}'));
VACUUM ANALYZE bsperm.entities;
VACUUM ANALYZE public.plain_entities;

-- policies: SREs read two clusters; dana owns transitively (descendants), dora the
-- same eleven groups directly (her ownership refs are given), so both read the same rows
DELETE FROM bsperm.role_members; DELETE FROM bsperm.conditional_policies;
DELETE FROM bsperm.permission_policies; DELETE FROM bsperm.role_users; DELETE FROM bsperm.roles;
DELETE FROM bsperm.policy_config;
INSERT INTO bsperm.roles (name) VALUES ('role:default/sre'), ('role:default/transitive'), ('role:default/direct');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/sre', 'user:default/sam'), ('role:default/transitive', 'user:default/dana'),
 ('role:default/direct', 'user:default/dora');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/sre', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["cluster-1","cluster-2"]}}'),
 ('role:default/transitive', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"],"transitive":"descendants"}}'),
 ('role:default/direct', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_bench_app') THEN CREATE ROLE bsperm_bench_app; END IF;
END $$;
GRANT bsperm_trusted TO bsperm_bench_app;
GRANT SELECT ON bsperm.entities TO bsperm_bench_app;
GRANT SELECT ON public.plain_entities TO bsperm_bench_app;
