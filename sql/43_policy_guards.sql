-- Smaller guards of the policy: a recursive policy function, the database
-- encoding, and logical-replication subscribers.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;
\set VERBOSITY terse

INSERT INTO entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"svc-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}');

-- 1. a policy function that reads a protected table asks for a decision
--    while deciding: a clear error (42P19), not "stack depth limit exceeded"
CREATE ROLE regress_bsperm_reader LOGIN;
GRANT SELECT ON entities TO regress_bsperm_reader;
CREATE FUNCTION public._regress_reading_policy(request jsonb, "user" jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT FROM bsperm.entities WHERE entity_ref = 'component:default/svc-a') THEN
    RETURN '{"result":"ALLOW"}';
  END IF;
  RETURN '{"result":"DENY"}';
END $$;
INSERT INTO policy_config (policy, policy_function)
  VALUES ('function', 'public._regress_reading_policy(jsonb, jsonb)');
INSERT INTO role_users VALUES ('regress_bsperm_reader', 'user:default/alice', NULL);
\c - regress_bsperm_reader
\set VERBOSITY terse
SELECT bsperm_authorize('catalog.location.read');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM bsperm.entities;
\echo :LAST_ERROR_SQLSTATE
-- the session is fine afterwards
SELECT 1 AS still_alive;
\c - postgres
SET search_path = bsperm, public;
\set VERBOSITY terse
-- a superuser bypasses row security: its reads do not recurse
SELECT bsperm_authorize('catalog.location.read') AS superuser_asks;
DELETE FROM policy_config;
DELETE FROM role_users;
DROP FUNCTION public._regress_reading_policy(jsonb, jsonb);
REVOKE ALL ON entities FROM regress_bsperm_reader;
DROP ROLE regress_bsperm_reader;

-- 2. the triggers that keep the cache fresh fire on a logical-replication
--    subscriber too (the apply worker runs with session_replication_role = replica)
--    statement triggers ALWAYS (replica-mode sessions, TRUNCATE), row triggers
--    REPLICA (the apply worker fires row triggers only)
SELECT tgrelid::regclass AS tbl, tgname, tgenabled,
       CASE WHEN tgtype::int & 1 = 1 THEN 'row' ELSE 'statement' END AS level
  FROM pg_trigger
 WHERE tgfoid IN ('bsperm.policy_changed'::regproc, 'bsperm.entities_membership_changed'::regproc,
                  'bsperm.policy_row_changed'::regproc)
 ORDER BY tgrelid::regclass::text, tgname;
INSERT INTO roles (name) VALUES ('role:default/reader');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/reader', 'catalog-entity', 'read', 'allow');
CREATE FUNCTION _regress_decide(u text, perm text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsperm_set_user(u);
  RETURN bsperm_authorize(perm);
END $$;
BEGIN;
SELECT _regress_decide('user:default/alice', 'catalog.entity.read') AS before;
COMMIT;
SET session_replication_role = replica;
INSERT INTO role_members (role, member) VALUES ('role:default/reader', 'group:default/team-a');
BEGIN;
SELECT _regress_decide('user:default/alice', 'catalog.entity.read') AS replicated_grant;
COMMIT;
-- a replicated User entity change (alice leaves team-a)
UPDATE entities SET entity = '{"kind":"User","metadata":{"name":"alice"}}'
 WHERE entity_ref = 'user:default/alice';
BEGIN;
SELECT _regress_decide('user:default/alice', 'catalog.entity.read') AS replicated_leave;
COMMIT;
-- what the apply worker fires: the row triggers alone
ALTER TABLE role_members DISABLE TRIGGER policy_changed;
ALTER TABLE entities DISABLE TRIGGER entities_membership_update;
UPDATE entities SET entity = '{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'
 WHERE entity_ref = 'user:default/alice';
BEGIN;
SELECT _regress_decide('user:default/alice', 'catalog.entity.read') AS row_trigger_rejoin;
COMMIT;
DELETE FROM role_members WHERE member = 'group:default/team-a';
BEGIN;
SELECT _regress_decide('user:default/alice', 'catalog.entity.read') AS row_trigger_revoke;
COMMIT;
ALTER TABLE role_members ENABLE ALWAYS TRIGGER policy_changed;
ALTER TABLE entities ENABLE ALWAYS TRIGGER entities_membership_update;
RESET session_replication_role;
-- outside replica mode the row triggers do not fire (statement triggers do the work)
SELECT last_value AS version_before FROM policy_version_seq \gset
INSERT INTO role_members (role, member) VALUES ('role:default/reader', 'group:default/team-b'),
  ('role:default/reader', 'group:default/team-c');
SELECT last_value - :version_before AS versions_taken FROM policy_version_seq;
DROP FUNCTION _regress_decide(text, text);

-- 3. only UTF8 databases: CREATE EXTENSION elsewhere fails and says why
\set orig_db :DBNAME
CREATE DATABASE regress_bsperm_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE regress_bsperm_ascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c regress_bsperm_latin1
\set VERBOSITY default
CREATE EXTENSION bsperm;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS bsperm_objects FROM pg_namespace WHERE nspname = 'bsperm';
\c regress_bsperm_ascii
\set VERBOSITY terse
CREATE EXTENSION bsperm;
\c :orig_db
DROP DATABASE regress_bsperm_latin1;
DROP DATABASE regress_bsperm_ascii;

DROP EXTENSION bsperm CASCADE;
