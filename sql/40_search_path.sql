-- Code that runs as the extension owner ignores the caller's search_path.
-- Attack: a login role that owns a schema creates a collation named "C" that
-- sorts differently, puts its schema first and asks for a decision, so that
-- the policy loader sorts with it.  The answers must stay as the policy says.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"kind":"Component","metadata":{"name":"own"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-m"}]}'),
 ('{"kind":"Component","metadata":{"name":"other"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-x"}]}');

-- roles whose byte order and ICU root order differ (upper and lower case mixed)
INSERT INTO roles (name)
  SELECT 'role:default/' || n FROM unnest(ARRAY['Alpha', 'beta', 'Charlie', 'deny', 'Echo',
    'foxtrot', 'Golf', 'hotel', 'India', 'juliet', 'Kilo', 'lima', 'Mike', 'november',
    'Oscar', 'papa', 'Quebec', 'romeo', 'Sierra', 'tango', 'Uniform', 'victor', 'cond']) n;
INSERT INTO role_members (role, member)
  SELECT name, 'user:default/mallory' FROM roles;
INSERT INTO permission_policies (role, object, action, effect)
  SELECT name, 'catalog-entity', 'read', 'allow' FROM roles WHERE name <> 'role:default/deny';
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/deny', 'catalog-entity', 'read', 'deny'),
  ('role:default/Alpha', 'catalog-entity', 'delete', 'allow');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/cond', 'catalog', 'catalog-entity', '{delete}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

CREATE ROLE regress_bsperm_evil LOGIN;
CREATE SCHEMA regress_evil40 AUTHORIZATION regress_bsperm_evil;
INSERT INTO role_users VALUES ('regress_bsperm_evil', 'user:default/mallory',
  ARRAY['user:default/mallory', 'group:default/team-m']);

\c - regress_bsperm_evil
\set VERBOSITY terse
-- the answers with an ordinary search_path
SELECT public.bsperm_authorize('catalog.entity.read', 'component:default/own') AS read,
       public.bsperm_authorize('catalog.entity.delete', 'component:default/own') AS delete_own,
       public.bsperm_authorize('catalog.entity.delete', 'component:default/other') AS delete_other;

-- the collation, and a schema-first search_path
CREATE COLLATION regress_evil40."C" (provider = icu, locale = 'und');
SELECT count(*) FILTER (WHERE a COLLATE regress_evil40."C" < b) AS icu_lt,
       count(*) FILTER (WHERE a COLLATE pg_catalog."C" < b) AS c_lt
  FROM (VALUES ('role:default/Alpha', 'role:default/beta'), ('role:default/beta', 'role:default/Charlie')) v(a, b);
SET search_path = regress_evil40, pg_catalog;

-- a policy change as the superuser reloads the cache at the next call, with this search_path
\c - postgres
UPDATE bsperm.roles SET description = 'reload' WHERE name = 'role:default/Alpha';
\c - regress_bsperm_evil
SET search_path = regress_evil40, pg_catalog;
SELECT public.bsperm_authorize('catalog.entity.read', 'component:default/own') AS read,
       public.bsperm_authorize('catalog.entity.delete', 'component:default/own') AS delete_own,
       public.bsperm_authorize('catalog.entity.delete', 'component:default/other') AS delete_other,
       public.bsperm_authorize('catalog.location.read') AS loc_read;
SELECT public.bsperm_authorize('{"items":[{"id":"1","permission":{"type":"resource","name":"catalog.entity.read","attributes":{"action":"read"},"resourceType":"catalog-entity"},"resourceRef":"component:default/own"}]}'::jsonb) AS json_read;
-- the search_path is the caller's again afterwards
SHOW search_path;

-- a trusted session with the same search_path, identity set for the transaction
\c - postgres
UPDATE bsperm.roles SET description = 'reload again' WHERE name = 'role:default/Alpha';
SET search_path = regress_evil40, pg_catalog;
BEGIN;
SELECT public.bsperm_set_user('user:default/mallory', ARRAY['user:default/mallory', 'group:default/team-m']);
SELECT public.bsperm_authorize('catalog.entity.read', 'component:default/own') AS read,
       public.bsperm_authorize('catalog.entity.delete', 'component:default/other') AS delete_other,
       public.bsperm_authorize_conditional('catalog.entity.delete') ->> 'result' AS conditional;
COMMIT;
RESET search_path;

DROP SCHEMA regress_evil40 CASCADE;
DROP EXTENSION bsperm CASCADE;
DROP ROLE regress_bsperm_evil;
