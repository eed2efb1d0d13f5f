-- bench/backstage/choice.sql (psql -v n=N): how to read final_entity (TEXT in
-- catalog-backend 4.0.0) under row security, three ways, on the same N entities:
--   copy:   bsperm_protect_backstage's jsonb copy kept by a row trigger, policy
--           EXISTS (SELECT FROM copy s WHERE s.entity_id = f.entity_id)
--   expr:   a bsperm GIN index on (final_entity::jsonb), policy
--           bsperm_rls_check(final_entity::jsonb, ...)
--   gen:    a stored generated column entity = final_entity::jsonb, its index,
--           policy bsperm_rls_check(entity, ...)
-- Prints per way: storage beyond the table, the time of N/10 stitcher-like
-- updates of final_entity, a selective user's listing and an ALLOW user's
-- count (medians of 5), and whether Backstage's later migration of the column
-- to jsonb (ALTER COLUMN ... TYPE jsonb) still runs.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ch_copy, ch_expr, ch_gen CASCADE;
DELETE FROM bsperm.backstage_catalogs WHERE catalog_schema::text LIKE 'ch_%';
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_bs_owner') THEN CREATE ROLE bench_bs_owner LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_bs_bi') THEN CREATE ROLE bench_bs_bi; END IF;
END $$;
CREATE TEMP TABLE ch_src AS
  SELECT md5(i::text) AS entity_id, bsperm_entity_ref(e) AS entity_ref, e::text AS final_entity
    FROM generate_series(1, :n) i, LATERAL (SELECT public.bench_entity(i) e) x;
GRANT SELECT ON ch_src TO bench_bs_owner;
CREATE TEMP TABLE ch_rt (way text, what text, v float8);
GRANT ALL ON ch_rt TO bench_bs_owner, bench_bs_bi;
DO $do$
DECLARE w text;
BEGIN
  FOREACH w IN ARRAY ARRAY['ch_copy', 'ch_expr', 'ch_gen'] LOOP
    EXECUTE format('CREATE SCHEMA %I AUTHORIZATION bench_bs_owner', w);
    EXECUTE format('CREATE TABLE %I.refresh_state (entity_id varchar(255) PRIMARY KEY, entity_ref varchar(255) NOT NULL UNIQUE,
      unprocessed_entity text NOT NULL, processed_entity text, errors text NOT NULL)', w);
    EXECUTE format('CREATE TABLE %I.final_entities (entity_id varchar(255) PRIMARY KEY, entity_ref varchar(255) NOT NULL UNIQUE,
      hash varchar(255) NOT NULL, final_entity text, last_updated_at timestamptz)', w);
    EXECUTE format('CREATE TABLE %I.search (entity_id varchar(255), key varchar(255) NOT NULL, value varchar(255))', w);
    EXECUTE format('CREATE TABLE %I.relations (originating_entity_id varchar(255) NOT NULL, source_entity_ref varchar(255) NOT NULL,
      type varchar(255) NOT NULL, target_entity_ref varchar(255) NOT NULL)', w);
    EXECUTE format('ALTER TABLE %I.search OWNER TO bench_bs_owner', w);
    EXECUTE format('ALTER TABLE %I.relations OWNER TO bench_bs_owner', w);
    EXECUTE format('INSERT INTO %I.final_entities SELECT entity_id, entity_ref, md5(final_entity), final_entity, now() FROM ch_src', w);
    EXECUTE format('ALTER TABLE %I.final_entities OWNER TO bench_bs_owner', w);
    EXECUTE format('ALTER TABLE %I.refresh_state OWNER TO bench_bs_owner', w);
  END LOOP;
END $do$;
SELECT count(*) FROM bsperm_protect_backstage('ch_copy') \g /dev/null
CREATE INDEX ch_expr_idx ON ch_expr.final_entities USING gin ((final_entity::jsonb) bsperm_entity_ops);
CREATE POLICY r ON ch_expr.final_entities FOR SELECT USING (bsperm_rls_check(final_entity::jsonb, 'catalog.entity.read'));
ALTER TABLE ch_expr.final_entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE ch_gen.final_entities ADD COLUMN entity jsonb GENERATED ALWAYS AS (final_entity::jsonb) STORED;
CREATE INDEX ch_gen_idx ON ch_gen.final_entities USING gin (entity bsperm_entity_ops);
CREATE POLICY r ON ch_gen.final_entities FOR SELECT USING (bsperm_rls_check(entity, 'catalog.entity.read'));
ALTER TABLE ch_gen.final_entities ENABLE ROW LEVEL SECURITY;
GRANT USAGE ON SCHEMA ch_copy, ch_expr, ch_gen TO bench_bs_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA ch_copy, ch_expr, ch_gen TO bench_bs_bi;
VACUUM ANALYZE ch_copy.final_entities, ch_copy.bsperm_entities, ch_expr.final_entities, ch_gen.final_entities;
INSERT INTO bsperm.superusers VALUES ('user:default/admin') ON CONFLICT DO NOTHING;

-- storage beyond final_entities' own heap and keys
INSERT INTO ch_rt
  SELECT 'copy', 'extra MB', (pg_total_relation_size('ch_copy.bsperm_entities')) / 1048576.0
  UNION ALL SELECT 'expr', 'extra MB', pg_relation_size('ch_expr.ch_expr_idx') / 1048576.0
  UNION ALL SELECT 'gen', 'extra MB', (pg_total_relation_size('ch_gen.final_entities') - pg_total_relation_size('ch_expr.final_entities')
                                       + pg_relation_size('ch_expr.ch_expr_idx')) / 1048576.0;

CREATE OR REPLACE FUNCTION pg_temp.ch_updates(w text, k int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); i int;
BEGIN
  FOR i IN 1 .. k LOOP
    EXECUTE format($u$UPDATE %I.final_entities SET final_entity = jsonb_set(final_entity::jsonb, '{metadata,description}', to_jsonb('v' || random()))::text,
                    hash = md5(random()::text), last_updated_at = now() WHERE entity_id = md5(%s::text)$u$, w, 1 + (i * 7919) % (SELECT count(*) FROM ch_src));
  END LOOP;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
SET ROLE bench_bs_owner;
DO $do$
DECLARE r int; w text;
BEGIN
  FOR r IN 1 .. 5 LOOP
    FOREACH w IN ARRAY ARRAY['ch_copy', 'ch_expr', 'ch_gen'] LOOP
      INSERT INTO ch_rt VALUES (substr(w, 4), 'updates ms', pg_temp.ch_updates(w, (SELECT count(*) FROM ch_src)::int / 10));
    END LOOP;
  END LOOP;
END $do$;
RESET ROLE;

-- reads: a selective user (what team-1 and team-2 own) and an ALLOW user
DO $do$
DECLARE r int; w text; t0 timestamptz; n bigint; who text; claims text[];
BEGIN
  FOR r IN 1 .. 5 LOOP
    FOREACH who IN ARRAY ARRAY['user:default/alice', 'user:default/admin'] LOOP
      FOREACH w IN ARRAY ARRAY['ch_copy', 'ch_expr', 'ch_gen'] LOOP
        PERFORM bsperm_set_user(who, ARRAY[who, 'group:default/team-1', 'group:default/team-2']);
        SET LOCAL ROLE bench_bs_bi;
        EXECUTE format('SELECT sum(length(final_entity)) FROM %I.final_entities', w) INTO n;
        t0 := clock_timestamp();
        EXECUTE format('SELECT sum(length(final_entity)) FROM %I.final_entities', w) INTO n;
        INSERT INTO ch_rt VALUES (substr(w, 4), CASE who WHEN 'user:default/alice' THEN 'selective list ms' ELSE 'allow list ms' END,
                                  extract(epoch FROM clock_timestamp() - t0) * 1000);
        RESET ROLE;
      END LOOP;
    END LOOP;
  END LOOP;
END $do$;

-- Backstage's migration of final_entity to jsonb
CREATE TEMP TABLE ch_mig (way text, migration text);
DO $do$
DECLARE w text;
BEGIN
  FOREACH w IN ARRAY ARRAY['ch_copy', 'ch_expr', 'ch_gen'] LOOP
    BEGIN
      EXECUTE format('ALTER TABLE %I.final_entities ALTER COLUMN final_entity TYPE jsonb USING final_entity::jsonb', w);
      INSERT INTO ch_mig VALUES (substr(w, 4), 'runs');
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO ch_mig VALUES (substr(w, 4), 'fails: ' || SQLERRM);
    END;
  END LOOP;
END $do$;
DELETE FROM bsperm.superusers WHERE ref = 'user:default/admin';
SELECT way, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE what = 'extra MB')::numeric, 1) AS extra_mb,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE what = 'updates ms')::numeric, 0) AS updates_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE what = 'selective list ms')::numeric, 2) AS selective_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FILTER (WHERE what = 'allow list ms')::numeric, 1) AS allow_ms,
       (SELECT migration FROM ch_mig m WHERE m.way = r.way) AS jsonb_migration
  FROM ch_rt r GROUP BY way ORDER BY way;
DROP SCHEMA ch_copy, ch_expr, ch_gen CASCADE;
DELETE FROM bsperm.backstage_catalogs WHERE catalog_schema::text LIKE 'ch_%';
