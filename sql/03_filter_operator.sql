-- The @~ operator, the GIN operator class and bsperm_criteria_sql.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

CREATE TABLE ents (id int PRIMARY KEY, entity jsonb);
INSERT INTO ents
SELECT i, jsonb_build_object('kind', (ARRAY['Component','API','Group'])[1 + i % 3],
  'metadata', jsonb_build_object('name', 'e' || i, 'namespace', 'default',
     'annotations', jsonb_build_object('cluster', 'C' || (i % 10)),
     'labels', CASE WHEN i % 7 = 0 THEN jsonb_build_object('tier', 'gold') ELSE '{}' END),
  'spec', jsonb_build_object('type', CASE WHEN i % 2 = 0 THEN 'service' ELSE 'library' END),
  'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/team-' || (i % 20))))
FROM generate_series(1, 3000) i;
INSERT INTO ents VALUES (0, NULL), (-1, '{}'), (-2, '[]'), (-3, '"scalar"');
CREATE INDEX ents_bsperm ON ents USING gin (entity bsperm_entity_ops);
ANALYZE ents;

-- EntityFilter leaves, case-insensitive keys and values
SELECT count(*) FROM ents WHERE entity @~ '{"key":"Kind","values":["API"]}';
SELECT count(*) FROM ents WHERE entity @~ '{"key":"metadata.labels.tier"}';
SELECT count(*) FROM ents WHERE entity @~ '{"key":"kind","values":[]}';
SELECT count(*) FROM ents WHERE entity @~ '{"anyOf":[]}';
SELECT count(*) FROM ents WHERE entity @~ '{"allOf":[]}';
SELECT count(*) FROM ents WHERE entity @~ '{"not":{"key":"kind","values":["api"]}}';
SELECT count(*) FROM ents WHERE entity @~ '{"not":{"key":"kind","values":[]}}';
-- a NULL entity matches nothing, not even a negation
SELECT count(*) FROM ents WHERE id = 0 AND entity @~ '{"not":{"key":"kind"}}';

-- the index answers exactly what a sequential scan answers, for every shape
CREATE TEMP TABLE filters (f jsonb);
INSERT INTO filters VALUES
 ('{"key":"kind","values":["api"]}'), ('{"key":"metadata.labels.tier"}'), ('{"key":"kind","values":[]}'),
 ('{"not":{"key":"kind","values":["api","group"]}}'), ('{"anyOf":[{"key":"spec.type","values":["library"]},{"key":"metadata.labels.tier"}]}'),
 ('{"allOf":[{"key":"kind","values":["component"]},{"anyOf":[{"key":"relations.ownedby","values":["group:default/team-1","group:default/team-2"]},{"key":"metadata.annotations.cluster","values":["c3"]}]}]}'),
 ('{"allOf":[{"key":"kind","values":["component"]},{"not":{"key":"spec.type","values":["service"]}}]}'),
 ('{"not":{"anyOf":[{"key":"kind"},{"key":"metadata.name"}]}}'), ('{"anyOf":[]}'), ('{"allOf":[]}'),
 ('{"key":"metadata.namespace","values":["default"]}'), ('{"key":"nope"}');
CREATE TEMP TABLE seq AS SELECT f, (SELECT array_agg(id ORDER BY id) FROM ents WHERE entity @~ f) AS ids FROM filters;
SET enable_seqscan = off;
CREATE FUNCTION pg_temp._by_index(f jsonb) RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
  EXECUTE 'SELECT array_agg(id ORDER BY id) FROM ents WHERE entity OPERATOR(public.@~) ' || quote_literal(f) || '::jsonb' INTO r;
  RETURN r;
END $$;
SELECT f, coalesce(cardinality(ids), 0) AS rows, ids IS NOT DISTINCT FROM pg_temp._by_index(f) AS index_agrees FROM seq;
EXPLAIN (COSTS OFF) SELECT * FROM ents WHERE entity @~ '{"allOf":[{"key":"kind","values":["component"]},{"key":"metadata.labels.tier"}]}';
RESET enable_seqscan;

-- a filter computed from each row is not an error when invalid: it matches nothing
-- (errors that depend on row data would break leakproofness); a valid one works
SELECT count(*) FROM ents WHERE entity @~ (entity->'spec');
SELECT count(*) FROM ents WHERE entity @~ jsonb_build_object('key', 'kind', 'values', jsonb_build_array(entity->>'kind'));
-- filter errors name the place
SELECT count(*) FROM ents WHERE entity @~ '{"key":3}';
SELECT count(*) FROM ents WHERE entity @~ '{"anyOf":[{"key":"a"},{"key":"b","values":"x"}]}';
SELECT count(*) FROM ents WHERE entity @~ '{"key":"a","not":{"key":"b"}}';
SELECT count(*) FROM ents WHERE entity @~ '[]';

-- bsperm_criteria_sql: every value quoted, whatever it contains
SELECT bsperm_criteria_sql('{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Component"]}},{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-1"]}},{"not":{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"type","value":"library"}}}]}]}', 'e.entity');
SELECT bsperm_criteria_sql($${"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"x'); DROP TABLE ents; --","value":"a\\'b"}}$$);
-- the injected text stays inside a literal: the table is still there
DO $$
DECLARE n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM ents WHERE ' || bsperm_criteria_sql($c${"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"x'); DROP TABLE ents; --","value":"a\\'b"}}$c$) INTO n;
  RAISE NOTICE 'matched % rows, table still has % rows', n, (SELECT count(*) FROM ents);
END $$;
-- and whatever standard_conforming_strings says (backslashes make an E'' literal)
SET standard_conforming_strings = off;
DO $$
DECLARE n bigint;
BEGIN
  EXECUTE 'SELECT count(*) FROM ents WHERE ' || bsperm_criteria_sql($c${"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"x\\'); DROP TABLE ents; --","value":"a\\'b"}}$c$) INTO n;
  RAISE NOTICE 'matched % rows, table still has % rows', n, (SELECT count(*) FROM ents);
END $$;
RESET standard_conforming_strings;
-- the predicate is served by the index
CREATE FUNCTION pg_temp._explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q; END $$;
SELECT pg_temp._explain('SELECT id FROM ents WHERE ' || bsperm_criteria_sql('{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-1"]}},{"rule":"HAS_LABEL","resourceType":"catalog-entity","params":{"label":"tier","value":"GOLD"}}]}'));

-- bsperm_matches and the generated predicate agree on every row
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE bsperm_matches(entity, c) IS DISTINCT FROM (entity @~ bsperm_criteria_filter(c))) AS disagreements
FROM ents, (VALUES ('{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Component"]}},{"not":{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"type","value":"library"}}}]}'::jsonb),
                   ('{"anyOf":[{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"CLUSTER","value":"c1"}},{"rule":"HAS_METADATA","resourceType":"catalog-entity","params":{"key":"labels.tier"}}]}')) v(c)
WHERE entity IS NOT NULL;

-- a prepared statement keeps its plan and answers each parameter correctly
PREPARE by_filter(jsonb) AS SELECT count(*) FROM ents WHERE entity @~ $1;
EXECUTE by_filter('{"key":"kind","values":["api"]}');
EXECUTE by_filter('{"key":"kind","values":["group"]}');
EXECUTE by_filter('{"not":{"key":"kind","values":["group"]}}');
DEALLOCATE by_filter;

-- the operator class: hashed int4 terms and bsperm's support functions
SELECT opc.opcname, opc.opckeytype::regtype AS storage,
       array_agg(amp.amprocnum || ':' || amp.amproc::regproc ORDER BY amp.amprocnum) AS support
  FROM pg_opclass opc JOIN pg_amproc amp ON amp.amprocfamily = opc.opcfamily
 WHERE opc.opcname = 'bsperm_entity_ops' GROUP BY 1, 2;

-- the operator is leakproof, PostgreSQL's jsonb operators are not
SELECT p.proname, p.proleakproof FROM pg_proc p WHERE p.proname IN ('bsperm_filter_matches', 'jsonb_contains') ORDER BY 1;

DROP TABLE ents;
DROP EXTENSION bsperm CASCADE;
