-- A committed policy change is seen by the next statement of every session;
-- an uncommitted or rolled-back one by none.  A second session through dblink.
CREATE EXTENSION IF NOT EXISTS bsperm;
CREATE EXTENSION IF NOT EXISTS dblink;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"User","metadata":{"name":"alice"}}'),
 ('{"kind":"Group","metadata":{"name":"team-a"}}');
-- both sessions log in as the same role, mapped to alice
INSERT INTO role_users VALUES (session_user, 'user:default/alice', NULL);
INSERT INTO roles VALUES ('role:default/readers');

SELECT dblink_connect('other', format('dbname=%s port=%s host=%s', current_database(),
  current_setting('port'), split_part(current_setting('unix_socket_directories'), ',', 1))) AS connected;
CREATE FUNCTION _regress_other(perm text DEFAULT 'catalog.location.read') RETURNS text LANGUAGE sql AS $$
  SELECT answer FROM dblink('other', format('SELECT bsperm_authorize(%L)', perm)) AS t(answer text)
$$;

SELECT _regress_other() AS before;                 -- DENY, and the other session has a warm cache
INSERT INTO permission_policies (member, object, action, effect)
  VALUES ('user:default/alice', 'catalog.location.read', 'read', 'allow');
SELECT _regress_other() AS after_commit;           -- ALLOW

BEGIN;
DELETE FROM permission_policies;
SELECT bsperm_authorize('catalog.location.read') AS own_uncommitted_change;
SELECT _regress_other() AS other_before_commit;    -- still ALLOW
COMMIT;
SELECT _regress_other() AS other_after_commit;     -- DENY

BEGIN;
INSERT INTO permission_policies (member, object, action, effect)
  VALUES ('user:default/alice', 'catalog.location.read', 'read', 'allow');
SELECT bsperm_authorize('catalog.location.read') AS own_change_seen;
ROLLBACK;
SELECT bsperm_authorize('catalog.location.read') AS after_rollback,
       _regress_other() AS other_after_rollback;   -- DENY, DENY

-- savepoints: a change rolled back to a savepoint is gone for the next statement,
-- one released stays (the transaction's own row in policy_changes follows them)
BEGIN;
SAVEPOINT s1;
INSERT INTO permission_policies (member, object, action, effect)
  VALUES ('user:default/alice', 'catalog.location.read', 'read', 'allow');
SELECT bsperm_authorize('catalog.location.read') AS in_savepoint;           -- ALLOW
ROLLBACK TO SAVEPOINT s1;
SELECT bsperm_authorize('catalog.location.read') AS after_rollback_to;      -- DENY
SAVEPOINT s2;
INSERT INTO permission_policies (member, object, action, effect)
  VALUES ('user:default/alice', 'catalog.location.read', 'read', 'allow');
RELEASE SAVEPOINT s2;
SELECT bsperm_authorize('catalog.location.read') AS after_release;          -- ALLOW
SAVEPOINT s3;
DELETE FROM permission_policies;
SELECT bsperm_authorize('catalog.location.read') AS deleted_in_savepoint;   -- DENY
ROLLBACK TO SAVEPOINT s3;
SELECT bsperm_authorize('catalog.location.read') AS delete_rolled_back;     -- ALLOW
ROLLBACK;
SELECT bsperm_authorize('catalog.location.read') AS after_all;              -- DENY

-- a repeatable-read transaction keeps answering from its snapshot
SELECT dblink_exec('other', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
SELECT _regress_other() AS rr_first;
INSERT INTO permission_policies (member, object, action, effect)
  VALUES ('user:default/alice', 'catalog.location.read', 'read', 'allow');
SELECT _regress_other() AS rr_same_snapshot;       -- DENY
SELECT dblink_exec('other', 'COMMIT');
SELECT _regress_other() AS rr_next_transaction;    -- ALLOW

-- group membership lives in the catalog: changing a User entity counts too
SELECT bsperm_import_rbac_csv('p, role:default/readers, catalog.location.create, create, allow
g, group:default/team-a, role:default/readers');
SELECT _regress_other('catalog.location.create') AS before_joining;
UPDATE entities SET entity = entity || '{"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'
 WHERE entity_ref = 'user:default/alice';
SELECT _regress_other('catalog.location.create') AS after_joining;
SELECT dblink_exec('other', 'BEGIN');
SELECT * FROM dblink('other', 'SELECT bsperm_set_user(''user:default/alice''), bsperm_current_identity()::text')
  AS t(set text, identity text);
SELECT dblink_exec('other', 'COMMIT');
DELETE FROM entities WHERE entity_ref = 'group:default/team-a';   -- a Group entity changes too
SELECT _regress_other('catalog.location.create') AS group_entity_gone;  -- the relation is on the user: still ALLOW
DELETE FROM entities WHERE entity_ref = 'user:default/alice';
SELECT _regress_other('catalog.location.create') AS user_entity_gone;   -- DENY

SELECT dblink_disconnect('other');
DROP FUNCTION _regress_other(text);
DROP EXTENSION dblink;
DROP EXTENSION bsperm CASCADE;
