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
