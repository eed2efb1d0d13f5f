-- bsperm 0.1.0 -> 0.2.0 (ALTER EXTENSION bsperm UPDATE)
--
-- 0.1.0 lived entirely in schema bsperm (its control file said schema =
-- bsperm).  0.2.0 puts the functions, the @~ operator and the operator class
-- that users call in the extension's schema, and keeps the tables and internal
-- helpers in schema bsperm, which the extension owns.  This script moves the
-- user-facing objects to schema public (where CREATE EXTENSION bsperm puts
-- them by default; doc/operations.md) and makes public the extension's
-- schema, then brings every object to its 0.2.0 definition.  Everything the
-- user configured stays: the policy tables are altered, never re-created, and
-- the protected tables get 0.2.0's policies.  In this script @extschema@ is
-- still bsperm: the new schema is written out as public.
\echo Use "ALTER EXTENSION bsperm UPDATE" to load this file. \quit

-------------------------------------------------------------------------------
-- 1. The layout: user-facing objects to schema public, public the extension's
--    schema, schema bsperm a member of the extension.
DO $$
BEGIN
  IF pg_catalog.to_regnamespace('public') IS NULL THEN
    RAISE EXCEPTION 'bsperm 0.2.0 installs its functions into schema public, which does not exist'
      USING ERRCODE = 'invalid_schema_name', HINT = 'CREATE SCHEMA public, then ALTER EXTENSION bsperm UPDATE.';
  END IF;
  IF pg_catalog.has_schema_privilege('public', 'public', 'CREATE') THEN
    RAISE EXCEPTION 'bsperm cannot be installed into schema public: every role may create objects in it'
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'REVOKE CREATE ON SCHEMA public FROM PUBLIC, then ALTER EXTENSION bsperm UPDATE.';
  END IF;
END
$$;

ALTER FUNCTION bsperm.bsperm_matches(jsonb, jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_validate_criteria(jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_criteria_filter(jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_criteria_sql(jsonb, text) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_search_rows(jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_entity_ref(jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_filter_matches(jsonb, jsonb) SET SCHEMA public;
ALTER OPERATOR bsperm.@~ (jsonb, jsonb) SET SCHEMA public;
ALTER OPERATOR CLASS bsperm.bsperm_entity_ops USING gin SET SCHEMA public;
ALTER OPERATOR FAMILY bsperm.bsperm_entity_ops USING gin SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_set_user(text, text[]) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_current_user() SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_current_identity() SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_authorize(text, text) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_authorize(jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_authorize_conditional(text) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_apply_conditions(jsonb) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_substitute_placeholders(jsonb, text, text[]) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_import_rbac_csv(text, boolean) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_protect(regclass, name, text, text, text, text, boolean) SET SCHEMA public;
ALTER FUNCTION bsperm.bsperm_unprotect(regclass) SET SCHEMA public;

-- There is no ALTER EXTENSION ... SET SCHEMA for an extension that is not
-- relocatable: the catalog is updated as CREATE EXTENSION bsperm would have
-- written it (the extension's schema, and its dependency on that schema).
UPDATE pg_catalog.pg_depend SET refobjid = 'public'::pg_catalog.regnamespace
 WHERE classid = 'pg_catalog.pg_extension'::pg_catalog.regclass
   AND objid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'bsperm')
   AND refclassid = 'pg_catalog.pg_namespace'::pg_catalog.regclass
   AND refobjid = 'bsperm'::pg_catalog.regnamespace AND deptype = 'n';
UPDATE pg_catalog.pg_extension SET extnamespace = 'public'::pg_catalog.regnamespace WHERE extname = 'bsperm';
ALTER EXTENSION bsperm ADD SCHEMA bsperm;

-------------------------------------------------------------------------------
-- 2. Tables: the policy version kept per writing transaction, and the row
--    security a protected table had before bsperm_protect.
CREATE TABLE bsperm.policy_changes (
  xid pg_catalog.xid8 PRIMARY KEY,
  version bigint NOT NULL
);
COMMENT ON TABLE bsperm.policy_changes IS
  'one row per transaction that changed the policy data since the last compaction: its latest version';
COMMENT ON TABLE bsperm.policy_state IS
  'one row: the base version of the policy data (changes since are in policy_changes)';
-- tables protected by 0.1.0: row security was off before (0.1.0 did not record it)
ALTER TABLE bsperm.protected_tables
  ADD COLUMN rls_enabled_before boolean NOT NULL DEFAULT false,
  ADD COLUMN rls_forced_before boolean NOT NULL DEFAULT false;

-------------------------------------------------------------------------------
-- 3. Functions: new and changed definitions (scripts/release.sh draft 0.1.0)
-- new: bsperm._bsperm_drop_extension()
CREATE OR REPLACE FUNCTION bsperm._bsperm_drop_extension()
 RETURNS event_trigger
 LANGUAGE c
AS 'MODULE_PATHNAME', $function$bsperm_drop_extension_guard$function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_drop_extension() FROM PUBLIC;
-- new: bsperm._bsperm_drop_policies(regclass)
CREATE OR REPLACE FUNCTION bsperm._bsperm_drop_policies(tbl regclass)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
DECLARE
  p name;
BEGIN
  FOREACH p IN ARRAY ARRAY['bsperm_select', 'bsperm_insert', 'bsperm_update', 'bsperm_delete',
                           'bsperm_base_select', 'bsperm_base_insert', 'bsperm_base_update', 'bsperm_base_delete']
  LOOP
    EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', p, tbl);
  END LOOP;
END $function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_drop_policies(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bsperm._bsperm_drop_policies(regclass) TO PUBLIC;
-- new: bsperm._bsperm_forget_dropped()
CREATE OR REPLACE FUNCTION bsperm._bsperm_forget_dropped()
 RETURNS event_trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  DELETE FROM bsperm.protected_tables p
   WHERE p.relid::pg_catalog.oid IN (SELECT d.objid FROM pg_catalog.pg_event_trigger_dropped_objects() d
                                     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                       AND d.objsubid OPERATOR(pg_catalog.=) 0);
END $function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_forget_dropped() FROM PUBLIC;
-- new: bsperm._bsperm_permission_exists(text)
CREATE OR REPLACE FUNCTION bsperm._bsperm_permission_exists(permission text)
 RETURNS boolean
 LANGUAGE sql
 STABLE STRICT SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT EXISTS (SELECT FROM bsperm.permissions p WHERE p.name OPERATOR(pg_catalog.=) permission) $function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_permission_exists(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bsperm._bsperm_permission_exists(text) TO PUBLIC;
-- new: bsperm._bsperm_protect_new_children()
CREATE OR REPLACE FUNCTION bsperm._bsperm_protect_new_children()
 RETURNS event_trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
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
    PERFORM public.bsperm_protect(r.child, r.entity_column, r.select_permission, r.insert_permission,
                                       r.update_permission, r.delete_permission, true);
  END LOOP;
END $function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_protect_new_children() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bsperm._bsperm_protect_new_children() TO PUBLIC;
-- new: bsperm._bsperm_require_owner(regclass)
CREATE OR REPLACE FUNCTION bsperm._bsperm_require_owner(tbl regclass)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF NOT pg_catalog.pg_has_role(current_user,
        (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
END $function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_require_owner(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bsperm._bsperm_require_owner(regclass) TO PUBLIC;
-- changed: bsperm._bsperm_rls_predicate(name,text)
CREATE OR REPLACE FUNCTION bsperm._bsperm_rls_predicate(entity_column name, permission text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE STRICT
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$ SELECT pg_catalog.format('public.bsperm_rls_check(%I, %L)', entity_column, permission) $function$;
-- new: bsperm._bsperm_unprotect_all()
CREATE OR REPLACE FUNCTION bsperm._bsperm_unprotect_all()
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  t regclass;
BEGIN
  -- top-level tables only: bsperm_unprotect takes partitions and children along
  FOR t IN SELECT p.relid FROM bsperm.protected_tables p
            WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                               WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                 AND d.objid OPERATOR(pg_catalog.=) p.relid
                                 AND d.deptype OPERATOR(pg_catalog.=) 'e')
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i
                                JOIN bsperm.protected_tables q ON q.relid OPERATOR(pg_catalog.=) i.inhparent
                               WHERE i.inhrelid OPERATOR(pg_catalog.=) p.relid)
            ORDER BY p.relid::pg_catalog.oid LOOP
    PERFORM public.bsperm_unprotect(t);
    RAISE NOTICE 'bsperm no longer protects table %', t
      USING DETAIL = 'Its row security is as it was before bsperm_protect.';
  END LOOP;
END $function$;
REVOKE ALL ON FUNCTION bsperm._bsperm_unprotect_all() FROM PUBLIC;
COMMENT ON FUNCTION bsperm._bsperm_unprotect_all() IS 'bsperm_unprotect for every protected table (run by DROP EXTENSION bsperm)';
-- new: bsperm.bsperm_filter_sel(internal,oid,internal,integer)
CREATE OR REPLACE FUNCTION bsperm.bsperm_filter_sel(internal, oid, internal, integer)
 RETURNS double precision
 LANGUAGE c
 STABLE PARALLEL SAFE STRICT
AS 'MODULE_PATHNAME', $function$bsperm_filter_sel$function$;
REVOKE ALL ON FUNCTION bsperm.bsperm_filter_sel(internal,oid,internal,integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bsperm.bsperm_filter_sel(internal,oid,internal,integer) TO PUBLIC;
-- new: bsperm.bsperm_rls_check_support(internal)
CREATE OR REPLACE FUNCTION bsperm.bsperm_rls_check_support(internal)
 RETURNS internal
 LANGUAGE c
 IMMUTABLE PARALLEL SAFE STRICT
AS 'MODULE_PATHNAME', $function$bsperm_rls_check_support$function$;
REVOKE ALL ON FUNCTION bsperm.bsperm_rls_check_support(internal) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bsperm.bsperm_rls_check_support(internal) TO PUBLIC;
-- changed: bsperm.bsperm_rls_filter(text)
CREATE OR REPLACE FUNCTION bsperm.bsperm_rls_filter(permission text)
 RETURNS jsonb
 LANGUAGE c
 STABLE STRICT
AS 'MODULE_PATHNAME', $function$bsperm_rls_filter$function$;
-- changed: bsperm.conditional_policies_check()
CREATE OR REPLACE FUNCTION bsperm.conditional_policies_check()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  IF pg_catalog.jsonb_typeof(NEW.conditions) OPERATOR(pg_catalog.<>) 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'conditions of a conditional policy must be a JSON object';
  END IF;
  -- the catalog's rules are known: check the criteria as they will be sent
  IF NEW.resource_type OPERATOR(pg_catalog.=) 'catalog-entity' THEN
    PERFORM public.bsperm_validate_criteria(
      public.bsperm_substitute_placeholders(NEW.conditions, 'user:default/placeholder',
                                                 ARRAY['user:default/placeholder']));
  END IF;
  RETURN NEW;
END
$function$;
-- changed: bsperm.entities_membership_changed()
CREATE OR REPLACE FUNCTION bsperm.entities_membership_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  changed boolean := false;
BEGIN
  -- (each transition table exists only for its own events)
  IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
    changed := true;
  ELSIF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' THEN
    changed := EXISTS (SELECT FROM old_rows r
                       WHERE pg_catalog.starts_with(r.entity_ref, 'user:')
                          OR pg_catalog.starts_with(r.entity_ref, 'group:'));
  END IF;
  IF NOT changed THEN
    changed := EXISTS (SELECT FROM new_rows r
                       WHERE pg_catalog.starts_with(r.entity_ref, 'user:')
                          OR pg_catalog.starts_with(r.entity_ref, 'group:'));
  END IF;
  IF changed THEN
    PERFORM bsperm.policy_bump();
  END IF;
  RETURN NULL;
END
$function$;
-- new: bsperm.policy_bump()
CREATE OR REPLACE FUNCTION bsperm.policy_bump()
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  INSERT INTO bsperm.policy_changes AS c (xid, version)
    VALUES (pg_catalog.pg_current_xact_id(), pg_catalog.nextval('bsperm.policy_version_seq'))
    ON CONFLICT (xid) DO UPDATE
      SET version = pg_catalog.nextval('bsperm.policy_version_seq');
  -- compaction, now and then, never waiting
  IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.=) 'read committed'
     AND (SELECT pg_catalog.count(*) FROM bsperm.policy_changes) OPERATOR(pg_catalog.>) 32
     AND EXISTS (SELECT FROM bsperm.policy_state FOR UPDATE SKIP LOCKED) THEN
    DELETE FROM bsperm.policy_changes c
      WHERE c.xid OPERATOR(pg_catalog.<>) pg_catalog.pg_current_xact_id();
    UPDATE bsperm.policy_state
       SET version = pg_catalog.nextval('bsperm.policy_version_seq');
  END IF;
END
$function$;
REVOKE ALL ON FUNCTION bsperm.policy_bump() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.policy_bump() IS 'gives this transaction''s row in policy_changes a new version (and compacts without waiting)';
-- changed: bsperm.policy_changed()
CREATE OR REPLACE FUNCTION bsperm.policy_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  PERFORM bsperm.policy_bump();
  RETURN NULL;
END
$function$;
-- new: bsperm.policy_row_changed()
CREATE OR REPLACE FUNCTION bsperm.policy_row_changed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
  PERFORM bsperm.policy_bump();
  RETURN NULL;
END
$function$;
REVOKE ALL ON FUNCTION bsperm.policy_row_changed() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.policy_row_changed() IS 'row trigger, replica mode only: a replicated change of policy data, cached decisions are stale';
-- changed: public.bsperm_apply_conditions(jsonb)
CREATE OR REPLACE FUNCTION public.bsperm_apply_conditions(request jsonb)
 RETURNS jsonb
 LANGUAGE c
 STABLE STRICT
AS 'MODULE_PATHNAME', $function$bsperm_apply_conditions$function$;
-- changed: public.bsperm_authorize(jsonb)
CREATE OR REPLACE FUNCTION public.bsperm_authorize(request jsonb)
 RETURNS jsonb
 LANGUAGE c
 STABLE STRICT
AS 'MODULE_PATHNAME', $function$bsperm_authorize_json$function$;
-- changed: public.bsperm_authorize(text,text)
CREATE OR REPLACE FUNCTION public.bsperm_authorize(permission text, resource_ref text DEFAULT NULL::text)
 RETURNS text
 LANGUAGE c
 STABLE
AS 'MODULE_PATHNAME', $function$bsperm_authorize_text$function$;
-- changed: public.bsperm_authorize_conditional(text)
CREATE OR REPLACE FUNCTION public.bsperm_authorize_conditional(permission text)
 RETURNS jsonb
 LANGUAGE c
 STABLE STRICT
AS 'MODULE_PATHNAME', $function$bsperm_authorize_conditional$function$;
-- changed: public.bsperm_filter_matches(jsonb,jsonb)
CREATE OR REPLACE FUNCTION public.bsperm_filter_matches(entity jsonb, filter jsonb)
 RETURNS boolean
 LANGUAGE c
 IMMUTABLE PARALLEL SAFE STRICT LEAKPROOF
AS 'MODULE_PATHNAME', $function$bsperm_filter_matches$function$;
-- changed: public.bsperm_import_rbac_csv(text,boolean)
CREATE OR REPLACE FUNCTION public.bsperm_import_rbac_csv(csv text, replace boolean DEFAULT false)
 RETURNS integer
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
  lines text[] := pg_catalog.regexp_split_to_array(csv, E'\r?\n');
  line text;
  f text[];
  lineno integer := 0;
  applied integer := 0;
  subject text;
  rc integer;
BEGIN
  IF replace THEN
    DELETE FROM bsperm.permission_policies;
    DELETE FROM bsperm.role_members;
  END IF;
  FOREACH line IN ARRAY lines LOOP
    lineno := lineno OPERATOR(pg_catalog.+) 1;
    line := pg_catalog.btrim(line, E' \t');
    CONTINUE WHEN line OPERATOR(pg_catalog.=) '' OR pg_catalog.starts_with(line, '#');
    SELECT pg_catalog.array_agg(pg_catalog.btrim(x, E' \t') ORDER BY n)
      INTO f
      FROM pg_catalog.unnest(pg_catalog.string_to_array(line, ',')) WITH ORDINALITY AS t(x, n);

    IF f[1] OPERATOR(pg_catalog.=) 'p' THEN
      IF pg_catalog.cardinality(f) OPERATOR(pg_catalog.<>) 5 THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: a "p" line has 5 fields, not %s', lineno, pg_catalog.cardinality(f)),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Write p, <role, user or group ref>, <permission name or resource type>, <action>, <allow|deny>.';
      END IF;
      subject := f[2];
      IF subject OPERATOR(pg_catalog.!~) '^(role|user|group):[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a role, user or group ref', lineno, subject),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[3] OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: the permission or resource type is empty', lineno),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[4] OPERATOR(pg_catalog.<>) ALL (ARRAY['create', 'read', 'update', 'delete', 'use']) THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: unrecognized action "%s"', lineno, f[4]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'The actions are create, read, update, delete and use.';
      END IF;
      IF f[5] OPERATOR(pg_catalog.<>) ALL (ARRAY['allow', 'deny']) THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: unrecognized effect "%s"', lineno, f[5]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'The effects are allow and deny.';
      END IF;
      IF pg_catalog.starts_with(subject, 'role:') THEN
        INSERT INTO bsperm.roles (name) VALUES (subject) ON CONFLICT DO NOTHING;
        INSERT INTO bsperm.permission_policies (role, object, action, effect)
          VALUES (subject, f[3], f[4], f[5]) ON CONFLICT DO NOTHING;
      ELSE
        INSERT INTO bsperm.permission_policies (member, object, action, effect)
          VALUES (subject, f[3], f[4], f[5]) ON CONFLICT DO NOTHING;
      END IF;
      applied := applied OPERATOR(pg_catalog.+) 1;

    ELSIF f[1] OPERATOR(pg_catalog.=) 'g' THEN
      IF pg_catalog.cardinality(f) OPERATOR(pg_catalog.<>) 3 THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: a "g" line has 3 fields, not %s', lineno, pg_catalog.cardinality(f)),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Write g, <user or group ref>, <role ref>.';
      END IF;
      IF f[2] OPERATOR(pg_catalog.!~) '^(user|group):[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a user or group ref', lineno, f[2]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[3] OPERATOR(pg_catalog.!~) '^role:[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a role ref', lineno, f[3]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Roles are named role:<namespace>/<name>.';
      END IF;
      INSERT INTO bsperm.roles (name) VALUES (f[3]) ON CONFLICT DO NOTHING;
      INSERT INTO bsperm.role_members (role, member) VALUES (f[3], f[2]) ON CONFLICT DO NOTHING;
      applied := applied OPERATOR(pg_catalog.+) 1;

    ELSE
      RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
        MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: unrecognized line type "%s"', lineno, f[1]),
        DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
        HINT = 'Lines start with "p" (a permission policy) or "g" (a role member); "#" starts a comment.';
    END IF;
  END LOOP;
  RETURN applied;
END
$function$;
-- changed: public.bsperm_protect(regclass,name,text,text,text,text,boolean)
CREATE OR REPLACE FUNCTION public.bsperm_protect(tbl regclass, entity_column name DEFAULT 'entity'::name, select_permission text DEFAULT 'catalog.entity.read'::text, insert_permission text DEFAULT 'catalog.entity.create'::text, update_permission text DEFAULT 'catalog.entity.refresh'::text, delete_permission text DEFAULT 'catalog.entity.delete'::text, create_index boolean DEFAULT true)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET client_min_messages TO 'notice'
AS $function$
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
      EXECUTE pg_catalog.format('CREATE INDEX ON %s USING gin (%I public.bsperm_entity_ops)', tbl, entity_column);
    ELSE
      RAISE NOTICE 'table % has no bsperm index; conditional reads will scan it', tbl
        USING HINT = pg_catalog.format('CREATE INDEX ON %s USING gin (%I public.bsperm_entity_ops);', tbl, entity_column);
    END IF;
  END IF;

  -- partitions and inheritance children, read directly, are protected the same way
  FOR child IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
                WHERE i.inhparent OPERATOR(pg_catalog.=) tbl ORDER BY i.inhrelid LOOP
    PERFORM public.bsperm_protect(child, entity_column, select_permission, insert_permission,
                                       update_permission, delete_permission, create_index);
  END LOOP;
END $function$;
COMMENT ON FUNCTION public.bsperm_protect(regclass,name,text,text,text,text,boolean) IS 'protect a table of Backstage entities (and its partitions or children) with row-level security driven by bsperm decisions';
-- new: public.bsperm_rls_check(jsonb,text)
CREATE OR REPLACE FUNCTION public.bsperm_rls_check(entity jsonb, permission text)
 RETURNS boolean
 LANGUAGE c
 STABLE STRICT SUPPORT bsperm.bsperm_rls_check_support
AS 'MODULE_PATHNAME', $function$bsperm_rls_check$function$;
REVOKE ALL ON FUNCTION public.bsperm_rls_check(jsonb,text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.bsperm_rls_check(jsonb,text) TO PUBLIC;
COMMENT ON FUNCTION public.bsperm_rls_check(jsonb,text) IS 'true when the current identity''s decision for the permission lets this entity through; the test in bsperm''s row-level security policies';
-- changed: public.bsperm_unprotect(regclass)
CREATE OR REPLACE FUNCTION public.bsperm_unprotect(tbl regclass)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
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
    PERFORM public.bsperm_unprotect(child);
  END LOOP;
END $function$;
COMMENT ON FUNCTION public.bsperm_unprotect(regclass) IS 'remove bsperm row-level security from a table and its partitions or children, restoring row security as bsperm_protect found it (the index stays)';
DROP FUNCTION bsperm.bsperm_filter_matches_support(internal);  -- gone in the new version
DROP FUNCTION bsperm.bsperm_rls_filter_support(internal);  -- gone in the new version

-------------------------------------------------------------------------------
-- 4. Triggers: the policy version bumped per writing transaction, also in
--    replica mode (logical replication), and row-level invalidation.
DO $do$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['permissions', 'roles', 'role_members', 'permission_policies',
                           'conditional_policies', 'superusers', 'policy_config', 'role_users']
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE bsperm.%I ENABLE ALWAYS TRIGGER policy_changed', t);
    EXECUTE pg_catalog.format(
      'CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.%I
         FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE bsperm.%I ENABLE REPLICA TRIGGER policy_row_changed', t);
  END LOOP;
END
$do$;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_insert;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_update;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_delete;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_truncate;
CREATE TRIGGER entities_membership_row_insert AFTER INSERT ON bsperm.entities
  FOR EACH ROW WHEN (pg_catalog.starts_with(NEW.entity_ref, 'user:')
                     OR pg_catalog.starts_with(NEW.entity_ref, 'group:'))
  EXECUTE FUNCTION bsperm.policy_row_changed();
CREATE TRIGGER entities_membership_row_update AFTER UPDATE ON bsperm.entities
  FOR EACH ROW WHEN (pg_catalog.starts_with(OLD.entity_ref, 'user:')
                     OR pg_catalog.starts_with(OLD.entity_ref, 'group:')
                     OR pg_catalog.starts_with(NEW.entity_ref, 'user:')
                     OR pg_catalog.starts_with(NEW.entity_ref, 'group:'))
  EXECUTE FUNCTION bsperm.policy_row_changed();
CREATE TRIGGER entities_membership_row_delete AFTER DELETE ON bsperm.entities
  FOR EACH ROW WHEN (pg_catalog.starts_with(OLD.entity_ref, 'user:')
                     OR pg_catalog.starts_with(OLD.entity_ref, 'group:'))
  EXECUTE FUNCTION bsperm.policy_row_changed();
ALTER TABLE bsperm.entities ENABLE REPLICA TRIGGER entities_membership_row_insert;
ALTER TABLE bsperm.entities ENABLE REPLICA TRIGGER entities_membership_row_update;
ALTER TABLE bsperm.entities ENABLE REPLICA TRIGGER entities_membership_row_delete;

-- plan invalidation: per row instead of per statement, and on every table
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN SELECT c.oid::regclass FROM pg_catalog.pg_class c
              JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                   AND d.deptype = 'e'
              JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'bsperm'
            WHERE c.relkind = 'r' AND c.relname NOT IN ('entities', 'policy_epoch')
  LOOP
    EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS bsperm_policy_changed ON %s', t);
    EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_policy_changed AFTER INSERT OR UPDATE OR DELETE ON %s
                               FOR EACH ROW EXECUTE FUNCTION bsperm.bsperm_policy_changed()', t);
    EXECUTE pg_catalog.format('CREATE TRIGGER bsperm_policy_truncated AFTER TRUNCATE ON %s
                               FOR EACH STATEMENT EXECUTE FUNCTION bsperm.bsperm_policy_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER bsperm_policy_changed', t);
    EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER bsperm_policy_truncated', t);
  END LOOP;
END $$;

-------------------------------------------------------------------------------
-- 5. The operator's estimator, event triggers, dumped configuration.
ALTER OPERATOR public.@~ (jsonb, jsonb) SET (RESTRICT = bsperm.bsperm_filter_sel);
CREATE EVENT TRIGGER bsperm_protect_new_children ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION bsperm._bsperm_protect_new_children();
CREATE EVENT TRIGGER bsperm_forget_dropped ON sql_drop
  EXECUTE FUNCTION bsperm._bsperm_forget_dropped();
CREATE EVENT TRIGGER bsperm_drop_extension ON ddl_command_start
  WHEN TAG IN ('DROP EXTENSION')
  EXECUTE FUNCTION bsperm._bsperm_drop_extension();
SELECT pg_catalog.pg_extension_config_dump('bsperm.conditional_policies_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.protected_tables',
  'WHERE relid OPERATOR(pg_catalog.<>) ''bsperm.entities''::pg_catalog.regclass');

-------------------------------------------------------------------------------
-- 6. Protected tables get 0.2.0's policies (restrictive, with permissive base
--    policies; bsperm_rls_check instead of @~ bsperm_rls_filter), with the
--    permissions they were protected with.  Parents take their partitions and
--    children along.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT p.* FROM bsperm.protected_tables p
            WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i
                                JOIN bsperm.protected_tables q ON q.relid OPERATOR(pg_catalog.=) i.inhparent
                               WHERE i.inhrelid OPERATOR(pg_catalog.=) p.relid)
            ORDER BY p.relid::pg_catalog.oid LOOP
    PERFORM public.bsperm_protect(r.relid, r.entity_column, r.select_permission, r.insert_permission,
                                  r.update_permission, r.delete_permission, false);
  END LOOP;
END $$;
