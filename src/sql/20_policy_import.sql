-- bsperm install script, part 20 (continued): importing RBAC plugin policy CSV.

CREATE FUNCTION @extschema@.bsperm_import_rbac_csv(csv text, replace boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  lines text[] := pg_catalog.regexp_split_to_array(csv, E'\r?\n');
  line text;
  f text[];
  lineno integer := 0;
  applied integer := 0;
  subject text;
  rc integer;
BEGIN
  IF replace THEN
    DELETE FROM bsperm.permission_policies;
    DELETE FROM bsperm.role_members;
  END IF;
  FOREACH line IN ARRAY lines LOOP
    lineno := lineno OPERATOR(pg_catalog.+) 1;
    line := pg_catalog.btrim(line, E' \t');
    CONTINUE WHEN line OPERATOR(pg_catalog.=) '' OR pg_catalog.starts_with(line, '#');
    SELECT pg_catalog.array_agg(pg_catalog.btrim(x, E' \t') ORDER BY n)
      INTO f
      FROM pg_catalog.unnest(pg_catalog.string_to_array(line, ',')) WITH ORDINALITY AS t(x, n);

    IF f[1] OPERATOR(pg_catalog.=) 'p' THEN
      IF pg_catalog.cardinality(f) OPERATOR(pg_catalog.<>) 5 THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: a "p" line has 5 fields, not %s', lineno, pg_catalog.cardinality(f)),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Write p, <role, user or group ref>, <permission name or resource type>, <action>, <allow|deny>.';
      END IF;
      subject := f[2];
      IF subject OPERATOR(pg_catalog.!~) '^(role|user|group):[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a role, user or group ref', lineno, subject),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[3] OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: the permission or resource type is empty', lineno),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[4] OPERATOR(pg_catalog.<>) ALL (ARRAY['create', 'read', 'update', 'delete', 'use']) THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: unrecognized action "%s"', lineno, f[4]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'The actions are create, read, update, delete and use.';
      END IF;
      IF f[5] OPERATOR(pg_catalog.<>) ALL (ARRAY['allow', 'deny']) THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: unrecognized effect "%s"', lineno, f[5]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'The effects are allow and deny.';
      END IF;
      IF pg_catalog.starts_with(subject, 'role:') THEN
        INSERT INTO bsperm.roles (name) VALUES (subject) ON CONFLICT DO NOTHING;
        INSERT INTO bsperm.permission_policies (role, object, action, effect)
          VALUES (subject, f[3], f[4], f[5]) ON CONFLICT DO NOTHING;
      ELSE
        INSERT INTO bsperm.permission_policies (member, object, action, effect)
          VALUES (subject, f[3], f[4], f[5]) ON CONFLICT DO NOTHING;
      END IF;
      applied := applied OPERATOR(pg_catalog.+) 1;

    ELSIF f[1] OPERATOR(pg_catalog.=) 'g' THEN
      IF pg_catalog.cardinality(f) OPERATOR(pg_catalog.<>) 3 THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: a "g" line has 3 fields, not %s', lineno, pg_catalog.cardinality(f)),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Write g, <user or group ref>, <role ref>.';
      END IF;
      IF f[2] OPERATOR(pg_catalog.!~) '^(user|group):[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a user or group ref', lineno, f[2]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line);
      END IF;
      IF f[3] OPERATOR(pg_catalog.!~) '^role:[^:/]+/.+$' THEN
        RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
          MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: "%s" is not a role ref', lineno, f[3]),
          DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
          HINT = 'Roles are named role:<namespace>/<name>.';
      END IF;
      INSERT INTO bsperm.roles (name) VALUES (f[3]) ON CONFLICT DO NOTHING;
      INSERT INTO bsperm.role_members (role, member) VALUES (f[3], f[2]) ON CONFLICT DO NOTHING;
      applied := applied OPERATOR(pg_catalog.+) 1;

    ELSE
      RAISE EXCEPTION USING ERRCODE = 'bad_copy_file_format',
        MESSAGE = pg_catalog.format('invalid RBAC policy CSV at line %s: unrecognized line type "%s"', lineno, f[1]),
        DETAIL = pg_catalog.format('Line %s is "%s".', lineno, line),
        HINT = 'Lines start with "p" (a permission policy) or "g" (a role member); "#" starts a comment.';
    END IF;
  END LOOP;
  RETURN applied;
END
$fn$;
COMMENT ON FUNCTION @extschema@.bsperm_import_rbac_csv(text, boolean) IS
  'imports RBAC plugin policy CSV ("p" and "g" lines) into the policy tables; with replace, existing lines and members go first; returns the number of lines applied';
