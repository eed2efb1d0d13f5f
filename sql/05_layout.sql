-- Layout: the functions, the @~ operator and the operator class users call are
-- in the schema CREATE EXTENSION installs into ("public" by default); policy
-- tables, the embedded catalog and internal helpers are in schema bsperm.
CREATE EXTENSION IF NOT EXISTS bsperm;
RESET search_path;
SHOW search_path;
SELECT n.nspname AS extension_schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'bsperm';

-- the design card, right after CREATE EXTENSION, without touching search_path
SELECT bsperm_authorize('catalog.entity.read');
SELECT bsperm_matches('{"kind":"Component","metadata":{"name":"a"}}', '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}');
SELECT '{"kind":"Component"}'::jsonb @~ '{"key":"kind","values":["component"]}' AS operator_resolves;

-- a user's own table lands in public, not in bsperm's schema
CREATE TABLE layout_mine (entity jsonb);
SELECT 'layout_mine'::regclass::text AS mine;
CREATE INDEX ON layout_mine USING gin (entity bsperm_entity_ops);
DROP TABLE layout_mine;

-- what is where: every user-facing function is in the extension's schema
SELECT p.proname, p.pronamespace::regnamespace AS schema
  FROM pg_depend d JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bsperm')
 ORDER BY 2, 1;
SELECT c.relname, c.relkind
  FROM pg_class c WHERE c.relnamespace = 'bsperm'::regnamespace AND c.relkind IN ('r', 'S', 'v')
 ORDER BY 1;
-- untrusted roles cannot create objects in either schema
SELECT has_schema_privilege('public', 'bsperm', 'CREATE') AS public_creates_in_bsperm,
       has_schema_privilege('public', 'public', 'CREATE') AS public_creates_in_public;

-- bsperm refuses to install into a schema where every role may create objects
-- (a role could shadow a bsperm function with a better-matching overload)
SELECT current_database() AS regress_db \gset
CREATE DATABASE regress_bsperm_layout;
\c regress_bsperm_layout
SET client_min_messages = warning;
CREATE SCHEMA open_schema;
GRANT CREATE ON SCHEMA open_schema TO PUBLIC;
CREATE EXTENSION bsperm SCHEMA open_schema;
GRANT CREATE ON SCHEMA public TO PUBLIC;
CREATE EXTENSION bsperm;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
-- another schema: the functions follow it, the tables stay in bsperm
CREATE SCHEMA tools;
CREATE EXTENSION bsperm SCHEMA tools;
SELECT 'tools.bsperm_authorize(text,text)'::regprocedure IS NOT NULL AS in_tools,
       to_regclass('bsperm.permissions') IS NOT NULL AS tables_in_bsperm;
SET search_path = tools;
SELECT bsperm_authorize('catalog.entity.read');
SELECT '{"kind":"Component"}'::jsonb @~ '{"key":"kind","values":["component"]}' AS operator_resolves;
RESET search_path;
-- criteria rendered as SQL name the operator's schema
SELECT tools.bsperm_criteria_sql('{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["api"]}}', 'e');
DROP EXTENSION bsperm;
SELECT count(*) AS bsperm_schema_left FROM pg_namespace WHERE nspname = 'bsperm';
\c :regress_db
DROP DATABASE regress_bsperm_layout;
DROP EXTENSION bsperm;
