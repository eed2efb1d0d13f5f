-- bench/rls/shapes_setup.sql: :n generated entities in the protected
-- bsperm.entities and an unprotected copy (with the indexes a hand-written
-- query would use), a table keyed by entity ref to join to, and users whose
-- decisions are selective, medium and broad CONDITIONAL, ALLOW and DENY.
-- Run as a superuser; data is kept if the table already holds :n entities.
SET max_parallel_workers_per_gather = 0;
SELECT count(*) = :n AS have_data FROM bsperm.entities \gset
\if :have_data
\else
ALTER TABLE bsperm.entities DISABLE TRIGGER USER;   -- bulk load; membership is not used here
TRUNCATE bsperm.entities;
INSERT INTO bsperm.entities (entity) SELECT public.bench_entity(i) FROM generate_series(1, :n) i;
ALTER TABLE bsperm.entities ENABLE TRIGGER USER;
DROP TABLE IF EXISTS public.plain_entities, public.facts;
CREATE TABLE public.plain_entities AS SELECT entity_ref, entity FROM bsperm.entities;
ALTER TABLE public.plain_entities ADD PRIMARY KEY (entity_ref);
CREATE INDEX ON public.plain_entities USING gin (entity jsonb_path_ops);
-- facts keyed by entity ref, as a plugin's own table (one row per entity)
CREATE TABLE public.facts (entity_ref text PRIMARY KEY, score int NOT NULL);
INSERT INTO public.facts SELECT entity_ref, abs(hashtext(entity_ref)) % 1000 FROM bsperm.entities;
VACUUM ANALYZE bsperm.entities;
VACUUM ANALYZE public.plain_entities;
VACUUM ANALYZE public.facts;
\endif

-- decisions: sel (owner: 0.2%), med (API in ten clusters, compound: 5%),
-- broad (four kinds or a cluster: 51%), allow, deny
DELETE FROM bsperm.role_members; DELETE FROM bsperm.conditional_policies;
DELETE FROM bsperm.permission_policies; DELETE FROM bsperm.roles;
INSERT INTO bsperm.roles (name) VALUES ('role:default/sel'), ('role:default/med'), ('role:default/broad'), ('role:default/admin');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/sel', 'user:default/sel'), ('role:default/med', 'user:default/med'),
 ('role:default/broad', 'user:default/broad'), ('role:default/admin', 'user:default/allow');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/sel', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}'),
 ('role:default/broad', 'catalog', 'catalog-entity', '{read}',
  '{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Component","API","Resource","System"]}},
             {"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"example.com/cluster","value":"cluster-3"}}]}');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions)
SELECT 'role:default/med', 'catalog', 'catalog-entity', '{read}', format(
  '{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["API"]}},{"anyOf":[%s]}]}',
  string_agg(format('{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"example.com/cluster","value":"cluster-%s"}}', c), ','))::jsonb
  FROM generate_series(1, 19, 2) c;
INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
 ('role:default/admin', 'catalog-entity', 'read', 'allow');

-- the same rows by hand: a predicate on the unprotected copy per decision
DROP TABLE IF EXISTS public.shape_who;
CREATE TABLE public.shape_who (who text PRIMARY KEY, ord int, user_ref text, claims text[], hand text);
INSERT INTO public.shape_who VALUES
 ('sel', 1, 'user:default/sel', ARRAY['user:default/sel', 'group:default/team-7'],
  $h$(entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-7"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"user:default/sel"}]}')$h$),
 ('med', 2, 'user:default/med', NULL,
  $h$(entity @> '{"kind":"API"}' AND ($h$ || (SELECT string_agg(format($f$entity @> '{"metadata":{"annotations":{"example.com/Cluster":"Cluster-%s"}}}'$f$, c), ' OR ')
     FROM generate_series(1, 19, 2) c) || '))'),
 ('broad', 3, 'user:default/broad', NULL,
  $h$(entity @> '{"kind":"Component"}' OR entity @> '{"kind":"API"}' OR entity @> '{"kind":"Resource"}' OR entity @> '{"kind":"System"}' OR entity @> '{"metadata":{"annotations":{"example.com/Cluster":"Cluster-3"}}}')$h$),
 ('allow', 4, 'user:default/allow', NULL, 'true'),
 ('deny', 5, 'user:default/deny', NULL, 'false');

DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_bench_app') THEN CREATE ROLE bsperm_bench_app; END IF;
END $$;
GRANT bsperm_trusted TO bsperm_bench_app;
GRANT SELECT ON bsperm.entities, public.plain_entities, public.facts, public.shape_who TO bsperm_bench_app;
