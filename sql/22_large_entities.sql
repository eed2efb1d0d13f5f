-- Large entities cost linear time and can be canceled (issue 7, item 6):
-- NULL-key de-duplication used to compare every NULL key with every
-- earlier one, and the flattener never checked for interrupts, so one
-- entity with 50,000 NULL members took seconds and ignored
-- statement_timeout.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

CREATE TABLE big (id int PRIMARY KEY, e jsonb);
-- 50,000 NULL members, and a U+0001 member whose key already had a NULL row
INSERT INTO big SELECT 1, jsonb_build_object('spec', jsonb_object_agg('k' || i, NULL), 'spec.k7', E'\u0001', 'kind', 'Component')
  FROM generate_series(1, 50000) i;
-- 500,000 NULL members
INSERT INTO big SELECT 2, jsonb_object_agg('k' || i, NULL) FROM generate_series(1, 500000) i;
-- long arrays, many relations, deep nesting
INSERT INTO big SELECT 3, jsonb_build_object('metadata', jsonb_build_object('tags', jsonb_agg('t' || i), 'nulls', jsonb_agg(NULL::int)))
  FROM generate_series(1, 200000) i;
INSERT INTO big SELECT 4, jsonb_build_object('relations', jsonb_agg(jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/g' || i)))
  FROM generate_series(1, 100000) i;
INSERT INTO big SELECT 5, (repeat('{"a":{"b":null,"c":', 2000) || '"deep"' || repeat('}}', 2000))::jsonb;

-- the answers
SELECT id, (SELECT count(*) FROM bsperm_search_rows(e)) AS search_rows FROM big ORDER BY id;
SELECT e @~ '{"key":"spec.k7"}' AS k7_exists, e @~ '{"key":"spec.k50000"}' AS k50000_exists,
       e @~ '{"key":"spec.k50001"}' AS k50001_exists FROM big WHERE id = 1;
SELECT e @~ '{"key":"metadata.tags.t199999","values":["true"]}' AS tag_item,
       e @~ '{"key":"metadata.nulls"}' AS null_items FROM big WHERE id = 3;
SELECT e @~ '{"key":"relations.ownedby","values":["group:default/g99999"]}' AS last_relation FROM big WHERE id = 4;
SELECT e @~ '{"key":"a.b"}' AS shallow, e @~ '{"key":"a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.b"}' AS key_of_201_units FROM big WHERE id = 5;
CREATE INDEX big_bsperm ON big USING gin (e bsperm_entity_ops);
SET enable_seqscan = off;
SELECT id FROM big WHERE e @~ '{"key":"spec.k49999"}';
RESET enable_seqscan;

-- statement_timeout stops a statement in the middle of one entity's
-- flattening.  Without a filter (GIN terms, bsperm_search_rows) every NULL
-- key enters the de-duplication set: flattening the 50,000-member entity
-- 100 times is canceled after 200 ms, not after the first flattening ends
-- (the old code took seconds for one, and checked only between rows)
CREATE FUNCTION pg_temp._canceled_within(q text, bound interval) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE q;
  RETURN 'finished';
EXCEPTION WHEN query_canceled THEN
  RETURN CASE WHEN clock_timestamp() - t0 < bound THEN 'canceled in time: ' ELSE 'canceled late: ' END || SQLERRM;
END $$;
CREATE TABLE big_copy (e jsonb);
CREATE INDEX big_copy_bsperm ON big_copy USING gin (e bsperm_entity_ops);
SET statement_timeout = '200ms';
SELECT pg_temp._canceled_within($$INSERT INTO big_copy SELECT e FROM big, generate_series(1, 100) g WHERE id = 1$$, '2 s');
SELECT pg_temp._canceled_within($$SELECT sum((SELECT count(*) FROM bsperm_search_rows(e) WHERE g > 0))
  FROM big, generate_series(1, 100) g WHERE id = 1$$, '2 s');
-- the 500,000-member entity: the flattening itself is canceled
INSERT INTO big_copy SELECT e FROM big, generate_series(1, 50) g WHERE id = 2;
SELECT sum((SELECT count(*) FROM bsperm_search_rows(e) WHERE g > 0)) FROM big, generate_series(1, 50) g WHERE id = 2;
RESET statement_timeout;

DROP TABLE big, big_copy;
DROP EXTENSION bsperm CASCADE;
