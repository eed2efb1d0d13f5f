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
  CREATE TEMP TABLE IF NOT EXISTS bsperm_csv_lines (line integer, text text, type text, fields text[])
    ON COMMIT DROP;
  TRUNCATE bsperm_csv_lines;
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
    INSERT INTO bsperm_csv_lines VALUES (r.line, r.text, r.type, r.fields);
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
      FROM bsperm_csv_lines l
     WHERE l.type OPERATOR(pg_catalog.=) 'g' OR pg_catalog.starts_with(l.fields[1], 'role:')
    ON CONFLICT (name) DO NOTHING;
  INSERT INTO bsperm.permission_policies (role, member, object, action, effect, source)
    SELECT CASE WHEN pg_catalog.starts_with(l.fields[1], 'role:') THEN l.fields[1] END,
           CASE WHEN NOT pg_catalog.starts_with(l.fields[1], 'role:') THEN l.fields[1] END,
           l.fields[2], l.fields[3], l.fields[4], 'csv-file'
      FROM bsperm_csv_lines l WHERE l.type OPERATOR(pg_catalog.=) 'p'
    ON CONFLICT DO NOTHING;
  INSERT INTO bsperm.role_members (role, member, source)
    SELECT l.fields[2], l.fields[1], 'csv-file'
      FROM bsperm_csv_lines l WHERE l.type OPERATOR(pg_catalog.=) 'g'
    ON CONFLICT DO NOTHING;
  SELECT pg_catalog.count(*) INTO applied FROM bsperm_csv_lines;

  -- roles the file created and nothing names any more
  DELETE FROM bsperm.roles ro
   WHERE ro.source OPERATOR(pg_catalog.=) 'csv-file'
     AND NOT EXISTS (SELECT FROM bsperm.role_members m WHERE m.role OPERATOR(pg_catalog.=) ro.name)
     AND NOT EXISTS (SELECT FROM bsperm.permission_policies p WHERE p.role OPERATOR(pg_catalog.=) ro.name)
     AND NOT EXISTS (SELECT FROM bsperm.conditional_policies c WHERE c.role OPERATOR(pg_catalog.=) ro.name)
     AND NOT EXISTS (SELECT FROM bsperm.policy_config pc WHERE pc.default_role OPERATOR(pg_catalog.=) ro.name);
  DROP TABLE bsperm_csv_lines;
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
