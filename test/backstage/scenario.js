'use strict';
// The scenario of the Backstage suite (and of bench/backstage-module): a
// catalog of groups, users and components, and an RBAC policy in bsperm's
// tables, both generated from these lists so that Backstage and bsperm read
// the same thing.

const TEAMS = ['team-a', 'team-b', 'team-c', 'platform', 'sre'];
// user -> direct groups (Backstage's sign-in puts user + memberOf groups in ownershipEntityRefs)
const USERS = {
  alice: ['team-a'],
  bob: ['team-b'],
  carol: [],
  dave: ['team-a', 'team-c'],
  erin: ['platform'],
  frank: ['sre'],
};
const COMPONENTS = [
  // name, owner, cluster annotation
  ['svc-a', 'group:default/team-a', 'prod-eu'],
  ['svc-a2', 'group:default/team-a', 'dev'],
  ['svc-b', 'group:default/team-b', 'prod-us'],
  ['svc-c', 'group:default/team-c', null],
  ['notes', 'user:default/carol', null],
  ['infra', 'group:default/platform', 'prod-eu'],
  // name, owner, cluster, namespace
  ['ops-tool', 'group:default/platform', 'prod-us', 'ops'],
];

function catalogYaml() {
  const docs = [];
  for (const t of TEAMS) {
    docs.push({ apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: t }, spec: { type: 'team', children: [] } });
  }
  for (const [u, groups] of Object.entries(USERS)) {
    docs.push({ apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: u }, spec: { memberOf: groups } });
  }
  for (const [name, owner, cluster, namespace] of COMPONENTS) {
    const metadata = { name, ...(namespace ? { namespace } : {}) };
    if (cluster) metadata.annotations = { 'backstage.io/kubernetes-cluster': cluster };
    docs.push({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata, spec: { type: 'service', lifecycle: 'production', owner } });
  }
  // JSON is YAML
  return docs.map(d => `---\n${JSON.stringify(d)}\n`).join('');
}

const userRef = u => `user:default/${u}`;
const ownershipOf = u => [userRef(u), ...USERS[u].map(g => `group:default/${g}`)];

// team members may register entities and never delete them; team-c may not read
// locations; everyone reads locations and what it owns; platform reads everything;
// SREs read what runs in the production clusters (a declared rule, IS_FROM_CLUSTER).
const POLICY_CSV = `
p, role:default/member, catalog.entity.create, create, allow
p, role:default/member, catalog-entity, delete, deny
g, group:default/team-a, role:default/member
g, group:default/team-b, role:default/member
g, group:default/team-c, role:default/member
p, role:default/everyone, catalog.location.read, read, allow
p, role:default/platform, catalog-entity, read, allow
p, role:default/platform, catalog-entity, delete, allow
g, group:default/platform, role:default/platform
g, group:default/sre, role:default/sre
`;
const POLICY_SQL = `
SELECT bsperm_import_rbac_csv($csv$${POLICY_CSV}$csv$);
INSERT INTO bsperm.policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/everyone', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}'),
  ('role:default/sre', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["prod-eu","prod-us"]}}');
`;

const PERMISSIONS = {
  'catalog.entity.create': { type: 'basic', name: 'catalog.entity.create', attributes: { action: 'create' } },
  'catalog.location.read': { type: 'basic', name: 'catalog.location.read', attributes: { action: 'read' } },
  'catalog.entity.read': { type: 'resource', name: 'catalog.entity.read', attributes: { action: 'read' }, resourceType: 'catalog-entity' },
  'catalog.entity.delete': { type: 'resource', name: 'catalog.entity.delete', attributes: { action: 'delete' }, resourceType: 'catalog-entity' },
  'catalog.entity.refresh': { type: 'resource', name: 'catalog.entity.refresh', attributes: { action: 'update' }, resourceType: 'catalog-entity' },
};

module.exports = { TEAMS, USERS, COMPONENTS, catalogYaml, userRef, ownershipOf, POLICY_SQL, POLICY_CSV, PERMISSIONS };
