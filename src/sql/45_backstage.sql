-- bsperm install script, part 45: protecting a live Backstage catalog database.
--
-- bsperm_protect_backstage(schema) protects the tables that Backstage's
-- catalog (@backstage/plugin-catalog-backend 4.0.0, its 45 knex migrations)
-- creates, with Backstage still running on them.  The design, in short
-- (doc/backstage.md explains it to users):
--
-- * Backstage keeps working because its role owns the tables and row
--   security is ENABLED but not FORCED on them: PostgreSQL itself lets a
--   table's owner (and roles with the owner's privileges) bypass the
--   policies.  Nothing the owner does (reads, the stitcher's upserts,
--   deletes, knex migrations) sees a policy.  Roles the caller names are
--   exempt through a permissive policy "TO role USING (true)": only
--   PostgreSQL's role membership decides, nothing a session can set.
--
-- * The entity JSON is parsed once per write, not per read: final_entity is
--   TEXT in 4.0.0 (a later Backstage migration makes it jsonb), so a row
--   trigger on final_entities keeps a jsonb copy in the side table
--   <schema>.bsperm_entities (entity_id, entity_ref, entity jsonb) with a
--   bsperm GIN index.  Its read policy is the ordinary bsperm check,
--   bsperm_rls_check(entity, 'catalog.entity.read'), which the planner folds
--   into true / false / an index condition (src/pg/pg_rls.c): the existing
--   row-security machinery, unchanged.  Every other table's policy asks the
--   side table for the visible entities as an array its own index answers
--   ("search.entity_id = ANY (ARRAY(SELECT s.entity_id FROM bsperm_entities s))":
--   a subquery in a policy is never made a join), after
--   bsperm_rls_allows(permission), which folds to true under ALLOW.  No
--   policy, index or trigger refers to final_entity itself, so Backstage's
--   migration of that column to jsonb
--   (ALTER COLUMN ... TYPE) is not blocked; the trigger casts with ::jsonb,
--   which reads text and is a no-op on jsonb.
--
-- * What each table shows a role that is not exempt is in
--   _bsperm_backstage_tables() below; a table of the catalog's schema that is
--   not known there makes the call refuse, naming it.
--
-- Everything here runs with the caller's rights (CREATE POLICY needs the
-- table owner's); the caller must be the database owner or a superuser.

-- True when the current identity's decision for the permission is ALLOW; folded
-- while a query is planned like bsperm_rls_check (src/pg/pg_rls.c).  Every
-- policy below starts with it: "bsperm_rls_allows(p) OR <subquery>" is true
-- under ALLOW, with no subquery and nothing per row.
CREATE FUNCTION bsperm.bsperm_rls_allows_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_rls_allows_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION bsperm.bsperm_rls_allows(permission text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_rls_allows'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE
SUPPORT bsperm.bsperm_rls_allows_support;
COMMENT ON FUNCTION bsperm.bsperm_rls_allows(text) IS
  'true when the current identity''s decision for the permission is ALLOW (folded while a query is planned)';

-- What bsperm knows of the catalog's tables: per table, how rows are shown to
-- roles that are not exempt, the columns that must exist, and the policy.
--   rule 'filter': visible when the predicate holds (%1$s is the side table,
--                  %2$s the table itself, %3$s bsperm_absent_targets)
--   rule 'hidden': no row is visible (only exempt roles see rows)
--   rule 'open':   no entity content; left as it is
CREATE FUNCTION bsperm._bsperm_backstage_tables()
RETURNS TABLE (table_name name, rule text, columns name[], predicate text, shows text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  VALUES
  -- "= ANY (ARRAY(SELECT ...))": the copy's GIN index finds the visible
  -- entities once per query (an initplan), and the table's own index on the
  -- column fetches their rows (a subquery in a policy is never made a join:
  -- an EXISTS would be asked of every row of the table)
  ('final_entities'::name, 'filter', '{entity_id,entity_ref,final_entity}'::name[],
   '%2$s.entity_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_id::text FROM %1$s s))',
   'rows whose entity the role may read (catalog.entity.read)'),
  ('search', 'filter', '{entity_id,key,value}',
   '%2$s.entity_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_id::text FROM %1$s s))',
   'rows whose entity the role may read'),
  ('refresh_state', 'filter', '{entity_id,entity_ref,unprocessed_entity,processed_entity,errors}',
   '%2$s.entity_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_id::text FROM %1$s s))',
   'rows whose (stitched) entity the role may read; entities not stitched yet are hidden'),
  ('refresh_keys', 'filter', '{entity_id,key}',
   '%2$s.entity_id OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_id::text FROM %1$s s))',
   'rows whose entity the role may read'),
  ('relations', 'filter', '{originating_entity_id,source_entity_ref,type,target_entity_ref}',
   '%2$s.source_entity_ref OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_ref::text FROM %1$s s))'
   ' AND (%2$s.target_entity_ref::text IN (SELECT t.entity_ref::text FROM %1$s t)'
   ' OR %2$s.target_entity_ref::text IN (SELECT a FROM %3$s() a))',
   'rows whose source the role may read and whose target it may read or is not in the catalog'),
  ('refresh_state_references', 'filter', '{source_key,source_entity_ref,target_entity_ref}',
   '%2$s.target_entity_ref OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_ref::text FROM %1$s s))'
   ' AND (%2$s.source_entity_ref IS NULL'
   ' OR EXISTS (SELECT FROM %1$s s WHERE s.entity_ref OPERATOR(pg_catalog.=) %2$s.source_entity_ref))',
   'rows whose target (and source entity, if any) the role may read'),
  ('locations', 'filter', '{id,type,target,location_entity_ref}',
   '%2$s.location_entity_ref OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT s.entity_ref::text FROM %1$s s))',
   'rows whose Location entity the role may read'),
  ('stitch_queue', 'hidden', '{entity_ref}', NULL, 'nothing (bookkeeping of the stitcher)'),
  ('location_update_log', 'hidden', '{}', NULL, 'nothing (legacy log of location updates)'),
  ('knex_migrations', 'open', '{}', NULL, 'everything (names of migrations, no entity content)'),
  ('knex_migrations_lock', 'open', '{}', NULL, 'everything (the migration lock, no entity content)'),
  -- the backend scheduler's tables, which a real backend creates in the catalog's schema or database
  ('backstage_backend_tasks__tasks', 'hidden', '{}', NULL, 'nothing (bookkeeping of the backend scheduler)'),
  ('backstage_backend_tasks__knex_migrations', 'open', '{}', NULL, 'everything (names of the scheduler''s migrations, no entity content)'),
  ('backstage_backend_tasks__knex_migrations_lock', 'open', '{}', NULL, 'everything (the scheduler''s migration lock, no entity content)')
$$;
COMMENT ON FUNCTION bsperm._bsperm_backstage_tables() IS
  'the tables of Backstage''s catalog that bsperm_protect_backstage knows, and what each shows a role that is not exempt';

-- The catalogs protected in this database, as bsperm_protect_backstage left them.
CREATE TABLE bsperm.backstage_catalogs (
  catalog_schema regnamespace PRIMARY KEY,
  final_entities regclass NOT NULL,
  catalog_owner regrole NOT NULL,
  final_entity_type regtype NOT NULL,
  exempt_roles regrole[] NOT NULL DEFAULT '{}',
  -- views bsperm switched to security_invoker (restored by the unprotect call)
  invoker_views regclass[] NOT NULL DEFAULT '{}',
  protected_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
REVOKE ALL ON bsperm.backstage_catalogs FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON bsperm.backstage_catalogs TO PUBLIC;
ALTER TABLE bsperm.backstage_catalogs ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON bsperm.backstage_catalogs FOR SELECT USING (true);
-- only a role with the privileges of the owner of the catalog's final_entities
-- writes its row, and the row must name that table's real owner and schema
-- (a row is what bsperm_unprotect_backstage undoes)
CREATE POLICY owner_writes ON bsperm.backstage_catalogs FOR ALL
  USING (pg_catalog.pg_has_role(current_user, catalog_owner::pg_catalog.oid, 'USAGE'))
  WITH CHECK (pg_catalog.pg_has_role(current_user, catalog_owner::pg_catalog.oid, 'USAGE')
              AND EXISTS (SELECT FROM pg_catalog.pg_class c
                           WHERE c.oid OPERATOR(pg_catalog.=) final_entities::pg_catalog.oid
                             AND c.relowner OPERATOR(pg_catalog.=) catalog_owner::pg_catalog.oid
                             AND c.relnamespace OPERATOR(pg_catalog.=) catalog_schema::pg_catalog.oid));
COMMENT ON TABLE bsperm.backstage_catalogs IS
  'Backstage catalog schemas protected by bsperm_protect_backstage';

-- The caller must be the database owner (or have its privileges) or a superuser.
CREATE FUNCTION bsperm._bsperm_require_database_owner(what text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user,
        (SELECT d.datdba FROM pg_catalog.pg_database d
          WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()), 'USAGE') THEN
    RAISE EXCEPTION 'must be the owner of the database or a superuser to %', what
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Connect as the role that owns the database (often Backstage''s own) or as a superuser.';
  END IF;
END $$;

-- Drops bsperm's policies from a table.
CREATE FUNCTION bsperm._bsperm_backstage_drop_policies(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_read ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_exempt ON %s', tbl);
END $$;

-- Redaction (bsperm_entities_redacted, created by bsperm_protect_backstage).
-- The spec fields from which Backstage's BuiltinKindsEntityProcessor (and the
-- scaffolder's, for Template) makes relations, with the kind a ref in them
-- defaults to (NULL: the ref must name its kind).
CREATE FUNCTION bsperm._bsperm_spec_ref_fields()
RETURNS TABLE (entity_kind text, field text, default_kind text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  VALUES ('component', 'owner', 'group'), ('component', 'system', 'system'),
         ('component', 'subcomponentOf', 'component'), ('component', 'providesApis', 'api'),
         ('component', 'consumesApis', 'api'), ('component', 'dependsOn', NULL),
         ('component', 'dependencyOf', NULL),
         ('api', 'owner', 'group'), ('api', 'system', 'system'),
         ('resource', 'owner', 'group'), ('resource', 'system', 'system'),
         ('resource', 'dependsOn', NULL), ('resource', 'dependencyOf', NULL),
         ('system', 'owner', 'group'), ('system', 'domain', 'domain'),
         ('domain', 'owner', 'group'), ('domain', 'subdomainOf', 'domain'),
         ('group', 'parent', 'group'), ('group', 'children', 'group'), ('group', 'members', 'user'),
         ('user', 'memberOf', 'group'),
         ('template', 'owner', 'group')
$$;

-- A ref written in a spec field, resolved as Backstage's parseEntityRef does
-- (kind:namespace/name, else the field's default kind and the entity's
-- namespace) and lowercased as stringifyEntityRef does; NULL when it names no
-- kind and the field has no default.
CREATE FUNCTION bsperm._bsperm_resolve_ref(ref text, default_kind text, default_namespace text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN k IS NULL OR k OPERATOR(pg_catalog.=) '' THEN NULL
              ELSE pg_catalog.lower(k || ':' ||
                     CASE WHEN pg_catalog.strpos(rest, '/') OPERATOR(pg_catalog.>) 0 THEN rest
                          ELSE coalesce(default_namespace, 'default') || '/' || rest END) END
    FROM (SELECT CASE WHEN pg_catalog.strpos(ref, ':') OPERATOR(pg_catalog.>) 0 THEN pg_catalog.split_part(ref, ':', 1)
                      ELSE default_kind END AS k,
                 CASE WHEN pg_catalog.strpos(ref, ':') OPERATOR(pg_catalog.>) 0 THEN pg_catalog.substr(ref, pg_catalog.strpos(ref, ':') OPERATOR(pg_catalog.+) 1)
                      ELSE ref END AS rest) a
$$;

-- Every ref the entity's spec fields name, resolved (to ask which are readable).
CREATE FUNCTION bsperm._bsperm_spec_refs(entity jsonb)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(pg_catalog.array_agg(DISTINCT r), '{}')
    FROM bsperm._bsperm_spec_ref_fields() f,
         LATERAL (SELECT CASE pg_catalog.jsonb_typeof(entity #> ARRAY['spec', f.field])
                           WHEN 'array' THEN entity #> ARRAY['spec', f.field]
                           ELSE pg_catalog.jsonb_build_array(entity #> ARRAY['spec', f.field]) END AS vals) v,
         LATERAL pg_catalog.jsonb_array_elements(v.vals) x,
         LATERAL (SELECT bsperm._bsperm_resolve_ref(x #>> '{}', f.default_kind, entity #>> '{metadata,namespace}') AS r) y
   WHERE f.entity_kind OPERATOR(pg_catalog.=) pg_catalog.lower(entity ->> 'kind')
     AND pg_catalog.jsonb_typeof(x) OPERATOR(pg_catalog.=) 'string' AND y.r IS NOT NULL
$$;

-- The entity with its relations cut to those named in keep_relations
-- ('<type> <targetRef>'), and every value of a spec field above removed
-- unless the ref it resolves to is the target of a kept relation or in
-- keep_refs (array elements are dropped, a single value's key is removed).
CREATE FUNCTION bsperm._bsperm_redact(entity jsonb, keep_relations text[], keep_refs text[])
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  kept text[];
  f record;
  v jsonb;
  ns text := entity #>> '{metadata,namespace}';
BEGIN
  IF pg_catalog.jsonb_typeof(entity -> 'relations') OPERATOR(pg_catalog.=) 'array' THEN
    entity := pg_catalog.jsonb_set(entity, '{relations}', coalesce(
      (SELECT pg_catalog.jsonb_agg(r ORDER BY o) FROM pg_catalog.jsonb_array_elements(entity -> 'relations') WITH ORDINALITY x(r, o)
        WHERE ((r ->> 'type') || ' ' || (r ->> 'targetRef')) OPERATOR(pg_catalog.=) ANY (keep_relations)), '[]'));
  END IF;
  SELECT coalesce(pg_catalog.array_agg(r ->> 'targetRef'), '{}') OPERATOR(pg_catalog.||) keep_refs INTO kept
    FROM pg_catalog.jsonb_array_elements(coalesce(entity -> 'relations', '[]')) r;
  IF pg_catalog.jsonb_typeof(entity -> 'spec') OPERATOR(pg_catalog.<>) 'object' THEN
    RETURN entity;
  END IF;
  FOR f IN SELECT * FROM bsperm._bsperm_spec_ref_fields() s
            WHERE s.entity_kind OPERATOR(pg_catalog.=) pg_catalog.lower(entity ->> 'kind') LOOP
    v := entity #> ARRAY['spec', f.field];
    CONTINUE WHEN v IS NULL;
    IF pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.=) 'array' THEN
      entity := pg_catalog.jsonb_set(entity, ARRAY['spec', f.field], coalesce(
        (SELECT pg_catalog.jsonb_agg(x ORDER BY o) FROM pg_catalog.jsonb_array_elements(v) WITH ORDINALITY e(x, o)
          WHERE pg_catalog.jsonb_typeof(x) OPERATOR(pg_catalog.=) 'string'
            AND bsperm._bsperm_resolve_ref(x #>> '{}', f.default_kind, ns) OPERATOR(pg_catalog.=) ANY (kept)), '[]'));
    ELSIF pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.<>) 'string'
          OR NOT coalesce(bsperm._bsperm_resolve_ref(v #>> '{}', f.default_kind, ns) OPERATOR(pg_catalog.=) ANY (kept), false) THEN
      entity := entity #- ARRAY['spec', f.field];
    END IF;
  END LOOP;
  RETURN entity;
END $$;
COMMENT ON FUNCTION bsperm._bsperm_redact(jsonb, text[], text[]) IS
  'an entity with the relations not kept and the spec refs not kept removed (bsperm_entities_redacted)';

CREATE FUNCTION @extschema@.bsperm_protect_backstage(
  catalog_schema name DEFAULT 'public',
  exempt_roles regrole[] DEFAULT '{}')
RETURNS TABLE (table_name regclass, shows text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  nsp oid;
  fe oid;
  owner_oid oid;
  etype regtype;
  side text;
  side_oid oid;
  helper text;
  sync_fn text;
  t record;
  r record;
  missing name;
  exempt_list text;
  views regclass[] := '{}';
  prev bsperm.backstage_catalogs;
BEGIN
  PERFORM bsperm._bsperm_require_database_owner('protect a Backstage catalog');
  SELECT n.oid INTO nsp FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) catalog_schema;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schema "%" does not exist', catalog_schema USING ERRCODE = 'invalid_schema_name';
  END IF;
  SELECT c.oid, c.relowner INTO fe, owner_oid FROM pg_catalog.pg_class c
   WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relname OPERATOR(pg_catalog.=) 'final_entities'
     AND c.relkind OPERATOR(pg_catalog.=) 'r';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schema "%" holds no Backstage catalog', catalog_schema
      USING ERRCODE = 'undefined_table',
            DETAIL = 'There is no table final_entities in it.',
            HINT = 'Name the schema of the catalog''s tables (the catalog backend''s knex migrations create them).';
  END IF;
  SELECT a.atttypid::regtype INTO etype FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) fe AND a.attname OPERATOR(pg_catalog.=) 'final_entity'
     AND NOT a.attisdropped;
  IF etype IS NULL OR etype NOT IN ('pg_catalog.text'::regtype, 'pg_catalog.jsonb'::regtype) THEN
    RAISE EXCEPTION 'column final_entity of table %.final_entities has type %, not text or jsonb',
        catalog_schema, coalesce(etype::text, 'none')
      USING ERRCODE = 'datatype_mismatch';
  END IF;
  -- policies are created by the tables' owner (or a superuser)
  IF NOT pg_catalog.pg_has_role(current_user, owner_oid, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %.final_entities', catalog_schema
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = pg_catalog.format('The catalog''s tables are owned by %s.', owner_oid::regrole),
            HINT = 'Call bsperm_protect_backstage as a superuser or as the role that owns the catalog''s tables.';
  END IF;
  SELECT k.table_name INTO missing FROM pg_catalog.unnest('{refresh_state,search,relations}'::name[]) k(table_name)
   WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
                       AND c.relname OPERATOR(pg_catalog.=) k.table_name AND c.relkind IN ('r', 'p'))
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'schema "%" holds no Backstage catalog: table % is missing', catalog_schema, missing
      USING ERRCODE = 'undefined_table',
            DETAIL = 'Backstage''s catalog has final_entities, refresh_state, search and relations.';
  END IF;
  side := pg_catalog.format('%I.bsperm_entities', catalog_schema);
  helper := pg_catalog.format('%I.bsperm_absent_targets', catalog_schema);
  sync_fn := pg_catalog.format('%I.bsperm_sync_entity', catalog_schema);
  SELECT * INTO prev FROM bsperm.backstage_catalogs b WHERE b.catalog_schema OPERATOR(pg_catalog.=) nsp;

  -- every table of the schema is known, owned by the catalog's owner, and has no policies of its own
  FOR r IN SELECT c.oid, c.relname, c.relkind, c.relowner FROM pg_catalog.pg_class c
            WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relkind IN ('r', 'p', 'm', 'f')
            ORDER BY c.relname LOOP
    IF r.relname OPERATOR(pg_catalog.=) 'bsperm_entities' THEN
      IF prev.catalog_schema IS NULL OR r.relowner OPERATOR(pg_catalog.<>) owner_oid THEN
        RAISE EXCEPTION 'table %.bsperm_entities exists and was not created by bsperm_protect_backstage', catalog_schema
          USING ERRCODE = 'duplicate_table',
                HINT = 'bsperm keeps its copy of the entities under that name; drop or rename the table.';
      END IF;
      CONTINUE;
    END IF;
    SELECT * INTO t FROM bsperm._bsperm_backstage_tables() k WHERE k.table_name OPERATOR(pg_catalog.=) r.relname;
    IF NOT FOUND OR r.relkind NOT IN ('r', 'p') THEN
      RAISE EXCEPTION 'cannot protect %.%: it is not a table of Backstage''s catalog', catalog_schema, r.relname
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'bsperm cannot tell whether its rows name or carry entities, so it would stay readable by every role granted SELECT on it.',
              HINT = 'Move it to another schema or drop it, then call bsperm_protect_backstage again.';
    END IF;
    IF r.relowner OPERATOR(pg_catalog.<>) owner_oid THEN
      RAISE EXCEPTION 'cannot protect %.%: it is owned by %, the catalog''s other tables by %',
          catalog_schema, r.relname, r.relowner::regrole, owner_oid::regrole
        USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    SELECT c INTO missing FROM pg_catalog.unnest(t.columns) c
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid OPERATOR(pg_catalog.=) r.oid
                         AND a.attname OPERATOR(pg_catalog.=) c AND NOT a.attisdropped)
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'cannot protect %.%: it has no column "%"', catalog_schema, r.relname, missing
        USING ERRCODE = 'undefined_column',
              DETAIL = 'bsperm knows the tables of @backstage/plugin-catalog-backend 4.0.0 (45 migrations).';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid OPERATOR(pg_catalog.=) r.oid
                  AND p.polname NOT IN ('bsperm_read', 'bsperm_exempt')) THEN
      RAISE EXCEPTION 'cannot protect %.%: it has row-level security policies of its own', catalog_schema, r.relname
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'bsperm''s policies would combine with them.';
    END IF;
  END LOOP;

  -- views that read the catalog as a role that bypasses row security (the
  -- owner and its members, superusers, BYPASSRLS and exempt roles) would show
  -- every row: they are switched to the reader's rights
  FOR r IN SELECT DISTINCT v.oid::regclass AS view, v.relkind, v.reloptions, v.relowner
             FROM pg_catalog.pg_rewrite w
             JOIN pg_catalog.pg_class v ON v.oid OPERATOR(pg_catalog.=) w.ev_class
             JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::regclass
                  AND d.objid OPERATOR(pg_catalog.=) w.oid
                  AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
             JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.refobjid
            WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp AND c.relkind IN ('r', 'p')
              AND c.relname NOT IN ('knex_migrations', 'knex_migrations_lock')
              AND v.oid OPERATOR(pg_catalog.<>) c.oid LOOP
    IF r.relkind OPERATOR(pg_catalog.=) 'm' THEN
      RAISE EXCEPTION 'cannot protect schema "%": materialized view % holds a copy of catalog rows', catalog_schema, r.view
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Drop it, or make it a view.';
    END IF;
    IF NOT coalesce('security_invoker=true' OPERATOR(pg_catalog.=) ANY (r.reloptions)
                    OR 'security_invoker=on' OPERATOR(pg_catalog.=) ANY (r.reloptions), false)
       AND (pg_catalog.pg_has_role(r.relowner, owner_oid, 'USAGE')
            OR r.relowner OPERATOR(pg_catalog.=) ANY (exempt_roles::oid[])
            OR EXISTS (SELECT FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) r.relowner
                         AND (a.rolsuper OR a.rolbypassrls))) THEN
      EXECUTE pg_catalog.format('ALTER VIEW %s SET (security_invoker = true)', r.view);
      views := views OPERATOR(pg_catalog.||) r.view;
    END IF;
  END LOOP;

  -- the side table: a jsonb copy of every stitched entity, readable as the policy allows
  IF prev.catalog_schema IS NULL THEN
    EXECUTE pg_catalog.format(
      'CREATE TABLE %s (entity_id varchar(255) PRIMARY KEY, entity_ref varchar(255) NOT NULL UNIQUE, entity jsonb NOT NULL)', side);
    EXECUTE pg_catalog.format('CREATE INDEX bsperm_entities_entity_idx ON %s USING gin (entity @extschema@.bsperm_entity_ops)', side);
    EXECUTE pg_catalog.format('COMMENT ON TABLE %s IS %L', side,
      'bsperm: a jsonb copy of final_entities, kept by a trigger; each role sees the entities it may read');
    EXECUTE pg_catalog.format('ALTER TABLE %s OWNER TO %I', side, owner_oid::regrole);
  END IF;
  side_oid := side::regclass::oid;

  -- the trigger that keeps it: it casts final_entity with ::jsonb, which
  -- reads text and is a no-op on jsonb, so it does not depend on the type
  EXECUTE pg_catalog.format($sync$
    CREATE OR REPLACE FUNCTION %1$s() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $body$
    BEGIN
      IF TG_RELID OPERATOR(pg_catalog.<>) %3$s::pg_catalog.oid THEN
        RAISE EXCEPTION 'bsperm_sync_entity keeps the copy of %4$s only' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
        TRUNCATE %2$s;
        RETURN NULL;
      END IF;
      IF TG_OP OPERATOR(pg_catalog.=) 'DELETE'
         OR (TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND OLD.entity_id OPERATOR(pg_catalog.<>) NEW.entity_id) THEN
        DELETE FROM %2$s s WHERE s.entity_id OPERATOR(pg_catalog.=) OLD.entity_id;
      END IF;
      IF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
        RETURN NULL;
      END IF;
      IF NEW.final_entity IS NULL THEN
        DELETE FROM %2$s s WHERE s.entity_id OPERATOR(pg_catalog.=) NEW.entity_id;
      ELSIF TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR OLD.final_entity IS DISTINCT FROM NEW.final_entity
            OR OLD.entity_ref OPERATOR(pg_catalog.<>) NEW.entity_ref OR OLD.entity_id OPERATOR(pg_catalog.<>) NEW.entity_id THEN
        INSERT INTO %2$s AS s (entity_id, entity_ref, entity)
          VALUES (NEW.entity_id, NEW.entity_ref, NEW.final_entity::pg_catalog.jsonb)
          ON CONFLICT (entity_id) DO UPDATE SET entity_ref = excluded.entity_ref, entity = excluded.entity;
      END IF;
      RETURN NULL;
    END
    $body$
  $sync$, sync_fn, side, fe, pg_catalog.format('%I.final_entities', catalog_schema));
  EXECUTE pg_catalog.format('ALTER FUNCTION %s() OWNER TO %I', sync_fn, owner_oid::regrole);
  EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', sync_fn);
  EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s() IS %L', sync_fn,
    'bsperm: keeps bsperm_entities equal to final_entities (row trigger on final_entities only)');
  EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS bsperm_sync ON %I.final_entities', catalog_schema);
  EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS bsperm_sync_truncate ON %I.final_entities', catalog_schema);
  EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_sync AFTER INSERT OR UPDATE OR DELETE ON %I.final_entities
                             FOR EACH ROW EXECUTE FUNCTION %s()', catalog_schema, sync_fn);
  EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_sync_truncate AFTER TRUNCATE ON %I.final_entities
                             FOR EACH STATEMENT EXECUTE FUNCTION %s()', catalog_schema, sync_fn);
  -- also where a replica applies the catalog's changes
  EXECUTE pg_catalog.format('ALTER TABLE %I.final_entities ENABLE ALWAYS TRIGGER bsperm_sync', catalog_schema);
  EXECUTE pg_catalog.format('ALTER TABLE %I.final_entities ENABLE ALWAYS TRIGGER bsperm_sync_truncate', catalog_schema);
  -- the copy as final_entities is now
  EXECUTE pg_catalog.format('TRUNCATE %s', side);
  EXECUTE pg_catalog.format(
    'INSERT INTO %s (entity_id, entity_ref, entity)
       SELECT f.entity_id, f.entity_ref, f.final_entity::pg_catalog.jsonb FROM %I.final_entities f
        WHERE f.final_entity IS NOT NULL', side, catalog_schema);
  EXECUTE pg_catalog.format('ANALYZE %s', side);

  -- The targets absent from the catalog of the relations whose source the
  -- caller may read: what the visible rows of relations show anyway, so it
  -- is no oracle for the existence of hidden entities.  The relations policy
  -- asks it once per query (a hashed subplan).  Runs as the catalog's owner,
  -- whom row security does not filter, and tests the sources itself.
  EXECUTE pg_catalog.format($h$
    CREATE OR REPLACE FUNCTION %1$s() RETURNS SETOF text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $body$
      SELECT DISTINCT r.target_entity_ref::text FROM %3$I.relations r
       WHERE r.source_entity_ref::text OPERATOR(pg_catalog.=) ANY (ARRAY(
               SELECT s.entity_ref::text FROM %2$s s WHERE %4$s))
         AND NOT EXISTS (SELECT FROM %2$s t WHERE t.entity_ref OPERATOR(pg_catalog.=) r.target_entity_ref)
    $body$
  $h$, helper, side, catalog_schema, bsperm._bsperm_rls_predicate('entity', 'catalog.entity.read'));
  EXECUTE pg_catalog.format('ALTER FUNCTION %s() OWNER TO %I', helper, owner_oid::regrole);
  EXECUTE pg_catalog.format('COMMENT ON FUNCTION %s() IS %L', helper,
    'bsperm: the targets absent from the catalog of relations whose source the caller may read');

  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(x::text), ', ') INTO exempt_list
    FROM pg_catalog.unnest(exempt_roles) x;

  -- the policies: the side table's is bsperm's own check; the others ask the side table
  FOR t IN SELECT k.*, pg_catalog.format('%I.%I', catalog_schema, k.table_name)::regclass AS rel
             FROM bsperm._bsperm_backstage_tables() k
            WHERE EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) nsp
                            AND c.relname OPERATOR(pg_catalog.=) k.table_name)
           UNION ALL
           SELECT 'bsperm_entities', 'side', '{}', NULL, 'the entities the role may read, as jsonb', side::regclass
  LOOP
    CONTINUE WHEN t.rule OPERATOR(pg_catalog.=) 'open';
    PERFORM bsperm._bsperm_backstage_drop_policies(t.rel);
    IF t.rule OPERATOR(pg_catalog.=) 'filter' THEN
      EXECUTE pg_catalog.format('CREATE POLICY bsperm_read ON %s FOR SELECT USING (bsperm.bsperm_rls_allows(%L) OR (%s))',
                                t.rel, 'catalog.entity.read',
                                pg_catalog.format(t.predicate, side, pg_catalog.quote_ident(t.table_name::text), helper));
    ELSIF t.rule OPERATOR(pg_catalog.=) 'side' THEN
      EXECUTE pg_catalog.format('CREATE POLICY bsperm_read ON %s FOR SELECT USING (%s)', t.rel,
                                bsperm._bsperm_rls_predicate('entity', 'catalog.entity.read'));
    END IF;
    IF exempt_list IS NOT NULL THEN
      EXECUTE pg_catalog.format('CREATE POLICY bsperm_exempt ON %s FOR ALL TO %s USING (true) WITH CHECK (true)',
                                t.rel, exempt_list);
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t.rel);
    -- not forced: the owner (Backstage) bypasses row security, as PostgreSQL lets owners do
    EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', t.rel);
    table_name := t.rel;
    shows := t.shows;
    RETURN NEXT;
  END LOOP;
  -- the policies read the side table with the reader's rights; it shows each role what it may read
  EXECUTE pg_catalog.format('GRANT SELECT ON %s TO PUBLIC', side);
  EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s() TO PUBLIC', helper);

  -- entities with their relations to hidden entities, and the spec values
  -- that name them, removed: what the relations table shows the reader
  EXECUTE pg_catalog.format($v$
    CREATE OR REPLACE VIEW %1$I.bsperm_entities_redacted WITH (security_invoker = true) AS
    SELECT s.entity_id, s.entity_ref,
           bsperm._bsperm_redact(s.entity,
             ARRAY(SELECT r.type || ' ' || r.target_entity_ref FROM %1$I.relations r
                    WHERE r.source_entity_ref OPERATOR(pg_catalog.=) s.entity_ref),
             ARRAY(SELECT t.entity_ref::text FROM %2$s t
                    WHERE t.entity_ref OPERATOR(pg_catalog.=) ANY (bsperm._bsperm_spec_refs(s.entity)))) AS entity
      FROM %2$s s
  $v$, catalog_schema, side);
  EXECUTE pg_catalog.format('ALTER VIEW %I.bsperm_entities_redacted OWNER TO %I', catalog_schema, owner_oid::regrole);
  EXECUTE pg_catalog.format('GRANT SELECT ON %I.bsperm_entities_redacted TO PUBLIC', catalog_schema);
  EXECUTE pg_catalog.format('COMMENT ON VIEW %I.bsperm_entities_redacted IS %L', catalog_schema,
    'bsperm: the entities the reader may read, with relations (and spec refs) to entities it may not read removed');
  table_name := pg_catalog.format('%I.bsperm_entities_redacted', catalog_schema)::regclass;
  shows := 'the entities the role may read, without relations or spec refs to entities it may not read';
  RETURN NEXT;

  INSERT INTO bsperm.backstage_catalogs AS b
         (catalog_schema, final_entities, catalog_owner, final_entity_type, exempt_roles, invoker_views)
  VALUES (nsp, fe, owner_oid, etype, exempt_roles, views)
  ON CONFLICT ON CONSTRAINT backstage_catalogs_pkey DO UPDATE
     SET final_entities = excluded.final_entities, catalog_owner = excluded.catalog_owner,
         final_entity_type = excluded.final_entity_type, exempt_roles = excluded.exempt_roles,
         invoker_views = (SELECT pg_catalog.array_agg(DISTINCT v) FROM pg_catalog.unnest(b.invoker_views OPERATOR(pg_catalog.||) excluded.invoker_views) v),
         protected_at = pg_catalog.now();
  -- decisions read users, groups and resources from the copy (doc/entity-source.md)
  PERFORM bsperm._bsperm_entity_source_follow(side::regclass, 'entity', true);
END $fn$;
COMMENT ON FUNCTION @extschema@.bsperm_protect_backstage(name, regrole[]) IS
  'protect the tables of a Backstage catalog with row-level security driven by bsperm decisions; the owning role (Backstage) and the named roles are exempt';

CREATE FUNCTION @extschema@.bsperm_unprotect_backstage(catalog_schema name DEFAULT 'public')
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $fn$
DECLARE
  was bsperm.backstage_catalogs;
  t record;
  v regclass;
BEGIN
  PERFORM bsperm._bsperm_require_database_owner('unprotect a Backstage catalog');
  SELECT b.* INTO was FROM bsperm.backstage_catalogs b
    JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) b.catalog_schema
   WHERE n.nspname OPERATOR(pg_catalog.=) bsperm_unprotect_backstage.catalog_schema;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'schema "%" holds no catalog protected by bsperm_protect_backstage', catalog_schema
      USING ERRCODE = 'undefined_object';
  END IF;
  IF NOT pg_catalog.pg_has_role(current_user, was.catalog_owner::oid, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %.final_entities', catalog_schema
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR t IN SELECT c.oid::regclass AS rel FROM bsperm._bsperm_backstage_tables() k
             JOIN pg_catalog.pg_class c ON c.relname OPERATOR(pg_catalog.=) k.table_name
                  AND c.relnamespace OPERATOR(pg_catalog.=) was.catalog_schema
            WHERE k.rule OPERATOR(pg_catalog.<>) 'open' LOOP
    PERFORM bsperm._bsperm_backstage_drop_policies(t.rel);
    EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', t.rel);
  END LOOP;
  FOREACH v IN ARRAY was.invoker_views LOOP
    IF pg_catalog.to_regclass(v::text) IS NOT NULL THEN
      EXECUTE pg_catalog.format('ALTER VIEW %s RESET (security_invoker)', v);
    END IF;
  END LOOP;
  EXECUTE pg_catalog.format('DROP VIEW IF EXISTS %I.bsperm_entities_redacted', catalog_schema);
  EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS %I.bsperm_absent_targets()', catalog_schema);
  EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS bsperm_sync ON %I.final_entities', catalog_schema);
  EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS bsperm_sync_truncate ON %I.final_entities', catalog_schema);
  EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS %I.bsperm_sync_entity()', catalog_schema);
  EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS %I.bsperm_relation_target_absent(text, text)', catalog_schema);
  IF pg_catalog.to_regclass(pg_catalog.format('%I.bsperm_entities', catalog_schema)) IS NOT NULL THEN
    PERFORM bsperm._bsperm_entity_source_follow(pg_catalog.format('%I.bsperm_entities', catalog_schema)::regclass, 'entity', false);
  END IF;
  EXECUTE pg_catalog.format('DROP TABLE IF EXISTS %I.bsperm_entities', catalog_schema);
  DELETE FROM bsperm.backstage_catalogs b WHERE b.catalog_schema OPERATOR(pg_catalog.=) was.catalog_schema;
END $fn$;
COMMENT ON FUNCTION @extschema@.bsperm_unprotect_backstage(name) IS
  'undo bsperm_protect_backstage: drop bsperm''s policies, triggers, functions and the jsonb copy, switch row security off again';
