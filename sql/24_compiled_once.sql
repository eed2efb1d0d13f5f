-- Filters are compiled once per backend and found again by their bytes
-- (pg_filter_cache.c): the cache never changes an answer, a limit or an error.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;
CREATE TEMP TABLE e AS SELECT '{"kind":"API","metadata":{"name":"x"}}'::jsonb AS entity;
-- compiled (and cached) under the default limits
SELECT entity @~ '{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.name"}]}' AS first FROM e;
SELECT entity @~ '{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.name"}]}' AS again FROM e;
-- a lower limit is not bypassed by the cached compilation
SET bsperm.max_criteria_nodes = 2;
SELECT entity @~ '{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.name"}]}' AS over_limit FROM e;
RESET bsperm.max_criteria_nodes;
SELECT entity @~ '{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.name"}]}' AS within_limit FROM e;
-- an invalid filter is never cached as valid
SELECT entity @~ '{"allOf":[{"key":"kind","values":[1]}]}' AS invalid FROM e;
SELECT entity @~ '{"allOf":[{"key":"kind","values":[1]}]}' AS invalid_again FROM e;
-- thousands of distinct filters: the cache stays bounded
SELECT count(*) FILTER (WHERE entity @~ jsonb_build_object('key', 'metadata.name', 'values', jsonb_build_array('x' || i))) AS matched
  FROM e, generate_series(1, 3000) i;
SELECT sum(total_bytes) < 2 * 1024 * 1024 AS cache_bounded
  FROM pg_backend_memory_contexts WHERE name IN ('bsperm filter cache', 'bsperm cached filter');
SELECT count(*) <= 64 AS at_most_64_slots FROM pg_backend_memory_contexts WHERE name = 'bsperm cached filter';
DROP EXTENSION bsperm CASCADE;
