-- bsperm install script, part 00: the criteria engine.
-- Parts under src/sql are concatenated in name order into bsperm--VERSION.sql.

\echo Use "CREATE EXTENSION bsperm" to load this file. \quit

-- Layout.  The functions, the @~ operator and the operator class that users
-- call live in the schema CREATE EXTENSION installs into (@extschema@:
-- "public" unless CREATE EXTENSION ... SCHEMA names another), so that
-- SELECT bsperm_authorize(...) works with the default search_path.  Policy
-- tables, the embedded catalog and internal helpers live in schema bsperm,
-- which the extension creates and owns.
--
-- A schema in which an untrusted role may create objects would let that role
-- shadow a bsperm function with a better-matching overload in every caller's
-- search_path; refuse to install into one.
DO $$
BEGIN
  IF pg_catalog.has_schema_privilege('public', '@extschema@', 'CREATE') THEN
    RAISE EXCEPTION 'bsperm cannot be installed into schema %: every role may create objects in it', '@extschema@'
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'REVOKE CREATE ON SCHEMA @extschema@ FROM PUBLIC, or CREATE EXTENSION bsperm SCHEMA <a schema only trusted roles may create objects in>.';
  END IF;
END
$$;

-- Nobody but the owner may create objects in bsperm's own schema.
CREATE SCHEMA bsperm;
REVOKE ALL ON SCHEMA bsperm FROM PUBLIC;
GRANT USAGE ON SCHEMA bsperm TO PUBLIC;

CREATE FUNCTION @extschema@.bsperm_matches(entity jsonb, criteria jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_matches'
LANGUAGE C STABLE STRICT PARALLEL SAFE;  -- STABLE: declared rules (25_rules.sql)
COMMENT ON FUNCTION @extschema@.bsperm_matches(jsonb, jsonb) IS
  'true when the entity satisfies the Backstage permission criteria (catalog search semantics)';

CREATE FUNCTION @extschema@.bsperm_validate_criteria(criteria jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_validate_criteria'
LANGUAGE C STABLE STRICT PARALLEL SAFE;  -- STABLE: declared rules (25_rules.sql)
COMMENT ON FUNCTION @extschema@.bsperm_validate_criteria(jsonb) IS
  'normalized permission criteria; raises an error that names the place of the first problem';

CREATE FUNCTION @extschema@.bsperm_criteria_filter(criteria jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_criteria_filter'
LANGUAGE C STABLE STRICT PARALLEL SAFE;  -- STABLE: declared rules (25_rules.sql)
COMMENT ON FUNCTION @extschema@.bsperm_criteria_filter(jsonb) IS
  'the EntityFilter the catalog rules'' toQuery() make of the criteria, keys and values lowercased';

CREATE FUNCTION @extschema@.bsperm_criteria_sql(criteria jsonb, entity_expr text DEFAULT 'entity')
RETURNS text
AS 'MODULE_PATHNAME', 'bsperm_criteria_sql'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_criteria_sql(jsonb, text) IS
  'an index-friendly SQL boolean expression over entity_expr equivalent to bsperm_matches(entity_expr, criteria)';

CREATE FUNCTION @extschema@.bsperm_search_rows(entity jsonb, OUT key text, OUT value text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'bsperm_search_rows'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 40;
COMMENT ON FUNCTION @extschema@.bsperm_search_rows(jsonb) IS
  'the (key, value) search rows Backstage''s catalog would store for the entity';

CREATE FUNCTION @extschema@.bsperm_entity_ref(entity jsonb)
RETURNS text
AS 'MODULE_PATHNAME', 'bsperm_entity_ref'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_entity_ref(jsonb) IS
  'canonical entity ref kind:namespace/name, lowercased as Backstage''s stringifyEntityRef does';

-- The EntityFilter operator.  It never raises an error that depends on the
-- row it reads (only on the filter, which is the same for every row), so it
-- is LEAKPROOF and may be pushed below row-level-security quals.
CREATE FUNCTION @extschema@.bsperm_filter_matches(entity jsonb, filter jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_filter_matches'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.bsperm_filter_matches(jsonb, jsonb) IS
  'true when the entity matches the Backstage EntityFilter (the @~ operator)';

-- Its estimator never evaluates a user's filter on sampled rows of a table
-- whose row security applies to the user (the samples include hidden rows).
CREATE FUNCTION bsperm.bsperm_filter_sel(internal, oid, internal, integer)
RETURNS float8
AS 'MODULE_PATHNAME', 'bsperm_filter_sel'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE OPERATOR @extschema@.@~ (
  LEFTARG = jsonb,
  RIGHTARG = jsonb,
  FUNCTION = @extschema@.bsperm_filter_matches,
  RESTRICT = bsperm.bsperm_filter_sel,
  JOIN = pg_catalog.matchingjoinsel
);
COMMENT ON OPERATOR @extschema@.@~ (jsonb, jsonb) IS
  'entity matches Backstage EntityFilter ({"key","values"} leaves under allOf/anyOf/not)';

CREATE FUNCTION bsperm.bsperm_gin_extract_value(jsonb, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_gin_extract_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION bsperm.bsperm_gin_extract_query(jsonb, internal, int2, internal, internal, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_gin_extract_query'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION bsperm.bsperm_gin_consistent(internal, int2, jsonb, int4, internal, internal, internal, internal)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_gin_consistent'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION bsperm.bsperm_gin_triconsistent(internal, int2, jsonb, int4, internal, internal, internal)
RETURNS "char"
AS 'MODULE_PATHNAME', 'bsperm_gin_triconsistent'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR CLASS @extschema@.bsperm_entity_ops
FOR TYPE jsonb USING gin AS
  OPERATOR 1 @extschema@.@~ (jsonb, jsonb),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 bsperm.bsperm_gin_extract_value(jsonb, internal, internal),
  FUNCTION 3 bsperm.bsperm_gin_extract_query(jsonb, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 bsperm.bsperm_gin_consistent(internal, int2, jsonb, int4, internal, internal, internal, internal),
  FUNCTION 6 bsperm.bsperm_gin_triconsistent(internal, int2, jsonb, int4, internal, internal, internal),
  STORAGE int4;
COMMENT ON OPERATOR CLASS @extschema@.bsperm_entity_ops USING gin IS
  'indexes a Backstage entity''s search rows for the @~ operator';
-- bsperm install script, part 10: the catalog table.
--
-- One row per Backstage entity (the catalog's final_entity as jsonb).  The
-- decision functions load resources from here by exact canonical entity ref,
-- as the catalog's apply-conditions endpoint does (spec section 1.5 step 3),
-- and compute users' group memberships from the entities' relations.

CREATE TABLE bsperm.entities (
  entity_ref text PRIMARY KEY
    GENERATED ALWAYS AS (@extschema@.bsperm_entity_ref(entity)) STORED,
  entity jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT entities_entity_is_object
    CHECK (pg_catalog.jsonb_typeof(entity) OPERATOR(pg_catalog.=) 'object')
);
COMMENT ON TABLE bsperm.entities IS
  'Backstage catalog entities (final_entity as jsonb), keyed by their canonical entity ref';
COMMENT ON COLUMN bsperm.entities.entity_ref IS
  'canonical ref kind:namespace/name, lowercased; generated from the entity';

CREATE INDEX entities_entity_idx ON bsperm.entities
  USING gin (entity @extschema@.bsperm_entity_ops);
-- bsperm install script, part 20: permissions, policies and identities as data.
--
-- Every table here is readable and writable only by its owner (the role that
-- created the extension, a superuser) unless an administrator grants more.
-- The decision functions read them through C code that switches to the owner,
-- so nobody needs privileges on them to be judged by them.  Every change gives
-- the writing transaction's row in bsperm.policy_changes a new version, which
-- the decision functions read at every statement: a committed change takes
-- effect for the next statement in every session.

-- bsperm lowercases and measures text as UTF-8 (Backstage's rules are
-- Unicode rules); in any other database encoding its answers would be wrong.
DO $do$
BEGIN
  IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
    RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
      MESSAGE = pg_catalog.format('bsperm requires a UTF8 database, not "%s"',
                                  pg_catalog.getdatabaseencoding()),
      DETAIL = 'Entity documents are lowercased and measured as Unicode text, as Backstage does; another encoding would change the answers.',
      HINT = 'Create the database with ENCODING ''UTF8'' TEMPLATE template0.';
  END IF;
END
$do$;

-- The role that may act for Backstage users (bsperm_set_user) and apply
-- conditions.  Roles are cluster-wide; it survives DROP EXTENSION.
DO $do$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
                 WHERE rolname OPERATOR(pg_catalog.=) 'bsperm_trusted') THEN
    CREATE ROLE bsperm_trusted NOLOGIN;
  END IF;
END
$do$;

-------------------------------------------------------------------------------
-- The permission registry (spec section 2)

CREATE TABLE bsperm.permissions (
  name text PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('basic', 'resource')),
  resource_type text,
  action text CHECK (action IN ('create', 'read', 'update', 'delete')),
  builtin boolean NOT NULL DEFAULT false,
  CONSTRAINT permissions_resource_type_check
    CHECK ((type = 'resource') = (resource_type IS NOT NULL))
);
COMMENT ON TABLE bsperm.permissions IS
  'Backstage permissions known to bsperm: the catalog''s eleven, and any an integrator adds';

INSERT INTO bsperm.permissions (name, type, resource_type, action, builtin) VALUES
  ('catalog.entity.read',       'resource', 'catalog-entity', 'read',   true),
  ('catalog.entity.create',     'basic',    NULL,             'create', true),
  ('catalog.entity.delete',     'resource', 'catalog-entity', 'delete', true),
  ('catalog.entity.refresh',    'resource', 'catalog-entity', 'update', true),
  ('catalog.entity.validate',   'basic',    NULL,             NULL,     true),
  ('catalog.location.read',     'basic',    NULL,             'read',   true),
  ('catalog.location.create',   'basic',    NULL,             'create', true),
  ('catalog.location.delete',   'basic',    NULL,             'delete', true),
  ('catalog.location.analyze',  'basic',    NULL,             NULL,     true),
  ('catalog.ingestion.read',    'basic',    NULL,             'read',   true),
  ('catalog.ingestion.manage',  'basic',    NULL,             'update', true);

-------------------------------------------------------------------------------
-- The role-based policy (the RBAC plugin's model)

CREATE TABLE bsperm.roles (
  name text PRIMARY KEY
    CONSTRAINT roles_name_check CHECK (name ~ '^role:[^:/]+/.+$'),
  description text
);
COMMENT ON TABLE bsperm.roles IS
  'RBAC roles, named role:<namespace>/<name>';

CREATE TABLE bsperm.role_members (
  role text NOT NULL REFERENCES bsperm.roles ON UPDATE CASCADE ON DELETE CASCADE,
  member text NOT NULL
    CONSTRAINT role_members_member_check CHECK (member ~ '^(user|group):[^:/]+/.+$'),
  PRIMARY KEY (role, member)
);
CREATE INDEX role_members_member_idx ON bsperm.role_members (member);
COMMENT ON TABLE bsperm.role_members IS
  'RBAC "g" lines: users and groups (entity refs) that hold a role';

CREATE TABLE bsperm.permission_policies (
  role text REFERENCES bsperm.roles ON UPDATE CASCADE ON DELETE CASCADE,
  member text
    CONSTRAINT permission_policies_member_check CHECK (member ~ '^(user|group):[^:/]+/.+$'),
  object text NOT NULL CHECK (object <> ''),
  action text NOT NULL CHECK (action IN ('create', 'read', 'update', 'delete', 'use')),
  effect text NOT NULL CHECK (effect IN ('allow', 'deny')),
  CONSTRAINT permission_policies_subject_check CHECK ((role IS NULL) <> (member IS NULL)),
  CONSTRAINT permission_policies_line_key
    UNIQUE NULLS NOT DISTINCT (role, member, object, action, effect)
);
COMMENT ON TABLE bsperm.permission_policies IS
  'RBAC "p" lines: a role (or directly a user or group) is allowed or denied an action on a permission name or resource type';

CREATE TABLE bsperm.conditional_policies (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  role text NOT NULL REFERENCES bsperm.roles ON UPDATE CASCADE ON DELETE CASCADE,
  plugin_id text NOT NULL CHECK (plugin_id <> ''),
  resource_type text NOT NULL CHECK (resource_type <> ''),
  actions text[] NOT NULL DEFAULT '{}'
    CHECK (actions <@ '{create,read,update,delete,use}'::text[]),
  permissions text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.array_position(permissions, NULL) IS NULL),
  conditions jsonb NOT NULL,
  CONSTRAINT conditional_policies_mapping_check
    CHECK (pg_catalog.cardinality(actions) > 0 OR pg_catalog.cardinality(permissions) > 0)
);
CREATE INDEX conditional_policies_role_idx ON bsperm.conditional_policies (role);
COMMENT ON TABLE bsperm.conditional_policies IS
  'RBAC conditional policies: criteria per role for the permissions of one resource type, with $currentUser and $ownerRefs placeholders';

CREATE TABLE bsperm.superusers (
  ref text PRIMARY KEY CHECK (ref <> '')
);
COMMENT ON TABLE bsperm.superusers IS
  'user or group refs (admin.superUsers) that are allowed everything';

CREATE TABLE bsperm.policy_config (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  policy text NOT NULL DEFAULT 'rbac' CHECK (policy IN ('rbac', 'allow-all', 'function')),
  policy_function regprocedure,
  max_depth integer CHECK (max_depth >= 0),
  decision_precedence text NOT NULL DEFAULT 'conditional'
    CHECK (decision_precedence IN ('conditional', 'basic')),
  default_role text REFERENCES bsperm.roles ON UPDATE CASCADE ON DELETE SET NULL,
  use_ownership_entity_refs boolean NOT NULL DEFAULT false,
  CONSTRAINT policy_config_function_check
    CHECK (policy <> 'function' OR policy_function IS NOT NULL)
);
COMMENT ON TABLE bsperm.policy_config IS
  'at most one row: which policy decides and the RBAC settings; no row means the RBAC policy with defaults';

-- PostgreSQL roles that log in directly get a Backstage identity from here.
CREATE TABLE bsperm.role_users (
  role_name name PRIMARY KEY,
  user_ref text NOT NULL
    CONSTRAINT role_users_user_ref_check CHECK (user_ref ~ '^[^:/]+:[^:/]+/.+$'),
  ownership_refs text[]
    CHECK (pg_catalog.array_position(ownership_refs, NULL) IS NULL)
);
COMMENT ON TABLE bsperm.role_users IS
  'maps a PostgreSQL login role (session_user) to the Backstage user it is; NULL ownership_refs are computed from the catalog';

-------------------------------------------------------------------------------
-- Validation triggers

CREATE FUNCTION bsperm.policy_config_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  is_super boolean;
  fn regprocedure := NEW.policy_function;
BEGIN
  is_super := COALESCE((SELECT r.rolsuper FROM pg_catalog.pg_roles r
    WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER), false);
  IF NEW.policy OPERATOR(pg_catalog.=) 'allow-all'
     AND (TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR OLD.policy OPERATOR(pg_catalog.<>) 'allow-all')
     AND NOT is_super THEN
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
      MESSAGE = 'permission denied to switch on the allow-all policy',
      DETAIL = 'Only superusers may make every decision ALLOW.';
  END IF;
  IF fn IS NOT NULL
     AND (TG_OP OPERATOR(pg_catalog.=) 'INSERT' OR OLD.policy_function IS DISTINCT FROM fn) THEN
    IF NOT is_super THEN
      RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'permission denied to register a policy function',
        DETAIL = 'Only superusers may register the function that decides for every session.';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc p
                   WHERE p.oid OPERATOR(pg_catalog.=) fn
                     AND p.prorettype OPERATOR(pg_catalog.=) 'pg_catalog.jsonb'::pg_catalog.regtype
                     AND p.pronargs OPERATOR(pg_catalog.=) 2
                     AND p.proargtypes[0] OPERATOR(pg_catalog.=) 'pg_catalog.jsonb'::pg_catalog.regtype
                     AND p.proargtypes[1] OPERATOR(pg_catalog.=) 'pg_catalog.jsonb'::pg_catalog.regtype
                     AND p.prokind OPERATOR(pg_catalog.=) 'f'
                     AND NOT p.proretset) THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_function_definition',
        MESSAGE = pg_catalog.format('policy function %s must take (request jsonb, "user" jsonb) and return jsonb', fn);
    END IF;
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION bsperm.policy_config_check() IS
  'keeps the allow-all switch and the policy function superuser-only and checks the function''s signature';
CREATE TRIGGER policy_config_check BEFORE INSERT OR UPDATE ON bsperm.policy_config
  FOR EACH ROW EXECUTE FUNCTION bsperm.policy_config_check();

CREATE FUNCTION bsperm.conditional_policies_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF pg_catalog.jsonb_typeof(NEW.conditions) OPERATOR(pg_catalog.<>) 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'conditions of a conditional policy must be a JSON object';
  END IF;
  -- the catalog's rules are known: check the criteria as they will be sent
  IF NEW.resource_type OPERATOR(pg_catalog.=) 'catalog-entity' THEN
    PERFORM @extschema@.bsperm_validate_criteria(
      @extschema@.bsperm_substitute_placeholders(NEW.conditions, 'user:default/placeholder',
                                                 ARRAY['user:default/placeholder']));
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION bsperm.conditional_policies_check() IS
  'validates the criteria of a conditional policy (catalog rules) with its placeholders filled in';
CREATE TRIGGER conditional_policies_check BEFORE INSERT OR UPDATE ON bsperm.conditional_policies
  FOR EACH ROW EXECUTE FUNCTION bsperm.conditional_policies_check();

-------------------------------------------------------------------------------
-- The policy version: changed by every change that can alter a decision
--
-- Concurrent writers must not wait for each other, so there is no single row
-- that every change updates.  Each writing transaction keeps its own row in
-- policy_changes (keyed by its transaction id) and gives it a fresh version
-- from a sequence at every statement that changes something.  The cache key a
-- reader compares (src/pg/pg_policy_cache.c) is the base version in
-- policy_state plus the set of versions in policy_changes, all read in the
-- reader's snapshot: a committed change adds a version to the set as soon as
-- a snapshot sees it, a rolled-back one leaves nothing, and sequence numbers
-- are never reused.  Compaction folds committed rows into a fresh base
-- version; it runs only when it can lock policy_state without waiting (SKIP
-- LOCKED) and only in READ COMMITTED, so it never blocks a writer nor raises
-- a serialization failure.

CREATE SEQUENCE bsperm.policy_version_seq;
CREATE TABLE bsperm.policy_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version bigint NOT NULL
);
COMMENT ON TABLE bsperm.policy_state IS
  'one row: the base version of the policy data (changes since are in policy_changes)';
INSERT INTO bsperm.policy_state (version)
  VALUES (pg_catalog.nextval('bsperm.policy_version_seq'));

CREATE TABLE bsperm.policy_changes (
  xid pg_catalog.xid8 PRIMARY KEY,
  version bigint NOT NULL
);
COMMENT ON TABLE bsperm.policy_changes IS
  'one row per transaction that changed the policy data since the last compaction: its latest version';

CREATE FUNCTION bsperm.policy_bump() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
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
$fn$;
REVOKE ALL ON FUNCTION bsperm.policy_bump() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.policy_bump() IS
  'gives this transaction''s row in policy_changes a new version (and compacts without waiting)';

CREATE FUNCTION bsperm.policy_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM bsperm.policy_bump();
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION bsperm.policy_changed() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.policy_changed() IS
  'statement trigger: a policy table changed, cached decisions are stale';

-- Logical replication's apply worker (session_replication_role = replica)
-- fires row triggers, never statement triggers: these fire only in replica
-- mode (ENABLE REPLICA), so an ordinary write pays nothing for them.
CREATE FUNCTION bsperm.policy_row_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM bsperm.policy_bump();
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION bsperm.policy_row_changed() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.policy_row_changed() IS
  'row trigger, replica mode only: a replicated change of policy data, cached decisions are stale';

DO $do$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['permissions', 'roles', 'role_members', 'permission_policies',
                           'conditional_policies', 'superusers', 'policy_config', 'role_users']
  LOOP
    EXECUTE pg_catalog.format(
      'CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bsperm.%I
         FOR EACH STATEMENT EXECUTE FUNCTION bsperm.policy_changed()', t);
    -- also in sessions with session_replication_role = replica
    EXECUTE pg_catalog.format('ALTER TABLE bsperm.%I ENABLE ALWAYS TRIGGER policy_changed', t);
    -- a logical-replication apply worker fires row triggers only
    EXECUTE pg_catalog.format(
      'CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.%I
         FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed()', t);
    EXECUTE pg_catalog.format('ALTER TABLE bsperm.%I ENABLE REPLICA TRIGGER policy_row_changed', t);
  END LOOP;
END
$do$;

-- Group memberships come from User and Group entities: a change to one of
-- them changes whose roles and claims are whose.  Other kinds cost a scan of
-- the statement's transition table and nothing else.
CREATE FUNCTION bsperm.entities_membership_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
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
$fn$;
REVOKE ALL ON FUNCTION bsperm.entities_membership_changed() FROM PUBLIC;
COMMENT ON FUNCTION bsperm.entities_membership_changed() IS
  'statement trigger: a User or Group entity changed, cached memberships are stale';

CREATE TRIGGER entities_membership_insert AFTER INSERT ON bsperm.entities
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.entities_membership_changed();
CREATE TRIGGER entities_membership_update AFTER UPDATE ON bsperm.entities
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.entities_membership_changed();
-- (the deleted rows go by the name the function reads)
CREATE TRIGGER entities_membership_delete AFTER DELETE ON bsperm.entities
  REFERENCING OLD TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.entities_membership_changed();
CREATE TRIGGER entities_membership_truncate AFTER TRUNCATE ON bsperm.entities
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.entities_membership_changed();
-- a subscriber applies the catalog's changes with session_replication_role = replica
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_insert;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_update;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_delete;
ALTER TABLE bsperm.entities ENABLE ALWAYS TRIGGER entities_membership_truncate;
-- and the apply worker's row-by-row changes of User and Group entities
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

-- pg_dump keeps the policy (the built-in permissions come back with the extension)
SELECT pg_catalog.pg_extension_config_dump('bsperm.permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('bsperm.roles', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.role_members', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.permission_policies', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.conditional_policies', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.superusers', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.policy_config', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.role_users', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.entities', '');
-- bsperm install script, part 20 (continued): identities and decisions.
-- The C side is src/pg/pg_identity.c, pg_policy.c and pg_decide.c.

CREATE FUNCTION @extschema@.bsperm_substitute_placeholders(
  conditions jsonb, user_ref text, ownership_refs text[])
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_substitute_placeholders'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_substitute_placeholders(jsonb, text, text[]) IS
  'criteria with $currentUser and $ownerRefs in rule parameters replaced, as the RBAC plugin does';

-- Identity ----------------------------------------------------------------

CREATE FUNCTION @extschema@.bsperm_set_user(user_ref text, ownership_refs text[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'bsperm_set_user'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_set_user(text, text[]) IS
  'sets the Backstage user for the rest of the transaction (superusers and members of bsperm_trusted only); NULL ownership_refs are computed from the catalog';
REVOKE ALL ON FUNCTION @extschema@.bsperm_set_user(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.bsperm_set_user(text, text[]) TO bsperm_trusted;

CREATE FUNCTION @extschema@.bsperm_current_user()
RETURNS text
AS 'MODULE_PATHNAME', 'bsperm_current_user'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.bsperm_current_user() IS
  'the Backstage user ref decisions are made for, NULL when anonymous';

CREATE FUNCTION @extschema@.bsperm_current_identity()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_current_identity'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.bsperm_current_identity() IS
  'the current identity: userEntityRef, ownershipEntityRefs and where it comes from (transaction, role_users or none)';

-- Decisions -------------------------------------------------------------------

CREATE FUNCTION @extschema@.bsperm_authorize(permission text, resource_ref text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'bsperm_authorize_text'
LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_authorize(text, text) IS
  'ALLOW or DENY for the current identity (CONDITIONAL for a resource permission without a resource); conditions are applied to the entity with that exact ref';

CREATE FUNCTION @extschema@.bsperm_authorize(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_authorize_json'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_authorize(jsonb) IS
  'Backstage''s POST /api/permission/authorize: {"items":[{id, permission, resourceRef?}]} in, {"items":[{id, result, ...}]} out';

CREATE FUNCTION @extschema@.bsperm_authorize_conditional(permission text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_authorize_conditional'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_authorize_conditional(text) IS
  'the PolicyDecision for the current identity, with conditions and their placeholders filled in';

CREATE FUNCTION @extschema@.bsperm_apply_conditions(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_apply_conditions'
LANGUAGE C STABLE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_apply_conditions(jsonb) IS
  'the catalog''s apply-conditions endpoint: conditions applied to entities by exact ref (superusers and members of bsperm_trusted only)';
REVOKE ALL ON FUNCTION @extschema@.bsperm_apply_conditions(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.bsperm_apply_conditions(jsonb) TO bsperm_trusted;
-- bsperm install script, part 20 (continued): importing the RBAC plugin's files.
--
-- The files are read as the RBAC plugin (8.1.3) reads them, by the C core
-- (src/core/bsp_rbac_csv.c, src/core/bsp_yaml.c, libyaml): see doc/policy.md.
-- Rows that come from a file carry its name in a "source" column; importing
-- a file again makes those rows equal to the file and keeps the others
-- (added by hand: source NULL).  Tables and internal helpers are in schema
-- bsperm, user-facing functions in the extension's schema.

ALTER TABLE bsperm.roles
  ADD COLUMN source text CONSTRAINT roles_source_check
    CHECK (source IN ('csv-file', 'conditional-policies-file', 'configuration'));
ALTER TABLE bsperm.role_members
  ADD COLUMN source text CONSTRAINT role_members_source_check
    CHECK (source IN ('csv-file', 'configuration'));
ALTER TABLE bsperm.permission_policies
  ADD COLUMN source text CONSTRAINT permission_policies_source_check
    CHECK (source IN ('csv-file', 'configuration'));
ALTER TABLE bsperm.conditional_policies
  ADD COLUMN source text CONSTRAINT conditional_policies_source_check
    CHECK (source IN ('conditional-policies-file')),
  -- the action of each permission name ({name, action} in the plugin's
  -- mapping); NULL: a name matches whatever the request's action
  ADD COLUMN permission_actions text[] CONSTRAINT conditional_policies_permission_actions_check
    CHECK (permission_actions IS NULL OR
           (pg_catalog.cardinality(permission_actions) OPERATOR(pg_catalog.=) pg_catalog.cardinality(permissions)
            AND permission_actions OPERATOR(pg_catalog.<@) '{create,read,update,delete,use}'::text[]));
ALTER TABLE bsperm.superusers
  ADD COLUMN source text CONSTRAINT superusers_source_check CHECK (source IN ('configuration'));

CREATE FUNCTION @extschema@.bsperm_parse_rbac_csv(csv text,
  OUT line integer, OUT text text, OUT type text, OUT fields text[], OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'bsperm_parse_rbac_csv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_parse_rbac_csv(text) IS
  'the RBAC plugin''s policy CSV line by line, as the plugin reads it: each accepted line''s type and values, or why the plugin refuses it';

CREATE FUNCTION @extschema@.bsperm_parse_conditional_yaml(yaml text,
  OUT document integer, OUT line integer, OUT policy jsonb, OUT error text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'bsperm_parse_conditional_yaml'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_parse_conditional_yaml(text) IS
  'the documents of a YAML stream as jsonb (libyaml); a syntax error ends the stream with a row that has the error';

CREATE FUNCTION @extschema@.bsperm_import_rbac_csv(csv text, replace boolean DEFAULT false,
                                                   skip_invalid boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r record;
  applied integer := 0;
  why text;
  role_ref text;
  role_source text;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS pg_temp.bsperm_csv_lines (line integer, text text, type text, fields text[])
    ON COMMIT DROP;
  TRUNCATE pg_temp.bsperm_csv_lines;
  FOR r IN SELECT * FROM @extschema@.bsperm_parse_rbac_csv(csv) LOOP
    why := r.error;
    IF why IS NULL THEN
      -- the plugin refuses lines for roles another source owns (its validateSource)
      role_ref := CASE WHEN r.type OPERATOR(pg_catalog.=) 'g' THEN r.fields[2]
                       WHEN pg_catalog.starts_with(r.fields[1], 'role:') THEN r.fields[1] END;
      SELECT ro.source INTO role_source FROM bsperm.roles ro
        WHERE ro.name OPERATOR(pg_catalog.=) role_ref;
      IF role_source IS NOT NULL AND role_source OPERATOR(pg_catalog.<>) 'csv-file' THEN
        why := pg_catalog.format('the role %s comes from the %s, not from the CSV file', role_ref,
                                 role_source);
      END IF;
    END IF;
    IF why IS NOT NULL THEN
      IF NOT skip_invalid THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: %s', r.line, why),
          DETAIL = pg_catalog.format('Line %s is "%s".', r.line, r.text),
          HINT = 'The RBAC plugin skips such a line; skip_invalid => true skips it too, with a warning.';
      END IF;
      RAISE WARNING USING
        MESSAGE = pg_catalog.format('skipping invalid RBAC policy CSV line %s: %s', r.line, why),
        DETAIL = pg_catalog.format('Line %s is "%s".', r.line, r.text);
      CONTINUE;
    END IF;
    INSERT INTO pg_temp.bsperm_csv_lines VALUES (r.line, r.text, r.type, r.fields);
  END LOOP;

  IF replace THEN
    DELETE FROM bsperm.permission_policies;
    DELETE FROM bsperm.role_members;
  ELSE
    DELETE FROM bsperm.permission_policies p WHERE p.source OPERATOR(pg_catalog.=) 'csv-file';
    DELETE FROM bsperm.role_members m WHERE m.source OPERATOR(pg_catalog.=) 'csv-file';
  END IF;

  INSERT INTO bsperm.roles (name, source)
    SELECT DISTINCT CASE WHEN l.type OPERATOR(pg_catalog.=) 'g' THEN l.fields[2] ELSE l.fields[1] END, 'csv-file'
      FROM pg_temp.bsperm_csv_lines l
     WHERE l.type OPERATOR(pg_catalog.=) 'g' OR pg_catalog.starts_with(l.fields[1], 'role:')
    ON CONFLICT (name) DO NOTHING;
  INSERT INTO bsperm.permission_policies (role, member, object, action, effect, source)
    SELECT CASE WHEN pg_catalog.starts_with(l.fields[1], 'role:') THEN l.fields[1] END,
           CASE WHEN NOT pg_catalog.starts_with(l.fields[1], 'role:') THEN l.fields[1] END,
           l.fields[2], l.fields[3], l.fields[4], 'csv-file'
      FROM pg_temp.bsperm_csv_lines l WHERE l.type OPERATOR(pg_catalog.=) 'p'
    ON CONFLICT DO NOTHING;
  INSERT INTO bsperm.role_members (role, member, source)
    SELECT l.fields[2], l.fields[1], 'csv-file'
      FROM pg_temp.bsperm_csv_lines l WHERE l.type OPERATOR(pg_catalog.=) 'g'
    ON CONFLICT DO NOTHING;
  SELECT pg_catalog.count(*) INTO applied FROM pg_temp.bsperm_csv_lines;

  -- roles the file created and nothing names any more
  DELETE FROM bsperm.roles ro
   WHERE ro.source OPERATOR(pg_catalog.=) 'csv-file'
     AND NOT EXISTS (SELECT FROM bsperm.role_members m WHERE m.role OPERATOR(pg_catalog.=) ro.name)
     AND NOT EXISTS (SELECT FROM bsperm.permission_policies p WHERE p.role OPERATOR(pg_catalog.=) ro.name)
     AND NOT EXISTS (SELECT FROM bsperm.conditional_policies c WHERE c.role OPERATOR(pg_catalog.=) ro.name)
     AND NOT EXISTS (SELECT FROM bsperm.policy_config pc WHERE pc.default_role OPERATOR(pg_catalog.=) ro.name);
  DROP TABLE pg_temp.bsperm_csv_lines;
  RETURN applied;
END
$fn$;
COMMENT ON FUNCTION @extschema@.bsperm_import_rbac_csv(text, boolean, boolean) IS
  'imports the RBAC plugin''s policy CSV as the plugin reads it; the rows from the file (source csv-file) become the file''s, rows added by hand stay (with replace, they go too); a line the plugin refuses stops the import, or with skip_invalid is skipped with a warning; returns the number of lines applied';

CREATE FUNCTION @extschema@.bsperm_import_conditional_policies(yaml text, skip_invalid boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r record;
  d jsonb;
  m jsonb;
  why text;
  named boolean;
  acts text[];
  names text[];
  name_acts text[];
  applied integer := 0;
  clash record;
BEGIN
  DELETE FROM bsperm.conditional_policies c
   WHERE c.source OPERATOR(pg_catalog.=) 'conditional-policies-file';
  FOR r IN SELECT * FROM @extschema@.bsperm_parse_conditional_yaml(yaml) LOOP
    IF r.error IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
        MESSAGE = pg_catalog.format('invalid conditional policies YAML in document %s, line %s: %s',
                                    r.document, COALESCE(r.line::text, '?'), r.error);
    END IF;
    d := r.policy;
    CONTINUE WHEN pg_catalog.jsonb_typeof(d) OPERATOR(pg_catalog.=) 'null';  -- the plugin skips empty documents
    why := NULL;
    acts := '{}';
    names := '{}';
    name_acts := '{}';
    -- the plugin's validateRoleCondition
    IF pg_catalog.jsonb_typeof(d) OPERATOR(pg_catalog.<>) 'object' THEN
      why := 'a document must be a mapping';
    ELSIF COALESCE(d->>'roleEntityRef', '') OPERATOR(pg_catalog.=) '' THEN
      why := '''roleEntityRef'' must be specified';
    ELSIF COALESCE(d->>'result', '') OPERATOR(pg_catalog.=) '' THEN
      why := '''result'' must be specified';
    ELSIF COALESCE(d->>'pluginId', '') OPERATOR(pg_catalog.=) '' THEN
      why := '''pluginId'' must be specified';
    ELSIF COALESCE(d->>'resourceType', '') OPERATOR(pg_catalog.=) '' THEN
      why := '''resourceType'' must be specified';
    ELSIF pg_catalog.jsonb_typeof(d->'permissionMapping') IS DISTINCT FROM 'array'
          OR pg_catalog.jsonb_array_length(d->'permissionMapping') OPERATOR(pg_catalog.=) 0 THEN
      why := '''permissionMapping'' must be a non-empty array';
    ELSIF pg_catalog.jsonb_typeof(d->'conditions') IS DISTINCT FROM 'object' THEN
      why := '''conditions'' must be specified';
    ELSIF NOT EXISTS (SELECT FROM bsperm.roles ro WHERE ro.name OPERATOR(pg_catalog.=) (d->>'roleEntityRef')) THEN
      why := pg_catalog.format('the role %s does not exist (import the CSV file first)', d->>'roleEntityRef');
    ELSE
      named := pg_catalog.jsonb_typeof(d->'permissionMapping'->0) OPERATOR(pg_catalog.=) 'object';
      IF pg_catalog.jsonb_array_length(d->'permissionMapping') OPERATOR(pg_catalog.>) (CASE WHEN named THEN 25 ELSE 5 END) THEN
        why := pg_catalog.format('''permissionMapping'' can have at most %s items', CASE WHEN named THEN 25 ELSE 5 END);
      END IF;
      FOR m IN SELECT * FROM pg_catalog.jsonb_array_elements(d->'permissionMapping') LOOP
        EXIT WHEN why IS NOT NULL;
        IF named THEN
          IF pg_catalog.jsonb_typeof(m) OPERATOR(pg_catalog.<>) 'object'
             OR pg_catalog.jsonb_typeof(m->'name') IS DISTINCT FROM 'string'
             OR pg_catalog.jsonb_typeof(m->'action') IS DISTINCT FROM 'string' THEN
            why := '''permissionMapping'' must be either all action strings or all {name, action} objects';
          ELSIF pg_catalog.btrim(m->>'name') OPERATOR(pg_catalog.=) '' THEN
            why := '''permissionMapping'' entry has empty permission name';
          ELSIF (m->>'action') OPERATOR(pg_catalog.<>) ALL ('{create,read,update,delete,use}') THEN
            why := pg_catalog.format('''permissionMapping'' array contains non action value: ''%s''', m->>'action');
          ELSIF EXISTS (SELECT FROM pg_catalog.generate_subscripts(names, 1) i
                        WHERE names[i] OPERATOR(pg_catalog.=) (m->>'name')
                          AND name_acts[i] OPERATOR(pg_catalog.=) (m->>'action')) THEN
            why := pg_catalog.format('''permissionMapping'' must not contain duplicate permission ''%s'' with action ''%s''',
                                     m->>'name', m->>'action');
          ELSE
            names := names OPERATOR(pg_catalog.||) (m->>'name');
            name_acts := name_acts OPERATOR(pg_catalog.||) (m->>'action');
          END IF;
        ELSE
          IF pg_catalog.jsonb_typeof(m) OPERATOR(pg_catalog.<>) 'string' THEN
            why := '''permissionMapping'' must be either all action strings or all {name, action} objects';
          ELSIF (m #>> '{}') OPERATOR(pg_catalog.<>) ALL ('{create,read,update,delete,use}') THEN
            why := pg_catalog.format('''permissionMapping'' array contains non action value: ''%s''', m #>> '{}');
          ELSIF (m #>> '{}') OPERATOR(pg_catalog.=) ANY (acts) THEN
            why := pg_catalog.format('''permissionMapping'' must not contain duplicate permission action ''%s''', m #>> '{}');
          ELSE
            acts := acts OPERATOR(pg_catalog.||) (m #>> '{}');
          END IF;
        END IF;
      END LOOP;
    END IF;
    IF why IS NULL THEN
      -- the plugin refuses a policy whose mapping overlaps another of the
      -- same role, plugin and resource type (its throwOnConflict)
      SELECT c.id INTO clash FROM bsperm.conditional_policies c
       WHERE c.role OPERATOR(pg_catalog.=) (d->>'roleEntityRef')
         AND c.plugin_id OPERATOR(pg_catalog.=) (d->>'pluginId')
         AND c.resource_type OPERATOR(pg_catalog.=) (d->>'resourceType')
         AND (c.actions OPERATOR(pg_catalog.&&) (acts OPERATOR(pg_catalog.||) name_acts)
              OR EXISTS (SELECT FROM pg_catalog.generate_subscripts(c.permissions, 1) i
                          WHERE COALESCE(c.permission_actions[i], '') OPERATOR(pg_catalog.=) ANY (acts)
                             OR EXISTS (SELECT FROM pg_catalog.generate_subscripts(names, 1) k
                                         WHERE names[k] OPERATOR(pg_catalog.=) c.permissions[i]
                                           AND name_acts[k] OPERATOR(pg_catalog.=) COALESCE(c.permission_actions[i], name_acts[k]))))
       LIMIT 1;
      IF FOUND THEN
        why := pg_catalog.format('its permission mapping overlaps conditional policy %s of the same role, plugin and resource type', clash.id);
      END IF;
    END IF;
    IF why IS NOT NULL THEN
      IF NOT skip_invalid THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid conditional policy in document %s (line %s): %s', r.document, r.line, why),
          HINT = 'skip_invalid => true skips such a document, with a warning.';
      END IF;
      RAISE WARNING USING
        MESSAGE = pg_catalog.format('skipping invalid conditional policy in document %s (line %s): %s', r.document, r.line, why);
      CONTINUE;
    END IF;
    INSERT INTO bsperm.conditional_policies
        (role, plugin_id, resource_type, actions, permissions, permission_actions, conditions, source)
      VALUES (d->>'roleEntityRef', d->>'pluginId', d->>'resourceType', acts, names,
              CASE WHEN named THEN name_acts END, d->'conditions', 'conditional-policies-file');
    applied := applied OPERATOR(pg_catalog.+) 1;
  END LOOP;
  RETURN applied;
END
$fn$;
COMMENT ON FUNCTION @extschema@.bsperm_import_conditional_policies(text, boolean) IS
  'imports the RBAC plugin''s conditional-policies YAML file (one policy per document); the rows from the file (source conditional-policies-file) become the file''s, others stay; returns the number of policies applied';

CREATE FUNCTION @extschema@.bsperm_apply_rbac_config(config jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  admin_role CONSTANT text := 'role:default/rbac_admin';
  e jsonb;
  ref text;
  why text;
  def_role text := config #>> '{defaultPermissions,defaultRole}';
  depth integer;
  known CONSTANT text[] := '{admin,maxDepth,policyDecisionPrecedence,defaultPermissions,useOwnershipEntityRefs,'
                           'policies-csv-file,conditionalPoliciesFile,policyFileReload,pluginsWithPermission,'
                           'validation,providers}';
BEGIN
  IF pg_catalog.jsonb_typeof(config) IS DISTINCT FROM 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'permission.rbac settings must be a JSON object';
  END IF;
  SELECT k INTO ref FROM pg_catalog.jsonb_object_keys(config) k WHERE k OPERATOR(pg_catalog.<>) ALL (known) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = pg_catalog.format('unrecognized permission.rbac setting "%s"', ref),
      HINT = pg_catalog.format('The settings are %s.', pg_catalog.array_to_string(known, ', '));
  END IF;

  -- the rows of the previous configuration go first
  DELETE FROM bsperm.superusers s WHERE s.source OPERATOR(pg_catalog.=) 'configuration';
  DELETE FROM bsperm.role_members m WHERE m.source OPERATOR(pg_catalog.=) 'configuration';
  DELETE FROM bsperm.permission_policies p WHERE p.source OPERATOR(pg_catalog.=) 'configuration';

  -- admin.superUsers: [{name}], exact refs
  FOR e IN SELECT * FROM pg_catalog.jsonb_array_elements(COALESCE(config #> '{admin,superUsers}', '[]')) LOOP
    INSERT INTO bsperm.superusers (ref, source) VALUES (e->>'name', 'configuration') ON CONFLICT DO NOTHING;
  END LOOP;

  -- admin.users: members of role:default/rbac_admin, lower-cased, with the
  -- admin role's permissions (the plugin's setAdminPermissions; it adds them
  -- even with no admin user)
  INSERT INTO bsperm.roles (name, source) VALUES (admin_role, 'configuration')
    ON CONFLICT (name) DO UPDATE SET source = 'configuration';
  INSERT INTO bsperm.permission_policies (role, object, action, effect, source) VALUES
    (admin_role, 'policy-entity', 'read', 'allow', 'configuration'),
    (admin_role, 'policy.entity.create', 'create', 'allow', 'configuration'),
    (admin_role, 'policy-entity', 'delete', 'allow', 'configuration'),
    (admin_role, 'policy-entity', 'update', 'allow', 'configuration'),
    (admin_role, 'catalog-entity', 'read', 'allow', 'configuration')
    ON CONFLICT DO NOTHING;
  FOR e IN SELECT * FROM pg_catalog.jsonb_array_elements(COALESCE(config #> '{admin,users}', '[]')) LOOP
    -- lower-cased and checked as the member of a "g" line is
    SELECT c.fields[1], c.error INTO ref, why
      FROM @extschema@.bsperm_parse_rbac_csv(pg_catalog.format('g, %s, %s', e->>'name', admin_role)) c;
    IF why IS NOT NULL OR ref IS NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = pg_catalog.format('invalid admin entity reference "%s": %s', e->>'name', COALESCE(why, 'missing'));
    END IF;
    INSERT INTO bsperm.role_members (role, member, source) VALUES (admin_role, ref, 'configuration')
      ON CONFLICT DO NOTHING;
  END LOOP;

  -- defaultPermissions: {defaultRole, basicPermissions: [{permission, action}]}
  IF config ? 'defaultPermissions' THEN
    IF def_role IS NULL OR bsperm._bsperm_rbac_ref_problem(def_role, true) IS NOT NULL THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = pg_catalog.format('invalid default role "%s": %s', def_role,
                                    COALESCE(bsperm._bsperm_rbac_ref_problem(def_role, true), 'missing'));
    END IF;
    IF COALESCE(pg_catalog.jsonb_array_length(config #> '{defaultPermissions,basicPermissions}'), 0) OPERATOR(pg_catalog.=) 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = pg_catalog.format('the default role %s requires at least one entry in defaultPermissions.basicPermissions', def_role);
    END IF;
    INSERT INTO bsperm.roles (name, source) VALUES (def_role, 'configuration')
      ON CONFLICT (name) DO UPDATE SET source = 'configuration';
    FOR e IN SELECT * FROM pg_catalog.jsonb_array_elements(config #> '{defaultPermissions,basicPermissions}') LOOP
      IF COALESCE(e->>'action', 'use') OPERATOR(pg_catalog.<>) ALL ('{create,read,update,delete,use}') THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
          MESSAGE = pg_catalog.format('invalid action "%s" for permission "%s"', e->>'action', e->>'permission');
      END IF;
      IF COALESCE(e->>'permission', '') OPERATOR(pg_catalog.=) '' OR pg_catalog.strpos(e->>'permission', '"') OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
          MESSAGE = pg_catalog.format('invalid permission "%s" in defaultPermissions.basicPermissions', e->>'permission');
      END IF;
      INSERT INTO bsperm.permission_policies (role, object, action, effect, source)
        VALUES (def_role, e->>'permission', COALESCE(e->>'action', 'use'), 'allow', 'configuration')
        ON CONFLICT DO NOTHING;
    END LOOP;
  END IF;

  depth := (config->>'maxDepth')::integer;
  IF depth OPERATOR(pg_catalog.<) 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'maxDepth for the RBAC group hierarchy must be greater than or equal to zero';
  END IF;
  INSERT INTO bsperm.policy_config (max_depth, decision_precedence, default_role, use_ownership_entity_refs)
    VALUES (depth, COALESCE(config->>'policyDecisionPrecedence', 'conditional'), def_role,
            COALESCE((config->>'useOwnershipEntityRefs')::boolean, false))
    ON CONFLICT (singleton) DO UPDATE
      SET max_depth = excluded.max_depth, decision_precedence = excluded.decision_precedence,
          default_role = excluded.default_role, use_ownership_entity_refs = excluded.use_ownership_entity_refs;
END
$fn$;
COMMENT ON FUNCTION @extschema@.bsperm_apply_rbac_config(jsonb) IS
  'applies the RBAC plugin''s permission.rbac settings (as JSON): admin.superUsers, admin.users, maxDepth, policyDecisionPrecedence, defaultPermissions, useOwnershipEntityRefs; the rows it made before (source configuration) are replaced';

CREATE FUNCTION bsperm._bsperm_rbac_ref_problem(ref text, role_only boolean DEFAULT false)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE
    WHEN ref IS NULL OR ref OPERATOR(pg_catalog.=) '' THEN 'the reference is empty'
    WHEN ref OPERATOR(pg_catalog.!~) (CASE WHEN role_only THEN '^role:' ELSE '^(user|group|role):' END
                                      OPERATOR(pg_catalog.||) '[a-z0-9]+(-[a-z0-9]+)*/[a-zA-Z0-9]+([._-][a-zA-Z0-9]+)*$')
      THEN CASE WHEN role_only THEN 'a role is named role:<namespace>/<name>'
                ELSE 'a reference is written kind:namespace/name, with kind user, group or role' END
    WHEN pg_catalog.length(pg_catalog.split_part(ref, '/', 2)) OPERATOR(pg_catalog.>) 63
      OR pg_catalog.length(pg_catalog.split_part(pg_catalog.split_part(ref, '/', 1), ':', 2)) OPERATOR(pg_catalog.>) 63
      THEN 'a namespace or name is at most 63 characters'
  END
$fn$;
COMMENT ON FUNCTION bsperm._bsperm_rbac_ref_problem(text, boolean) IS
  'NULL when ref is an entity reference the RBAC plugin accepts (kind user, group or role; with role_only, role), else why not';
-- bsperm install script, part 25: where the entities of decisions live.
--
-- Decisions read entities by exact ref: the user (its memberOf relations),
-- its groups (childOf, up the hierarchy), and the resources of
-- bsperm_authorize(..., resourceRef) and bsperm_apply_conditions.  They read
-- them from one relation, the entity source: bsperm.entities unless a row here
-- names another one, such as Backstage's own final_entities.  The source is
-- policy data: owner-only, and versioned like the policy tables, so a change
-- takes effect at the next statement of every session.  The C side is
-- src/pg/pg_entity_source.c.

CREATE TABLE bsperm.entity_source (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  relation regclass NOT NULL,
  entity_column name NOT NULL
);
COMMENT ON TABLE bsperm.entity_source IS
  'at most one row: the relation (with an entity_ref column and a json, jsonb or text entity column) decisions read entities from; no row means bsperm.entities';

-- The relation must be an ordinary table with a text entity_ref column and a
-- text, json or jsonb entity column (built-in types: decisions read it as the
-- extension's owner, and a type of the table owner's own would run its code;
-- checked again at every lookup, src/pg/pg_entity_source.c); a change of
-- source is a change of the policy.
CREATE FUNCTION bsperm.entity_source_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  ref_type pg_catalog.regtype;
  ent_type pg_catalog.regtype;
BEGIN
  -- an ordinary table: a view or foreign table would run its owner's code as the extension's owner
  IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) NEW.relation)
     OPERATOR(pg_catalog.<>) 'r' THEN
    RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
      MESSAGE = pg_catalog.format('entity source %s is not a table', NEW.relation),
      DETAIL = 'Decisions read the source as the extension''s owner; only an ordinary table runs no code of its owner''s when read.';
  END IF;
  SELECT a.atttypid::pg_catalog.regtype INTO ref_type FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) NEW.relation
     AND a.attname OPERATOR(pg_catalog.=) 'entity_ref' AND NOT a.attisdropped;
  SELECT a.atttypid::pg_catalog.regtype INTO ent_type FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) NEW.relation
     AND a.attname OPERATOR(pg_catalog.=) NEW.entity_column AND NOT a.attisdropped;
  IF ref_type IS NULL OR ref_type NOT IN ('pg_catalog.text'::pg_catalog.regtype,
                                          'pg_catalog.varchar'::pg_catalog.regtype) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_table_definition',
      MESSAGE = pg_catalog.format('entity source %s has no text column "entity_ref"', NEW.relation),
      DETAIL = 'Entities are looked up by their canonical ref (kind:namespace/name, lowercase) in a column named entity_ref.';
  END IF;
  IF ent_type IS NULL OR ent_type NOT IN ('pg_catalog.jsonb'::pg_catalog.regtype,
                                          'pg_catalog.json'::pg_catalog.regtype,
                                          'pg_catalog.text'::pg_catalog.regtype) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_table_definition',
      MESSAGE = pg_catalog.format('entity source %s has no jsonb, json or text column "%s"',
                                  NEW.relation, NEW.entity_column);
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION bsperm.entity_source_check() IS
  'checks that the entity source has an entity_ref column and an entity column decisions can read';
CREATE TRIGGER entity_source_check BEFORE INSERT OR UPDATE ON bsperm.entity_source
  FOR EACH ROW EXECUTE FUNCTION bsperm.entity_source_check();

-- Memberships come from the source's User and Group entities: a write of one
-- of them makes cached identities and the plans that folded their decisions
-- stale.  On a source other than bsperm.entities, row triggers whose WHEN
-- clause costs a prefix test of entity_ref per row and nothing else
-- (Backstage's stitcher writes one row per statement, and only when the
-- entity changed) bump the policy version (policy_row_changed)
-- and invalidate folded plans (bsperm_policy_changed, 40_rls.sql).  They are
-- created when the row here names the relation and dropped when it stops
-- naming it.  ENABLE ALWAYS: a replica applying Backstage's writes keeps its
-- decisions current too.  The WHEN clauses read entity_ref only, so the
-- entity column's type may change under them (Backstage's migration of
-- final_entity to jsonb).
CREATE FUNCTION bsperm.entity_source_triggers(rel pg_catalog.regclass, install boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  member constant text := '(pg_catalog.starts_with(%1$s.entity_ref::pg_catalog.text, ''user:'') OR '
                          'pg_catalog.starts_with(%1$s.entity_ref::pg_catalog.text, ''group:''))';
  ops constant text[] := ARRAY['insert', 'update', 'delete'];
  whens text[];
  fns constant text[] := ARRAY['policy_row_changed', 'bsperm_policy_changed'];
  names constant text[] := ARRAY['bsperm_membership_', 'bsperm_membership_plans_'];
  i int;
  k int;
  t name;
BEGIN
  IF rel OPERATOR(pg_catalog.=) 'bsperm.entities'::pg_catalog.regclass THEN
    RETURN;          -- bsperm.entities has its own triggers (20_policy.sql)
  END IF;
  whens := ARRAY[pg_catalog.format(member, 'NEW'),
                 pg_catalog.format('%s OR %s', pg_catalog.format(member, 'OLD'), pg_catalog.format(member, 'NEW')),
                 pg_catalog.format(member, 'OLD')];
  FOR t IN SELECT g.tgname FROM pg_catalog.pg_trigger g
            WHERE g.tgrelid OPERATOR(pg_catalog.=) rel
              AND pg_catalog.starts_with(g.tgname::pg_catalog.text, 'bsperm_membership_') LOOP
    EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', t, rel);
  END LOOP;
  IF NOT install THEN
    RETURN;
  END IF;
  FOR k IN 1..2 LOOP
    FOR i IN 1..3 LOOP
      EXECUTE pg_catalog.format(
        'CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION bsperm.%I()',
        names[k] || ops[i], ops[i], rel, whens[i], fns[k]);
    END LOOP;
    EXECUTE pg_catalog.format(
      'CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION bsperm.%I()',
      names[k] || 'truncate', rel, CASE k WHEN 1 THEN 'policy_changed' ELSE fns[k] END);
    FOR i IN 1..4 LOOP
      EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I',
                                rel, names[k] || (ops || 'truncate'::text)[i]);
    END LOOP;
  END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION bsperm.entity_source_triggers(pg_catalog.regclass, boolean) FROM PUBLIC;
COMMENT ON FUNCTION bsperm.entity_source_triggers(pg_catalog.regclass, boolean) IS
  'creates (or drops) the triggers that make a write of a User or Group entity in an entity source bump the policy version and invalidate folded plans';

CREATE FUNCTION bsperm.entity_source_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT'
     AND EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) OLD.relation) THEN
    PERFORM bsperm.entity_source_triggers(OLD.relation, false);
  END IF;
  IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN
    PERFORM bsperm.entity_source_triggers(NEW.relation, true);
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION bsperm.entity_source_changed() IS
  'moves the membership triggers to the relation the entity source names';
CREATE TRIGGER entity_source_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.entity_source
  FOR EACH ROW EXECUTE FUNCTION bsperm.entity_source_changed();

-- For bsperm_protect_backstage / bsperm_unprotect_backstage (45_backstage.sql):
-- make the protected catalog's entities the source, or stop reading them
-- before they go.  Only a role that may write bsperm.entity_source (the
-- extension's owner, a superuser) changes it; anyone else gets a warning
-- saying what to run.
CREATE FUNCTION bsperm._bsperm_entity_source_follow(rel pg_catalog.regclass, col name, follow boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  may constant boolean := pg_catalog.has_table_privilege('bsperm.entity_source', 'SELECT, INSERT, UPDATE, DELETE');
  cur bsperm.entity_source;
  todo text;
BEGIN
  IF may THEN
    SELECT * INTO cur FROM bsperm.entity_source;
  END IF;
  IF follow THEN
    IF may AND cur.relation IS NOT DISTINCT FROM rel AND cur.entity_column IS NOT DISTINCT FROM col THEN
      RETURN;
    END IF;
    todo := pg_catalog.format('INSERT INTO bsperm.entity_source (relation, entity_column) VALUES (%L, %L) '
                              'ON CONFLICT (singleton) DO UPDATE SET relation = excluded.relation, entity_column = excluded.entity_column',
                              rel, col);
  ELSE
    IF may AND cur.relation IS DISTINCT FROM rel THEN
      RETURN;
    END IF;
    todo := pg_catalog.format('DELETE FROM bsperm.entity_source WHERE relation = %L::regclass', rel);
  END IF;
  IF may THEN
    EXECUTE todo;
  ELSE
    RAISE WARNING USING ERRCODE = 'insufficient_privilege',
      MESSAGE = CASE WHEN follow THEN pg_catalog.format('decisions do not read the entities of %s', rel)
                     ELSE pg_catalog.format('decisions may still read the entities of %s', rel) END,
      DETAIL = 'Only the owner of the extension bsperm (a superuser) may change bsperm.entity_source.',
      HINT = pg_catalog.format('Run as a superuser: %s;', todo);
  END IF;
END
$fn$;
COMMENT ON FUNCTION bsperm._bsperm_entity_source_follow(pg_catalog.regclass, name, boolean) IS
  'points bsperm.entity_source at a relation (follow) or away from it, if the caller may; else warns with the statement to run';

-- versioned like every policy table (20_policy.sql)
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bsperm.entity_source
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.policy_changed();
ALTER TABLE bsperm.entity_source ENABLE ALWAYS TRIGGER policy_changed;
CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.entity_source
  FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed();
ALTER TABLE bsperm.entity_source ENABLE REPLICA TRIGGER policy_row_changed;

SELECT pg_catalog.pg_extension_config_dump('bsperm.entity_source', '');
-- bsperm install script, part 25: permission rules as data (doc/rules.md).
--
-- A declared rule is a row of bsperm.rules: name, description, a JSON Schema
-- of its parameters and the EntityFilter it tests with "${param}"
-- substituted.  Every path that reads criteria derives validation, the
-- per-entity check, the SQL predicate and the index terms from that one row
-- (src/core/bsp_rules.c, src/pg/pg_rules.c).  Only the owner may declare,
-- change or drop rules (the table is the owner's); every change bumps the
-- policy version, so plans and caches use it from the next statement on; a
-- rule that a stored conditional policy uses cannot be dropped or renamed,
-- and a change that would make such a policy invalid is refused.

CREATE FUNCTION @extschema@.bsperm_validate_rule(declaration jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_validate_rule'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_validate_rule(jsonb) IS
  'true for a valid rule declaration {name, resourceType, description, paramsSchema, filter}; raises an error that names the place of the first problem';

CREATE FUNCTION @extschema@.bsperm_builtin_rules()
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_builtin_rules'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_builtin_rules() IS
  'the declarations of the built-in declared rules (IS_FROM_CLUSTER, IN_NAMESPACE) as bsperm installs them';

CREATE TABLE bsperm.rules (
  name text PRIMARY KEY,
  resource_type text NOT NULL DEFAULT 'catalog-entity',
  description text NOT NULL DEFAULT '',
  params_schema jsonb NOT NULL,
  filter jsonb NOT NULL,
  builtin boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE bsperm.rules IS
  'declared permission rules: parameters (JSON Schema) and the EntityFilter they test, "${param}" substituted';

-- the conditional policies whose conditions name the rule
CREATE FUNCTION bsperm.rules_users(rule_name text)
RETURNS SETOF bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT c.id FROM bsperm.conditional_policies c
   WHERE pg_catalog.jsonb_path_exists(c.conditions, '$.** ? (@.rule == $r)',
                                      pg_catalog.jsonb_build_object('r', rule_name))
   ORDER BY c.id
$fn$;
REVOKE ALL ON FUNCTION bsperm.rules_users(text) FROM PUBLIC;

CREATE FUNCTION bsperm.rules_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  ids bigint[];
BEGIN
  IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
    SELECT pg_catalog.array_agg(u) INTO ids
      FROM bsperm.rules r, bsperm.rules_users(r.name) u;
  ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE'
        OR OLD.name OPERATOR(pg_catalog.<>) NEW.name THEN
    SELECT pg_catalog.array_agg(u) INTO ids FROM bsperm.rules_users(OLD.name) u;
  END IF;
  IF ids IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'dependent_objects_still_exist',
      MESSAGE = CASE WHEN TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE'
                     THEN pg_catalog.format('declared rules are used by conditional policies %s',
                                            pg_catalog.array_to_string(ids, ', '))
                     ELSE pg_catalog.format('rule "%s" is used by conditional policies %s',
                                            OLD.name, pg_catalog.array_to_string(ids, ', ')) END,
      HINT = 'Change or delete those rows of bsperm.conditional_policies first.';
  END IF;
  IF TG_OP OPERATOR(pg_catalog.=) 'TRUNCATE' THEN
    RETURN NULL;
  ELSIF TG_OP OPERATOR(pg_catalog.=) 'DELETE' THEN
    RETURN OLD;
  END IF;
  PERFORM @extschema@.bsperm_validate_rule(pg_catalog.jsonb_build_object(
    'name', NEW.name, 'resourceType', NEW.resource_type, 'description', NEW.description,
    'paramsSchema', NEW.params_schema, 'filter', NEW.filter));
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION bsperm.rules_check() IS
  'validates a rule declaration; refuses to drop or rename a rule that a conditional policy uses';
CREATE TRIGGER rules_check BEFORE INSERT OR UPDATE OR DELETE ON bsperm.rules
  FOR EACH ROW EXECUTE FUNCTION bsperm.rules_check();
CREATE TRIGGER rules_check_truncate BEFORE TRUNCATE ON bsperm.rules
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.rules_check();

-- A changed rule must still accept the conditions stored with it: they are
-- checked again against the new declaration (the version is bumped first, so
-- the check reads the row as changed).
CREATE FUNCTION bsperm.rules_recheck() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  c record;
  msg text;
BEGIN
  PERFORM bsperm.policy_bump();
  FOR c IN SELECT p.id, p.conditions FROM bsperm.conditional_policies p
            WHERE p.id IN (SELECT bsperm.rules_users(NEW.name)) ORDER BY p.id LOOP
    BEGIN
      PERFORM @extschema@.bsperm_validate_criteria(
        @extschema@.bsperm_substitute_placeholders(c.conditions, 'user:default/placeholder',
                                                   ARRAY['user:default/placeholder']));
    EXCEPTION WHEN invalid_parameter_value OR undefined_object THEN
      GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
      RAISE EXCEPTION USING ERRCODE = 'dependent_objects_still_exist',
        MESSAGE = pg_catalog.format('rule "%s" cannot change this way: conditional policy %s uses it', NEW.name, c.id),
        DETAIL = pg_catalog.format('With the change its conditions are refused: %s', msg),
        HINT = 'Change that conditional policy first, or declare the rule under a new name.';
    END;
  END LOOP;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER rules_recheck AFTER UPDATE ON bsperm.rules
  FOR EACH ROW EXECUTE FUNCTION bsperm.rules_recheck();

-- the built-in declared rules, from the core's declarations
INSERT INTO bsperm.rules (name, resource_type, description, params_schema, filter, builtin)
SELECT d OPERATOR(pg_catalog.->>) 'name', d OPERATOR(pg_catalog.->>) 'resourceType',
       d OPERATOR(pg_catalog.->>) 'description', d OPERATOR(pg_catalog.->) 'paramsSchema',
       d OPERATOR(pg_catalog.->) 'filter', true
  FROM pg_catalog.jsonb_array_elements(@extschema@.bsperm_builtin_rules()) d;

-- every change is a policy change (the same triggers as 20_policy.sql's tables)
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bsperm.rules
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.policy_changed();
ALTER TABLE bsperm.rules ENABLE ALWAYS TRIGGER policy_changed;
CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.rules
  FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed();
ALTER TABLE bsperm.rules ENABLE REPLICA TRIGGER policy_row_changed;

SELECT pg_catalog.pg_extension_config_dump('bsperm.rules', 'WHERE NOT builtin');

CREATE FUNCTION @extschema@.bsperm_declare_rule(name text, description text,
                                                params_schema jsonb, filter jsonb)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  INSERT INTO bsperm.rules AS r (name, description, params_schema, filter)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT ON CONSTRAINT rules_pkey DO UPDATE
    SET description = EXCLUDED.description, params_schema = EXCLUDED.params_schema,
        filter = EXCLUDED.filter, builtin = false
$fn$;
REVOKE ALL ON FUNCTION @extschema@.bsperm_declare_rule(text, text, jsonb, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.bsperm_declare_rule(text, text, jsonb, jsonb) IS
  'declares (or changes) a permission rule: parameters as a JSON Schema, and the EntityFilter it tests with "${param}" substituted';

CREATE FUNCTION @extschema@.bsperm_drop_rule(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  DELETE FROM bsperm.rules r WHERE r.name OPERATOR(pg_catalog.=) bsperm_drop_rule.name;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'undefined_object',
      MESSAGE = pg_catalog.format('rule "%s" is not declared', bsperm_drop_rule.name);
  END IF;
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.bsperm_drop_rule(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.bsperm_drop_rule(text) IS
  'drops a declared rule; refused while a conditional policy uses it';

CREATE FUNCTION @extschema@.bsperm_set_cluster_annotation(annotation text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  UPDATE bsperm.rules r
     SET filter = pg_catalog.jsonb_set(r.filter, '{key}',
           pg_catalog.to_jsonb('metadata.annotations.' OPERATOR(pg_catalog.||)
                               pg_catalog.replace($1, '$', '$$'))),
         description = 'Allow entities discovered in one of the given Kubernetes clusters (the '
                       OPERATOR(pg_catalog.||) $1 OPERATOR(pg_catalog.||) ' annotation)'
   WHERE r.name OPERATOR(pg_catalog.=) 'IS_FROM_CLUSTER'
$fn$;
REVOKE ALL ON FUNCTION @extschema@.bsperm_set_cluster_annotation(text) FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.bsperm_set_cluster_annotation(text) IS
  'the annotation IS_FROM_CLUSTER reads (default backstage.io/kubernetes-cluster)';

-- Backstage's /.well-known/backstage/permissions/metadata for the catalog:
-- the permissions, the catalog's six rules (IS_ENTITY_OWNER with bsperm's
-- transitive and maxDepth) and the declared rules.
CREATE FUNCTION @extschema@.bsperm_metadata()
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object(
    'permissions', COALESCE((
      SELECT pg_catalog.jsonb_agg(
               pg_catalog.jsonb_build_object('type', p.type, 'name', p.name, 'attributes',
                 CASE WHEN p.action IS NULL THEN '{}'::jsonb
                      ELSE pg_catalog.jsonb_build_object('action', p.action) END)
               OPERATOR(pg_catalog.||)
               CASE WHEN p.resource_type IS NULL THEN '{}'::jsonb
                    ELSE pg_catalog.jsonb_build_object('resourceType', p.resource_type) END
               ORDER BY p.name)
        FROM bsperm.permissions p), '[]'::jsonb),
    'rules', $core$[
    {"name": "HAS_ANNOTATION", "description": "Allow entities with the specified annotation", "resourceType": "catalog-entity", "paramsSchema": {"type": "object", "properties": {"annotation": {"type": "string", "description": "Name of the annotation to match on"}, "value": {"type": "string", "description": "Value of the annotation to match on"}}, "required": ["annotation"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
    {"name": "HAS_LABEL", "description": "Allow entities with the specified label", "resourceType": "catalog-entity", "paramsSchema": {"type": "object", "properties": {"label": {"type": "string", "description": "Name of the label to match on"}, "value": {"type": "string", "description": "Value of the label to match on"}}, "required": ["label"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
    {"name": "HAS_METADATA", "description": "Allow entities with the specified metadata subfield", "resourceType": "catalog-entity", "paramsSchema": {"type": "object", "properties": {"key": {"type": "string", "description": "Property within the entities metadata to match on"}, "value": {"type": "string", "description": "Value of the given property to match on"}}, "required": ["key"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
    {"name": "HAS_SPEC", "description": "Allow entities with the specified spec subfield", "resourceType": "catalog-entity", "paramsSchema": {"type": "object", "properties": {"key": {"type": "string", "description": "Property within the entities spec to match on"}, "value": {"type": "string", "description": "Value of the given property to match on"}}, "required": ["key"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
    {"name": "IS_ENTITY_KIND", "description": "Allow entities matching a specified kind", "resourceType": "catalog-entity", "paramsSchema": {"type": "object", "properties": {"kinds": {"type": "array", "items": {"type": "string"}, "description": "List of kinds to match at least one of"}}, "required": ["kinds"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}},
    {"name": "IS_ENTITY_OWNER", "description": "Allow entities owned by a specified claim", "resourceType": "catalog-entity", "paramsSchema": {"type": "object", "properties": {"claims": {"type": "array", "items": {"type": "string"}, "description": "List of claims to match at least one on within ownedBy"}, "transitive": {"type": "string", "enum": ["ancestors", "descendants"], "description": "bsperm: a claimed group also claims its ancestor groups (childOf) or its descendant groups (parentOf)"}, "maxDepth": {"type": "integer", "minimum": 1, "description": "bsperm: how many levels of the group hierarchy transitive follows (default: all)"}}, "required": ["claims"], "additionalProperties": false, "$schema": "http://json-schema.org/draft-07/schema#"}}
    ]$core$::jsonb OPERATOR(pg_catalog.||) COALESCE((
      SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'name', r.name, 'description', r.description,
               'resourceType', r.resource_type, 'paramsSchema', r.params_schema)
             ORDER BY r.name)
        FROM bsperm.rules r), '[]'::jsonb))
$fn$;
COMMENT ON FUNCTION @extschema@.bsperm_metadata() IS
  'Backstage''s permission metadata for the catalog (permissions, rules with paramsSchema), declared rules included';
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
-- bsperm install script, part 45: the per-row cost of @~.
--
-- A filter evaluated on a stored entity costs about 0.3-1 microseconds (the
-- compound policies of bench/rls), as much as reading most of a page
-- sequentially; with the default cost of a function (1, i.e. 0.0025 cost
-- units) the planner would weigh filtering every row of a table against an
-- index scan as if it were free, and scan half a table with the filter
-- rather than recheck the rows the index finds.
ALTER FUNCTION @extschema@.bsperm_filter_matches(jsonb, jsonb) COST 300;
-- bsperm install script, part 60: explanations of decisions, policy tests
-- (doc/explain.md). The C side is src/pg/pg_explain.c and pg_policy_tests.c.

CREATE FUNCTION @extschema@.bsperm_explain(permission text, resource_ref text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_explain'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_explain(text, text) IS
  'why the current identity gets the decision it gets: identity, roles and where they come from, lines and conditional policies considered, the rule that decided, criteria values on the resource; result equals bsperm_authorize';

CREATE FUNCTION @extschema@.bsperm_explain_for(user_ref text, ownership_refs text[],
  permission text, resource_ref text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_explain_for'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_explain_for(text, text[], text, text) IS
  'bsperm_explain for a named user (NULL ownership_refs: computed from the catalog); the owner and roles it grants EXECUTE only';
REVOKE ALL ON FUNCTION @extschema@.bsperm_explain_for(text, text[], text, text) FROM PUBLIC;

CREATE FUNCTION @extschema@.bsperm_explain_row(tbl regclass, entity_ref text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_explain_row'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_explain_row(regclass, text) IS
  'why the current user does or does not see the row of a protected table whose entity has this ref; nothing about a row it cannot see';

CREATE FUNCTION @extschema@.bsperm_test_policy(cases jsonb)
RETURNS integer
AS 'MODULE_PATHNAME', 'bsperm_test_policy'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.bsperm_test_policy(jsonb) IS
  'checks expected decisions ([{user, ownershipRefs, permission, resource|entity, expected}]): a WARNING per failing case, then an ERROR; returns the number of cases';
REVOKE ALL ON FUNCTION @extschema@.bsperm_test_policy(jsonb) FROM PUBLIC;
-- bsperm install script, part 61: the decision audit log (doc/audit.md).
-- The C side is src/pg/pg_audit.c.

CREATE TABLE bsperm.audit_settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  enabled boolean NOT NULL DEFAULT false,
  retention interval NOT NULL DEFAULT '30 days'
    CHECK (retention OPERATOR(pg_catalog.>) '0'::pg_catalog.interval),
  -- decisions that cannot be written to the table (their transaction rolled
  -- back, or was read-only) go to the server log instead
  server_log_fallback boolean NOT NULL DEFAULT true
);
REVOKE ALL ON bsperm.audit_settings FROM PUBLIC;
COMMENT ON TABLE bsperm.audit_settings IS
  'at most one row (none: off): is the decision audit log on, and how long its rows are kept; changed by the owner only';

-- Only a superuser or the owner of schema bsperm changes the setting, even
-- if the table was granted: a role that can be audited must not be able to
-- switch the log off.
CREATE FUNCTION bsperm.audit_settings_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r
                  WHERE r.rolname OPERATOR(pg_catalog.=) current_user
                    AND (r.rolsuper OR r.oid OPERATOR(pg_catalog.=)
                         (SELECT n.nspowner FROM pg_catalog.pg_namespace n
                           WHERE n.nspname OPERATOR(pg_catalog.=) 'bsperm'))) THEN
    RAISE EXCEPTION 'only the owner of schema bsperm or a superuser may change bsperm.audit_settings'
      USING ERRCODE = '42501';
  END IF;
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION bsperm.audit_settings_check() FROM PUBLIC;
CREATE TRIGGER audit_settings_check BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON bsperm.audit_settings FOR EACH STATEMENT EXECUTE FUNCTION bsperm.audit_settings_check();
ALTER TABLE bsperm.audit_settings ENABLE ALWAYS TRIGGER audit_settings_check;
-- policy data: a change gives the policy a new version (20_policy.sql)
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bsperm.audit_settings
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.policy_changed();
ALTER TABLE bsperm.audit_settings ENABLE ALWAYS TRIGGER policy_changed;
CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.audit_settings
  FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed();
ALTER TABLE bsperm.audit_settings ENABLE REPLICA TRIGGER policy_row_changed;

CREATE TABLE bsperm.decision_log (
  decision_id uuid NOT NULL,  -- unique by construction (time and 74 random bits), not indexed
  decided_at timestamptz NOT NULL,
  session_role text NOT NULL,
  acting_role text NOT NULL,
  user_ref text,
  permission text NOT NULL,
  resource_ref text,
  result text NOT NULL,
  policy_version bigint NOT NULL,
  via text NOT NULL
);
-- rows arrive in time order: a BRIN index finds old ones for retention and
-- costs an insert almost nothing; no other index (each costs every decision)
CREATE INDEX decision_log_decided_at ON bsperm.decision_log USING brin (decided_at);
REVOKE ALL ON bsperm.decision_log FROM PUBLIC;
COMMENT ON TABLE bsperm.decision_log IS
  'one row per decision while bsperm.audit_settings.enabled; readable by the owner and roles it grants';

-- both survive pg_dump / pg_restore
SELECT pg_catalog.pg_extension_config_dump('bsperm.audit_settings', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.decision_log', '');
-- Operations: dump and restore, DROP EXTENSION (doc/operations.md).

-------------------------------------------------------------------------------
-- Dump and restore.  pg_dump writes CREATE EXTENSION bsperm, not the
-- extension's tables; the tables and sequences that hold what a user
-- configures are registered here (and in 20_policy.sql) so that their rows are
-- dumped with the database's data.  The identity sequence of
-- conditional_policies, so that a restored database numbers new policies
-- after the restored ones; the protected tables (bsperm.entities is protected
-- by CREATE EXTENSION itself, so its row is not dumped).
SELECT pg_catalog.pg_extension_config_dump('bsperm.conditional_policies_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.protected_tables',
  'WHERE relid OPERATOR(pg_catalog.<>) ''bsperm.entities''::pg_catalog.regclass');

-------------------------------------------------------------------------------
-- DROP EXTENSION bsperm unprotects every table first (an event trigger in C
-- sees which extension a DROP EXTENSION drops, pg_release.c): each table gets
-- back the row security it had before bsperm_protect, with its owner's own
-- policies, instead of row security forced on with bsperm's policies gone.
CREATE FUNCTION bsperm._bsperm_unprotect_all()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
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
    PERFORM @extschema@.bsperm_unprotect(t);
    RAISE NOTICE 'bsperm no longer protects table %', t
      USING DETAIL = 'Its row security is as it was before bsperm_protect.';
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION bsperm._bsperm_unprotect_all() FROM PUBLIC;
COMMENT ON FUNCTION bsperm._bsperm_unprotect_all() IS
  'bsperm_unprotect for every protected table (run by DROP EXTENSION bsperm)';

CREATE FUNCTION bsperm._bsperm_drop_extension()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'bsperm_drop_extension_guard'
LANGUAGE C;
REVOKE ALL ON FUNCTION bsperm._bsperm_drop_extension() FROM PUBLIC;
CREATE EVENT TRIGGER bsperm_drop_extension ON ddl_command_start
  WHEN TAG IN ('DROP EXTENSION')
  EXECUTE FUNCTION bsperm._bsperm_drop_extension();
