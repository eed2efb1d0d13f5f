-- Identity: who asks, for how long, and where the claims come from.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"Group","metadata":{"name":"org"}}'),
 ('{"kind":"Group","metadata":{"name":"team-a"},"relations":[{"type":"childOf","targetRef":"group:default/org"}]}'),
 ('{"kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"},{"type":"ownerOf","targetRef":"component:default/x"},{"type":"memberOf","targetRef":"user:default/odd"}]}'),
 ('{"kind":"User","metadata":{"name":"bob"}}');

-- nobody set, no mapping: anonymous
SELECT bsperm_current_user() IS NULL AS anonymous, bsperm_current_identity();

-- set for the transaction only: gone at COMMIT and at ROLLBACK
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_current_identity();
COMMIT;
SELECT bsperm_current_identity();
BEGIN;
SELECT bsperm_set_user('user:default/alice');
ROLLBACK;
SELECT bsperm_current_user();

-- a pooled connection: request 1 sets alice and commits; request 2 on the same
-- connection is anonymous unless it sets its own user
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_current_user() AS request_1;
COMMIT;
BEGIN;
SELECT bsperm_current_user() AS request_2;
COMMIT;
-- an error ends the transaction, and the identity with it
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT 1 / 0;
ROLLBACK;
SELECT bsperm_current_user() AS after_error;

-- outside a transaction block it lasts for its own statement only
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_current_user() AS next_statement;

-- ownership refs computed from the catalog: the ref and direct memberOf groups;
-- bsperm.transitive_ownership adds ancestor groups
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_current_identity() -> 'ownershipEntityRefs' AS direct;
SET LOCAL bsperm.transitive_ownership = on;
SELECT bsperm_current_identity() -> 'ownershipEntityRefs' AS transitive;
-- a user missing from the catalog owns only itself
SELECT bsperm_set_user('user:default/nobody');
SELECT bsperm_current_identity() -> 'ownershipEntityRefs' AS unknown_user;
-- given refs are taken as they are
SELECT bsperm_set_user('user:default/bob', ARRAY['user:default/bob', 'group:default/from-token']);
SELECT bsperm_current_identity();
SELECT bsperm_set_user('user:default/bob', '{}');
SELECT bsperm_current_identity();
-- NULL: explicitly anonymous for this transaction
SELECT bsperm_set_user(NULL);
SELECT bsperm_current_identity();
COMMIT;

-- savepoints: ROLLBACK TO undoes what was set after the savepoint, RELEASE keeps it
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SAVEPOINT s1;
SELECT bsperm_set_user('user:default/bob');
SELECT bsperm_current_user() AS inside_s1;
ROLLBACK TO SAVEPOINT s1;
SELECT bsperm_current_user() AS after_rollback_to;
SAVEPOINT s2;
SELECT bsperm_set_user('user:default/bob');
SAVEPOINT s3;
SELECT bsperm_set_user('user:default/carol');
RELEASE SAVEPOINT s3;
SELECT bsperm_current_user() AS after_release;
ROLLBACK TO SAVEPOINT s2;
SELECT bsperm_current_user() AS after_outer_rollback_to;
SAVEPOINT s4;
SELECT bsperm_set_user('user:default/bob');
RELEASE SAVEPOINT s4;
SELECT bsperm_current_user() AS released_to_top;
ROLLBACK;
SELECT bsperm_current_user() AS after_rollback;
-- a savepoint that never set anything leaves the outer identity alone
BEGIN;
SAVEPOINT a;
SELECT bsperm_set_user('user:default/alice');
RELEASE SAVEPOINT a;
SAVEPOINT b;
SELECT 1;
ROLLBACK TO SAVEPOINT b;
SELECT bsperm_current_user() AS kept;
COMMIT;
-- PL/pgSQL exception blocks are subtransactions too
BEGIN;
SELECT bsperm_set_user('user:default/alice');
DO $$
BEGIN
  PERFORM bsperm_set_user('user:default/bob');
  RAISE EXCEPTION 'boom';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'inside handler: %', bsperm_current_user();
END $$;
SELECT bsperm_current_user() AS after_exception_block;
COMMIT;

-- invalid user refs
\set VERBOSITY default
SELECT bsperm_set_user('alice');
SELECT bsperm_set_user('user:alice');
SELECT bsperm_set_user('user:default/');
SELECT bsperm_set_user('user:default/Alice');
SELECT bsperm_set_user('user:default/alice', ARRAY['user:default/alice', NULL]);
SELECT bsperm_set_user('user:default/alice', ARRAY[['user:default/alice']]);
SELECT bsperm_set_user(NULL, ARRAY['user:default/alice']);
\set VERBOSITY terse

-- role mapping: a login role gets its Backstage user from bsperm.role_users
-- (looked up by session_user; SET ROLE does not change it)
CREATE ROLE regress_bsperm_alice LOGIN;
CREATE ROLE regress_bsperm_bob_role;
GRANT regress_bsperm_bob_role TO regress_bsperm_alice;
INSERT INTO role_users VALUES ('regress_bsperm_alice', 'user:default/alice', NULL),
  ('regress_bsperm_bob_role', 'user:default/bob', '{user:default/bob}');
\c - regress_bsperm_alice
SELECT bsperm_current_identity();
SET ROLE regress_bsperm_bob_role;
SELECT bsperm_current_identity() ->> 'userEntityRef' AS after_set_role;
RESET ROLE;
\c - postgres
SET search_path = bsperm, public;
-- a trusted session can still act for someone else, for one transaction
BEGIN;
SET SESSION AUTHORIZATION regress_bsperm_alice;
SELECT bsperm_current_user() AS mapped;
RESET SESSION AUTHORIZATION;
SELECT bsperm_set_user('user:default/bob');
SET SESSION AUTHORIZATION regress_bsperm_alice;
SELECT bsperm_current_user() AS set_beats_mapping;
RESET SESSION AUTHORIZATION;
COMMIT;

-- members of bsperm_trusted may set users; the check follows current_user
CREATE ROLE regress_bsperm_app;
GRANT bsperm_trusted TO regress_bsperm_app;
SET ROLE regress_bsperm_app;
BEGIN;
SELECT bsperm_set_user('user:default/bob');
SELECT bsperm_current_user() AS set_by_trusted_role;
COMMIT;
RESET ROLE;

DROP OWNED BY regress_bsperm_alice, regress_bsperm_bob_role, regress_bsperm_app;
DROP ROLE regress_bsperm_alice, regress_bsperm_bob_role, regress_bsperm_app;
DROP EXTENSION bsperm CASCADE;
