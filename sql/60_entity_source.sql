-- The entity source: decisions read users, groups, memberships, ownership
-- refs and resources from bsperm.entities, or from the relation that
-- bsperm.entity_source names (here a table laid out like Backstage's
-- final_entities: entity_ref varchar, final_entity TEXT, NULL until stitched).
-- (a fresh extension whatever the tests before left)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS bsperm CASCADE;
CREATE EXTENSION bsperm;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SET search_path = bsperm, public;

CREATE SCHEMA backstage;
CREATE TABLE backstage.final_entities (
  entity_id varchar(255) PRIMARY KEY,
  hash varchar(255) NOT NULL DEFAULT '',
  final_entity text,
  entity_ref varchar(255) NOT NULL UNIQUE
);
INSERT INTO backstage.final_entities (entity_id, entity_ref, final_entity) VALUES
 ('1', 'user:default/alice', '{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"alice","namespace":"default"},"spec":{"memberOf":["team-a"]},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('2', 'user:default/bob',   '{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"bob","namespace":"default"},"spec":{},"relations":[]}'),
 ('3', 'group:default/team-a', '{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-a","namespace":"default"},"spec":{"type":"team","children":[]},"relations":[{"type":"childOf","targetRef":"group:default/eng"},{"type":"hasMember","targetRef":"user:default/alice"}]}'),
 ('4', 'group:default/eng', '{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"eng","namespace":"default"},"spec":{"type":"org","children":["team-a"]},"relations":[{"type":"parentOf","targetRef":"group:default/team-a"}]}'),
 ('5', 'component:default/svc-a', '{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-a","namespace":"default"},"spec":{"owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('6', 'component:default/svc-b', '{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-b","namespace":"default"},"spec":{"owner":"eng"},"relations":[{"type":"ownedBy","targetRef":"group:default/eng"}]}'),
 ('7', 'component:default/pending', NULL);

-- the policy: members of groups in role:default/owners read what they own
INSERT INTO roles VALUES ('role:default/owners');
INSERT INTO role_members VALUES ('role:default/owners', 'group:default/team-a');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owners', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
CREATE FUNCTION _answers(who text) RETURNS TABLE (resource text, answer text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsperm_set_user(who);
  RETURN QUERY SELECT r, bsperm_authorize('catalog.entity.read', r)
    FROM unnest(ARRAY['component:default/svc-a', 'component:default/svc-b', 'component:default/pending']) r;
END $$;

-- default source: bsperm.entities is empty, alice has no groups, no role, nothing
SELECT * FROM entity_source;
BEGIN; SELECT * FROM _answers('user:default/alice'); COMMIT;

-- a bad source is refused, saying what is missing
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.final_entities', 'entity');
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.final_entities', 'hash');
CREATE TABLE backstage.no_ref (ref text, entity jsonb);
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.no_ref', 'entity');
DROP TABLE backstage.no_ref;
CREATE VIEW backstage.a_view AS SELECT entity_ref, final_entity FROM backstage.final_entities;
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.a_view', 'final_entity');
DROP VIEW backstage.a_view;

-- Backstage's table as the source: memberships from the stitched memberOf
-- relations, resources from final_entity (TEXT), unstitched rows absent
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.final_entities', 'final_entity');
BEGIN; SELECT * FROM _answers('user:default/alice'); COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/alice');
SELECT jsonb_path_query_first(bsperm_authorize_conditional('catalog.entity.read'), '$.**.claims') AS claims;
COMMIT;
-- childOf walks up through the same lookup
SET bsperm.transitive_ownership = on;
BEGIN; SELECT * FROM _answers('user:default/alice'); COMMIT;
RESET bsperm.transitive_ownership;
-- bob is in no group of the role
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;
-- apply-conditions loads its resources from the source too
SELECT bsperm_apply_conditions('{"items":[
 {"id":"1","resourceRef":"component:default/svc-a","resourceType":"catalog-entity",
  "conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}},
 {"id":"2","resourceRef":"component:default/pending","resourceType":"catalog-entity",
  "conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}}]}'::jsonb);

-- the triggers that keep memberships current are on the source
SELECT tgname, tgfoid::regproc, tgenabled FROM pg_trigger
 WHERE tgrelid = 'backstage.final_entities'::regclass ORDER BY tgname;

-- a membership change in Backstage's table is seen by the next statement,
-- in this session and in another one (whose cache is warm)
SELECT dblink_connect('other', format('dbname=%s port=%s host=%s', current_database(),
  current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1))) AS connected;
CREATE FUNCTION _other(who text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text;
BEGIN
  PERFORM dblink_exec('other', 'BEGIN');
  PERFORM * FROM dblink('other', format('SELECT bsperm_set_user(%L)::text', who)) AS t(x text);
  SELECT x INTO a FROM dblink('other',
    'SELECT bsperm_authorize(''catalog.entity.read'', ''component:default/svc-a'')') AS t(x text);
  PERFORM dblink_exec('other', 'COMMIT');
  RETURN a;
END $$;
SELECT _other('user:default/alice') AS other_alice, _other('user:default/bob') AS other_bob;
UPDATE backstage.final_entities
   SET final_entity = '{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"alice","namespace":"default"},"spec":{},"relations":[]}'
 WHERE entity_ref = 'user:default/alice';
BEGIN; SELECT * FROM _answers('user:default/alice'); COMMIT;
UPDATE backstage.final_entities
   SET final_entity = '{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"bob","namespace":"default"},"spec":{},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'
 WHERE entity_ref = 'user:default/bob';
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;
SELECT _other('user:default/alice') AS other_alice, _other('user:default/bob') AS other_bob;

-- a role mapped to bob reads Backstage's rows through row-level security,
-- and sees what bsperm_authorize says
ALTER TABLE backstage.final_entities
  ADD COLUMN entity jsonb GENERATED ALWAYS AS (final_entity::jsonb) STORED;
SELECT bsperm_protect('backstage.final_entities');
CREATE ROLE _bob_bi LOGIN;
GRANT USAGE ON SCHEMA backstage TO _bob_bi;
GRANT SELECT ON backstage.final_entities TO _bob_bi;
INSERT INTO role_users (role_name, user_ref) VALUES ('_bob_bi', 'user:default/bob');
SET SESSION AUTHORIZATION _bob_bi;
SELECT entity_ref FROM backstage.final_entities ORDER BY entity_ref;
SELECT bsperm_authorize('catalog.entity.read', 'component:default/svc-a') AS svc_a,
       bsperm_authorize('catalog.entity.read', 'component:default/svc-b') AS svc_b;
-- a plan that folded bob's decision follows a change of source, and a
-- membership change in the source, at its next execution
PREPARE bob_rows AS SELECT count(*) FROM backstage.final_entities;
SET plan_cache_mode = force_generic_plan;
EXECUTE bob_rows;
RESET SESSION AUTHORIZATION;
DELETE FROM entity_source;
SET SESSION AUTHORIZATION _bob_bi;
EXECUTE bob_rows;
RESET SESSION AUTHORIZATION;
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.final_entities', 'final_entity');
SET SESSION AUTHORIZATION _bob_bi;
EXECUTE bob_rows;
RESET SESSION AUTHORIZATION;
UPDATE backstage.final_entities SET final_entity = replace(final_entity, '"memberOf"', '"was"')
 WHERE entity_ref = 'user:default/bob';
SET SESSION AUTHORIZATION _bob_bi;
EXECUTE bob_rows;
RESET SESSION AUTHORIZATION;
UPDATE backstage.final_entities SET final_entity = replace(final_entity, '"was"', '"memberOf"')
 WHERE entity_ref = 'user:default/bob';
SET SESSION AUTHORIZATION _bob_bi;
EXECUTE bob_rows;
RESET plan_cache_mode;
DEALLOCATE bob_rows;
-- nobody but the owner writes the source (it decides everyone's memberships)
INSERT INTO bsperm.entity_source (relation, entity_column) VALUES ('backstage.final_entities', 'entity');
DELETE FROM bsperm.entity_source;
-- the protecting call's helper only warns for it
SELECT bsperm._bsperm_entity_source_follow('backstage.final_entities', 'entity', true);
SELECT bsperm._bsperm_entity_source_follow('backstage.final_entities', 'final_entity', false);
RESET SESSION AUTHORIZATION;

-- the source may be a generated jsonb column (parsed when written, not when read);
-- the helper changes it for the owner, and does nothing when it is already so
SELECT bsperm._bsperm_entity_source_follow('backstage.final_entities', 'entity', true);
SELECT bsperm._bsperm_entity_source_follow('backstage.final_entities', 'entity', true);
SELECT * FROM entity_source;
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;
SELECT tgname FROM pg_trigger WHERE tgrelid = 'backstage.final_entities'::regclass AND tgname ~ '^bsperm_membership'
 ORDER BY tgname LIMIT 2;

-- renamed, or its column turned into jsonb (Backstage's later migration): still read
ALTER TABLE backstage.final_entities RENAME TO final_entities_renamed;
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;
ALTER TABLE backstage.final_entities_renamed RENAME TO final_entities;
UPDATE entity_source SET entity_column = 'final_entity';
SELECT bsperm_unprotect('backstage.final_entities');
ALTER TABLE backstage.final_entities DROP COLUMN entity;
ALTER TABLE backstage.final_entities ALTER COLUMN final_entity TYPE jsonb USING final_entity::jsonb;
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;

-- back to bsperm.entities: the triggers leave Backstage's table
SELECT bsperm._bsperm_entity_source_follow('bsperm.entities', 'entity', false);   -- not the source: nothing
SELECT count(*) FROM entity_source;
SELECT bsperm._bsperm_entity_source_follow('backstage.final_entities', 'entity', false);
SELECT count(*) AS bsperm_triggers FROM pg_trigger
 WHERE tgrelid = 'backstage.final_entities'::regclass AND tgname ~ '^bsperm_membership';
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;
SELECT _other('user:default/bob') AS other_session;

-- the table's owner cannot make decisions run its code: a column type of its
-- own, whose cast to jsonb would run as the extension's owner, is refused at
-- the lookup, under the table's lock, before anything is read
\set bob_is_a_user '{"items":[{"id":"1","resourceRef":"user:default/bob","resourceType":"catalog-entity","conditions":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["user"]}}}]}'
CREATE ROLE _catalog_owner;
CREATE TABLE backstage.owned (entity_ref text PRIMARY KEY, doc text);
INSERT INTO backstage.owned VALUES ('user:default/bob', '{"kind":"User","metadata":{"name":"bob"}}');
ALTER TABLE backstage.owned OWNER TO _catalog_owner;
GRANT USAGE, CREATE ON SCHEMA backstage TO _catalog_owner;
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.owned', 'doc');
SET ROLE _catalog_owner;
-- an index predicate of its own, which a planner would fold (run) when planning a read
CREATE FUNCTION backstage._spy(int) RETURNS boolean IMMUTABLE LANGUAGE plpgsql
  AS $$ BEGIN RAISE NOTICE 'the table owner''s code ran as %', current_user; RETURN true; END $$;
SET client_min_messages = warning;     -- (it runs as the owner while the index is built)
CREATE INDEX owned_spy ON backstage.owned (entity_ref) WHERE backstage._spy(1);
RESET client_min_messages;
RESET ROLE;
SELECT bsperm_apply_conditions(:'bob_is_a_user');
SET ROLE _catalog_owner;
DROP INDEX backstage.owned_spy;
-- a column type of its own, with its own cast to jsonb
CREATE TABLE backstage.ran_as (who name);
CREATE TYPE backstage.evil AS ENUM ('x');
CREATE FUNCTION backstage._evil_jsonb(backstage.evil) RETURNS jsonb LANGUAGE sql
  AS $$ INSERT INTO backstage.ran_as VALUES (current_user) RETURNING '{}'::jsonb $$;
CREATE CAST (backstage.evil AS jsonb) WITH FUNCTION backstage._evil_jsonb(backstage.evil);
ALTER TABLE backstage.owned ALTER COLUMN doc TYPE backstage.evil USING 'x';
RESET ROLE;
SELECT bsperm_apply_conditions(:'bob_is_a_user');
SELECT count(*) AS code_of_the_owner_ran FROM backstage.ran_as;
DELETE FROM entity_source;
DROP TABLE backstage.owned, backstage.ran_as;
DROP CAST (backstage.evil AS jsonb);
DROP FUNCTION backstage._evil_jsonb(backstage.evil), backstage._spy(int);
DROP TYPE backstage.evil;
REVOKE ALL ON SCHEMA backstage FROM _catalog_owner;
DROP ROLE _catalog_owner;

-- a dropped source is an error that says so, not an empty catalog
INSERT INTO entity_source (relation, entity_column) VALUES ('backstage.final_entities', 'final_entity');
SELECT _other('user:default/bob') AS other_session;
DROP TABLE backstage.final_entities;
\set VERBOSITY default
BEGIN; SELECT * FROM _answers('user:default/bob'); COMMIT;
\set VERBOSITY terse
DELETE FROM entity_source;

SELECT dblink_disconnect('other');
DELETE FROM role_users;
DROP SCHEMA backstage CASCADE;
DROP FUNCTION _answers(text);
DROP FUNCTION _other(text);
DROP ROLE _bob_bi;
DROP EXTENSION bsperm CASCADE;
DROP EXTENSION dblink;
