'use strict';
// bsperm "same answer as Backstage" suite (issue 9, item 5), run through
// test/compat/run.sh same-answer.js same_answer.
//
// A catalog database built and kept by the real catalog-backend 4.0.0 code,
// running as Backstage's own role (the tables' owner, not a superuser):
//   knex migrations (applyDatabaseMigrations) → provider writes
//   (DefaultProviderDatabase.replaceUnprocessedEntities, full mutations, so
//   removed entities are deleted with eager pruning) → processing
//   (BuiltinKindsEntityProcessor + the default entity policies, then
//   DefaultProcessingDatabase.updateProcessedEntity, then markForStitching of
//   what the engine marks) → stitching (performStitching, as the stitch queue
//   says).  The database is then protected with bsperm_protect_backstage and
//   the entity source pointed at the catalog, and Backstage keeps writing.
//
// At every step, for every user, two answers are compared:
//   SQL:       a PostgreSQL role mapped to the user (bsperm.role_users, claims
//              computed by bsperm from the catalog) runs
//              SELECT entity_ref FROM final_entities, and asks
//              bsperm_authorize('catalog.entity.read', ref) for every ref;
//   Backstage: AuthorizedEntitiesCatalog(DefaultEntitiesCatalog) .entities()
//              for the user's credentials; its PermissionClient asks a
//              permission backend on the loopback interface whose decision
//              is bsperm_authorize(request) for that user, with the user's
//              ownershipEntityRefs computed the way Backstage's sign-in does
//              (the user entity, read from the catalog, and its memberOf
//              group relations).  One policy, two enforcement paths.
// Last line: "# suite same_answer: N passed, N failed".

const http = require('http');
const { Client } = require('pg');
const bs = require('./lib/backstage');
const path = require('path');

const NM = path.join(__dirname, 'node_modules');
const catalogDist = p => require(path.join(NM, '@backstage/plugin-catalog-backend/dist', p));
const catalogModel = require('@backstage/catalog-model');
const { ConfigReader } = require('@backstage/config');
const { PermissionClient } = require('@backstage/plugin-permission-common');
const { applyDatabaseMigrations } = catalogDist('database/migrations.cjs.js');
const { DefaultProviderDatabase } = catalogDist('database/DefaultProviderDatabase.cjs.js');
const { DefaultProcessingDatabase } = catalogDist('database/DefaultProcessingDatabase.cjs.js');
const { markForStitching } = catalogDist('database/operations/stitcher/markForStitching.cjs.js');
const { performStitching } = catalogDist('database/operations/stitcher/performStitching.cjs.js');
const { DefaultEntitiesCatalog } = catalogDist('service/DefaultEntitiesCatalog.cjs.js');
const { AuthorizedEntitiesCatalog } = catalogDist('service/AuthorizedEntitiesCatalog.cjs.js');
const { entitiesResponseToObjects } = catalogDist('service/response/process.cjs.js');
const permissionNode = require('@backstage/plugin-permission-node');

const DB = process.env.BSPERM_SAME_DB || 'bsperm_same_answer';
const BS_ROLE = 'bsperm_sa_backstage';
const KEEP = !!process.env.BSPERM_COMPAT_KEEP;
const logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };
const metricsStub = { createObservableGauge: () => ({ addCallback: () => ({}) }), createCounter: () => ({ add() {} }), createHistogram: () => ({ record() {} }) };

const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
};
const conn = (database, user = 'postgres') => ({ host: process.env.PGHOST, port: Number(process.env.PGPORT || 5432), user, database });
const sortedEq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---------------------------------------------------------------- the catalog, as data
// Users, their SQL roles, and the groups they are in (spec.memberOf) at the start.
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'audrey', 'gina'];
function initialCatalog() {
  const e = (kind, name, spec = {}, annotations = {}, extra = {}) => ({
    apiVersion: 'backstage.io/v1alpha1', kind,
    metadata: { name, namespace: 'default', annotations: { 'backstage.io/managed-by-location': 'url:https://example.com/catalog.yaml', 'backstage.io/managed-by-origin-location': 'url:https://example.com/catalog.yaml', ...annotations }, ...extra },
    spec,
  });
  const groups = [
    e('Group', 'eng', { type: 'org', children: ['team-a', 'team-b', 'platform'] }),
    e('Group', 'team-a', { type: 'team', parent: 'eng', children: [] }),
    e('Group', 'team-b', { type: 'team', parent: 'eng', children: [] }),
    e('Group', 'platform', { type: 'team', parent: 'eng', children: [] }),
  ];
  const memberOf = { alice: ['team-a'], bob: ['team-b'], carol: ['team-a', 'platform'], dave: [], erin: ['platform'], frank: ['team-b'], audrey: [] };
  const users = Object.entries(memberOf).map(([u, g]) => e('User', u, { profile: { email: `${u}@example.com` }, memberOf: g }));
  const owners = ['team-a', 'team-b', 'platform', 'user:default/alice', 'team-b', 'team-a'];
  const components = [];
  for (let i = 0; i < 24; i++) {
    const ann = {};
    if (i % 5 === 0) ann['acme.com/restricted'] = 'true';
    if (i % 3 === 0) ann['github.com/project-slug'] = `acme/svc-${i}`;
    components.push(e('Component', `svc-${i}`, { type: i % 2 ? 'service' : 'website', lifecycle: 'production', owner: owners[i % owners.length], system: i % 4 ? 'shop' : 'billing' }, ann));
  }
  const apis = [];
  for (let i = 0; i < 10; i++) {
    apis.push(e('API', `api-${i}`, { type: 'openapi', lifecycle: 'production', owner: owners[(i + 1) % owners.length], definition: 'openapi: 3.0.0' },
      { 'acme.com/visibility': i % 3 === 0 ? 'internal' : 'public' }));
  }
  const resources = [];
  for (let i = 0; i < 5; i++) resources.push(e('Resource', `db-${i}`, { type: 'database', owner: owners[(i + 2) % owners.length] }, i === 1 ? { 'acme.com/restricted': 'true' } : {}));
  const systems = [e('System', 'shop', { owner: 'team-a', domain: 'commerce' }), e('System', 'billing', { owner: 'team-b', domain: 'commerce' }), e('Domain', 'commerce', { owner: 'eng' })];
  return [...groups, ...users, ...components, ...apis, ...resources, ...systems];
}
const find = (cat, kind, name) => cat.find(x => x.kind === kind && x.metadata.name === name);

// The steps: each changes the desired catalog; Backstage ingests it.
const STEPS = [
  ['initial catalog, just protected', () => {}],
  ['stitching inserts: new components and APIs', cat => {
    const base = find(cat, 'Component', 'svc-1');
    for (let i = 24; i < 30; i++) {
      const c = JSON.parse(JSON.stringify(base));
      c.metadata.name = `svc-${i}`;
      c.spec.owner = ['team-a', 'team-b', 'platform'][i % 3];
      if (i % 2) c.metadata.annotations['acme.com/restricted'] = 'true';
      cat.push(c);
    }
    const api = JSON.parse(JSON.stringify(find(cat, 'API', 'api-1')));
    api.metadata.name = 'api-new'; api.spec.owner = 'platform';
    cat.push(api);
  }],
  ['updates: owners, annotations', cat => {
    find(cat, 'Component', 'svc-2').spec.owner = 'team-a';
    find(cat, 'Component', 'svc-7').spec.owner = 'user:default/bob';
    find(cat, 'Component', 'svc-8').metadata.annotations['acme.com/restricted'] = 'true';
    delete find(cat, 'Component', 'svc-10').metadata.annotations['acme.com/restricted'];
    find(cat, 'API', 'api-0').metadata.annotations['acme.com/visibility'] = 'public';
    find(cat, 'API', 'api-2').metadata.annotations['acme.com/visibility'] = 'internal';
    find(cat, 'Resource', 'db-3').spec.owner = 'team-b';
  }],
  ['membership: frank moves from team-b to team-a, carol leaves platform', cat => {
    find(cat, 'User', 'frank').spec.memberOf = ['team-a'];
    find(cat, 'User', 'carol').spec.memberOf = ['team-a'];
  }],
  ['membership from the group side: team-b lists dave in spec.members', cat => {
    find(cat, 'Group', 'team-b').spec.members = ['dave'];
  }],
  ['deletes: components, an API, and the group platform', cat => {
    for (const n of ['svc-0', 'svc-3', 'svc-12', 'svc-25']) cat.splice(cat.indexOf(find(cat, 'Component', n)), 1);
    cat.splice(cat.indexOf(find(cat, 'API', 'api-4')), 1);
    cat.splice(cat.indexOf(find(cat, 'Group', 'platform')), 1);
    find(cat, 'Group', 'eng').spec.children = ['team-a', 'team-b'];
  }],
  ['a new user: gina joins team-a (her SQL role was mapped from the start)', cat => {
    const u = JSON.parse(JSON.stringify(find(cat, 'User', 'alice')));
    u.metadata.name = 'gina'; u.spec.profile.email = 'gina@example.com'; u.spec.memberOf = ['team-a'];
    cat.push(u);
  }],
  ['more changes: team-b drops dave, owners move to users, bob joins team-a too', cat => {
    delete find(cat, 'Group', 'team-b').spec.members;
    find(cat, 'Component', 'svc-4').spec.owner = 'user:default/gina';
    find(cat, 'API', 'api-5').spec.owner = 'user:default/erin';
    find(cat, 'User', 'bob').spec.memberOf = ['team-b', 'team-a'];
  }],
];

// ---------------------------------------------------------------- Backstage's ingestion
class Catalog {
  constructor(knex) {
    this.knex = knex;
    this.provider = new DefaultProviderDatabase({ database: knex, logger });
    this.processing = new DefaultProcessingDatabase({ database: knex, logger, refreshInterval: () => 100000, metrics: metricsStub });
  }

  // one full mutation of the provider, then the engine's processing and stitching until quiet
  async ingest(entities) {
    await this.provider.transaction(tx => this.provider.replaceUnprocessedEntities(tx, {
      sourceKey: 'same-answer-provider', type: 'full',
      items: entities.map(entity => ({ entity: JSON.parse(JSON.stringify(entity)), locationKey: 'url:https://example.com/catalog.yaml' })),
    }));
    const stats = { processed: 0, stitched: 0 };
    for (;;) {
      const { items } = await this.processing.getProcessableEntities(this.knex, { processBatchSize: 1000 });
      for (const item of items) {
        const { entity, relations } = await bs.processEntity({ entity: item.unprocessedEntity });
        entity.metadata.uid = item.id;
        const { relationsChange } = await this.processing.transaction(tx => this.processing.updateProcessedEntity(tx, {
          id: item.id, processedEntity: entity, resultHash: `h${Date.now()}${Math.random()}`, errors: '[]',
          relations, deferredEntities: [], refreshKeys: [], locationKey: 'url:https://example.com/catalog.yaml',
        }));
        // what DefaultCatalogProcessingEngine marks for stitching
        const toStitch = new Set([catalogModel.stringifyEntityRef(entity)]);
        for (const r of relationsChange.deleted) toStitch.add(r.source_entity_ref);
        for (const r of relationsChange.inserted) toStitch.add(r.source_entity_ref);
        await markForStitching({ knex: this.knex, entityRefs: toStitch });
        stats.processed++;
      }
      const queue = await this.knex('stitch_queue').select('entity_ref', 'stitch_ticket');
      for (const q of queue) {
        await performStitching({ knex: this.knex, logger, entityRef: q.entity_ref, stitchTicket: q.stitch_ticket });
        stats.stitched++;
      }
      if (items.length === 0 && queue.length === 0) return stats;
    }
  }
}

// ---------------------------------------------------------------- the permission backend
// Answers POST /authorize with bsperm_authorize(request) for the user the
// bearer token names, with the token's ownershipEntityRefs.
async function startPermissionBackend(pg) {
  let queue = Promise.resolve();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      queue = queue.then(async () => {
        const token = (req.headers.authorization || '').replace(/^Bearer /, '');
        const who = JSON.parse(Buffer.from(token, 'base64').toString());
        await pg.query('BEGIN');
        try {
          await pg.query('SELECT bsperm_set_user($1, $2)', [who.userEntityRef, who.ownershipEntityRefs]);
          const { rows } = await pg.query('SELECT bsperm_authorize($1::jsonb) AS r', [body]);
          await pg.query('COMMIT');
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(rows[0].r));
        } catch (e) {
          await pg.query('ROLLBACK');
          res.statusCode = 500;
          res.end(JSON.stringify({ error: { name: 'Error', message: e.message } }));
        }
      });
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    discovery: { getBaseUrl: async () => `http://127.0.0.1:${port}/api/permission`, getExternalBaseUrl: async () => `http://127.0.0.1:${port}/api/permission` },
    close: () => new Promise(r => server.close(r)),
  };
}

// ownershipEntityRefs as Backstage's sign-in computes them
// (plugin-auth-backend getDefaultOwnershipEntityRefs): the user's ref and the
// targets of its memberOf relations that are groups; the user entity read
// through the catalog (here its own entitiesBatch, with the catalog's rights).
async function backstageOwnership(unauthorized, userRef) {
  const { items } = await unauthorized.entitiesBatch({ credentials: {}, entityRefs: [userRef] });
  const [user] = entitiesResponseToObjects(items);
  const groups = (user && user.relations || []).filter(r => r.type === 'memberOf' && r.targetRef.startsWith('group:')).map(r => r.targetRef);
  return [...new Set([userRef, ...groups])];
}

async function main() {
  const admin = new Client(conn('postgres'));
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  for (const u of [BS_ROLE, ...USERS.map(u => `bsperm_sa_${u}`)]) await admin.query(`DROP ROLE IF EXISTS ${u}`);
  await admin.query(`CREATE ROLE ${BS_ROLE} LOGIN NOSUPERUSER`);
  await admin.query(`CREATE DATABASE ${DB} OWNER ${BS_ROLE} TEMPLATE template0 ENCODING 'UTF8'`);
  for (const u of USERS) await admin.query(`CREATE ROLE bsperm_sa_${u} LOGIN`);

  // Backstage's role builds its database with the real migrations and ingestion
  const knex = require('knex')({ client: 'pg', connection: conn(DB, BS_ROLE), pool: { min: 0, max: 4 } });
  await applyDatabaseMigrations(knex);
  const catalog = new Catalog(knex);
  const desired = initialCatalog();
  const first = await catalog.ingest(desired);
  const [{ n }] = await knex('final_entities').whereNotNull('final_entity').count({ n: '*' });
  check('the real catalog code built the catalog as Backstage\'s own role', Number(n) === desired.length,
    `${n} of ${desired.length} entities stitched (${first.processed} processed, ${first.stitched} stitches)`);

  // bsperm: the extension, the policy, the protection, the entity source, the SQL roles
  const sup = new Client(conn(DB));
  await sup.connect();
  await sup.query('CREATE EXTENSION bsperm');
  await sup.query(`
    INSERT INTO bsperm.roles (name) VALUES ('role:default/developer'), ('role:default/platform'), ('role:default/auditor');
    INSERT INTO bsperm.role_members (role, member) VALUES
      ('role:default/developer', 'group:default/team-a'), ('role:default/developer', 'group:default/team-b'),
      ('role:default/developer', 'user:default/alice'),
      ('role:default/platform', 'group:default/platform'), ('role:default/auditor', 'user:default/audrey');
    INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, permissions, conditions) VALUES
      ('role:default/developer', 'catalog', 'catalog-entity', '{catalog.entity.read}',
       '{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}},
                  {"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["api"]}},
                            {"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"acme.com/visibility","value":"public"}}]}]}'),
      ('role:default/platform', 'catalog', 'catalog-entity', '{catalog.entity.read}',
       '{"anyOf":[{"allOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["Component","Resource"]}},
                            {"not":{"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"acme.com/restricted"}}}]},
                  {"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["user","group"]}}]}');
    INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
      ('role:default/auditor', 'catalog-entity', 'read', 'allow');
  `);
  for (const u of USERS) {
    await sup.query('INSERT INTO bsperm.role_users (role_name, user_ref) VALUES ($1, $2)', [`bsperm_sa_${u}`, `user:default/${u}`]);
    await sup.query(`GRANT SELECT ON public.final_entities TO bsperm_sa_${u}`);
  }

  // the Backstage side: real PermissionClient → real AuthorizedEntitiesCatalog → real DefaultEntitiesCatalog
  const trusted = new Client(conn(DB));
  await trusted.connect();
  const backend = await startPermissionBackend(trusted);
  const client = new PermissionClient({ discovery: backend.discovery, config: new ConfigReader({ permission: { enabled: true } }) });
  let token;
  const permissionApi = {
    authorize: (q, o) => client.authorize(q, { ...o, token }),
    authorizeConditional: (q, o) => client.authorizeConditional(q, { ...o, token }),
  };
  const unauthorized = new DefaultEntitiesCatalog({ database: knex, logger });
  const authorized = new AuthorizedEntitiesCatalog(unauthorized, permissionApi, permissionNode.createConditionTransformer(bs.catalogRuleset()));
  async function backstageSees(user) {
    const userEntityRef = `user:default/${user}`;
    const ownershipEntityRefs = await backstageOwnership(unauthorized, userEntityRef);
    token = Buffer.from(JSON.stringify({ userEntityRef, ownershipEntityRefs })).toString('base64');
    const res = await authorized.entities({ credentials: { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef } } });
    return res.entities.entities.map(e => catalogModel.stringifyEntityRef(typeof e === 'string' ? JSON.parse(e) : e)).sort();
  }

  // the SQL side: each user's own login role
  const sqlUsers = {};
  for (const u of USERS) {
    sqlUsers[u] = new Client(conn(DB, `bsperm_sa_${u}`));
    await sqlUsers[u].connect();
  }
  async function sqlSees(user, allRefs) {
    const c = sqlUsers[user];
    const rows = (await c.query('SELECT entity_ref FROM public.final_entities')).rows.map(r => r.entity_ref).sort();
    const req = { items: [{ id: '1', permission: { type: 'resource', name: 'catalog.entity.read', attributes: { action: 'read' }, resourceType: 'catalog-entity' }, resourceRef: allRefs }] };
    const { rows: [{ r }] } = await c.query('SELECT bsperm_authorize($1::jsonb) AS r', [JSON.stringify(req)]);
    const res = r.items[0].result;
    const allowed = Array.isArray(res) ? allRefs.filter((_, i) => res[i] === 'ALLOW') : (res === 'ALLOW' ? allRefs.slice() : []);
    return { rows, allowed: allowed.sort() };
  }

  // control: before the protection, decisions read bsperm.entities (empty
  // here) and know no memberships: alice (a developer directly, and through
  // team-a) keeps her role, but bsperm's claims for her lack team-a, which
  // Backstage's sign-in gives her (the issue's "sees 1 of 33")
  {
    const refs = (await knex('final_entities').select('entity_ref')).map(r => r.entity_ref).sort();
    const [b, q] = [await backstageSees('alice'), await sqlSees('alice', refs)];
    check('control: before the protection (entities from bsperm.entities), alice\'s bsperm_authorize answers are not Backstage\'s',
      !sortedEq(b, q.allowed), `Backstage ${b.length}, bsperm_authorize ALLOW ${q.allowed.length}`);
  }

  // the protection; it points the entity source at the catalog's jsonb copy
  const prot = await sup.query('SELECT * FROM bsperm_protect_backstage()');
  console.log(`protected: ${prot.rows.map(r => r.table_name).join(', ')}`);
  const src = (await sup.query('SELECT relation::text, entity_column::text FROM bsperm.entity_source')).rows;
  check('bsperm_protect_backstage made the catalog the entity source', src.length === 1 && src[0].relation === 'bsperm_entities' && src[0].entity_column === 'entity',
    JSON.stringify(src));

  let compared = 0, equal = 0, authorizeEqual = 0;
  const stepSummaries = [];
  for (let s = 0; s < STEPS.length; s++) {
    const [label, change] = STEPS[s];
    let stats = { processed: 0, stitched: 0 };
    if (s > 0) {
      change(desired);
      stats = await catalog.ingest(desired);    // Backstage writes the protected database
    }
    const allRefs = (await knex('final_entities').whereNotNull('final_entity').select('entity_ref')).map(r => r.entity_ref).sort();
    const counts = [];
    let stepOk = true;
    for (const u of USERS) {
      const bsRefs = await backstageSees(u);
      const sql = await sqlSees(u, allRefs);
      compared++;
      const same = sortedEq(bsRefs, sql.rows);
      const sameAuth = sortedEq(bsRefs, sql.allowed);
      if (same) equal++;
      if (sameAuth) authorizeEqual++;
      if (!same || !sameAuth) {
        stepOk = false;
        const only = (a, b) => { const d = a.filter(x => !b.includes(x)); return d.length > 8 ? [...d.slice(0, 8), `… ${d.length - 8} more`] : d; };
        console.log(`  ${u}: Backstage ${bsRefs.length}, SQL rows ${sql.rows.length}, bsperm_authorize ALLOW ${sql.allowed.length}; ` +
          `Backstage only [${only(bsRefs, sql.rows).join(' ')}], SQL only [${only(sql.rows, bsRefs).join(' ')}], authorize differs [${[...only(bsRefs, sql.allowed), ...only(sql.allowed, bsRefs)].join(' ')}]`);
      }
      counts.push(`${u} ${bsRefs.length}`);
    }
    stepSummaries.push(`step ${s} (${label}): ${allRefs.length} entities, ${stats.processed} processed, ${stats.stitched} stitches; visible: ${counts.join(', ')}`);
    console.log(stepSummaries[stepSummaries.length - 1]);
    check(`step ${s}: SQL rows and bsperm_authorize equal Backstage's AuthorizedEntitiesCatalog for ${USERS.length} users`, stepOk);
  }
  check(`${USERS.length} users × ${STEPS.length} steps = ${compared} comparisons: protected final_entities rows equal AuthorizedEntitiesCatalog.entities()`,
    equal === compared && compared === USERS.length * STEPS.length, `${equal} of ${compared} equal`);
  check(`${compared} comparisons: bsperm_authorize(resourceRef) for every catalog entity equals AuthorizedEntitiesCatalog.entities()`,
    authorizeEqual === compared, `${authorizeEqual} of ${compared} equal`);

  await sup.query('SELECT bsperm_unprotect_backstage()');
  const left = (await sup.query('SELECT count(*)::int AS n FROM bsperm.entity_source')).rows[0].n;
  check('bsperm_unprotect_backstage points the entity source back to bsperm.entities', left === 0, `${left} rows left`);

  await backend.close();
  for (const u of USERS) await sqlUsers[u].end();
  await trusted.end();
  await sup.end();
  await knex.destroy();
  if (!KEEP) {
    await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
    for (const u of [BS_ROLE, ...USERS.map(u => `bsperm_sa_${u}`)]) await admin.query(`DROP ROLE IF EXISTS ${u}`);
  }
  await admin.end();
}

main().then(() => {
  const p = checks.filter(c => c.ok).length; const f = checks.length - p;
  console.log(`# suite same_answer: ${p} passed, ${f} failed`);
  process.exit(f ? 1 : 0);
}).catch(e => {
  console.error(e && e.stack ? e.stack : e);
  const p = checks.filter(c => c.ok).length; const f = checks.length - p + 1;
  console.log(`SAME-ANSWER SUITE ERROR: ${e && e.message}`);
  console.log(`# suite same_answer: ${p} passed, ${f} failed`);
  process.exit(1);
});
