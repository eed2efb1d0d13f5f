-- bench/backstage/setup.sql (psql -v n=N): two copies of a Backstage catalog
-- of N entities in the real catalog-backend 4.0.0 schema (schema-tables.sql,
-- schema-indexes.sql: the tables, then the indexes after the bulk load):
-- bs_plain stays unprotected, bs_prot is protected by protect.sql.  Both are owned by bench_bs_owner,
-- Backstage's role; bench_bs_bi is a BI role granted SELECT on everything.
-- Entities: bench_entity(i) (common.sql) with i % 61 extra annotations, so
-- that each has 30 to 90 search rows, as Backstage's do; search rows are
-- bsperm_search_rows() of the entity (what the stitcher writes, compat suite),
-- relations those of the entity, one refresh_state row (unprocessed and
-- processed entity), refresh key, reference and stitch-queue row each.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bs_plain, bs_prot CASCADE;
DELETE FROM bsperm.backstage_catalogs;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_bs_owner') THEN CREATE ROLE bench_bs_owner LOGIN; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_bs_bi') THEN CREATE ROLE bench_bs_bi; END IF;
END $$;
CREATE SCHEMA bs_plain AUTHORIZATION bench_bs_owner;
CREATE SCHEMA bs_prot AUTHORIZATION bench_bs_owner;

CREATE OR REPLACE FUNCTION public.bench_bs_entity(i int) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT e || jsonb_build_object('metadata', (e->'metadata') || jsonb_build_object(
           'annotations', (e #> '{metadata,annotations}') || coalesce(
              (SELECT jsonb_object_agg('example.com/extra-' || k, 'value-' || ((i + k) % 97))
                 FROM generate_series(1, i % 61) k), '{}')))
    FROM (SELECT public.bench_entity(i) e) x
$$;

SET ROLE bench_bs_owner;
SET search_path = bs_plain, public;
\i schema-tables.sql
INSERT INTO refresh_state (entity_id, entity_ref, unprocessed_entity, processed_entity, errors,
                           next_update_at, last_discovery_at, result_hash)
  SELECT md5(i::text), bsperm_entity_ref(e), e::text, e::text, '[]', now(), now(), 'h'
    FROM generate_series(1, :n) i, LATERAL (SELECT public.bench_bs_entity(i) e) x;
INSERT INTO final_entities (entity_id, entity_ref, final_entity, hash, last_updated_at)
  SELECT entity_id, entity_ref, processed_entity, md5(processed_entity), now() FROM refresh_state;
INSERT INTO search (entity_id, key, value, original_value)
  SELECT f.entity_id, left(s.key, 255), left(s.value, 255), left(s.value, 255)
    FROM final_entities f, LATERAL bsperm_search_rows(f.final_entity::jsonb) s
  ON CONFLICT DO NOTHING;
INSERT INTO relations (originating_entity_id, source_entity_ref, type, target_entity_ref)
  SELECT f.entity_id, f.entity_ref, r->>'type', r->>'targetRef'
    FROM final_entities f, jsonb_array_elements(f.final_entity::jsonb -> 'relations') r;
INSERT INTO refresh_state_references (source_key, target_entity_ref) SELECT 'provider', entity_ref FROM refresh_state;
INSERT INTO refresh_keys SELECT entity_id, 'url:https://git.example.com/' || entity_id FROM refresh_state;
INSERT INTO stitch_queue SELECT entity_ref, 't', now() FROM refresh_state;
\i schema-indexes.sql

SET search_path = bs_prot, public;
\i schema-tables.sql
INSERT INTO refresh_state SELECT * FROM bs_plain.refresh_state;
INSERT INTO final_entities SELECT * FROM bs_plain.final_entities;
INSERT INTO search SELECT * FROM bs_plain.search;
INSERT INTO relations SELECT * FROM bs_plain.relations;
INSERT INTO refresh_state_references SELECT * FROM bs_plain.refresh_state_references;
INSERT INTO refresh_keys SELECT * FROM bs_plain.refresh_keys;
INSERT INTO stitch_queue SELECT * FROM bs_plain.stitch_queue;
\i schema-indexes.sql
RESET ROLE;
