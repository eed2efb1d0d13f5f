-- The rows of bsperm's tables, one line per row (columns joined by ' | '), sorted per table; the
-- policy versions (policy_state, policy_changes) are left out, they differ by
-- history.  Used by test/suites/upgrade with catalog.sql.
\pset format unaligned
\pset tuples_only on
\pset footer off
SET search_path = pg_catalog, pg_temp;
-- timestamps (entities.updated_at) differ by when the rows were written
SELECT pg_catalog.format('SELECT %L || '' '' || concat_ws('' | '', %s) FROM %s t ORDER BY 1', c.oid::regclass,
         (SELECT string_agg(pg_catalog.format('t.%I::text', a.attname), ', ' ORDER BY a.attnum)
            FROM pg_catalog.pg_attribute a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             AND a.atttypid NOT IN ('timestamptz'::regtype, 'timestamp'::regtype)),
         c.oid::regclass)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'bsperm'
 WHERE c.relkind IN ('r', 'p') AND c.relname NOT IN ('policy_state', 'policy_changes')
 ORDER BY c.oid::regclass::text
\gexec
