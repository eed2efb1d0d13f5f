-- The RBAC plugin's files as the plugin reads them: the policy CSV, the
-- conditional-policies YAML and the permission.rbac settings.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the CSV as the plugin parses it: quotes, spaces, g members lower-cased,
-- extra fields ignored, Casbin's parentheses; refused lines say why
SELECT line, type, fields, error FROM bsperm_parse_rbac_csv($csv$
# roles of the RBAC plugin's example
p, role:default/dev, catalog-entity, read, allow
p,"role:default/dev" , "catalog.entity.create", create , allow
g, User:default/Carl, role:default/dev
g, user:default/Eve, role:default/dev
p, role:default/dev, catalog-entity, delete, deny, extra
p, User:default/carl, catalog-entity, read, allow
p, role:default/dev, catalog-entity, write, allow
g, user:default/bob, group:default/team
g, role:default/a, role:default/dev
p, "role:default/dev, catalog-entity, read, allow
x, user:default/bob, role:default/dev
$csv$);

-- a refused line stops the import, naming the line (counting every line)
\set VERBOSITY default
SELECT bsperm_import_rbac_csv(E'# header\np, role:default/dev, catalog-entity, read\n');
SELECT bsperm_import_rbac_csv(E'g, user:default/bob, role:default/dev\n\ng, User:default/x, Role:default/dev');
\set VERBOSITY terse
SELECT count(*) AS nothing_imported FROM bsperm.role_members;

-- skip_invalid: the plugin's behaviour, each skipped line reported
SELECT bsperm_import_rbac_csv($csv$
p, role:default/dev, catalog-entity, read, allow
p, role:default/dev, catalog-entity, delete, deny
p, "role:default/dev", catalog-entity, update, allow
g, User:default/Carl, role:default/dev
g, group:default/team-a, role:default/dev
p, user:default/solo, catalog.entity.validate, use, allow
p, role:default/dev, catalog-entity, write, allow
g, user:default/bob, group:default/team
$csv$, skip_invalid => true) AS lines_applied;
SELECT role, member, object, action, effect, source FROM bsperm.permission_policies ORDER BY 1, 2, 3, 4, 5;
SELECT role, member, source FROM bsperm.role_members ORDER BY 1, 2;

-- rows added by hand stay; importing the file again makes its rows the file's
INSERT INTO bsperm.roles (name) VALUES ('role:default/hand');
INSERT INTO bsperm.role_members (role, member) VALUES ('role:default/hand', 'user:default/zoe');
INSERT INTO bsperm.permission_policies (role, object, action, effect)
  VALUES ('role:default/hand', 'catalog-entity', 'read', 'allow');
SELECT bsperm_import_rbac_csv($csv$
p, role:default/ops, catalog.location.read, read, allow
g, user:default/carl, role:default/ops
$csv$) AS lines_applied;
SELECT role, member, object, action, effect, source FROM bsperm.permission_policies ORDER BY 1, 2, 3, 4, 5;
SELECT role, member, source FROM bsperm.role_members ORDER BY 1, 2;
SELECT name, source FROM bsperm.roles ORDER BY 1;
BEGIN;
SELECT bsperm_set_user('user:default/carl');
SELECT bsperm_authorize('catalog.location.read') AS carl_location_read;
COMMIT;
-- replace: the hand rows go too
SELECT bsperm_import_rbac_csv('g, user:default/carl, role:default/ops', replace => true);
SELECT role, member, source FROM bsperm.role_members ORDER BY 1, 2;
SELECT count(*) AS lines FROM bsperm.permission_policies;

-- the conditional-policies YAML: one policy per document
SELECT bsperm_import_rbac_csv($csv$
p, role:default/dev, catalog-entity, read, allow
g, user:default/carl, role:default/dev
g, user:default/dana, role:default/ops
$csv$);
SELECT document, line, policy->>'roleEntityRef' AS role, policy->'permissionMapping' AS mapping, error
  FROM bsperm_parse_conditional_yaml($yaml$
result: CONDITIONAL
roleEntityRef: 'role:default/dev'
pluginId: catalog
resourceType: catalog-entity
permissionMapping:
  - update
  - use
conditions:
  rule: IS_ENTITY_OWNER
  resourceType: catalog-entity
  params:
    claims:
      - $ownerRefs
---
result: CONDITIONAL
roleEntityRef: role:default/ops
pluginId: catalog
resourceType: catalog-entity
permissionMapping:
  - {name: catalog.entity.delete, action: delete}
  - {name: catalog.entity.read, action: update}
conditions:
  not:
    rule: IS_ENTITY_KIND
    resourceType: catalog-entity
    params: {kinds: [Group]}
$yaml$);
SELECT bsperm_import_conditional_policies($yaml$
result: CONDITIONAL
roleEntityRef: 'role:default/dev'
pluginId: catalog
resourceType: catalog-entity
permissionMapping: [update, use]
conditions: {rule: IS_ENTITY_OWNER, resourceType: catalog-entity, params: {claims: [$ownerRefs]}}
---
result: CONDITIONAL
roleEntityRef: role:default/ops
pluginId: catalog
resourceType: catalog-entity
permissionMapping:
  - {name: catalog.entity.delete, action: delete}
  - {name: catalog.entity.read, action: update}
conditions: {not: {rule: IS_ENTITY_KIND, resourceType: catalog-entity, params: {kinds: [Group]}}}
$yaml$) AS policies_applied;
SELECT role, actions, permissions, permission_actions, source FROM bsperm.conditional_policies ORDER BY id;
BEGIN;
SELECT bsperm_set_user('user:default/dana');
-- {name, action}: only the request's action matches (catalog.entity.read is a read)
SELECT bsperm_authorize('catalog.entity.delete') AS dana_delete,
       bsperm_authorize('catalog.entity.read') AS dana_read;
SELECT bsperm_authorize_conditional('catalog.entity.delete') AS dana_delete_conditions;
COMMIT;
-- errors name the document; skip_invalid skips it with a warning
\set VERBOSITY default
SELECT bsperm_import_conditional_policies(E'a: 1\na: 2\n');
SELECT bsperm_import_conditional_policies(E'result: CONDITIONAL\nroleEntityRef: role:default/nobody\npluginId: catalog\nresourceType: catalog-entity\npermissionMapping: [read]\nconditions: {rule: IS_ENTITY_KIND, resourceType: catalog-entity, params: {kinds: [x]}}\n');
SELECT bsperm_import_conditional_policies(E'---\nresult: CONDITIONAL\nroleEntityRef: role:default/dev\npluginId: catalog\nresourceType: catalog-entity\npermissionMapping: [read, write]\nconditions: {}\n');
\set VERBOSITY terse
SELECT bsperm_import_conditional_policies($yaml$
result: CONDITIONAL
roleEntityRef: role:default/dev
pluginId: catalog
resourceType: catalog-entity
permissionMapping: [read]
conditions: {rule: IS_ENTITY_KIND, resourceType: catalog-entity, params: {kinds: [API]}}
---
result: CONDITIONAL
roleEntityRef: role:default/dev
pluginId: catalog
resourceType: catalog-entity
permissionMapping: [read, delete]
conditions: {rule: IS_ENTITY_KIND, resourceType: catalog-entity, params: {kinds: [Group]}}
$yaml$, skip_invalid => true) AS policies_applied;
SELECT role, actions, permissions, source FROM bsperm.conditional_policies ORDER BY id;

-- permission.rbac settings, as JSON
SELECT bsperm_apply_rbac_config($json$
{"admin": {"users": [{"name": "User:default/Admin"}], "superUsers": [{"name": "user:default/root"}]},
 "maxDepth": 1, "policyDecisionPrecedence": "basic", "useOwnershipEntityRefs": true,
 "defaultPermissions": {"defaultRole": "role:default/everyone",
   "basicPermissions": [{"permission": "catalog.location.read", "action": "read"},
                        {"permission": "catalog.entity.validate"}]}}
$json$);
SELECT max_depth, decision_precedence, default_role, use_ownership_entity_refs FROM bsperm.policy_config;
SELECT role, object, action, effect FROM bsperm.permission_policies WHERE source = 'configuration' ORDER BY 1, 2, 3;
SELECT role, member FROM bsperm.role_members WHERE source = 'configuration';
SELECT ref FROM bsperm.superusers WHERE source = 'configuration';
BEGIN;
SELECT bsperm_set_user('user:default/nobody');
SELECT bsperm_authorize('catalog.location.read') AS default_role_location_read,
       bsperm_authorize('catalog.entity.validate') AS default_role_validate;
SELECT bsperm_set_user('user:default/admin');
SELECT bsperm_authorize('catalog.entity.read') AS admin_read;
COMMIT;
-- the CSV may not change roles the configuration owns (the plugin refuses these lines)
SELECT bsperm_import_rbac_csv('g, user:default/eve, role:default/rbac_admin');
SELECT bsperm_apply_rbac_config('{"maxDepth": -1}');
SELECT bsperm_apply_rbac_config('{"maxdepth": 1}');
SELECT bsperm_apply_rbac_config('{"defaultPermissions": {"defaultRole": "role:default/x"}}');
SELECT bsperm_apply_rbac_config('{"admin": {"users": [{"name": "nobody"}]}}');
-- applying again replaces what the configuration made before
SELECT bsperm_apply_rbac_config('{}');
SELECT count(*) AS configuration_rows FROM bsperm.role_members WHERE source = 'configuration';
SELECT max_depth, decision_precedence, default_role FROM bsperm.policy_config;

DROP EXTENSION bsperm CASCADE;
