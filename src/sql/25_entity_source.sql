-- bsperm install script, part 25: where the entities of decisions live.
--
-- Decisions read entities by exact ref: the user (its memberOf relations),
-- its groups (childOf, up the hierarchy), and the resources of
-- bsperm_authorize(..., resourceRef) and bsperm_apply_conditions.  They read
-- them from one relation, the entity source: bsperm.entities unless a row here
-- names another one, such as Backstage's own final_entities.  The source is
-- policy data: owner-only, and versioned like the policy tables, so a change
-- takes effect at the next statement of every session.  The C side is
-- src/pg/pg_entity_source.c.

CREATE TABLE bsperm.entity_source (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  relation regclass NOT NULL,
  entity_column name NOT NULL
);
COMMENT ON TABLE bsperm.entity_source IS
  'at most one row: the relation (with an entity_ref column and a json, jsonb or text entity column) decisions read entities from; no row means bsperm.entities';

-- The relation must be an ordinary table with a text entity_ref column and a
-- text, json or jsonb entity column (built-in types: decisions read it as the
-- extension's owner, and a type of the table owner's own would run its code;
-- checked again at every lookup, src/pg/pg_entity_source.c); a change of
-- source is a change of the policy.
CREATE FUNCTION bsperm.entity_source_check() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  ref_type pg_catalog.regtype;
  ent_type pg_catalog.regtype;
BEGIN
  -- an ordinary table: a view or foreign table would run its owner's code as the extension's owner
  IF (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) NEW.relation)
     OPERATOR(pg_catalog.<>) 'r' THEN
    RAISE EXCEPTION USING ERRCODE = 'wrong_object_type',
      MESSAGE = pg_catalog.format('entity source %s is not a table', NEW.relation),
      DETAIL = 'Decisions read the source as the extension''s owner; only an ordinary table runs no code of its owner''s when read.';
  END IF;
  SELECT a.atttypid::pg_catalog.regtype INTO ref_type FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) NEW.relation
     AND a.attname OPERATOR(pg_catalog.=) 'entity_ref' AND NOT a.attisdropped;
  SELECT a.atttypid::pg_catalog.regtype INTO ent_type FROM pg_catalog.pg_attribute a
   WHERE a.attrelid OPERATOR(pg_catalog.=) NEW.relation
     AND a.attname OPERATOR(pg_catalog.=) NEW.entity_column AND NOT a.attisdropped;
  IF ref_type IS NULL OR ref_type NOT IN ('pg_catalog.text'::pg_catalog.regtype,
                                          'pg_catalog.varchar'::pg_catalog.regtype) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_table_definition',
      MESSAGE = pg_catalog.format('entity source %s has no text column "entity_ref"', NEW.relation),
      DETAIL = 'Entities are looked up by their canonical ref (kind:namespace/name, lowercase) in a column named entity_ref.';
  END IF;
  IF ent_type IS NULL OR ent_type NOT IN ('pg_catalog.jsonb'::pg_catalog.regtype,
                                          'pg_catalog.json'::pg_catalog.regtype,
                                          'pg_catalog.text'::pg_catalog.regtype) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_table_definition',
      MESSAGE = pg_catalog.format('entity source %s has no jsonb, json or text column "%s"',
                                  NEW.relation, NEW.entity_column);
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION bsperm.entity_source_check() IS
  'checks that the entity source has an entity_ref column and an entity column decisions can read';
CREATE TRIGGER entity_source_check BEFORE INSERT OR UPDATE ON bsperm.entity_source
  FOR EACH ROW EXECUTE FUNCTION bsperm.entity_source_check();

-- Memberships come from the source's User and Group entities: a write of one
-- of them makes cached identities and the plans that folded their decisions
-- stale.  On a source other than bsperm.entities, row triggers whose WHEN
-- clause costs a prefix test of entity_ref per row and nothing else
-- (Backstage's stitcher writes one row per statement, and only when the
-- entity changed) bump the policy version (policy_row_changed)
-- and invalidate folded plans (bsperm_policy_changed, 40_rls.sql).  They are
-- created when the row here names the relation and dropped when it stops
-- naming it.  ENABLE ALWAYS: a replica applying Backstage's writes keeps its
-- decisions current too.  The WHEN clauses read entity_ref only, so the
-- entity column's type may change under them (Backstage's migration of
-- final_entity to jsonb).
CREATE FUNCTION bsperm.entity_source_triggers(rel pg_catalog.regclass, install boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  member constant text := '(pg_catalog.starts_with(%1$s.entity_ref::pg_catalog.text, ''user:'') OR '
                          'pg_catalog.starts_with(%1$s.entity_ref::pg_catalog.text, ''group:''))';
  ops constant text[] := ARRAY['insert', 'update', 'delete'];
  whens text[];
  fns constant text[] := ARRAY['policy_row_changed', 'bsperm_policy_changed'];
  names constant text[] := ARRAY['bsperm_membership_', 'bsperm_membership_plans_'];
  i int;
  k int;
  t name;
BEGIN
  IF rel OPERATOR(pg_catalog.=) 'bsperm.entities'::pg_catalog.regclass THEN
    RETURN;          -- bsperm.entities has its own triggers (20_policy.sql)
  END IF;
  whens := ARRAY[pg_catalog.format(member, 'NEW'),
                 pg_catalog.format('%s OR %s', pg_catalog.format(member, 'OLD'), pg_catalog.format(member, 'NEW')),
                 pg_catalog.format(member, 'OLD')];
  FOR t IN SELECT g.tgname FROM pg_catalog.pg_trigger g
            WHERE g.tgrelid OPERATOR(pg_catalog.=) rel
              AND pg_catalog.starts_with(g.tgname::pg_catalog.text, 'bsperm_membership_') LOOP
    EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', t, rel);
  END LOOP;
  IF NOT install THEN
    RETURN;
  END IF;
  FOR k IN 1..2 LOOP
    FOR i IN 1..3 LOOP
      EXECUTE pg_catalog.format(
        'CREATE TRIGGER %I AFTER %s ON %s FOR EACH ROW WHEN (%s) EXECUTE FUNCTION bsperm.%I()',
        names[k] || ops[i], ops[i], rel, whens[i], fns[k]);
    END LOOP;
    EXECUTE pg_catalog.format(
      'CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION bsperm.%I()',
      names[k] || 'truncate', rel, CASE k WHEN 1 THEN 'policy_changed' ELSE fns[k] END);
    FOR i IN 1..4 LOOP
      EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I',
                                rel, names[k] || (ops || 'truncate'::text)[i]);
    END LOOP;
  END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION bsperm.entity_source_triggers(pg_catalog.regclass, boolean) FROM PUBLIC;
COMMENT ON FUNCTION bsperm.entity_source_triggers(pg_catalog.regclass, boolean) IS
  'creates (or drops) the triggers that make a write of a User or Group entity in an entity source bump the policy version and invalidate folded plans';

CREATE FUNCTION bsperm.entity_source_changed() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT'
     AND EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) OLD.relation) THEN
    PERFORM bsperm.entity_source_triggers(OLD.relation, false);
  END IF;
  IF TG_OP OPERATOR(pg_catalog.<>) 'DELETE' THEN
    PERFORM bsperm.entity_source_triggers(NEW.relation, true);
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION bsperm.entity_source_changed() IS
  'moves the membership triggers to the relation the entity source names';
CREATE TRIGGER entity_source_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.entity_source
  FOR EACH ROW EXECUTE FUNCTION bsperm.entity_source_changed();

-- For bsperm_protect_backstage / bsperm_unprotect_backstage (45_backstage.sql):
-- make the protected catalog's entities the source, or stop reading them
-- before they go.  Only a role that may write bsperm.entity_source (the
-- extension's owner, a superuser) changes it; anyone else gets a warning
-- saying what to run.
CREATE FUNCTION bsperm._bsperm_entity_source_follow(rel pg_catalog.regclass, col name, follow boolean)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  may constant boolean := pg_catalog.has_table_privilege('bsperm.entity_source', 'SELECT, INSERT, UPDATE, DELETE');
  cur bsperm.entity_source;
  todo text;
BEGIN
  IF may THEN
    SELECT * INTO cur FROM bsperm.entity_source;
  END IF;
  IF follow THEN
    IF may AND cur.relation IS NOT DISTINCT FROM rel AND cur.entity_column IS NOT DISTINCT FROM col THEN
      RETURN;
    END IF;
    todo := pg_catalog.format('INSERT INTO bsperm.entity_source (relation, entity_column) VALUES (%L, %L) '
                              'ON CONFLICT (singleton) DO UPDATE SET relation = excluded.relation, entity_column = excluded.entity_column',
                              rel, col);
  ELSE
    IF may AND cur.relation IS DISTINCT FROM rel THEN
      RETURN;
    END IF;
    todo := pg_catalog.format('DELETE FROM bsperm.entity_source WHERE relation = %L::regclass', rel);
  END IF;
  IF may THEN
    EXECUTE todo;
  ELSE
    RAISE WARNING USING ERRCODE = 'insufficient_privilege',
      MESSAGE = CASE WHEN follow THEN pg_catalog.format('decisions do not read the entities of %s', rel)
                     ELSE pg_catalog.format('decisions may still read the entities of %s', rel) END,
      DETAIL = 'Only the owner of the extension bsperm (a superuser) may change bsperm.entity_source.',
      HINT = pg_catalog.format('Run as a superuser: %s;', todo);
  END IF;
END
$fn$;
COMMENT ON FUNCTION bsperm._bsperm_entity_source_follow(pg_catalog.regclass, name, boolean) IS
  'points bsperm.entity_source at a relation (follow) or away from it, if the caller may; else warns with the statement to run';

-- versioned like every policy table (20_policy.sql)
CREATE TRIGGER policy_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON bsperm.entity_source
  FOR EACH STATEMENT EXECUTE FUNCTION bsperm.policy_changed();
ALTER TABLE bsperm.entity_source ENABLE ALWAYS TRIGGER policy_changed;
CREATE TRIGGER policy_row_changed AFTER INSERT OR UPDATE OR DELETE ON bsperm.entity_source
  FOR EACH ROW EXECUTE FUNCTION bsperm.policy_row_changed();
ALTER TABLE bsperm.entity_source ENABLE REPLICA TRIGGER policy_row_changed;

SELECT pg_catalog.pg_extension_config_dump('bsperm.entity_source', '');
