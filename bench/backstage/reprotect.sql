-- bench/backstage/reprotect.sql: takes bsperm out of a database setup.sql and
-- protect.sql made (BENCH_BACKSTAGE_REUSE=1: measure another build on the same data).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP EXTENSION bsperm CASCADE;
DROP TABLE IF EXISTS bs_prot.bsperm_entities CASCADE;
DROP FUNCTION IF EXISTS bs_prot.bsperm_sync_entity() CASCADE;
DROP FUNCTION IF EXISTS bs_prot.bsperm_relation_target_absent(text, text) CASCADE;
CREATE EXTENSION bsperm;
