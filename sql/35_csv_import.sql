-- Importing RBAC plugin policy CSV.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

SELECT bsperm_import_rbac_csv($csv$
# roles of the RBAC plugin's example
p, role:default/dev, catalog-entity, read, allow
p, role:default/dev, catalog.entity.create, create, allow
p,role:default/dev,catalog.location.read,read,allow
p, role:default/dev, catalog-entity, read, allow
p, role:default/dev, catalog-entity, delete, allow
p, role:default/dev, catalog-entity, delete, deny
p, user:default/solo, catalog.entity.validate, use, allow
g, group:default/team-a, role:default/dev
g, user:default/bob, role:default/dev

g, user:default/bob, role:default/dev
$csv$) AS lines_applied;
-- an exact duplicate is kept once; an allow and a deny for the same line both stay (deny wins)
SELECT role, member, object, action, effect FROM permission_policies ORDER BY 1, 2, 3, 4, 5;
SELECT * FROM role_members ORDER BY 1, 2;
SELECT * FROM roles ORDER BY 1;

-- errors name the line (counting every line of the text, comments and blanks too)
\set VERBOSITY default
SELECT bsperm_import_rbac_csv(E'# header\np, role:default/dev, catalog-entity, read\n');
SELECT bsperm_import_rbac_csv(E'p, role:default/dev, catalog-entity, read, allow\n\np, dev, catalog-entity, read, allow');
SELECT bsperm_import_rbac_csv(E'p, role:default/dev, , read, allow');
SELECT bsperm_import_rbac_csv(E'p, role:default/dev, catalog-entity, write, allow');
SELECT bsperm_import_rbac_csv(E'p, role:default/dev, catalog-entity, read, permit');
SELECT bsperm_import_rbac_csv(E'g, user:default/bob');
SELECT bsperm_import_rbac_csv(E'g, component:default/x, role:default/dev');
SELECT bsperm_import_rbac_csv(E'g, user:default/bob, group:default/dev');
SELECT bsperm_import_rbac_csv(E'x, user:default/bob, role:default/dev');
\set VERBOSITY terse
-- a failed import changes nothing
SELECT bsperm_import_rbac_csv(E'g, user:default/carol, role:default/dev\ng, nope, role:default/dev');
SELECT count(*) AS carol_lines FROM role_members WHERE member = 'user:default/carol';

-- replace: the file becomes the whole policy (roles and conditional policies stay)
SELECT bsperm_import_rbac_csv('g, user:default/carol, role:default/ops', replace => true);
SELECT * FROM role_members ORDER BY 1, 2;
SELECT count(*) AS lines FROM permission_policies;

-- the imported policy decides
SELECT bsperm_import_rbac_csv('p, role:default/ops, catalog.location.read, read, allow');
BEGIN;
SELECT bsperm_set_user('user:default/carol');
SELECT bsperm_authorize('catalog.location.read') AS carol_location_read;
COMMIT;

DROP EXTENSION bsperm CASCADE;
