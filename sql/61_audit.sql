-- The decision audit log (doc/audit.md): off by default, switched on by
-- the owner only, one row per decision (once per statement for row-level
-- security), written with the transaction that decided, bounded.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) SELECT jsonb_build_object('apiVersion', 'backstage.io/v1alpha1',
  'kind', 'Component', 'metadata', jsonb_build_object('name', 'c' || i),
  'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy',
     'targetRef', CASE WHEN i % 2 = 0 THEN 'user:default/alice' ELSE 'user:default/bob' END)))
  FROM generate_series(1, 6) i;
INSERT INTO roles VALUES ('role:default/everyone', NULL);
INSERT INTO policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/everyone', 'catalog.entity.create', 'create', 'allow');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/everyone', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

CREATE ROLE _regress_app;
GRANT bsperm_trusted TO _regress_app;
GRANT USAGE ON SCHEMA bsperm TO _regress_app;
GRANT SELECT ON entities TO _regress_app;

-- off by default: nothing is logged
SELECT count(*) AS settings_rows FROM audit_settings;
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize('catalog.entity.create');
COMMIT;
SELECT count(*) AS rows_while_off FROM decision_log;

-- attack: a role granted the settings table still cannot switch the log (or
-- anything else about it), nor read or change the log
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON audit_settings TO _regress_app;
SET ROLE _regress_app;
INSERT INTO bsperm.audit_settings (enabled) VALUES (true);
UPDATE bsperm.audit_settings SET enabled = true;
DELETE FROM bsperm.audit_settings;
TRUNCATE bsperm.audit_settings;
SELECT count(*) FROM bsperm.decision_log;
DELETE FROM bsperm.decision_log;
RESET ROLE;
REVOKE ALL ON audit_settings FROM _regress_app;

-- the owner switches it on
INSERT INTO audit_settings (enabled) VALUES (true)
  ON CONFLICT (singleton) DO UPDATE SET enabled = excluded.enabled;
SELECT enabled, retention FROM audit_settings;

-- one row per decision, with who asked and the policy version
SET ROLE _regress_app;
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize('catalog.entity.create') AS create,
       bsperm_authorize('catalog.entity.read', 'component:default/c2') AS read_c2,
       bsperm_authorize('catalog.entity.read', 'component:default/c1') AS read_c1,
       bsperm_authorize_conditional('catalog.entity.read') ->> 'result' AS conditional;
SELECT bsperm_authorize(jsonb '{"items":[{"id":"1","permission":{"type":"resource","name":"catalog.entity.read","resourceType":"catalog-entity","attributes":{"action":"read"}},"resourceRef":["component:default/c4","component:default/c5"]}]}') -> 'items' -> 0 -> 'result' AS json_items;
COMMIT;
RESET ROLE;
SELECT session_role, acting_role, user_ref, permission, resource_ref, result, via,
       policy_version = (SELECT max(v) FROM (SELECT version FROM policy_state UNION ALL
                                            SELECT version FROM policy_changes) s(v)) AS current_version,
       decision_id IS NOT NULL AS has_id
  FROM decision_log ORDER BY decided_at, permission, resource_ref;
SELECT count(DISTINCT decision_id) = count(*) AS ids_distinct FROM decision_log;
TRUNCATE decision_log;

-- row-level security: once per statement, not per row (6 rows, 3 visible)
SET ROLE _regress_app;
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT count(*) FROM bsperm.entities;
SELECT entity_ref FROM bsperm.entities ORDER BY 1;
PREPARE q AS SELECT count(*) FROM bsperm.entities;
EXECUTE q;
EXECUTE q;
DEALLOCATE q;
COMMIT;
RESET ROLE;
SELECT user_ref, permission, resource_ref, result, via, count(*) FROM decision_log
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5;
TRUNCATE decision_log;

-- what is not logged: a transaction that rolls back, a read-only
-- transaction, explanations and policy tests
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize('catalog.entity.create');
ROLLBACK;
BEGIN TRANSACTION READ ONLY;
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize('catalog.entity.create');
COMMIT;
SELECT bsperm_explain_for('user:default/alice', NULL, 'catalog.entity.create') ->> 'result' AS explained;
SELECT bsperm_test_policy('[{"user":"user:default/alice","permission":"catalog.entity.create","expected":"ALLOW"}]');
SELECT count(*) AS rows_not_logged FROM decision_log;

-- a savepoint rolled back keeps the decisions made in it (they were made)
BEGIN;
SELECT bsperm_set_user('user:default/bob');
SAVEPOINT s;
SELECT bsperm_authorize('catalog.entity.create');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT user_ref, permission, result FROM decision_log;
TRUNCATE decision_log;

-- retention: old rows go at the next flush of a new session
UPDATE audit_settings SET retention = '1 day';
INSERT INTO decision_log VALUES (gen_random_uuid(), now() - interval '2 days', 'x', 'x', NULL,
  'catalog.entity.create', NULL, 'DENY', 0, 'authorize');
\c
SET search_path = bsperm, public;
BEGIN;
SELECT bsperm_set_user('user:default/bob');
SELECT bsperm_authorize('catalog.entity.create');
COMMIT;
SELECT count(*) FILTER (WHERE decided_at < now() - interval '1 day') AS old_rows,
       count(*) AS rows FROM decision_log;

-- readable by roles the owner grants
GRANT SELECT ON decision_log TO _regress_app;
SET ROLE _regress_app;
SELECT count(*) FROM bsperm.decision_log;
RESET ROLE;

-- off again
DELETE FROM audit_settings;
TRUNCATE decision_log;
DROP OWNED BY _regress_app;
DROP ROLE _regress_app;
TRUNCATE entities;
DELETE FROM conditional_policies; DELETE FROM permission_policies; DELETE FROM role_members;
DELETE FROM roles; DELETE FROM policy_config;
