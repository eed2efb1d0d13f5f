-- bench/rls/setup.sql: :n generated entities in the protected bsperm.entities and
-- in an unprotected copy, a Backstage-style search table built from the same
-- data, users and policies.  Run as a superuser.
SET max_parallel_workers_per_gather = 0;
ALTER TABLE bsperm.entities DISABLE TRIGGER USER;   -- bulk load; membership is not used here
TRUNCATE bsperm.entities;
INSERT INTO bsperm.entities (entity) SELECT public.bench_entity(i) FROM generate_series(1, :n) i;
ALTER TABLE bsperm.entities ENABLE TRIGGER USER;

DROP TABLE IF EXISTS public.plain_entities, public.search, public.final_entities;
-- the same rows, unprotected, with the index a hand-written jsonb query would use
CREATE TABLE public.plain_entities AS SELECT entity_ref, entity FROM bsperm.entities;
CREATE INDEX ON public.plain_entities USING gin (entity jsonb_path_ops);
-- Backstage's storage: final_entities + search(entity_id, key, value) with its indexes (spec 4.1)
CREATE TABLE public.final_entities (entity_id text PRIMARY KEY, entity_ref text UNIQUE NOT NULL, final_entity text);
INSERT INTO public.final_entities SELECT entity->'metadata'->>'uid', entity_ref, entity::text FROM bsperm.entities;
CREATE TABLE public.search (entity_id text, key varchar(255) NOT NULL, value varchar(255), original_value varchar(255));
INSERT INTO public.search (entity_id, key, value)
SELECT e.entity->'metadata'->>'uid', r.key, r.value FROM bsperm.entities e, bsperm_search_rows(e.entity) r;
CREATE UNIQUE INDEX search_entity_key_value_idx ON public.search (entity_id, key, value);
CREATE INDEX search_key_value_entity_idx ON public.search (key, value, entity_id);
VACUUM ANALYZE bsperm.entities;
VACUUM ANALYZE public.plain_entities;
VACUUM ANALYZE public.final_entities;
VACUUM ANALYZE public.search;

-- users: alice owns through two teams (selective), dave has the compound policy,
-- carol may read everything, eve has no role (DENY)
DELETE FROM bsperm.role_members; DELETE FROM bsperm.conditional_policies;
DELETE FROM bsperm.permission_policies; DELETE FROM bsperm.roles;
INSERT INTO bsperm.roles (name) VALUES ('role:default/owner'), ('role:default/compound'), ('role:default/admin');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/owner', 'user:default/alice'), ('role:default/compound', 'user:default/dave'),
 ('role:default/admin', 'user:default/carol');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owner', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}'),
 ('role:default/compound', 'catalog', 'catalog-entity', '{read}',
  '{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Component"]}},
             {"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}},
                       {"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"example.com/cluster","value":"cluster-7"}}]}]}');
INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
 ('role:default/admin', 'catalog-entity', 'read', 'allow'),
 ('role:default/admin', 'catalog.entity.create', 'create', 'allow');

DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_bench_app') THEN CREATE ROLE bsperm_bench_app; END IF;
END $$;
GRANT bsperm_trusted TO bsperm_bench_app;
GRANT SELECT, INSERT ON bsperm.entities TO bsperm_bench_app;
GRANT SELECT ON public.plain_entities, public.search, public.final_entities TO bsperm_bench_app;
