-- Bounded memory: the per-row work of @~ and bsperm_matches lands in a
-- context reset for every row, never in the long-lived filter cache
-- (issue 7, item 5).  One query scans 10^6 generated entities and reads
-- the backend's memory contexts every 100,000 rows.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

CREATE FUNCTION pg_temp._bsperm_bytes() RETURNS bigint LANGUAGE sql VOLATILE AS
$$ SELECT coalesce(sum(total_bytes), 0)::bigint FROM pg_catalog.pg_backend_memory_contexts
   WHERE name LIKE 'bsperm%' $$;

-- entities with a few relations, NULL members (the NULL-key set is per row)
-- and a label array; the filter and the criteria read all of them
SELECT count(*) FILTER (WHERE e @~ '{"anyOf":[{"key":"spec.l0"},{"key":"metadata.tags.t3"},{"key":"relations.ownedby","values":["group:default/team-7"]}]}') AS filter_hits,
       count(*) FILTER (WHERE bsperm_matches(e, '{"anyOf":[{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"l1"}},{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-7"]}}]}')) AS criteria_hits,
       max(CASE WHEN i % 100000 = 0 THEN pg_temp._bsperm_bytes() END) AS peak_bytes,
       max(CASE WHEN i % 100000 = 0 THEN pg_temp._bsperm_bytes() END) < 4 * 1024 * 1024 AS bounded
FROM (SELECT i, jsonb_build_object(
        'kind', 'Component',
        'metadata', jsonb_build_object('name', 'e' || i, 'tags', jsonb_build_array('t' || (i % 5), 'java')),
        'spec', jsonb_build_object('l' || (i % 2), NULL, 'owner', NULL, 'type' || (i % 3), NULL),
        'relations', jsonb_build_array(
           jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/team-' || (i % 10)),
           jsonb_build_object('type', 'partOf', 'targetRef', 'system:default/s' || (i % 4)),
           jsonb_build_object('type', 'dependsOn', 'targetRef', 'component:default/c' || (i % 8)))) AS e
      FROM pg_catalog.generate_series(1, 1000000) i) s \gset
SELECT :filter_hits AS filter_hits, :criteria_hits AS criteria_hits, :'bounded' AS bounded;
\if :bounded
\else
SELECT :peak_bytes AS peak_bytes_over_bound;
\endif

-- a filter without leaves answers for a NULL entity with NULL (STRICT) and
-- for any other entity without reading it
SELECT NULL::jsonb @~ '{"allOf":[]}' AS null_entity, '[]'::jsonb @~ '{"allOf":[]}' AS all_of,
       '{"kind":"x"}'::jsonb @~ '{"not":{"anyOf":[]}}' AS not_any_of,
       bsperm_matches(NULL, '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":[]}}') AS matches_null;

DROP EXTENSION bsperm CASCADE;
