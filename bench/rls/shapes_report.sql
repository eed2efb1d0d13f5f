-- bench/rls/shapes_report.sql: medians per shape, user and plan; the ratios of issue 12
CREATE TEMP VIEW smed AS
SELECT split_part(name, '|', 1) AS shape, split_part(name, '|', 2) AS who, split_part(name, '|', 3) AS plan,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms
  FROM public.bench_st GROUP BY name;
\echo 'medians (ms) and ratios: rls = under row security; hand = the same rows by hand (unprotected copy, @> and a jsonb_path_ops index), default plan;'
\echo 'best = the fastest forced plan (bitmap, index walk or sequential scan; by hand or under row security); targets: rls/best <= 1.3, rls/hand <= 1'
SELECT r.shape, r.who, round(r.ms::numeric, 2) AS rls_ms, round(h.ms::numeric, 2) AS hand_ms,
       round(b.ms::numeric, 2) AS best_ms, b.plan AS best_plan,
       round((r.ms / b.ms)::numeric, 2) AS rls_over_best, round((r.ms / h.ms)::numeric, 2) AS rls_over_hand
  FROM smed r JOIN smed h ON h.shape = r.shape AND h.who = r.who AND h.plan = 'hand'
  CROSS JOIN LATERAL (SELECT plan, ms FROM smed x WHERE x.shape = r.shape AND x.who = r.who AND x.plan <> 'rls'
                       ORDER BY ms LIMIT 1) b
 WHERE r.plan = 'rls'
 ORDER BY r.shape, (SELECT ord FROM public.shape_who WHERE who = r.who);
