-- bench/pooled/setup.sql: a pooler role that sets a different Backstage user in
-- every transaction (as behind PgBouncer in transaction mode) and runs two
-- prepared point reads; 20,000 entities, 200 users with a conditional policy.
CREATE EXTENSION IF NOT EXISTS bsperm;
INSERT INTO bsperm.entities (entity) SELECT public.bench_entity(i) FROM generate_series(1, 20000) i;
INSERT INTO bsperm.roles (name) VALUES ('role:default/owner') ON CONFLICT DO NOTHING;
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owner', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
INSERT INTO bsperm.role_members (role, member)
  SELECT 'role:default/owner', 'user:default/u' || i FROM generate_series(1, 200) i ON CONFLICT DO NOTHING;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_pool_app') THEN CREATE ROLE bsperm_pool_app LOGIN; END IF;
END $$;
GRANT bsperm_trusted TO bsperm_pool_app;
GRANT SELECT ON bsperm.entities TO bsperm_pool_app;
CREATE TABLE public.plain AS SELECT entity_ref, entity FROM bsperm.entities;
CREATE UNIQUE INDEX ON public.plain (entity_ref);
GRANT SELECT ON public.plain TO bsperm_pool_app;
CREATE FUNCTION public.pool_set(i int) RETURNS void LANGUAGE sql AS
  $$ SELECT bsperm_set_user('user:default/u' || i, ARRAY['user:default/u' || i, 'group:default/team-' || (i % 500)]) $$;
GRANT EXECUTE ON FUNCTION public.pool_set(int) TO bsperm_pool_app;
-- (pgbench reads ":name" as a variable, so entity refs are built by a function)
CREATE FUNCTION public.ref(k text, i int) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT k || ':default/entity-' || i $$;
-- a catalog in service: autovacuum has merged the GIN index's pending list (after a bulk load
-- every index scan, counting a filter while planning included, reads it entry by entry)
VACUUM ANALYZE;
