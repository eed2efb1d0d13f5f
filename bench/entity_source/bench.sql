-- bench/entity_source/bench.sql: see run.sh.
SET search_path = bsperm, public;
SET jit = off;
SET client_min_messages = warning;

-- the same entities three times: bsperm.entities, Backstage's layout (TEXT), a jsonb copy
CREATE TEMP TABLE src AS
  SELECT bench_entity(i) AS e FROM generate_series(1, :n) i
  UNION ALL
  SELECT jsonb_build_object('apiVersion', 'backstage.io/v1alpha1', 'kind', 'User',
           'metadata', jsonb_build_object('name', 'u-' || k, 'namespace', 'default'),
           'relations', jsonb_build_array(jsonb_build_object('type', 'memberOf', 'targetRef', 'group:default/team-' || (k % 500))))
    FROM generate_series(1, 2000) k
  UNION ALL
  SELECT jsonb_build_object('apiVersion', 'backstage.io/v1alpha1', 'kind', 'Group',
           'metadata', jsonb_build_object('name', 'team-' || j, 'namespace', 'default'),
           'relations', jsonb_build_array(jsonb_build_object('type', 'childOf', 'targetRef', 'group:default/org')))
    FROM generate_series(0, 499) j;
INSERT INTO bsperm.entities (entity) SELECT e FROM src;
CREATE TABLE public.final_entities (entity_id varchar(255) PRIMARY KEY, final_entity text,
                                    entity_ref varchar(255) NOT NULL UNIQUE);
INSERT INTO public.final_entities SELECT md5(entity_ref), entity::text, entity_ref FROM bsperm.entities;
CREATE TABLE public.bsperm_entities (entity_id varchar(255) PRIMARY KEY, entity_ref varchar(255) NOT NULL UNIQUE,
                                     entity jsonb NOT NULL);
INSERT INTO public.bsperm_entities SELECT md5(entity_ref), entity_ref, entity FROM bsperm.entities;
ANALYZE bsperm.entities; ANALYZE public.final_entities; ANALYZE public.bsperm_entities;

INSERT INTO bsperm.roles VALUES ('role:default/owners');
INSERT INTO bsperm.role_members SELECT 'role:default/owners', 'group:default/team-' || j FROM generate_series(0, 499) j;
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, permissions, conditions) VALUES
 ('role:default/owners', 'catalog', 'catalog-entity', '{catalog.entity.read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

-- a 1,000-item request, each item a distinct resource
CREATE TEMP TABLE batch AS
  SELECT jsonb_build_object('items', jsonb_agg(jsonb_build_object('id', i::text,
         'permission', '{"type":"resource","name":"catalog.entity.read","attributes":{"action":"read"},"resourceType":"catalog-entity"}'::jsonb,
         'resourceRef', lower(bsperm_entity_ref(bench_entity(i * 7 % :n + 1)))))) AS body
    FROM generate_series(1, 1000) i;

CREATE FUNCTION pg_temp.use_source(s text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM bsperm.entity_source;
  IF s = 'final_entities (text)' THEN
    INSERT INTO bsperm.entity_source VALUES (true, 'public.final_entities', 'final_entity');
  ELSIF s = 'jsonb copy' THEN
    INSERT INTO bsperm.entity_source VALUES (true, 'public.bsperm_entities', 'entity');
  END IF;
END $$;
-- ms for: 20 calls of a 1,000-resource request by one user; 1,000 new identities resolved
CREATE FUNCTION pg_temp.batch_ms() RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; i int; r jsonb;
BEGIN
  PERFORM bsperm_set_user('user:default/u-1');
  SELECT bsperm_authorize(body) INTO r FROM batch;             -- warm
  t0 := clock_timestamp();
  FOR i IN 1..20 LOOP SELECT bsperm_authorize(body) INTO r FROM batch; END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000 / 20;
END $$;
CREATE FUNCTION pg_temp.resolve_us() RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; i int; r text;
BEGIN
  t0 := clock_timestamp();
  FOR i IN 1..1000 LOOP
    PERFORM bsperm_set_user('user:default/u-' || i);
    r := bsperm_authorize_conditional('catalog.entity.read')::text;
  END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1e6 / 1000;
END $$;
CREATE TEMP TABLE timings (round int, source text, what text, v double precision);
-- one transaction: bsperm_set_user lasts until its end
BEGIN;
DO $$
DECLARE r int; s text;
BEGIN
  FOR r IN 1..current_setting('bench.rounds')::int LOOP
    FOREACH s IN ARRAY ARRAY['bsperm.entities', 'final_entities (text)', 'jsonb copy'] LOOP
      PERFORM pg_temp.use_source(s);
      INSERT INTO timings VALUES (r, s, 'batch_ms', pg_temp.batch_ms()), (r, s, 'resolve_us', pg_temp.resolve_us());
    END LOOP;
  END LOOP;
END $$;
COMMIT;
WITH m AS (
  SELECT source, what, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS med FROM timings GROUP BY source, what)
SELECT m.source,
       round(b.med::numeric, 2) AS "1,000-resource request (ms)",
       round((b.med / b0.med)::numeric, 2) AS "÷ bsperm.entities",
       round(u.med::numeric, 1) AS "identity resolved (µs)",
       round((u.med / u0.med)::numeric, 2) AS "÷ bsperm.entities "
  FROM m
  JOIN m b ON b.source = m.source AND b.what = 'batch_ms'
  JOIN m u ON u.source = m.source AND u.what = 'resolve_us'
  JOIN m b0 ON b0.source = 'bsperm.entities' AND b0.what = 'batch_ms'
  JOIN m u0 ON u0.source = 'bsperm.entities' AND u0.what = 'resolve_us'
 WHERE m.what = 'batch_ms'
 ORDER BY m.source = 'bsperm.entities' DESC, m.source;
DELETE FROM bsperm.entity_source;
DROP TABLE public.final_entities, public.bsperm_entities;
