-- bench/criteria/bench.sql: times queries side by side, interleaved in rounds,
-- and prints the median of each and the ratios the criteria-engine issue asks for.
SET search_path = bsperm, public;
SET max_parallel_workers_per_gather = 0;  -- one core per query: ratios, not wall clock
SET jit = off;

CREATE TEMP TABLE bench_q (name text PRIMARY KEY, q text, settings text DEFAULT '');
CREATE TEMP TABLE bench_t (name text, ms double precision);

-- the criteria under test
\set owner_crit '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-1","group:default/team-2"]}}'
\set compound_crit '{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["api"]}},{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"example.com/Cluster","value":"Cluster-7"}}]}'

INSERT INTO bench_q (name, q, settings) VALUES
 ('count_all', 'SELECT count(*) FROM bench_entities', ''),
 -- owner in two claims (selective: 0.4%)
 ('owner.bsperm_index', 'SELECT count(*) FROM bench_entities WHERE ' || bsperm_criteria_sql(:'owner_crit'), ''),
 ('owner.bsperm_noindex', 'SELECT count(*) FROM bench_entities WHERE ' || bsperm_criteria_sql(:'owner_crit'), 'enable_bitmapscan=off,enable_indexscan=off'),
 ('owner.hand_contains', $q$SELECT count(*) FROM bench_entities WHERE entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-1"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-2"}]}'$q$, ''),
 ('owner.hand_jsonpath', $q$SELECT count(*) FROM bench_entities WHERE entity @? '$.relations[*] ? (@.type == "ownedBy" && (@.targetRef == "group:default/team-1" || @.targetRef == "group:default/team-2"))'$q$, ''),
 ('owner.bsperm_matches', 'SELECT count(*) FROM bench_entities WHERE bsperm_matches(entity, ' || quote_literal(:'owner_crit') || ')', ''),
 ('owner.jsonb_path_exists', $q$SELECT count(*) FROM bench_entities WHERE jsonb_path_exists(entity, '$.relations[*] ? (@.type == "ownedBy" && (@.targetRef == "group:default/team-1" || @.targetRef == "group:default/team-2"))')$q$, ''),
 -- kind AND annotation value (selective: 0.25%)
 ('compound.bsperm_index', 'SELECT count(*) FROM bench_entities WHERE ' || bsperm_criteria_sql(:'compound_crit'), ''),
 ('compound.bsperm_noindex', 'SELECT count(*) FROM bench_entities WHERE ' || bsperm_criteria_sql(:'compound_crit'), 'enable_bitmapscan=off,enable_indexscan=off'),
 ('compound.hand_contains', $q$SELECT count(*) FROM bench_entities WHERE entity @> '{"kind":"API","metadata":{"annotations":{"example.com/Cluster":"Cluster-7"}}}'$q$, ''),
 ('compound.bsperm_matches', 'SELECT count(*) FROM bench_entities WHERE bsperm_matches(entity, ' || quote_literal(:'compound_crit') || ')', ''),
 ('compound.jsonb_path_exists', $q$SELECT count(*) FROM bench_entities WHERE jsonb_path_exists(entity, '$ ? (@.kind == "API" && @.metadata.annotations."example.com/Cluster" == "Cluster-7")')$q$, ''),
 -- the same compound test made case-insensitive in jsonpath, as Backstage's semantics are
 ('compound.jsonb_path_exists_ci', $q$SELECT count(*) FROM bench_entities WHERE jsonb_path_exists(entity, '$ ? (exists(@.keyvalue() ? (@.key like_regex "^kind$" flag "i" && @.value like_regex "^api$" flag "i")) && exists(@.metadata.keyvalue() ? (@.key like_regex "^annotations$" flag "i").value.keyvalue() ? (@.key like_regex "^example\\.com/cluster$" flag "i" && @.value like_regex "^cluster-7$" flag "i")))')$q$, '');

-- sanity: every way of asking gives the same count
SELECT name, (SELECT count(*) FROM bench_entities) AS total FROM bench_q WHERE name = 'count_all';
DO $$
DECLARE r record; n bigint; ref bigint; grp text;
BEGIN
  FOR r IN SELECT * FROM bench_q WHERE name LIKE '%.%' ORDER BY name LOOP
    EXECUTE r.q INTO n;
    RAISE NOTICE '% rows: %', rpad(r.name, 32), n;
  END LOOP;
END $$;

-- rounds: every query once per round, in the same order
DO $$
DECLARE r record; i int; s text; kv text[];
BEGIN
  FOR r IN SELECT * FROM bench_q LOOP PERFORM public.bench_timed(r.q); END LOOP;  -- warm-up
  FOR i IN 1 .. current_setting('bench.rounds')::int LOOP
    FOR r IN SELECT * FROM bench_q ORDER BY name LOOP
      FOREACH s IN ARRAY coalesce(string_to_array(nullif(r.settings, ''), ','), '{}') LOOP
        kv := string_to_array(s, '='); PERFORM set_config(kv[1], kv[2], true);
      END LOOP;
      INSERT INTO bench_t VALUES (r.name, public.bench_timed(r.q));
      RESET enable_bitmapscan; RESET enable_indexscan;
    END LOOP;
  END LOOP;
END $$;

CREATE TEMP VIEW med AS
SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM bench_t GROUP BY name;
\echo
\echo 'median milliseconds per query'
SELECT name, round(ms::numeric, 3) AS median_ms FROM med ORDER BY name;

\echo
\echo 'ratios (same run, medians)'
WITH m AS (SELECT jsonb_object_agg(name, ms) AS j FROM med)
SELECT ratio, round(value::numeric, 2) AS value FROM m, LATERAL (VALUES
 ('owner: bsperm indexed predicate / hand-written @> indexed (target <= 1.3)', (j->>'owner.bsperm_index')::float8 / (j->>'owner.hand_contains')::float8),
 ('owner: bsperm indexed predicate / hand-written jsonpath @? indexed', (j->>'owner.bsperm_index')::float8 / (j->>'owner.hand_jsonpath')::float8),
 ('owner: bsperm predicate without index / with index', (j->>'owner.bsperm_noindex')::float8 / (j->>'owner.bsperm_index')::float8),
 ('owner: bsperm_matches / jsonb_path_exists, whole scan (target <= 1.0)', (j->>'owner.bsperm_matches')::float8 / (j->>'owner.jsonb_path_exists')::float8),
 ('owner: same, per row (count(*) subtracted)', ((j->>'owner.bsperm_matches')::float8 - (j->>'count_all')::float8) / ((j->>'owner.jsonb_path_exists')::float8 - (j->>'count_all')::float8)),
 ('compound: bsperm indexed predicate / hand-written @> indexed (target <= 1.3)', (j->>'compound.bsperm_index')::float8 / (j->>'compound.hand_contains')::float8),
 ('compound: bsperm predicate without index / with index', (j->>'compound.bsperm_noindex')::float8 / (j->>'compound.bsperm_index')::float8),
 ('compound: bsperm_matches / jsonb_path_exists, whole scan (target <= 1.0)', (j->>'compound.bsperm_matches')::float8 / (j->>'compound.jsonb_path_exists')::float8),
 ('compound: same, per row (count(*) subtracted)', ((j->>'compound.bsperm_matches')::float8 - (j->>'count_all')::float8) / ((j->>'compound.jsonb_path_exists')::float8 - (j->>'count_all')::float8)),
 ('compound: bsperm_matches / case-insensitive jsonb_path_exists', (j->>'compound.bsperm_matches')::float8 / (j->>'compound.jsonb_path_exists_ci')::float8),
 ('bsperm_matches(owner) / count(*) with no filter', (j->>'owner.bsperm_matches')::float8 / (j->>'count_all')::float8)
) v(ratio, value) ORDER BY 1;

\echo
