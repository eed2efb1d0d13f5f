-- bsperm install script, part 40: row-level security on catalog tables.
-- See src/pg/pg_rls.c for how decisions are folded into plans.

-- Marker whose relcache invalidation tells every backend that policy data
-- changed (pg_rls.c).  It holds no rows.
CREATE TABLE @extschema@.policy_epoch (dummy boolean);
REVOKE ALL ON @extschema@.policy_epoch FROM PUBLIC;

CREATE FUNCTION @extschema@.bsperm_policy_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'bsperm_policy_changed'
LANGUAGE C;
-- Every use makes all sessions re-plan: only the extension's owner attaches it
-- (grant EXECUTE to the owner of tables that feed a custom policy function).
REVOKE EXECUTE ON FUNCTION @extschema@.bsperm_policy_changed() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.bsperm_policy_changed() IS
  'statement trigger on policy tables: makes every session replan and re-decide after the change commits';

CREATE FUNCTION @extschema@.bsperm_rls_filter_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_rls_filter_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bsperm_rls_filter(permission text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_rls_filter'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED
SUPPORT @extschema@.bsperm_rls_filter_support;
COMMENT ON FUNCTION @extschema@.bsperm_rls_filter(text) IS
  'the EntityFilter row-level security applies for a permission and the current identity: {"allOf":[]} for ALLOW, {"anyOf":[]} for DENY, the conditions'' filter otherwise';

-- Which tables are protected, and which permission each command needs.
CREATE TABLE @extschema@.protected_tables (
  relid regclass PRIMARY KEY,
  entity_column name NOT NULL,
  select_permission text NOT NULL DEFAULT 'catalog.entity.read',
  insert_permission text NOT NULL DEFAULT 'catalog.entity.create',
  update_permission text NOT NULL DEFAULT 'catalog.entity.refresh',
  delete_permission text NOT NULL DEFAULT 'catalog.entity.delete'
);
-- Owners register their own tables (bsperm_protect runs with the caller's
-- rights, since only the owner may create policies); nobody else's.
REVOKE ALL ON @extschema@.protected_tables FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.protected_tables TO PUBLIC;
ALTER TABLE @extschema@.protected_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON @extschema@.protected_tables FOR SELECT USING (true);
CREATE POLICY owner_writes ON @extschema@.protected_tables FOR ALL
  USING (pg_catalog.pg_has_role(current_user,
           (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relid), 'USAGE'))
  WITH CHECK (pg_catalog.pg_has_role(current_user,
           (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relid), 'USAGE'));
COMMENT ON TABLE @extschema@.protected_tables IS
  'tables protected by bsperm row-level security and the permission each command requires';

CREATE FUNCTION @extschema@._bsperm_rls_predicate(entity_column name, permission text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.format('%I OPERATOR(@extschema@.@~) @extschema@.bsperm_rls_filter(%L)', entity_column, permission) $$;

CREATE FUNCTION @extschema@.bsperm_protect(
  tbl regclass,
  entity_column name DEFAULT 'entity',
  select_permission text DEFAULT 'catalog.entity.read',
  insert_permission text DEFAULT 'catalog.entity.create',
  update_permission text DEFAULT 'catalog.entity.refresh',
  delete_permission text DEFAULT 'catalog.entity.delete',
  create_index boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
  col_type oid;
  col_num int2;
  has_index boolean;
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user,
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = tbl), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT a.atttypid, a.attnum INTO col_type, col_num
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = tbl AND a.attname = entity_column AND NOT a.attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of relation % does not exist', entity_column, tbl
      USING ERRCODE = 'undefined_column';
  END IF;
  IF col_type <> 'pg_catalog.jsonb'::pg_catalog.regtype THEN
    RAISE EXCEPTION 'column "%" of relation % has type %, not jsonb', entity_column, tbl, col_type::regtype
      USING ERRCODE = 'datatype_mismatch';
  END IF;

  INSERT INTO @extschema@.protected_tables AS p
    VALUES (tbl, entity_column, select_permission, insert_permission, update_permission, delete_permission)
  ON CONFLICT (relid) DO UPDATE SET entity_column = excluded.entity_column,
    select_permission = excluded.select_permission, insert_permission = excluded.insert_permission,
    update_permission = excluded.update_permission, delete_permission = excluded.delete_permission;

  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_select ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_insert ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_update ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_delete ON %s', tbl);
  EXECUTE pg_catalog.format('CREATE POLICY bsperm_select ON %s FOR SELECT USING (%s)',
                            tbl, @extschema@._bsperm_rls_predicate(entity_column, select_permission));
  EXECUTE pg_catalog.format('CREATE POLICY bsperm_insert ON %s FOR INSERT WITH CHECK (%s)',
                            tbl, @extschema@._bsperm_rls_predicate(entity_column, insert_permission));
  EXECUTE pg_catalog.format('CREATE POLICY bsperm_update ON %s FOR UPDATE USING (%s) WITH CHECK (%s)',
                            tbl, @extschema@._bsperm_rls_predicate(entity_column, update_permission),
                            @extschema@._bsperm_rls_predicate(entity_column, update_permission));
  EXECUTE pg_catalog.format('CREATE POLICY bsperm_delete ON %s FOR DELETE USING (%s)',
                            tbl, @extschema@._bsperm_rls_predicate(entity_column, delete_permission));
  EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);

  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0]
     WHERE i.indrelid = tbl AND i.indnatts >= 1 AND i.indkey[0] = col_num
       AND oc.opcname = 'bsperm_entity_ops' AND i.indpred IS NULL) INTO has_index;
  IF NOT has_index THEN
    IF create_index THEN
      EXECUTE pg_catalog.format('CREATE INDEX ON %s USING gin (%I @extschema@.bsperm_entity_ops)', tbl, entity_column);
    ELSE
      RAISE NOTICE 'table % has no bsperm index; conditional reads will scan it', tbl
        USING HINT = pg_catalog.format('CREATE INDEX ON %s USING gin (%I @extschema@.bsperm_entity_ops);', tbl, entity_column);
    END IF;
  END IF;
END $$;
COMMENT ON FUNCTION @extschema@.bsperm_protect(regclass, name, text, text, text, text, boolean) IS
  'protect a table of Backstage entities with row-level security driven by bsperm decisions';

CREATE FUNCTION @extschema@.bsperm_unprotect(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user,
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = tbl), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_select ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_insert ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_update ON %s', tbl);
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS bsperm_delete ON %s', tbl);
  EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tbl);
  DELETE FROM @extschema@.protected_tables WHERE relid = tbl;
END $$;
COMMENT ON FUNCTION @extschema@.bsperm_unprotect(regclass) IS
  'remove bsperm row-level security from a table (its index stays)';

-- Every table whose rows decide access tells all sessions when it changes.
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                   AND d.deptype = 'e'
              JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'bsperm'
            WHERE c.relkind = 'r' AND c.relname NOT IN ('entities', 'policy_epoch')
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s
                               FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.bsperm_policy_changed()', t);
  END LOOP;
END $$;

-- The catalog table bsperm creates is protected from the start.
DO $$
BEGIN
  IF pg_catalog.to_regclass('@extschema@.entities') IS NOT NULL THEN
    PERFORM @extschema@.bsperm_protect('@extschema@.entities');
  END IF;
END $$;
