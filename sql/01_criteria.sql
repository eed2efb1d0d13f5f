-- Criteria documents: validation, normalization, errors.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the six catalog rules, exactly as Backstage's condition helpers write them
SELECT bsperm_validate_criteria('{"result":"ignored","anyOf":[
 {"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["user:default/alice","group:default/team-a"]}},
 {"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"backstage.io/techdocs-ref"}},
 {"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Group"]}},
 {"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"tier","value":"gold"}},
 {"rule":"HAS_METADATA","resourceType":"catalog-entity","params":{"key":"tags","value":"java"}},
 {"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"lifecycle","value":"production"}}]}');

-- extra keys are accepted and dropped; empty strings and empty arrays are valid
SELECT bsperm_validate_criteria('{"not":{"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"","value":"","extra":[1,2]},"note":"x"}}');
SELECT bsperm_validate_criteria('{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":[]}}]}');
-- the leaf resourceType is required but, as in Backstage, not compared
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_KIND","resourceType":"WRONG-TYPE","params":{"kinds":["api"]}}');

-- NULL in, NULL out
SELECT bsperm_validate_criteria(NULL) IS NULL AS null_in_null_out;
SELECT bsperm_matches(NULL, '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["api"]}}') IS NULL AS null_entity;
SELECT bsperm_matches('{"kind":"API"}', NULL) IS NULL AS null_criteria;

-- structure errors name the place in the document
\set VERBOSITY default
SELECT bsperm_validate_criteria('[]');
SELECT bsperm_validate_criteria('"x"');
SELECT bsperm_validate_criteria('3');
SELECT bsperm_validate_criteria('null');
SELECT count(*) FROM (VALUES ('{}'::jsonb)) v(e) WHERE e @~ 'true';
SELECT bsperm_validate_criteria('{}');
SELECT bsperm_validate_criteria('{"allOf":[]}');
SELECT bsperm_validate_criteria('{"anyOf":{}}');
SELECT bsperm_validate_criteria('{"not":[]}');
SELECT bsperm_validate_criteria('{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}}],"anyOf":[]}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["group"]},"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}}]}');
SELECT bsperm_validate_criteria('{"not":{"not":{"rule":"IS_ENTITY_KIND","params":{"kinds":["a"]}}}}');
SELECT bsperm_validate_criteria('{"rule":7,"resourceType":"catalog-entity","params":{}}');

-- rules and their parameter schemas (zod's wording: no coercion, null is not a string)
SELECT bsperm_validate_criteria('{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}},{"rule":"NO_SUCH","resourceType":"catalog-entity"}]}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity"}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":null}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":[]}');
SELECT bsperm_validate_criteria('{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}},{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}},{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":"group:default/team-a"}}]}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["a",null]}}');
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{}}');
SELECT bsperm_validate_criteria('{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"value":"x"}}');
SELECT bsperm_validate_criteria('{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"a","value":null}}');
SELECT bsperm_validate_criteria('{"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"a","value":3}}');
SELECT bsperm_validate_criteria('{"rule":"HAS_METADATA","resourceType":"catalog-entity","params":{"key":true}}');
SELECT bsperm_validate_criteria('{"not":{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"a","value":{}}}}');
-- invalid criteria are an error on every path, whether or not a leaf would be reached
SELECT bsperm_matches('{"kind":"Component"}', '{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["component"]}},{"rule":"NO_SUCH","resourceType":"catalog-entity","params":{}}]}');
SELECT bsperm_criteria_sql('{"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{}}');

-- SQLSTATEs: 22023 invalid_parameter_value, 42704 undefined_object, 54000 program_limit_exceeded
CREATE FUNCTION pg_temp._sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp._sqlstate_of($$SELECT bsperm_validate_criteria('{"anyOf":[]}')$$);
SELECT pg_temp._sqlstate_of($$SELECT bsperm_validate_criteria('{"rule":"NO_SUCH","resourceType":"catalog-entity","params":{}}')$$);

-- limits: generous by default, adjustable by a superuser only
SELECT jsonb_array_length(bsperm_validate_criteria(
  jsonb_build_object('anyOf', (SELECT jsonb_agg(jsonb_build_object('rule','IS_ENTITY_OWNER','resourceType','catalog-entity',
     'params', jsonb_build_object('claims', jsonb_build_array('group:default/t' || i))))
   FROM generate_series(1, 2000) i)))->'anyOf') AS two_thousand_leaves;
SHOW bsperm.max_criteria_depth;
SHOW bsperm.max_criteria_nodes;
SHOW bsperm.max_criteria_array_length;
SET bsperm.max_criteria_depth = 3;
SELECT bsperm_validate_criteria('{"not":{"not":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}}}}');
SELECT bsperm_validate_criteria('{"not":{"not":{"not":{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}}}}}');
RESET bsperm.max_criteria_depth;
SET bsperm.max_criteria_array_length = 2;
SELECT bsperm_validate_criteria('{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["a","b","c"]}}');
SELECT bsperm_validate_criteria('{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}},{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}},{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}}]}');
RESET bsperm.max_criteria_array_length;
SET bsperm.max_criteria_nodes = 2;
SELECT bsperm_validate_criteria('{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}},{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}}]}');
RESET bsperm.max_criteria_nodes;
-- very deep documents are refused before they can exhaust the stack
SELECT bsperm_validate_criteria((repeat('{"not":', 200) || '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["a"]}}' || repeat('}', 200))::jsonb);
CREATE ROLE bsperm_test_nobody;
SET ROLE bsperm_test_nobody;
SET bsperm.max_criteria_depth = 100000;
SET bsperm.max_criteria_nodes = 1;
SELECT set_config('bsperm.max_criteria_array_length', '1', false);
RESET ROLE;
DROP ROLE bsperm_test_nobody;
-- unknown settings under the reserved prefix are refused
SET bsperm.no_such_setting = 1;

-- the filter (toQuery) form: keys and values lowercased as the catalog does
SELECT bsperm_criteria_filter('{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Component","API","component"]}},{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/Team-A"]}},{"not":{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"Type","value":"Library"}}}]}]}');
SELECT bsperm_criteria_filter('{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"example.com/City","value":"İstanbul ΟΔΟΣ"}}');

DROP EXTENSION bsperm CASCADE;
