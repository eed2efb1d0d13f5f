-- The identity cache frees what it evicts: 10,000 distinct identities in one
-- backend (a pooled connection acting for user after user) keep bsperm's
-- memory bounded.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO roles (name) VALUES ('role:default/reader');
INSERT INTO role_members (role, member) VALUES ('role:default/reader', 'group:default/team');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/reader', 'catalog-entity', 'read', 'allow');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/reader', 'catalog', 'catalog-entity', '{delete}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

CREATE FUNCTION _regress_bsperm_bytes() RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(sum(total_bytes), 0)::bigint FROM pg_backend_memory_contexts
   WHERE name IN ('bsperm policy cache', 'bsperm identity') $$;
CREATE FUNCTION _regress_backend_bytes() RETURNS bigint LANGUAGE sql AS $$
  SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts $$;

INSERT INTO policy_config (use_ownership_entity_refs) VALUES (true);  -- roles through the group ref

-- warm up: the cache and sixteen identities
BEGIN;
DO $$
BEGIN
  FOR i IN 1..16 LOOP
    PERFORM bsperm_set_user('user:default/warm' || i, ARRAY['user:default/warm' || i, 'group:default/team']);
    PERFORM bsperm_authorize('catalog.entity.read');
    PERFORM bsperm_authorize_conditional('catalog.entity.delete');
  END LOOP;
END $$;
COMMIT;
CREATE TEMP TABLE regress_before AS SELECT _regress_bsperm_bytes() AS bsperm, _regress_backend_bytes() AS backend;

-- 10,000 distinct identities, each with memoized decisions
BEGIN;
DO $$
BEGIN
  FOR i IN 1..10000 LOOP
    PERFORM bsperm_set_user('user:default/u' || i, ARRAY['user:default/u' || i, 'group:default/team']);
    PERFORM bsperm_authorize('catalog.entity.read');
    PERFORM bsperm_authorize_conditional('catalog.entity.delete');
  END LOOP;
END $$;
COMMIT;

SELECT _regress_bsperm_bytes() < 1024 * 1024 AS bsperm_below_1mb,
       _regress_bsperm_bytes() <= 2 * (SELECT bsperm FROM regress_before) + 65536 AS bsperm_not_grown,
       _regress_backend_bytes() < (SELECT backend FROM regress_before) + 8 * 1024 * 1024 AS backend_grew_below_8mb;
-- sixteen identities at most are kept
SELECT count(*) <= 16 AS at_most_16 FROM pg_backend_memory_contexts WHERE name = 'bsperm identity';

-- a policy change frees them all
UPDATE roles SET description = 'changed';
BEGIN;
SELECT bsperm_set_user('user:default/after', ARRAY['user:default/after', 'group:default/team']);
SELECT bsperm_authorize('catalog.entity.read') AS after_reload;
COMMIT;
SELECT count(*) AS identities_after_reload FROM pg_backend_memory_contexts WHERE name = 'bsperm identity';

DROP FUNCTION _regress_bsperm_bytes(), _regress_backend_bytes();
DROP EXTENSION bsperm CASCADE;
