-- bench/criteria/data.sql: a generated catalog of :n entities (about 1 KB each)
-- in bench_entities, with bsperm's GIN index and a jsonb_path_ops GIN index
-- for the hand-written comparison queries.
DROP TABLE IF EXISTS bench_entities;
CREATE TABLE bench_entities (id int PRIMARY KEY, entity jsonb NOT NULL);
INSERT INTO bench_entities SELECT i, public.bench_entity(i) FROM generate_series(1, :n) i;
CREATE INDEX bench_entities_bsperm ON bench_entities USING gin (entity bsperm_entity_ops);
CREATE INDEX bench_entities_pathops ON bench_entities USING gin (entity jsonb_path_ops);
VACUUM ANALYZE bench_entities;
