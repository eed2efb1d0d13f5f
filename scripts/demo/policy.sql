-- The demo policy, as an RBAC plugin administrator would write it:
-- developers (both teams) read what they own; carol administers the platform.
SELECT bsperm_import_rbac_csv($csv$
p, role:default/developer, catalog.entity.create, create, allow
p, role:default/platform-admin, catalog-entity, read, allow
p, role:default/platform-admin, catalog.entity.create, create, allow
g, group:default/team-a, role:default/developer
g, group:default/team-b, role:default/developer
g, user:default/carol, role:default/platform-admin
$csv$);
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/developer', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
