-- bench/rules/report.sql: medians and the ratios issue 10 asks for
CREATE TEMP VIEW med AS
SELECT name, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, count(*) AS runs FROM public.bench_rt GROUP BY name;
\echo 'median milliseconds'
SELECT name, round(ms::numeric, 3) AS median_ms, runs FROM med ORDER BY name;
\echo 'ratios (same run, medians)'
WITH m AS (SELECT jsonb_object_agg(name, ms) AS j FROM med)
SELECT ratio, round(value::numeric, 3) AS value FROM m, LATERAL (VALUES
 ('cluster-scoped read under RLS / hand-written best indexed query (B-tree on the annotation), count (target <= 1.3)', (j->>'cluster.rls')::float8 / (j->>'cluster.hand_btree')::float8),
 ('cluster-scoped read under RLS / hand-written best indexed query, fetching rows (target <= 1.3)', (j->>'cluster.rls_fetch')::float8 / (j->>'cluster.hand_btree_fetch')::float8),
 ('cluster-scoped read under RLS / hand-written jsonb_path_ops containment, count', (j->>'cluster.rls')::float8 / (j->>'cluster.hand_gin')::float8),
 ('transitive ownership under RLS / hand-written indexed query over the expanded groups, count (target <= 1.3)', (j->>'transitive.rls')::float8 / (j->>'transitive.hand_gin')::float8),
 ('transitive ownership under RLS / hand-written indexed query, fetching rows (target <= 1.3)', (j->>'transitive.rls_fetch')::float8 / (j->>'transitive.hand_gin_fetch')::float8),
 ('transitive ownership / direct ownership of the same groups, under RLS, count (target <= 2)', (j->>'transitive.rls')::float8 / (j->>'direct.rls')::float8),
 ('transitive ownership / direct ownership of the same groups, under RLS, fetching rows (target <= 2)', (j->>'transitive.rls_fetch')::float8 / (j->>'direct.rls_fetch')::float8)
) v(ratio, value) ORDER BY 1;
SELECT (SELECT count(*) FROM public.plain_entities WHERE entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' IN ('cluster-1', 'cluster-2')) AS cluster_rows,
       (SELECT count(*) FROM public.plain_entities WHERE entity #>> '{spec,owner}' IN ('team-0','team-1','team-2','team-3','team-4','team-5','team-6','team-7','team-8','team-9')) AS transitive_rows;
