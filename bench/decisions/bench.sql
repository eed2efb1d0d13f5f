-- bench/decisions/bench.sql: in-server timings (no client round trip).
SET search_path = bsperm, public;
SET jit = off;

CREATE FUNCTION pg_temp.per_call_us(q text, n int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; i int; r text;
BEGIN
  EXECUTE q INTO r;                                  -- warm the cache
  t0 := clock_timestamp();
  FOR i IN 1..n LOOP EXECUTE q INTO r; END LOOP;
  RETURN round((extract(epoch FROM clock_timestamp() - t0) * 1e6 / n)::numeric, 1);
END $$;

-- 1,000 items, each catalog.entity.read with a distinct resource ref
SELECT jsonb_build_object('items', jsonb_agg(jsonb_build_object('id', i::text,
         'permission', '{"type":"resource","name":"catalog.entity.read","attributes":{"action":"read"},"resourceType":"catalog-entity"}'::jsonb,
         'resourceRef', 'component:default/c-' || (i * 7 % :n))))::text AS batch
  FROM generate_series(1, 1000) i \gset
CREATE TEMP TABLE bench_batch AS SELECT :'batch'::jsonb AS body;

SELECT bsperm_current_user() AS asking_as,
       bsperm_authorize('catalog.entity.read') AS read_no_ref,
       (SELECT count(*) FROM jsonb_array_elements(bsperm_authorize_conditional('catalog.entity.read')->'conditions'->'anyOf')) AS condition_branches;

SELECT 'baseline: EXECUTE of SELECT 1' AS what, pg_temp.per_call_us('SELECT ''x''', 20000) AS us_per_call
UNION ALL
SELECT 'basic permission, 50 roles (catalog.location.read)',
       pg_temp.per_call_us($$SELECT bsperm_authorize('catalog.location.read')$$, 20000)
UNION ALL
SELECT 'resource permission, no ref (CONDITIONAL)',
       pg_temp.per_call_us($$SELECT bsperm_authorize('catalog.entity.read')$$, 20000)
UNION ALL
SELECT 'resource permission with ref (load + apply)',
       pg_temp.per_call_us($$SELECT bsperm_authorize('catalog.entity.read', 'component:default/c-4242')$$, 5000)
UNION ALL
SELECT 'authorize_conditional (conditions JSON)',
       pg_temp.per_call_us($$SELECT bsperm_authorize_conditional('catalog.entity.read')::text$$, 5000);

SELECT '1,000-item batch with resource refs' AS what,
       round(pg_temp.per_call_us('SELECT bsperm_authorize(body)::text FROM bench_batch', 50) / 1000, 2) AS ms_per_batch;
SELECT (SELECT count(*) FROM jsonb_array_elements(bsperm_authorize(body)->'items') e WHERE e->>'result' = 'ALLOW') AS batch_allowed
  FROM bench_batch;

-- cold: every decision after a policy change reloads the policy and resolves the user again
CREATE FUNCTION pg_temp.cold_us(n int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; t numeric := 0; i int; r text;
BEGIN
  FOR i IN 1..n LOOP
    UPDATE bsperm.policy_state SET version = nextval('bsperm.policy_version_seq');
    t0 := clock_timestamp();
    r := bsperm_authorize('catalog.location.read');
    t := t + extract(epoch FROM clock_timestamp() - t0);
  END LOOP;
  RETURN round(t * 1e6 / n, 1);
END $$;
BEGIN;
SELECT 'first decision after a policy change (reload + resolve)' AS what, pg_temp.cold_us(50) AS us_per_call;
ROLLBACK;
