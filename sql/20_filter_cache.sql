-- The compiled filter cached in fn_extra is reused only while the document
-- is the same: a PL/pgSQL variable is a parameter whose value changes
-- between executions of the same cached expression (issue 7, item 3).
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- @~ with a filter in a variable, in a simple expression and in a query
CREATE FUNCTION pg_temp._loop_filters(e jsonb) RETURNS TABLE (f jsonb, simple bool, in_query bool)
LANGUAGE plpgsql AS $$
DECLARE
  flt jsonb;
BEGIN
  FOREACH flt IN ARRAY ARRAY['{"key":"kind","values":["component"]}',
                             '{"key":"kind","values":["api"]}',
                             '{"key":"metadata.name"}',
                             '{"key":"spec.nope"}',
                             '{"anyOf":[]}',
                             '{"allOf":[]}',
                             '{"not":{"key":"kind","values":["component"]}}']::jsonb[]
  LOOP
    f := flt;
    simple := e @~ flt;
    SELECT e @~ flt INTO in_query FROM (VALUES (1)) v;
    RETURN NEXT;
  END LOOP;
END $$;
SELECT * FROM pg_temp._loop_filters('{"kind":"Component","metadata":{"name":"a"}}');

-- bsperm_matches with criteria in a variable
CREATE FUNCTION pg_temp._loop_criteria(e jsonb) RETURNS TABLE (kinds text, simple bool, in_query bool)
LANGUAGE plpgsql AS $$
DECLARE
  k text;
  c jsonb;
BEGIN
  FOREACH k IN ARRAY ARRAY['component', 'api', 'group', 'component'] LOOP
    kinds := k;
    c := jsonb_build_object('rule', 'IS_ENTITY_KIND', 'resourceType', 'catalog-entity',
                            'params', jsonb_build_object('kinds', jsonb_build_array(k)));
    simple := bsperm_matches(e, c);
    SELECT bsperm_matches(e, c) INTO in_query FROM (VALUES (1)) v;
    RETURN NEXT;
  END LOOP;
END $$;
SELECT * FROM pg_temp._loop_criteria('{"kind":"API","metadata":{"name":"a"}}');

-- a prepared statement keeps one plan for different parameter values
PREPARE m(jsonb) AS SELECT '{"kind":"Group"}'::jsonb @~ $1;
EXECUTE m('{"key":"kind","values":["group"]}');
EXECUTE m('{"key":"kind","values":["user"]}');
SET plan_cache_mode = force_generic_plan;
PREPARE g(jsonb) AS SELECT '{"kind":"Group"}'::jsonb @~ $1;
EXECUTE g('{"key":"kind","values":["group"]}');
EXECUTE g('{"key":"kind","values":["user"]}');
EXECUTE g('{"key":"kind","values":["group"]}');
RESET plan_cache_mode;
DEALLOCATE m;
DEALLOCATE g;

DROP EXTENSION bsperm CASCADE;
