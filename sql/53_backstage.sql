-- doc/backstage.md, "Protect your Backstage database", step by step (keep the
-- two in step), on a minimal copy of catalog-backend 4.0.0's tables; the
-- backstage suite (test/compat/protect.js) does the same on tables built and
-- kept by the real catalog code.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET client_min_messages = warning;
\set SHOW_CONTEXT never

-- 1. Roles: Backstage's own, and a BI tool's
CREATE ROLE backstage LOGIN;
CREATE ROLE bi_reader LOGIN;

-- 2. The catalog as Backstage's migrations leave it (columns bsperm reads)
CREATE SCHEMA catalog AUTHORIZATION backstage;
SET ROLE backstage;
CREATE TABLE catalog.refresh_state (entity_id varchar(255) PRIMARY KEY, entity_ref varchar(255) NOT NULL UNIQUE,
  unprocessed_entity text NOT NULL, processed_entity text, errors text NOT NULL);
CREATE TABLE catalog.final_entities (entity_id varchar(255) PRIMARY KEY REFERENCES catalog.refresh_state ON DELETE CASCADE,
  entity_ref varchar(255) NOT NULL UNIQUE, hash varchar(255) NOT NULL, final_entity text);
CREATE TABLE catalog.search (entity_id varchar(255) REFERENCES catalog.final_entities ON DELETE CASCADE,
  key varchar(255) NOT NULL, value varchar(255), original_value varchar(255));
CREATE TABLE catalog.relations (originating_entity_id varchar(255) NOT NULL, source_entity_ref varchar(255) NOT NULL,
  type varchar(255) NOT NULL, target_entity_ref varchar(255) NOT NULL);
CREATE TABLE catalog.refresh_keys (entity_id varchar(255) NOT NULL, key varchar(255) NOT NULL);
CREATE TABLE catalog.refresh_state_references (id bigserial PRIMARY KEY, source_key text, source_entity_ref text,
  target_entity_ref text NOT NULL);
CREATE TABLE catalog.locations (id uuid PRIMARY KEY, type varchar(255) NOT NULL, target text NOT NULL,
  location_entity_ref varchar(255) NOT NULL);
CREATE TABLE catalog.stitch_queue (entity_ref varchar(255) PRIMARY KEY, stitch_ticket varchar(255) NOT NULL,
  next_stitch_at timestamptz NOT NULL);
CREATE TABLE catalog.location_update_log (id bigserial PRIMARY KEY, status text NOT NULL, message text,
  location_id uuid, entity_name text);
CREATE TABLE catalog.knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz);
CREATE TABLE catalog.knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);

-- three entities, as the stitcher writes them
CREATE FUNCTION catalog._regress_stitch(id text, entity jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO catalog.refresh_state VALUES (id, bsperm_entity_ref(entity), entity::text, entity::text, '[]')
    ON CONFLICT (entity_id) DO UPDATE SET processed_entity = excluded.processed_entity;
  INSERT INTO catalog.final_entities VALUES (id, bsperm_entity_ref(entity), md5(entity::text), entity::text)
    ON CONFLICT (entity_id) DO UPDATE SET final_entity = excluded.final_entity, hash = excluded.hash;
  DELETE FROM catalog.search WHERE entity_id = id;
  INSERT INTO catalog.search SELECT id, key, value, value FROM bsperm_search_rows(entity);
  DELETE FROM catalog.relations WHERE originating_entity_id = id;
  INSERT INTO catalog.relations
    SELECT id, bsperm_entity_ref(entity), r->>'type', r->>'targetRef' FROM jsonb_array_elements(entity->'relations') r;
$$;
SELECT catalog._regress_stitch('id-team-a', '{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-a","namespace":"default"},"spec":{"type":"team","children":[]},"relations":[]}');
SELECT catalog._regress_stitch('id-svc-a', '{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-a","namespace":"default"},"spec":{"type":"service","lifecycle":"production","owner":"team-a","dependsOn":["resource:secret-db"]},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"},{"type":"dependsOn","targetRef":"resource:default/secret-db"}]}');
SELECT catalog._regress_stitch('id-secret-db', '{"apiVersion":"backstage.io/v1alpha1","kind":"Resource","metadata":{"name":"secret-db","namespace":"default"},"spec":{"type":"database","owner":"team-b","dependencyOf":["component:svc-a"]},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"},{"type":"dependencyOf","targetRef":"component:default/svc-a"}]}');
INSERT INTO catalog.stitch_queue VALUES ('component:default/svc-a', 'ticket', now());
RESET ROLE;

-- 3. The policy: everyone reads the groups and what they own; bi_reader is
-- alice of team-a
INSERT INTO bsperm.roles VALUES ('role:default/everyone', 'every signed-in user');
INSERT INTO bsperm.policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, permissions, conditions) VALUES
  ('role:default/everyone', 'catalog', 'catalog-entity', '{catalog.entity.read}',
   '{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}},
              {"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Group"]}}]}');
INSERT INTO bsperm.role_users VALUES
  ('bi_reader', 'user:default/alice', ARRAY['user:default/alice', 'group:default/team-a']);

-- 4. The call, as a superuser (or the database's owner, with the privileges of
-- the tables' owner)
SELECT * FROM bsperm_protect_backstage('catalog');
GRANT USAGE ON SCHEMA catalog TO bi_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA catalog TO bi_reader;
GRANT INSERT, UPDATE, DELETE ON catalog.final_entities TO bi_reader;

-- 5. What the BI role sees
SET SESSION AUTHORIZATION bi_reader;
SELECT entity_ref FROM catalog.final_entities ORDER BY 1;
SELECT count(*) AS search_rows, count(DISTINCT entity_id) AS entities FROM catalog.search;
SELECT source_entity_ref, type, target_entity_ref FROM catalog.relations ORDER BY 1, 2;
SELECT entity_ref FROM catalog.refresh_state ORDER BY 1;
SELECT count(*) AS queued FROM catalog.stitch_queue;
SELECT entity_ref, entity->'relations' AS relations, entity->'spec' AS spec FROM catalog.bsperm_entities_redacted ORDER BY 1;
-- what it cannot do
SELECT bsperm_unprotect_backstage('catalog');
SELECT bsperm_protect_backstage('catalog');
WITH u AS (UPDATE catalog.final_entities SET final_entity = NULL RETURNING 1) SELECT count(*) AS updated FROM u;
WITH d AS (DELETE FROM catalog.final_entities RETURNING 1) SELECT count(*) AS deleted FROM d;
INSERT INTO catalog.final_entities VALUES ('x', 'component:default/x', 'x', '{}');
SELECT catalog.bsperm_relation_target_absent('component:default/svc-a', 'resource:default/secret-db') AS reveals;
RESET SESSION AUTHORIZATION;

-- 6. Backstage keeps working: it reads and writes every row
SET ROLE backstage;
SELECT count(*) AS entities FROM catalog.final_entities;
SELECT catalog._regress_stitch('id-secret-db', '{"apiVersion":"backstage.io/v1alpha1","kind":"Resource","metadata":{"name":"secret-db","namespace":"default"},"spec":{"type":"database","owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}');
RESET ROLE;
SET SESSION AUTHORIZATION bi_reader;
SELECT entity_ref FROM catalog.final_entities ORDER BY 1;
RESET SESSION AUTHORIZATION;

-- 7. Undo
SELECT bsperm_unprotect_backstage('catalog');
SELECT c.relname, c.relrowsecurity FROM pg_class c
 WHERE c.relnamespace = 'catalog'::regnamespace AND c.relkind = 'r' ORDER BY 1;

-- the refusals: a table bsperm does not know, no catalog, not the database owner
CREATE TABLE catalog.notes (note text);
SELECT bsperm_protect_backstage('catalog');
DROP TABLE catalog.notes;
SELECT bsperm_protect_backstage('nowhere');
SELECT bsperm_protect_backstage('pg_catalog');
SET ROLE backstage;
SELECT bsperm_protect_backstage('catalog');
RESET ROLE;

-- clean up
DROP SCHEMA catalog CASCADE;
DELETE FROM bsperm.role_users WHERE role_name = 'bi_reader';
DELETE FROM bsperm.conditional_policies WHERE role = 'role:default/everyone';
DELETE FROM bsperm.policy_config;
DELETE FROM bsperm.roles WHERE name = 'role:default/everyone';
DROP ROLE bi_reader;
DROP ROLE backstage;
