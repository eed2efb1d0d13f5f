-- bench/backstage/restore.sql (psql -v n=N): undoes the write rounds in both
-- copies (the entities insert.pgbench added, the descriptions stitch.pgbench
-- changed), so that both hold the same catalog again.
\set ON_ERROR_STOP 1
SET ROLE bench_bs_owner;
DELETE FROM bs_plain.refresh_state WHERE entity_id NOT IN (SELECT md5(i::text) FROM generate_series(1, :n) i);
DELETE FROM bs_prot.refresh_state WHERE entity_id NOT IN (SELECT md5(i::text) FROM generate_series(1, :n) i);
UPDATE bs_plain.final_entities f SET final_entity = r.processed_entity FROM bs_plain.refresh_state r
 WHERE r.entity_id = f.entity_id AND f.final_entity <> r.processed_entity;
UPDATE bs_prot.final_entities f SET final_entity = r.processed_entity FROM bs_prot.refresh_state r
 WHERE r.entity_id = f.entity_id AND f.final_entity <> r.processed_entity;
RESET ROLE;
VACUUM ANALYZE bs_plain.final_entities, bs_prot.final_entities, bs_prot.bsperm_entities, bs_plain.search, bs_prot.search;
