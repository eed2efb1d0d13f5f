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
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_matches(jsonb, jsonb) IS
  'true when the entity satisfies the Backstage permission criteria (catalog search semantics)';

CREATE FUNCTION @extschema@.bsperm_validate_criteria(criteria jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_validate_criteria'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsperm_validate_criteria(jsonb) IS
  'normalized permission criteria; raises an error that names the place of the first problem';

CREATE FUNCTION @extschema@.bsperm_criteria_filter(criteria jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_criteria_filter'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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
    CHECK (actions <@ '{create,read,update,delete}'::text[]),
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
-- bsperm install script, part 20 (continued): importing RBAC plugin policy CSV.

CREATE FUNCTION @extschema@.bsperm_import_rbac_csv(csv text, replace boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
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
$fn$;
COMMENT ON FUNCTION @extschema@.bsperm_import_rbac_csv(text, boolean) IS
  'imports RBAC plugin policy CSV ("p" and "g" lines) into the policy tables; with replace, existing lines and members go first; returns the number of lines applied';
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
