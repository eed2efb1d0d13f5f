-- Operations: dump and restore, DROP EXTENSION (doc/operations.md).

-------------------------------------------------------------------------------
-- Dump and restore.  pg_dump writes CREATE EXTENSION bsperm, not the
-- extension's tables; the tables and sequences that hold what a user
-- configures are registered here (and in 20_policy.sql) so that their rows are
-- dumped with the database's data.  The identity sequence of
-- conditional_policies, so that a restored database numbers new policies
-- after the restored ones; the protected tables (bsperm.entities is protected
-- by CREATE EXTENSION itself, so its row is not dumped).
SELECT pg_catalog.pg_extension_config_dump('bsperm.conditional_policies_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.protected_tables',
  'WHERE relid OPERATOR(pg_catalog.<>) ''bsperm.entities''::pg_catalog.regclass');

-------------------------------------------------------------------------------
-- DROP EXTENSION bsperm unprotects every table first (an event trigger in C
-- sees which extension a DROP EXTENSION drops, pg_release.c): each table gets
-- back the row security it had before bsperm_protect, with its owner's own
-- policies, instead of row security forced on with bsperm's policies gone.
CREATE FUNCTION bsperm._bsperm_unprotect_all()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t regclass;
BEGIN
  -- top-level tables only: bsperm_unprotect takes partitions and children along
  FOR t IN SELECT p.relid FROM bsperm.protected_tables p
            WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                               WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                 AND d.objid OPERATOR(pg_catalog.=) p.relid
                                 AND d.deptype OPERATOR(pg_catalog.=) 'e')
              AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i
                                JOIN bsperm.protected_tables q ON q.relid OPERATOR(pg_catalog.=) i.inhparent
                               WHERE i.inhrelid OPERATOR(pg_catalog.=) p.relid)
            ORDER BY p.relid::pg_catalog.oid LOOP
    PERFORM @extschema@.bsperm_unprotect(t);
    RAISE NOTICE 'bsperm no longer protects table %', t
      USING DETAIL = 'Its row security is as it was before bsperm_protect.';
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION bsperm._bsperm_unprotect_all() FROM PUBLIC;
COMMENT ON FUNCTION bsperm._bsperm_unprotect_all() IS
  'bsperm_unprotect for every protected table (run by DROP EXTENSION bsperm)';

CREATE FUNCTION bsperm._bsperm_drop_extension()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'bsperm_drop_extension_guard'
LANGUAGE C;
REVOKE ALL ON FUNCTION bsperm._bsperm_drop_extension() FROM PUBLIC;
CREATE EVENT TRIGGER bsperm_drop_extension ON ddl_command_start
  WHEN TAG IN ('DROP EXTENSION')
  EXECUTE FUNCTION bsperm._bsperm_drop_extension();
