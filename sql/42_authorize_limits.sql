-- bsperm_authorize(jsonb) on large requests: linear in the items, and
-- cancellable (any role may call it).
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- a user with 500 roles of 20 lines each: every decision has work to do
INSERT INTO roles (name) SELECT 'role:default/r' || r FROM generate_series(1, 500) r;
INSERT INTO role_members (role, member) SELECT name, 'user:default/big' FROM roles;
INSERT INTO permission_policies (role, object, action, effect)
  SELECT 'role:default/r' || r, 'x.' || r || '.' || l, 'use', 'allow'
    FROM generate_series(1, 500) r, generate_series(1, 20) l;
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/r1', 'p.allowed', 'use', 'allow');

-- 100,000 items with 100,000 distinct permissions (about 9 MB)
CREATE TEMP TABLE regress_req AS
  SELECT jsonb_build_object('items', jsonb_agg(jsonb_build_object('id', i::text,
           'permission', jsonb_build_object('type', 'basic', 'name', 'p.' || i, 'attributes', '{}'::jsonb))
           ORDER BY i)) AS request
    FROM generate_series(1, 100000) i;
-- 100,000 items with three distinct permissions
CREATE TEMP TABLE regress_req3 AS
  SELECT jsonb_build_object('items', jsonb_agg(jsonb_build_object('id', i::text,
           'permission', jsonb_build_object('type', 'basic',
             'name', (ARRAY['p.allowed', 'p.other', 'p.allowed'])[i % 3 + 1],
             'attributes', CASE WHEN i % 3 = 2 THEN '{"action":"read"}'::jsonb ELSE '{}'::jsonb END))
           ORDER BY i)) AS request
    FROM generate_series(1, 100000) i;

BEGIN;
SELECT bsperm_set_user('user:default/big');
-- de-duplication keeps the answers per item, in request order
SELECT count(*) AS items,
       count(*) FILTER (WHERE r->>'result' = 'ALLOW') AS allow,
       count(*) FILTER (WHERE r->>'result' = 'DENY') AS deny,
       bool_and((r->>'id')::int = o) AS in_order
  FROM regress_req3, jsonb_array_elements(bsperm_authorize(request)->'items') WITH ORDINALITY AS t(r, o);
COMMIT;

-- the 100,000 distinct permissions are cancelled by statement_timeout
BEGIN;
SELECT bsperm_set_user('user:default/big');
SET LOCAL statement_timeout = '200ms';
SELECT jsonb_array_length(bsperm_authorize(request)->'items') FROM regress_req;
ROLLBACK;

-- promptly: within ten seconds (the quadratic loop took 15-25 s before)
CREATE TEMP TABLE regress_cancel (cancelled boolean, prompt boolean);
BEGIN;
SELECT bsperm_set_user('user:default/big');
SET LOCAL statement_timeout = '200ms';
DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  BEGIN
    PERFORM bsperm_authorize(request) FROM regress_req;
    INSERT INTO regress_cancel VALUES (false, clock_timestamp() - t0 < interval '10 s');
  EXCEPTION WHEN query_canceled THEN
    INSERT INTO regress_cancel VALUES (true, clock_timestamp() - t0 < interval '10 s');
  END;
END $$;
SELECT * FROM regress_cancel;
COMMIT;

DROP EXTENSION bsperm CASCADE;
