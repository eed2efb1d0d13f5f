-- bsperm install script, part 61: the decision audit log (doc/audit.md).
-- The C side is src/pg/pg_audit.c.

CREATE TABLE bsperm.audit_settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  enabled boolean NOT NULL DEFAULT false,
  retention interval NOT NULL DEFAULT '30 days'
    CHECK (retention OPERATOR(pg_catalog.>) '0'::pg_catalog.interval)
);
REVOKE ALL ON bsperm.audit_settings FROM PUBLIC;
COMMENT ON TABLE bsperm.audit_settings IS
  'at most one row (none: off): is the decision audit log on, and how long its rows are kept; changed by the owner only';

-- Only a superuser or the owner of schema bsperm changes the setting, even
-- if the table was granted: a role that can be audited must not be able to
-- switch the log off.
CREATE FUNCTION bsperm.audit_settings_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r
                  WHERE r.rolname OPERATOR(pg_catalog.=) current_user
                    AND (r.rolsuper OR r.oid OPERATOR(pg_catalog.=)
                         (SELECT n.nspowner FROM pg_catalog.pg_namespace n
                           WHERE n.nspname OPERATOR(pg_catalog.=) 'bsperm'))) THEN
    RAISE EXCEPTION 'only the owner of schema bsperm or a superuser may change bsperm.audit_settings'
      USING ERRCODE = '42501';
  END IF;
  RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION bsperm.audit_settings_check() FROM PUBLIC;
CREATE TRIGGER audit_settings_check BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON bsperm.audit_settings FOR EACH STATEMENT EXECUTE FUNCTION bsperm.audit_settings_check();
ALTER TABLE bsperm.audit_settings ENABLE ALWAYS TRIGGER audit_settings_check;
-- policy data: a change gives the policy a new version (20_policy.sql)
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bsperm.audit_settings
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.policy_changed();
ALTER TABLE bsperm.audit_settings ENABLE ALWAYS TRIGGER policy_changed;
CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.audit_settings
  FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed();
ALTER TABLE bsperm.audit_settings ENABLE REPLICA TRIGGER policy_row_changed;

CREATE TABLE bsperm.decision_log (
  decision_id uuid NOT NULL,  -- unique by construction (time and 74 random bits), not indexed
  decided_at timestamptz NOT NULL,
  session_role text NOT NULL,
  acting_role text NOT NULL,
  user_ref text,
  permission text NOT NULL,
  resource_ref text,
  result text NOT NULL,
  policy_version bigint NOT NULL,
  via text NOT NULL
);
-- rows arrive in time order: a BRIN index finds old ones for retention and
-- costs an insert almost nothing; no other index (each costs every decision)
CREATE INDEX decision_log_decided_at ON bsperm.decision_log USING brin (decided_at);
REVOKE ALL ON bsperm.decision_log FROM PUBLIC;
COMMENT ON TABLE bsperm.decision_log IS
  'one row per decision while bsperm.audit_settings.enabled; readable by the owner and roles it grants';

-- both survive pg_dump / pg_restore
SELECT pg_catalog.pg_extension_config_dump('bsperm.audit_settings', '');
SELECT pg_catalog.pg_extension_config_dump('bsperm.decision_log', '');
