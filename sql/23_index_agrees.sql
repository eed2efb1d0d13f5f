-- The GIN index path and the scan path give the same answer for every
-- filter, including invalid ones (issue 7, item 9): a filter computed from
-- another row (a nested loop, a LATERAL subquery) that is invalid matches
-- nothing in both paths, without an error that would reveal row data;
-- a constant invalid filter is an error in both.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

CREATE TABLE gents (id int PRIMARY KEY, entity jsonb);
INSERT INTO gents
SELECT i, jsonb_build_object('kind', (ARRAY['Component','API','Group'])[1 + i % 3],
  'metadata', jsonb_build_object('name', 'e' || i),
  'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/team-' || (i % 5))))
FROM generate_series(1, 2000) i;
INSERT INTO gents VALUES (0, NULL);
CREATE INDEX gents_bsperm ON gents USING gin (entity bsperm_entity_ops);
ANALYZE gents;

CREATE TABLE flts (id int PRIMARY KEY, f jsonb);
INSERT INTO flts VALUES
  (1, '{"key":"kind","values":["api"]}'),
  (2, '{"key":3}'),											-- invalid
  (3, '{"anyOf":[]}'),
  (4, '{"allOf":[]}'),
  (5, '[]'),												-- invalid
  (6, '{"not":{"key":"relations.ownedby","values":["group:default/team-1"]}}'),
  (7, '{"anyOf":[{"key":"a"},{"key":"b","values":"x"}]}'),	-- invalid
  (8, '{"key":"metadata.name","values":["e7","e8"]}');
ANALYZE flts;

-- one answer per path; a nested loop feeds each filter to the inner scan
SET enable_hashjoin = off;
SET enable_mergejoin = off;
CREATE FUNCTION pg_temp._by_filter() RETURNS TABLE (id int, n bigint) LANGUAGE sql AS $$
  SELECT f.id, (SELECT count(*) FROM gents e WHERE e.entity @~ f.f) FROM flts f ORDER BY f.id $$;
CREATE FUNCTION pg_temp._joined() RETURNS TABLE (id int, n bigint) LANGUAGE sql AS $$
  SELECT f.id, count(e.id) FROM flts f LEFT JOIN gents e ON e.entity @~ f.f GROUP BY f.id ORDER BY f.id $$;

-- sequential scans
SET enable_indexscan = off;
SET enable_bitmapscan = off;
CREATE TEMP TABLE seq AS SELECT s.id, s.n AS sub, j.n AS joined FROM pg_temp._by_filter() s JOIN pg_temp._joined() j USING (id);
EXPLAIN (COSTS OFF) SELECT f.id, count(e.id) FROM flts f LEFT JOIN gents e ON e.entity @~ f.f GROUP BY f.id;
-- the index
SET enable_seqscan = off;
SET enable_bitmapscan = on;
EXPLAIN (COSTS OFF) SELECT f.id, count(e.id) FROM flts f LEFT JOIN gents e ON e.entity @~ f.f GROUP BY f.id;
CREATE TEMP TABLE idx AS SELECT s.id, s.n AS sub, j.n AS joined FROM pg_temp._by_filter() s JOIN pg_temp._joined() j USING (id);
RESET enable_seqscan;
RESET enable_indexscan;
RESET enable_bitmapscan;
RESET enable_hashjoin;
RESET enable_mergejoin;
SELECT seq.id, flts.f, seq.sub, seq.joined, (seq.sub, seq.joined) = (idx.sub, idx.joined) AS index_agrees
FROM seq JOIN idx USING (id) JOIN flts USING (id) ORDER BY seq.id;

-- a constant invalid filter is an error in both paths
SET enable_seqscan = off;
SELECT count(*) FROM gents WHERE entity @~ '{"key":3}';
SELECT count(*) FROM gents WHERE entity @~ '[]';
RESET enable_seqscan;
SET enable_bitmapscan = off;
SET enable_indexscan = off;
SELECT count(*) FROM gents WHERE entity @~ '{"key":3}';
SELECT count(*) FROM gents WHERE entity @~ '[]';
RESET enable_bitmapscan;
RESET enable_indexscan;

-- so is a parameter of a generic plan (the same for the whole statement)
SET plan_cache_mode = force_generic_plan;
PREPARE q(jsonb) AS SELECT count(*) FROM gents WHERE entity @~ $1;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) EXECUTE q('{"key":"kind"}');
EXECUTE q('{"key":"kind","values":["group"]}');
EXECUTE q('{"key":3}');
RESET enable_seqscan;
SET enable_bitmapscan = off;
SET enable_indexscan = off;
EXECUTE q('{"key":"kind","values":["group"]}');
EXECUTE q('{"key":3}');
RESET enable_bitmapscan;
RESET enable_indexscan;
DEALLOCATE q;
RESET plan_cache_mode;

DROP TABLE gents, flts;
DROP EXTENSION bsperm CASCADE;
