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
