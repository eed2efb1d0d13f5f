-- What extension bsperm consists of in this database, one line per fact,
-- sorted: every member object with its definition, owner-independent ACL and
-- comment; the tables' columns, constraints, indexes, triggers, row security
-- and policies; the extension's schema, version and dumped configuration.
-- Two databases whose outputs are equal have the same extension (used by
-- test/suites/upgrade and scripts/release.sh diff).  OIDs never appear; names
-- are schema-qualified.
\pset format unaligned
\pset tuples_only on
\pset footer off
SET search_path = pg_catalog, pg_temp;
WITH ext AS (SELECT oid, extnamespace FROM pg_extension WHERE extname = 'bsperm'),
members AS (
  SELECT d.classid, d.objid FROM pg_depend d, ext
   WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
rels AS (SELECT c.* FROM pg_class c JOIN members m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid),
facts(line) AS (
  SELECT 'extension schema ' || e.extnamespace::regnamespace || ' version ' || e.extversion
         || ' relocatable ' || e.extrelocatable
    FROM pg_extension e WHERE e.extname = 'bsperm'
  UNION ALL
  SELECT 'extension config ' || c::regclass || ' ' || coalesce(f, '')
    FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(c, f) WHERE e.extname = 'bsperm'
  UNION ALL
  SELECT 'member ' || pg_describe_object(m.classid, m.objid, 0) FROM members m
  UNION ALL
  SELECT 'comment ' || pg_describe_object(m.classid, m.objid, 0) || ': ' || obj_description(m.objid, m.classid::regclass::name)
    FROM members m WHERE obj_description(m.objid, m.classid::regclass::name) IS NOT NULL
  UNION ALL
  -- functions: the whole definition, and who may execute
  SELECT 'function ' || p.oid::regprocedure || ' ' || lpad(l.n::text, 4, '0') || ' | ' || l.line
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid,
         regexp_split_to_table(pg_get_functiondef(p.oid), E'\n') WITH ORDINALITY AS l(line, n)
   WHERE p.prokind <> 'a'
  UNION ALL
  SELECT 'function acl ' || p.oid::regprocedure || ' ' || coalesce(
           (SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
                              || ':' || a.privilege_type, ',' ORDER BY 1)
              FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee <> p.proowner), 'none')
    FROM pg_proc p JOIN members m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid
  UNION ALL
  -- relations
  SELECT 'relation ' || r.oid::regclass || ' kind ' || r.relkind::text || ' rls ' || r.relrowsecurity
         || ' force ' || r.relforcerowsecurity || ' persistence ' || r.relpersistence::text
    FROM rels r
  UNION ALL
  SELECT 'relation acl ' || r.oid::regclass || ' ' || coalesce(
           (SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
                              || ':' || a.privilege_type, ',' ORDER BY 1)
              FROM aclexplode(coalesce(r.relacl, acldefault((CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END)::"char", r.relowner))) a WHERE a.grantee <> r.relowner), 'none')
    FROM rels r
  UNION ALL
  SELECT 'column ' || a.attrelid::regclass || ' ' || lpad(a.attnum::text, 3, '0') || ' ' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
         || CASE a.attidentity WHEN 'a' THEN ' identity always' WHEN 'd' THEN ' identity by default' ELSE '' END
         || CASE a.attgenerated WHEN 's' THEN ' generated' ELSE '' END
         || coalesce(' collate ' || nullif(a.attcollation, 0)::regcollation::text, '')
    FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
   WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'c')
  UNION ALL
  SELECT 'constraint ' || c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN rels r ON r.oid = c.conrelid
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN rels r ON r.oid = i.indrelid
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
    FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'policy ' || concat_ws(' ', p.schemaname || '.' || p.tablename, p.policyname, p.permissive, p.roles::text,
                               p.cmd, p.qual, p.with_check)
    FROM pg_policies p JOIN rels r ON r.relname = p.tablename AND r.relnamespace::regnamespace::name = p.schemaname
  UNION ALL
  SELECT 'sequence ' || s.seqrelid::regclass || ' ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart
         || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cycle ' || s.seqcycle
    FROM pg_sequence s JOIN rels r ON r.oid = s.seqrelid
  UNION ALL
  -- types, operators, operator classes and families, event triggers, schemas
  SELECT 'type ' || t.oid::regtype || ' ' || t.typtype::text || ' ' || coalesce(pg_get_constraintdef(c.oid), '')
    FROM pg_type t JOIN members m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid
    LEFT JOIN pg_constraint c ON c.contypid = t.oid
  UNION ALL
  SELECT 'operator ' || o.oid::regoperator || ' proc ' || o.oprcode::regprocedure::text
         || ' restrict ' || o.oprrest::text || ' join ' || o.oprjoin::text
         || ' commutator ' || o.oprcom::regoperator::text || ' negator ' || o.oprnegate::regoperator::text
         || ' hashes ' || o.oprcanhash || ' merges ' || o.oprcanmerge
    FROM pg_operator o JOIN members m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
  UNION ALL
  SELECT 'opclass ' || c.opcnamespace::regnamespace || '.' || c.opcname || ' ' || am.amname || ' type '
         || c.opcintype::regtype || ' storage ' || c.opckeytype::regtype || ' default ' || c.opcdefault
    FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
    JOIN members m ON m.classid = 'pg_opclass'::regclass AND m.objid = c.oid
  UNION ALL
  SELECT 'opfamily member ' || f.opfnamespace::regnamespace || '.' || f.opfname || ' operator ' || ao.amopstrategy
         || ' ' || ao.amopopr::regoperator || ' ' || ao.amoppurpose::text
    FROM pg_opfamily f JOIN pg_amop ao ON ao.amopfamily = f.oid
    JOIN members m ON m.classid = 'pg_opfamily'::regclass AND m.objid = f.oid
  UNION ALL
  SELECT 'opfamily member ' || f.opfnamespace::regnamespace || '.' || f.opfname || ' function ' || ap.amprocnum
         || ' ' || ap.amproc::regprocedure
    FROM pg_opfamily f JOIN pg_amproc ap ON ap.amprocfamily = f.oid
    JOIN members m ON m.classid = 'pg_opfamily'::regclass AND m.objid = f.oid
  UNION ALL
  SELECT 'event trigger ' || e.evtname || ' on ' || e.evtevent || ' tags ' || coalesce(e.evttags::text, '')
         || ' function ' || e.evtfoid::regprocedure || ' enabled ' || e.evtenabled::text
    FROM pg_event_trigger e JOIN members m ON m.classid = 'pg_event_trigger'::regclass AND m.objid = e.oid
  UNION ALL
  SELECT 'schema ' || n.nspname || ' acl ' || coalesce(
           (SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END
                              || ':' || a.privilege_type, ',' ORDER BY 1)
              FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE a.grantee <> n.nspowner), 'none')
    FROM pg_namespace n WHERE n.nspname = 'bsperm' OR n.oid = (SELECT extnamespace FROM ext)
  UNION ALL
  SELECT 'role ' || r.rolname || ' login ' || r.rolcanlogin || ' inherit ' || r.rolinherit
    FROM pg_roles r WHERE r.rolname LIKE 'bsperm%'
)
SELECT line FROM facts ORDER BY line;
