-- bsperm install script, part 00: the criteria engine.
-- Parts under src/sql are concatenated in name order into bsperm--VERSION.sql.

\echo Use "CREATE EXTENSION bsperm" to load this file. \quit

-- Nobody but the owner may create objects in bsperm's schema.
REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

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

CREATE FUNCTION @extschema@.bsperm_filter_matches_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_filter_matches_support'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The EntityFilter operator.  It never raises an error that depends on the
-- row it reads (only on the filter, which is the same for every row), so it
-- is LEAKPROOF and may be pushed below row-level-security quals.
CREATE FUNCTION @extschema@.bsperm_filter_matches(entity jsonb, filter jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_filter_matches'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF
SUPPORT @extschema@.bsperm_filter_matches_support;
COMMENT ON FUNCTION @extschema@.bsperm_filter_matches(jsonb, jsonb) IS
  'true when the entity matches the Backstage EntityFilter (the @~ operator)';

CREATE OPERATOR @extschema@.@~ (
  LEFTARG = jsonb,
  RIGHTARG = jsonb,
  FUNCTION = @extschema@.bsperm_filter_matches,
  RESTRICT = pg_catalog.matchingsel,
  JOIN = pg_catalog.matchingjoinsel
);
COMMENT ON OPERATOR @extschema@.@~ (jsonb, jsonb) IS
  'entity matches Backstage EntityFilter ({"key","values"} leaves under allOf/anyOf/not)';

CREATE FUNCTION @extschema@.bsperm_gin_extract_value(jsonb, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_gin_extract_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bsperm_gin_extract_query(jsonb, internal, int2, internal, internal, internal, internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'bsperm_gin_extract_query'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bsperm_gin_consistent(internal, int2, jsonb, int4, internal, internal, internal, internal)
RETURNS boolean
AS 'MODULE_PATHNAME', 'bsperm_gin_consistent'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.bsperm_gin_triconsistent(internal, int2, jsonb, int4, internal, internal, internal)
RETURNS "char"
AS 'MODULE_PATHNAME', 'bsperm_gin_triconsistent'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR CLASS @extschema@.bsperm_entity_ops
FOR TYPE jsonb USING gin AS
  OPERATOR 1 @extschema@.@~ (jsonb, jsonb),
  FUNCTION 1 pg_catalog.btint4cmp(int4, int4),
  FUNCTION 2 @extschema@.bsperm_gin_extract_value(jsonb, internal, internal),
  FUNCTION 3 @extschema@.bsperm_gin_extract_query(jsonb, internal, int2, internal, internal, internal, internal),
  FUNCTION 4 @extschema@.bsperm_gin_consistent(internal, int2, jsonb, int4, internal, internal, internal, internal),
  FUNCTION 6 @extschema@.bsperm_gin_triconsistent(internal, int2, jsonb, int4, internal, internal, internal),
  STORAGE int4;
COMMENT ON OPERATOR CLASS @extschema@.bsperm_entity_ops USING gin IS
  'indexes a Backstage entity''s search rows for the @~ operator';
-- bsperm install script, part 10: the catalog table.
--
-- One row per Backstage entity (the catalog's final_entity as jsonb).  The
-- decision functions load resources from here by exact canonical entity ref,
-- as the catalog's apply-conditions endpoint does (spec section 1.5 step 3),
-- and compute users' group memberships from the entities' relations.

CREATE TABLE @extschema@.entities (
  entity_ref text PRIMARY KEY
    GENERATED ALWAYS AS (@extschema@.bsperm_entity_ref(entity)) STORED,
  entity jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  CONSTRAINT entities_entity_is_object
    CHECK (pg_catalog.jsonb_typeof(entity) OPERATOR(pg_catalog.=) 'object')
);
COMMENT ON TABLE @extschema@.entities IS
  'Backstage catalog entities (final_entity as jsonb), keyed by their canonical entity ref';
COMMENT ON COLUMN @extschema@.entities.entity_ref IS
  'canonical ref kind:namespace/name, lowercased; generated from the entity';

CREATE INDEX entities_entity_idx ON @extschema@.entities
  USING gin (entity @extschema@.bsperm_entity_ops);
-- bsperm install script, part 20: permissions, policies and identities as data.
--
-- Every table here is readable and writable only by its owner (the role that
-- created the extension, a superuser) unless an administrator grants more.
-- The decision functions read them through C code that switches to the owner,
-- so nobody needs privileges on them to be judged by them.  Every committed
-- change bumps bsperm.policy_state.version, which the decision functions read
-- at every statement: a change takes effect for the next statement in every
-- session.

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

CREATE TABLE @extschema@.permissions (
  name text PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('basic', 'resource')),
  resource_type text,
  action text CHECK (action IN ('create', 'read', 'update', 'delete')),
  builtin boolean NOT NULL DEFAULT false,
  CONSTRAINT permissions_resource_type_check
    CHECK ((type = 'resource') = (resource_type IS NOT NULL))
);
COMMENT ON TABLE @extschema@.permissions IS
  'Backstage permissions known to bsperm: the catalog''s eleven, and any an integrator adds';

INSERT INTO @extschema@.permissions (name, type, resource_type, action, builtin) VALUES
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

CREATE TABLE @extschema@.roles (
  name text PRIMARY KEY
    CONSTRAINT roles_name_check CHECK (name ~ '^role:[^:/]+/.+$'),
  description text
);
COMMENT ON TABLE @extschema@.roles IS
  'RBAC roles, named role:<namespace>/<name>';

CREATE TABLE @extschema@.role_members (
  role text NOT NULL REFERENCES @extschema@.roles ON UPDATE CASCADE ON DELETE CASCADE,
  member text NOT NULL
    CONSTRAINT role_members_member_check CHECK (member ~ '^(user|group):[^:/]+/.+$'),
  PRIMARY KEY (role, member)
);
CREATE INDEX role_members_member_idx ON @extschema@.role_members (member);
COMMENT ON TABLE @extschema@.role_members IS
  'RBAC "g" lines: users and groups (entity refs) that hold a role';

CREATE TABLE @extschema@.permission_policies (
  role text REFERENCES @extschema@.roles ON UPDATE CASCADE ON DELETE CASCADE,
  member text
    CONSTRAINT permission_policies_member_check CHECK (member ~ '^(user|group):[^:/]+/.+$'),
  object text NOT NULL CHECK (object <> ''),
  action text NOT NULL CHECK (action IN ('create', 'read', 'update', 'delete', 'use')),
  effect text NOT NULL CHECK (effect IN ('allow', 'deny')),
  CONSTRAINT permission_policies_subject_check CHECK ((role IS NULL) <> (member IS NULL)),
  CONSTRAINT permission_policies_line_key
    UNIQUE NULLS NOT DISTINCT (role, member, object, action, effect)
);
COMMENT ON TABLE @extschema@.permission_policies IS
  'RBAC "p" lines: a role (or directly a user or group) is allowed or denied an action on a permission name or resource type';

CREATE TABLE @extschema@.conditional_policies (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  role text NOT NULL REFERENCES @extschema@.roles ON UPDATE CASCADE ON DELETE CASCADE,
  plugin_id text NOT NULL CHECK (plugin_id <> ''),
  resource_type text NOT NULL CHECK (resource_type <> ''),
  actions text[] NOT NULL DEFAULT '{}'
    CHECK (actions <@ '{create,read,update,delete}'::text[]),
  permissions text[] NOT NULL DEFAULT '{}' CHECK (pg_catalog.array_position(permissions, NULL) IS NULL),
  conditions jsonb NOT NULL,
  CONSTRAINT conditional_policies_mapping_check
    CHECK (pg_catalog.cardinality(actions) > 0 OR pg_catalog.cardinality(permissions) > 0)
);
CREATE INDEX conditional_policies_role_idx ON @extschema@.conditional_policies (role);
COMMENT ON TABLE @extschema@.conditional_policies IS
  'RBAC conditional policies: criteria per role for the permissions of one resource type, with $currentUser and $ownerRefs placeholders';

CREATE TABLE @extschema@.superusers (
  ref text PRIMARY KEY CHECK (ref <> '')
);
COMMENT ON TABLE @extschema@.superusers IS
  'user or group refs (admin.superUsers) that are allowed everything';

CREATE TABLE @extschema@.policy_config (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  policy text NOT NULL DEFAULT 'rbac' CHECK (policy IN ('rbac', 'allow-all', 'function')),
  policy_function regprocedure,
  max_depth integer CHECK (max_depth >= 0),
  decision_precedence text NOT NULL DEFAULT 'conditional'
    CHECK (decision_precedence IN ('conditional', 'basic')),
  default_role text REFERENCES @extschema@.roles ON UPDATE CASCADE ON DELETE SET NULL,
  use_ownership_entity_refs boolean NOT NULL DEFAULT false,
  CONSTRAINT policy_config_function_check
    CHECK (policy <> 'function' OR policy_function IS NOT NULL)
);
COMMENT ON TABLE @extschema@.policy_config IS
  'at most one row: which policy decides and the RBAC settings; no row means the RBAC policy with defaults';

-- PostgreSQL roles that log in directly get a Backstage identity from here.
CREATE TABLE @extschema@.role_users (
  role_name name PRIMARY KEY,
  user_ref text NOT NULL
    CONSTRAINT role_users_user_ref_check CHECK (user_ref ~ '^[^:/]+:[^:/]+/.+$'),
  ownership_refs text[]
    CHECK (pg_catalog.array_position(ownership_refs, NULL) IS NULL)
);
COMMENT ON TABLE @extschema@.role_users IS
  'maps a PostgreSQL login role (session_user) to the Backstage user it is; NULL ownership_refs are computed from the catalog';

-------------------------------------------------------------------------------
-- Validation triggers

CREATE FUNCTION @extschema@.policy_config_check() RETURNS trigger
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
COMMENT ON FUNCTION @extschema@.policy_config_check() IS
  'keeps the allow-all switch and the policy function superuser-only and checks the function''s signature';
CREATE TRIGGER policy_config_check BEFORE INSERT OR UPDATE ON @extschema@.policy_config
  FOR EACH ROW EXECUTE FUNCTION @extschema@.policy_config_check();

CREATE FUNCTION @extschema@.conditional_policies_check() RETURNS trigger
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
COMMENT ON FUNCTION @extschema@.conditional_policies_check() IS
  'validates the criteria of a conditional policy (catalog rules) with its placeholders filled in';
CREATE TRIGGER conditional_policies_check BEFORE INSERT OR UPDATE ON @extschema@.conditional_policies
  FOR EACH ROW EXECUTE FUNCTION @extschema@.conditional_policies_check();

-------------------------------------------------------------------------------
-- The policy version: bumped by every change that can alter a decision

CREATE SEQUENCE @extschema@.policy_version_seq;
CREATE TABLE @extschema@.policy_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version bigint NOT NULL
);
COMMENT ON TABLE @extschema@.policy_state IS
  'one row: the version of the policy data; per-backend caches are valid while it is unchanged';
INSERT INTO @extschema@.policy_state (version)
  VALUES (pg_catalog.nextval('@extschema@.policy_version_seq'));

-- Versions come from a sequence, not a counter: a rolled-back change can
-- never leave a version number that a later committed change reuses.
CREATE FUNCTION @extschema@.policy_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  UPDATE @extschema@.policy_state
     SET version = pg_catalog.nextval('@extschema@.policy_version_seq');
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.policy_changed() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.policy_changed() IS
  'statement trigger: a policy table changed, cached decisions are stale';

DO $do$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['permissions', 'roles', 'role_members', 'permission_policies',
                           'conditional_policies', 'superusers', 'policy_config', 'role_users']
  LOOP
    EXECUTE pg_catalog.format(
      'CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON @extschema@.%I
         FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.policy_changed()', t);
  END LOOP;
END
$do$;

-- Group memberships come from User and Group entities: a change to one of
-- them changes whose roles and claims are whose.  Other kinds cost a scan of
-- the statement's transition table and nothing else.
CREATE FUNCTION @extschema@.entities_membership_changed() RETURNS trigger
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
    UPDATE @extschema@.policy_state
       SET version = pg_catalog.nextval('@extschema@.policy_version_seq');
  END IF;
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION @extschema@.entities_membership_changed() FROM PUBLIC;
COMMENT ON FUNCTION @extschema@.entities_membership_changed() IS
  'statement trigger: a User or Group entity changed, cached memberships are stale';

CREATE TRIGGER entities_membership_insert AFTER INSERT ON @extschema@.entities
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.entities_membership_changed();
CREATE TRIGGER entities_membership_update AFTER UPDATE ON @extschema@.entities
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.entities_membership_changed();
-- (the deleted rows go by the name the function reads)
CREATE TRIGGER entities_membership_delete AFTER DELETE ON @extschema@.entities
  REFERENCING OLD TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.entities_membership_changed();
CREATE TRIGGER entities_membership_truncate AFTER TRUNCATE ON @extschema@.entities
  FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.entities_membership_changed();

-- pg_dump keeps the policy (the built-in permissions come back with the extension)
SELECT pg_catalog.pg_extension_config_dump('@extschema@.permissions', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.roles', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role_members', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.permission_policies', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.conditional_policies', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.superusers', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy_config', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role_users', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.entities', '');
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
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.bsperm_authorize(text, text) IS
  'ALLOW or DENY for the current identity (CONDITIONAL for a resource permission without a resource); conditions are applied to the entity with that exact ref';

CREATE FUNCTION @extschema@.bsperm_authorize(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_authorize_json'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.bsperm_authorize(jsonb) IS
  'Backstage''s POST /api/permission/authorize: {"items":[{id, permission, resourceRef?}]} in, {"items":[{id, result, ...}]} out';

CREATE FUNCTION @extschema@.bsperm_authorize_conditional(permission text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_authorize_conditional'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.bsperm_authorize_conditional(text) IS
  'the PolicyDecision for the current identity, with conditions and their placeholders filled in';

CREATE FUNCTION @extschema@.bsperm_apply_conditions(request jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'bsperm_apply_conditions'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
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
    DELETE FROM @extschema@.permission_policies;
    DELETE FROM @extschema@.role_members;
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
      IF subject !~ '^(role|user|group):[^:/]+/.+$' THEN
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
        INSERT INTO @extschema@.roles (name) VALUES (subject) ON CONFLICT DO NOTHING;
        INSERT INTO @extschema@.permission_policies (role, object, action, effect)
          VALUES (subject, f[3], f[4], f[5]) ON CONFLICT DO NOTHING;
      ELSE
        INSERT INTO @extschema@.permission_policies (member, object, action, effect)
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
      IF f[2] !~ '^(user|group):[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a user or group ref', lineno, f[2]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[3] !~ '^role:[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a role ref', lineno, f[3]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Roles are named role:<namespace>/<name>.';
      END IF;
      INSERT INTO @extschema@.roles (name) VALUES (f[3]) ON CONFLICT DO NOTHING;
      INSERT INTO @extschema@.role_members (role, member) VALUES (f[3], f[2]) ON CONFLICT DO NOTHING;
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
