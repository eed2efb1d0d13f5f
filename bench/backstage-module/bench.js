'use strict';
// A batch of 10 permission decisions for a user with many roles, decided by
//   bsperm:  the Backstage module's PermissionPolicy (BspermPermissionPolicy:
//            10 handle() calls, one transaction, one bsperm_authorize),
//   RBAC:    the RBAC plugin's PermissionPolicy (@backstage-community/
//            plugin-rbac-backend 8.1.3, built from its own classes on
//            PostgreSQL with its migrations, CSV and YAML files),
// with the same policy, the same user and groups, on the cluster in
// PGHOST/PGPORT.  Rounds interleave the two (the order alternates); each
// round times one batch of each; p50/p95 over the rounds.  Run through run.sh.
//   BSPERM_BENCH_ROUNDS=N (default 100), BSPERM_BENCH_ROLES=N user's roles (default 50)
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Client } = require('pg');

const ROUNDS = Number(process.env.BSPERM_BENCH_ROUNDS || 100);
const USER_ROLES = Number(process.env.BSPERM_BENCH_ROLES || 50);
const ALL_ROLES = 1000;
const LINES_PER_ROLE = 4;
const COND_ROLES = 10;
const PERM_DB = 'bsperm_bench_rbac';
const CAT_DB = 'bsperm_bench_rbac_catalog';
const BP_DB = 'bsperm_bench_module';
const NM = path.join(__dirname, 'node_modules');
const req = p => require(path.join(NM, p));
const PLUGIN = path.join(NM, '@backstage-community/plugin-rbac-backend/dist');
const preq = p => require(path.join(PLUGIN, p));

// plugin-rbac-backend 8.1.3 needs @backstage-community/plugin-rbac-common ^2.1.1,
// which the registry does not serve; 1.18.0 is installed and the two 2.x
// functions the backend calls are added (as in test/compat's RBAC comparison).
const rbacCommon = req('@backstage-community/plugin-rbac-common');
if (typeof rbacCommon.isPermissionInfo !== 'function') {
  rbacCommon.isPermissionInfo = e => typeof e === 'object' && e !== null && typeof e.name === 'string' && typeof e.action === 'string';
}
if (typeof rbacCommon.permissionMappingAction !== 'function') {
  rbacCommon.permissionMappingAction = e => (typeof e === 'string' ? e : e.action);
}

const knexFactory = req('knex');
const casbin = req('casbin');
const { ConfigReader } = req('@backstage/config');
const { MODEL } = preq('service/permission-model.cjs.js');
const { CasbinDBAdapterFactory } = preq('database/casbin-adapter-factory.cjs.js');
const { DataBaseConditionalStorage } = preq('database/conditional-storage.cjs.js');
const { DataBaseRoleMetadataStorage } = preq('database/role-metadata.cjs.js');
const { migrate } = preq('database/migration.cjs.js');
const { BackstageRoleManager } = preq('role-manager/role-manager.cjs.js');
const { EnforcerDelegate } = preq('service/enforcer-delegate.cjs.js');
const { RBACPermissionPolicy } = preq('policies/permission-policy.cjs.js');
const { DefaultPermissionsReader, DefaultPermissionsSyncher } = preq('default-permissions/default-permissions.cjs.js');
const M = require(path.join(__dirname, 'build/module/dist'));

const logs = [];
const logger = { info: () => {}, debug: () => {}, error: m => logs.push(`error ${m}`), warn: m => logs.push(`warn ${m}`), child() { return logger; } };
const auditor = { createEvent: async () => ({ success: async () => {}, fail: async () => {} }) };
const conn = (database, user = process.env.PGUSER || 'postgres') => ({ host: process.env.PGHOST, port: Number(process.env.PGPORT || 5432), user, database });
async function sql(database, text, params = []) {
  const c = new Client(conn(database));
  await c.connect();
  try { return await c.query(text, params); } finally { await c.end(); }
}

// ------------------------------------------------------------------ the policy
const PERMS = [
  ['catalog.entity.read', 'resource', 'read'], ['catalog.entity.create', 'basic', 'create'],
  ['catalog.entity.delete', 'resource', 'delete'], ['catalog.entity.refresh', 'resource', 'update'],
  ['catalog.entity.validate', 'basic', null], ['catalog.location.read', 'basic', 'read'],
  ['catalog.location.create', 'basic', 'create'], ['catalog.location.delete', 'basic', 'delete'],
  ['catalog.location.analyze', 'basic', null], ['catalog.ingestion.read', 'basic', 'read'],
].map(([name, type, action]) => ({ type, name, attributes: action ? { action } : {}, ...(type === 'resource' ? { resourceType: 'catalog-entity' } : {}) }));
const actionOf = p => p.attributes.action || 'use';

let seed = 20251201;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = a => a[Math.floor(rnd() * a.length)];

const USER = 'user:default/bench';
const groups = Array.from({ length: USER_ROLES }, (_, i) => `group:default/g${i}`);
const OWN = [USER, ...groups];
function policy() {
  const csv = [];
  const roleOf = i => `role:default/r${i}`;
  for (let i = 0; i < ALL_ROLES; i++) {
    // the user's groups hold every 20th role; the others belong to other teams' groups
    csv.push(`g, ${i % 20 === 0 && i / 20 < USER_ROLES ? groups[i / 20] : `group:default/other${i}`}, ${roleOf(i)}`);
    for (let k = 0; k < LINES_PER_ROLE; k++) {
      const p = pick(PERMS);
      const obj = p.type === 'resource' && rnd() < 0.5 ? 'catalog-entity' : p.name;
      // deny lines only where no line allows, so that both answer the same (the
      // plugin's allow/deny conflicts across roles are test/compat's subject)
      csv.push(`p, ${roleOf(i)}, ${obj}, ${actionOf(p)}, ${p.name === 'catalog.entity.delete' ? 'deny' : 'allow'}`);
    }
  }
  const docs = [];
  for (let j = 0; j < COND_ROLES; j++) {
    docs.push({
      result: 'CONDITIONAL', roleEntityRef: roleOf(j * 20), pluginId: 'catalog', resourceType: 'catalog-entity', permissionMapping: ['read'],
      conditions: j % 2 ? { rule: 'IS_ENTITY_OWNER', resourceType: 'catalog-entity', params: { claims: ['$ownerRefs'] } }
        : { rule: 'IS_ENTITY_KIND', resourceType: 'catalog-entity', params: { kinds: ['Component'] } },
    });
  }
  return { csv: `${csv.join('\n')}\n`, docs };
}

// ------------------------------------------------------------------ RBAC plugin
async function buildRbac(pol, dir) {
  for (const d of [PERM_DB, CAT_DB]) { await sql('postgres', `DROP DATABASE IF EXISTS ${d}`); await sql('postgres', `CREATE DATABASE ${d}`); }
  const db = knexFactory({ client: 'pg', connection: conn(PERM_DB), pool: { min: 0, max: 4 } });
  const cat = knexFactory({ client: 'pg', connection: conn(CAT_DB), pool: { min: 0, max: 2 } });
  await cat.schema.createTable('relations', t => { t.text('originating_entity_id'); t.text('source_entity_ref'); t.text('type'); t.text('target_entity_ref'); });
  await cat('relations').insert(groups.map(g => ({ source_entity_ref: USER, type: 'memberOf', target_entity_ref: g })));
  const baseConfig = new ConfigReader({ backend: { database: { client: 'pg', connection: conn(PERM_DB) } } });
  const adapter = await new CasbinDBAdapterFactory(baseConfig, db).createAdapter();
  await migrate({ getClient: async () => db });
  const csvPath = path.join(dir, 'policy.csv');
  const yamlPath = path.join(dir, 'conditional.yaml');
  fs.writeFileSync(csvPath, pol.csv);
  fs.writeFileSync(yamlPath, pol.docs.map(d => JSON.stringify(d)).join('\n---\n'));
  const config = new ConfigReader({
    backend: { database: { client: 'pg', connection: conn(PERM_DB) } },
    permission: { enabled: true, rbac: { 'policies-csv-file': csvPath, conditionalPoliciesFile: yamlPath, policyFileReload: false } },
  });
  const enf = await casbin.newEnforcer(casbin.newModelFromString(MODEL), adapter);
  await enf.loadPolicy();
  enf.enableAutoSave(true);
  const defPermReader = new DefaultPermissionsReader(config);
  const rm = new BackstageRoleManager({}, logger, cat, db, config, {}, defPermReader);
  enf.setRoleManager(rm);
  enf.enableAutoBuildRoleLinks(false);
  await enf.buildRoleLinks();
  const conditionStorage = new DataBaseConditionalStorage(db);
  const roleMetadataStorage = new DataBaseRoleMetadataStorage(db);
  const delegate = new EnforcerDelegate(enf, auditor, conditionStorage, roleMetadataStorage, db);
  await new DefaultPermissionsSyncher(roleMetadataStorage, delegate, defPermReader).sync();
  const userInfo = { getUserInfo: async () => ({ userEntityRef: USER, ownershipEntityRefs: OWN }) };
  const auth = { isPrincipal: (cred, type) => type === 'user' && !!cred.principal };
  const policy = await RBACPermissionPolicy.build(logger, auditor, config, conditionStorage, delegate, roleMetadataStorage, db, userInfo, auth);
  return { policy, close: async () => { await db.destroy(); await cat.destroy(); } };
}

// ------------------------------------------------------------------ bsperm module
async function buildBsperm(pol) {
  await sql('postgres', `DROP DATABASE IF EXISTS ${BP_DB}`);
  await sql('postgres', `CREATE DATABASE ${BP_DB} TEMPLATE template0 ENCODING 'UTF8'`);
  await sql('postgres', `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bsperm_bench_backstage') THEN CREATE ROLE bsperm_bench_backstage LOGIN; END IF; END$$`);
  await sql(BP_DB, 'CREATE EXTENSION bsperm');
  await sql(BP_DB, 'GRANT bsperm_trusted TO bsperm_bench_backstage');
  await sql(BP_DB, 'SELECT bsperm_import_rbac_csv($1)', [pol.csv]);
  for (const d of pol.docs) {
    await sql(BP_DB, 'INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES ($1, $2, $3, $4, $5)',
      [d.roleEntityRef, d.pluginId, d.resourceType, d.permissionMapping, JSON.stringify(d.conditions)]);
  }
  await sql(BP_DB, 'INSERT INTO bsperm.entities (entity) VALUES ($1)', [JSON.stringify({
    apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'bench', namespace: 'default' },
    relations: groups.map(g => ({ type: 'memberOf', targetRef: g })),
  })]);
  const runner = new M.PoolRunner(new (req('pg').Pool)({ ...conn(BP_DB, 'bsperm_bench_backstage'), max: 2 }), 'bench');
  const client = new M.BspermClient(runner);
  return { policy: new M.BspermPermissionPolicy(client, logger), close: () => client.close() };
}

// ------------------------------------------------------------------ measurement
const userArg = {
  credentials: { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: USER } },
  info: { userEntityRef: USER, ownershipEntityRefs: OWN },
};
const batch = p => Promise.all(PERMS.map(permission => p.handle({ permission }, userArg)));
const canon = v => (Array.isArray(v) ? v.map(canon) : v && typeof v === 'object'
  ? Object.fromEntries(Object.keys(v).sort().map(k => [k, canon(v[k])])) : v);
const norm = d => {
  const strip = c => (c && c.anyOf && c.anyOf.length === 1 ? strip(c.anyOf[0]) : c);
  return JSON.stringify(canon(d.result === 'CONDITIONAL' ? { r: d.result, c: strip(d.conditions) } : { r: d.result }));
};
const q = (xs, f) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(f * s.length))]; };
const ms = x => x.toFixed(3);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsperm-bench-bs-'));
  const pol = policy();
  const rbac = await buildRbac(pol, dir);
  const bs = await buildBsperm(pol);
  try {
    const a = await batch(rbac.policy);
    const b = await batch(bs.policy);
    const agree = a.filter((d, i) => norm(d) === norm(b[i])).length;
    console.log(`user with ${USER_ROLES} roles (of ${ALL_ROLES}, ${LINES_PER_ROLE} lines each, ${COND_ROLES} with conditional policies); batch of ${PERMS.length} decisions`);
    console.log(`decisions equal (single-role anyOf unwrapped): ${agree}/${PERMS.length}`);
    a.forEach((d, i) => { if (norm(d) !== norm(b[i])) console.log(`  differs: ${PERMS[i].name}: RBAC ${norm(d).slice(0, 200)} bsperm ${norm(b[i]).slice(0, 200)}`); });
    for (let i = 0; i < 10; i++) { await batch(rbac.policy); await batch(bs.policy); } // warm-up
    const tR = [];
    const tB = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 ? [[bs, tB], [rbac, tR]] : [[rbac, tR], [bs, tB]];
      for (const [p, out] of order) {
        const t = process.hrtime.bigint();
        await batch(p.policy);
        out.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }
    console.log(`rounds: ${ROUNDS} (interleaved, order alternating)`);
    console.log(`RBAC plugin 8.1.3 handle() x${PERMS.length}:   p50 ${ms(q(tR, 0.5))} ms   p95 ${ms(q(tR, 0.95))} ms`);
    console.log(`bsperm module handle() x${PERMS.length}:       p50 ${ms(q(tB, 0.5))} ms   p95 ${ms(q(tB, 0.95))} ms`);
    console.log(`ratio RBAC / bsperm:            p50 ${(q(tR, 0.5) / q(tB, 0.5)).toFixed(1)}x   p95 ${(q(tR, 0.95) / q(tB, 0.95)).toFixed(1)}x`);
    const errs = logs.filter(l => l.startsWith('error'));
    if (errs.length) console.log(`errors logged: ${errs.slice(0, 3).join(' | ')}`);
  } finally {
    await rbac.close();
    await bs.close();
    for (const d of [PERM_DB, CAT_DB, BP_DB]) await sql('postgres', `DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().catch(e => { console.error(e); process.exit(1); });
