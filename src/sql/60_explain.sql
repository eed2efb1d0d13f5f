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
