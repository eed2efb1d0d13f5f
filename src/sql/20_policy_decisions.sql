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
