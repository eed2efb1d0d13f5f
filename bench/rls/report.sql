-- bench/rls/report.sql: medians and the ratios the RLS issue asks for
CREATE TEMP VIEW med AS
SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, count(*) AS runs FROM public.bench_rt GROUP BY name;
\echo 'median milliseconds'
SELECT name, round(ms::numeric, 3) AS median_ms, runs FROM med ORDER BY name;
\echo 'ratios (same run, medians)'
WITH m AS (SELECT jsonb_object_agg(name, ms) AS j FROM med)
SELECT ratio, round(value::numeric, 3) AS value FROM m, LATERAL (VALUES
 ('selective conditional read under RLS / hand-written indexed predicate, count (target <= 1.3)', (j->>'owner.rls')::float8 / (j->>'owner.hand_indexed')::float8),
 ('selective conditional read under RLS / hand-written indexed predicate, fetching rows (target <= 1.3)', (j->>'owner.rls_fetch')::float8 / (j->>'owner.hand_indexed_fetch')::float8),
 ('compound: Backstage search-table SQL / bsperm RLS read (target >= 10 at 1M)', (j->>'compound.backstage_search')::float8 / (j->>'compound.rls')::float8),
 ('ALLOW user under RLS / the same table without RLS, count(*) (target <= 1.1)', (j->>'count.allow_rls')::float8 / (j->>'count.unprotected')::float8),
 ('ALLOW user under RLS / an unprotected copy of the table, count(*)', (j->>'count.allow_rls')::float8 / (j->>'count.plain_table')::float8),
 ('DENY user under RLS, milliseconds (target <= 1)', (j->>'count.deny_rls')::float8),
 ('user''s own filter under RLS (ALLOW user) / same filter without RLS (target <= 2)', (j->>'userfilter.rls')::float8 / (j->>'userfilter.unprotected')::float8),
 ('user''s own filter under a conditional policy / same filter without RLS', (j->>'userfilter.cond_rls')::float8 / (j->>'userfilter.unprotected')::float8),
 ('listing under a selective policy, ORDER BY entity_ref LIMIT 20 / the same by hand (target <= 1.3)', (j->>'listing.rls')::float8 / (j->>'listing.hand_indexed')::float8),
 ('next page (keyset) under a selective policy / the same by hand (target <= 1.3)', (j->>'listing.rls_keyset')::float8 / (j->>'listing.hand_keyset')::float8),
 ('per-row bsperm_matches (seq scan) / selective RLS read', (j->>'perrow.bsperm_matches')::float8 / (j->>'owner.rls')::float8)
) v(ratio, value) ORDER BY 1;
