-- bsperm install script, part 40: row-level security on catalog tables.
-- See src/pg/pg_rls.c for how decisions are folded into plans.

-- Marker whose relcache invalidation tells every backend that policy data
-- changed (pg_rls.c).  It holds no rows.
CREATE TABLE bsperm.policy_epoch (dummy boolean);
REVOKE ALL ON bsperm.policy_epoch FROM PUBLIC;

CREATE FUNCTION bsperm.bsperm_policy_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'bsperm_policy_changed'
LANGUAGE C;
-- Every use makes all sessions re-plan: only the extension's owner attaches it
-- (grant EXECUTE to the owner of tables that feed a custom policy function).
REVOKE EXECUTE ON FUNCTION bsperm.bsperm_policy_changed() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.bsperm_policy_changed() IS
  'statement trigger on policy tables: makes every session replan and re-decide after the change commits';

CREATE FUNCTION bsperm.bsperm_rls_filter(permission text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_rls_filter'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION bsperm.bsperm_rls_filter(text) IS
  'the EntityFilter row-level security applies for a permission and the current identity: {"allOf":[]} for ALLOW, {"anyOf":[]} for DENY, the conditions'' filter otherwise';

CREATE FUNCTION bsperm.bsperm_rls_check_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_rls_check_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- What bsperm's policies test.  While a query is planned the call becomes
-- the decision itself (true, false or an index condition), see pg_rls.c.
CREATE FUNCTION @extschema@.bsperm_rls_check(entity jsonb, permission text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_rls_check'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE
SUPPORT bsperm.bsperm_rls_check_support;
COMMENT ON FUNCTION @extschema@.bsperm_rls_check(jsonb, text) IS
  'true when the current identity''s decision for the permission lets this entity through; the test in bsperm''s row-level security policies';

-- Which tables are protected, and which permission each command needs.
CREATE TABLE bsperm.protected_tables (
  relid regclass PRIMARY KEY,
  entity_column name NOT NULL,
  select_permission text NOT NULL DEFAULT 'catalog.entity.read',
  insert_permission text NOT NULL DEFAULT 'catalog.entity.create',
  update_permission text NOT NULL DEFAULT 'catalog.entity.refresh',
  delete_permission text NOT NULL DEFAULT 'catalog.entity.delete',
  -- row security as bsperm_protect found it, restored by bsperm_unprotect
  rls_enabled_before boolean NOT NULL DEFAULT false,
  rls_forced_before boolean NOT NULL DEFAULT false
);
-- Owners register their own tables (bsperm_protect runs with the caller's
-- rights, since only the owner may create policies); nobody else's.
REVOKE ALL ON bsperm.protected_tables FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON bsperm.protected_tables TO PUBLIC;
ALTER TABLE bsperm.protected_tables ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_all ON bsperm.protected_tables FOR SELECT USING (true);
CREATE POLICY owner_writes ON bsperm.protected_tables FOR ALL
  USING (pg_catalog.pg_has_role(current_user,
           (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relid), 'USAGE'))
  WITH CHECK (pg_catalog.pg_has_role(current_user,
           (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) relid), 'USAGE'));
COMMENT ON TABLE bsperm.protected_tables IS
  'tables protected by bsperm row-level security and the permission each command requires';

CREATE FUNCTION bsperm._bsperm_rls_predicate(entity_column name, permission text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT pg_catalog.format('@extschema@.bsperm_rls_check(%I, %L)', entity_column, permission) $$;

CREATE FUNCTION bsperm._bsperm_require_owner(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user,
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;

-- Whether a permission is registered (the registry is readable only by its owner).
CREATE FUNCTION bsperm._bsperm_permission_exists(permission text)
RETURNS boolean
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT EXISTS (SELECT FROM bsperm.permissions p WHERE p.name OPERATOR(pg_catalog.=) permission) $$;

CREATE FUNCTION bsperm._bsperm_drop_policies(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
  p name;
BEGIN
  FOREACH p IN ARRAY ARRAY['bsperm_select', 'bsperm_insert', 'bsperm_update', 'bsperm_delete',
                           'bsperm_base_select', 'bsperm_base_insert', 'bsperm_base_update', 'bsperm_base_delete']
  LOOP
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', p, tbl);
  END LOOP;
END $$;

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
SET client_min_messages = notice
AS $$
DECLARE
  col_type oid;
  col_num int2;
  has_index boolean;
  kind "char";
  rls_on boolean;
  rls_forced boolean;
  parent regclass;
  child regclass;
  cmd text;
  perm text;
  clause text;
BEGIN
  PERFORM bsperm._bsperm_require_owner(tbl);
  SELECT c.relkind, c.relrowsecurity, c.relforcerowsecurity INTO kind, rls_on, rls_forced
    FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
  IF kind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION '% is not a table', tbl USING ERRCODE = 'wrong_object_type',
      HINT = 'Protect the tables a view or foreign table reads; views over them should be created WITH (security_invoker = true).';
  END IF;
  SELECT a.atttypid, a.attnum INTO col_type, col_num
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) entity_column
     AND NOT a.attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'column "%" of relation % does not exist', entity_column, tbl
      USING ERRCODE = 'undefined_column';
  END IF;
  IF col_type OPERATOR(pg_catalog.<>) 'pg_catalog.jsonb'::pg_catalog.regtype THEN
    RAISE EXCEPTION 'column "%" of relation % has type %, not jsonb', entity_column, tbl, col_type::regtype
      USING ERRCODE = 'datatype_mismatch';
  END IF;
  -- a child read through an unprotected parent would not be filtered
  SELECT i.inhparent::regclass INTO parent FROM pg_catalog.pg_inherits i
   WHERE i.inhrelid OPERATOR(pg_catalog.=) tbl
     AND NOT EXISTS (SELECT FROM bsperm.protected_tables p WHERE p.relid OPERATOR(pg_catalog.=) i.inhparent)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot protect table % without its parent %', tbl, parent
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Rows of the table would be read unfiltered through the parent.',
            HINT = pg_catalog.format('Protect %s; its partitions and children are protected with it.', parent);
  END IF;
  FOREACH perm IN ARRAY ARRAY[select_permission, insert_permission, update_permission, delete_permission] LOOP
    IF NOT bsperm._bsperm_permission_exists(perm) THEN
      RAISE EXCEPTION 'permission "%" does not exist', perm USING ERRCODE = 'undefined_object',
        HINT = 'Name a permission of bsperm.permissions (for example catalog.entity.update is not one; catalog.entity.refresh is).';
    END IF;
  END LOOP;

  INSERT INTO bsperm.protected_tables AS p
    VALUES (tbl, entity_column, select_permission, insert_permission, update_permission, delete_permission,
            rls_on, rls_forced)
  ON CONFLICT (relid) DO UPDATE SET entity_column = excluded.entity_column,
    select_permission = excluded.select_permission, insert_permission = excluded.insert_permission,
    update_permission = excluded.update_permission, delete_permission = excluded.delete_permission;

  -- bsperm's policies are RESTRICTIVE: they narrow whatever the table's own
  -- policies grant.  A command no policy of the owner grants gets a
  -- permissive base policy, so that bsperm alone decides there.
  PERFORM bsperm._bsperm_drop_policies(tbl);
  FOREACH cmd IN ARRAY ARRAY['select', 'insert', 'update', 'delete'] LOOP
    perm := CASE cmd WHEN 'select' THEN select_permission WHEN 'insert' THEN insert_permission
                     WHEN 'update' THEN update_permission ELSE delete_permission END;
    clause := CASE cmd
      WHEN 'insert' THEN pg_catalog.format('WITH CHECK (%s)', bsperm._bsperm_rls_predicate(entity_column, perm))
      WHEN 'update' THEN pg_catalog.format('USING (%1$s) WITH CHECK (%1$s)', bsperm._bsperm_rls_predicate(entity_column, perm))
      ELSE pg_catalog.format('USING (%s)', bsperm._bsperm_rls_predicate(entity_column, perm)) END;
    EXECUTE pg_catalog.format('CREATE POLICY %I ON %s AS RESTRICTIVE FOR %s %s', 'bsperm_' || cmd, tbl, cmd, clause);
    IF NOT (rls_on AND EXISTS (SELECT FROM pg_catalog.pg_policy p
                WHERE p.polrelid OPERATOR(pg_catalog.=) tbl AND p.polpermissive
                  AND p.polcmd IN ('*', CASE cmd WHEN 'select' THEN 'r' WHEN 'insert' THEN 'a'
                                                  WHEN 'update' THEN 'w' ELSE 'd' END)
                  AND p.polname NOT LIKE 'bsperm\_%')) THEN
      EXECUTE pg_catalog.format('CREATE POLICY %I ON %s FOR %s %s', 'bsperm_base_' || cmd, tbl, cmd,
                                CASE cmd WHEN 'insert' THEN 'WITH CHECK (true)' ELSE 'USING (true)' END);
    END IF;
  END LOOP;
  EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE pg_catalog.format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);

  SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_opclass oc ON oc.oid OPERATOR(pg_catalog.=) i.indclass[0]
     WHERE i.indrelid OPERATOR(pg_catalog.=) tbl AND i.indnatts OPERATOR(pg_catalog.>=) 1
       AND i.indkey[0] OPERATOR(pg_catalog.=) col_num
       AND oc.opcname OPERATOR(pg_catalog.=) 'bsperm_entity_ops' AND i.indpred IS NULL) INTO has_index;
  IF NOT has_index THEN
    IF create_index THEN
      EXECUTE pg_catalog.format('CREATE INDEX ON %s USING gin (%I @extschema@.bsperm_entity_ops)', tbl, entity_column);
    ELSE
      RAISE NOTICE 'table % has no bsperm index; conditional reads will scan it', tbl
        USING HINT = pg_catalog.format('CREATE INDEX ON %s USING gin (%I @extschema@.bsperm_entity_ops);', tbl, entity_column);
    END IF;
  END IF;

  -- partitions and inheritance children, read directly, are protected the same way
  FOR child IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
                WHERE i.inhparent OPERATOR(pg_catalog.=) tbl ORDER BY i.inhrelid LOOP
    PERFORM @extschema@.bsperm_protect(child, entity_column, select_permission, insert_permission,
                                       update_permission, delete_permission, create_index);
  END LOOP;
END $$;
COMMENT ON FUNCTION @extschema@.bsperm_protect(regclass, name, text, text, text, text, boolean) IS
  'protect a table of Backstage entities (and its partitions or children) with row-level security driven by bsperm decisions';

CREATE FUNCTION @extschema@.bsperm_unprotect(tbl regclass)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
  parent regclass;
  child regclass;
  was bsperm.protected_tables;
BEGIN
  PERFORM bsperm._bsperm_require_owner(tbl);
  SELECT i.inhparent::regclass INTO parent FROM pg_catalog.pg_inherits i
    JOIN bsperm.protected_tables p ON p.relid OPERATOR(pg_catalog.=) i.inhparent
   WHERE i.inhrelid OPERATOR(pg_catalog.=) tbl LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot unprotect table % while its parent % is protected', tbl, parent
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Unprotect the parent; its partitions and children are unprotected with it.';
  END IF;
  SELECT * INTO was FROM bsperm.protected_tables p WHERE p.relid OPERATOR(pg_catalog.=) tbl;
  DELETE FROM bsperm.protected_tables p WHERE p.relid OPERATOR(pg_catalog.=) tbl;
  PERFORM bsperm._bsperm_drop_policies(tbl);
  -- row security as it was before bsperm_protect (the owner's own policies stay in force)
  IF was.relid IS NOT NULL THEN
    IF NOT was.rls_forced_before THEN
      EXECUTE pg_catalog.format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', tbl);
    END IF;
    IF NOT was.rls_enabled_before THEN
      EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tbl);
    END IF;
  END IF;
  FOR child IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
                 JOIN bsperm.protected_tables p ON p.relid OPERATOR(pg_catalog.=) i.inhrelid
                WHERE i.inhparent OPERATOR(pg_catalog.=) tbl ORDER BY i.inhrelid LOOP
    PERFORM @extschema@.bsperm_unprotect(child);
  END LOOP;
END $$;
COMMENT ON FUNCTION @extschema@.bsperm_unprotect(regclass) IS
  'remove bsperm row-level security from a table and its partitions or children, restoring row security as bsperm_protect found it (the index stays)';

-- A partition or child created or attached later under a protected table is
-- protected as it appears (as the role that runs the DDL, who must own it).
CREATE FUNCTION bsperm._bsperm_protect_new_children()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  LOOP
    SELECT i.inhrelid::regclass AS child, p.* INTO r
      FROM pg_catalog.pg_inherits i
      JOIN bsperm.protected_tables p ON p.relid OPERATOR(pg_catalog.=) i.inhparent
     WHERE NOT EXISTS (SELECT FROM bsperm.protected_tables c WHERE c.relid OPERATOR(pg_catalog.=) i.inhrelid)
     LIMIT 1;
    EXIT WHEN NOT FOUND;
    PERFORM @extschema@.bsperm_protect(r.child, r.entity_column, r.select_permission, r.insert_permission,
                                       r.update_permission, r.delete_permission, true);
  END LOOP;
END $$;
CREATE EVENT TRIGGER bsperm_protect_new_children ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION bsperm._bsperm_protect_new_children();

-- A dropped table leaves no row behind (its OID could be reused).
CREATE FUNCTION bsperm._bsperm_forget_dropped()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM bsperm.protected_tables p
   WHERE p.relid::pg_catalog.oid IN (SELECT d.objid FROM pg_catalog.pg_event_trigger_dropped_objects() d
                                     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                       AND d.objsubid OPERATOR(pg_catalog.=) 0);
END $$;
REVOKE ALL ON FUNCTION bsperm._bsperm_forget_dropped() FROM PUBLIC;
CREATE EVENT TRIGGER bsperm_forget_dropped ON sql_drop
  EXECUTE FUNCTION bsperm._bsperm_forget_dropped();

-- Every table whose rows decide access tells all sessions when it changes:
-- per row (a statement that changes nothing invalidates nothing), and
-- also on a logical-replication subscriber.
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                   AND d.deptype = 'e'
              JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'bsperm'
            WHERE c.relkind = 'r' AND c.relname NOT IN ('entities', 'policy_epoch')
  LOOP
    EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_policy_changed AFTER INSERT OR UPDATE OR DELETE ON %s
                               FOR EACH ROW EXECUTE FUNCTION bsperm.bsperm_policy_changed()', t);
    EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_policy_truncated AFTER TRUNCATE ON %s
                               FOR EACH STATEMENT EXECUTE FUNCTION bsperm.bsperm_policy_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER bsperm_policy_changed', t);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER bsperm_policy_truncated', t);
  END LOOP;
END $$;

-- The catalog table bsperm creates is protected from the start.
DO $$
BEGIN
  IF pg_catalog.to_regclass('bsperm.entities') IS NOT NULL THEN
    PERFORM @extschema@.bsperm_protect('bsperm.entities');
  END IF;
END $$;
