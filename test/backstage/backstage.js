'use strict';
// bsperm's Backstage suite: a real Backstage backend (createBackend from
// @backstage/backend-defaults, the permission and catalog plugins from npm)
// with the bsperm modules, on 127.0.0.1, against the cluster in PGHOST/PGPORT.
// For several users, permissions and resources, the HTTP answers of
// /api/permission/authorize and the catalog's entity listing must equal
// bsperm's SQL answers: bsperm_authorize, and the rows of the catalog's own tables the
// user's own SQL role reads (row-level security).  Run through run.sh.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Client } = require('pg');
const S = require('./scenario');

// the backend listens on 127.0.0.1 only: BSPERM_BACKSTAGE_PORT, or the first free one of 7341-7349
let PORT;
let BASE;
async function pickPort() {
  const net = require('net');
  const candidates = process.env.BSPERM_BACKSTAGE_PORT ? [Number(process.env.BSPERM_BACKSTAGE_PORT)] : [7341, 7342, 7343, 7344, 7345, 7346, 7347, 7348, 7349];
  for (const p of candidates) {
    const free = await new Promise(resolve => {
      const srv = net.createServer().once('error', () => resolve(false)).listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return p;
  }
  throw new Error(`no free port among ${candidates.join(', ')} on 127.0.0.1`);
}
const DB = 'bsperm_bs';
const MODULE_DIR = process.env.BSPERM_MODULE_DIST || path.join(__dirname, 'build/module/dist');

let passed = 0;
let failed = 0;
const check = (name, ok, detail = '') => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? ` — ${detail}` : ''}`);
};
const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

const pgConn = (database, user = process.env.PGUSER || 'postgres') => ({
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT || 5432),
  user,
  database,
});
async function sql(database, text, params = [], user) {
  const c = new Client(pgConn(database, user));
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

async function setupDatabases() {
  const admin = process.env.PGDATABASE || 'postgres';
  await sql(admin, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await sql(admin, `CREATE DATABASE ${DB} TEMPLATE template0 ENCODING 'UTF8'`);
  const roles = ['bsperm_backstage', ...Object.keys(S.USERS)];
  for (const r of roles) {
    await sql(admin, `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${r}') THEN CREATE ROLE ${r} LOGIN; END IF; END$$`);
  }
  await sql(DB, 'CREATE EXTENSION bsperm');
  await sql(DB, 'GRANT bsperm_trusted TO bsperm_backstage');
  await sql(DB, `SET search_path = bsperm, public; ${S.POLICY_SQL}`);
  for (const u of Object.keys(S.USERS)) {
    await sql(DB, `INSERT INTO bsperm.role_users VALUES ($1, $2, NULL)`, [u, S.userRef(u)]);
  }
}


// Backstage's test auth (mock tokens), except that a plugin's request on behalf
// of a user carries the user with the plugin as actor, as the real auth
// service's on-behalf-of tokens do (the catalog's apply-conditions endpoint
// accepts users only with an actor).
function authFactory() {
  const { createServiceFactory, coreServices } = require('@backstage/backend-plugin-api');
  const { mockCredentials } = require('@backstage/backend-test-utils');
  const dist = path.join(path.dirname(require.resolve('@backstage/backend-test-utils')), 'services/MockAuthService.cjs.js');
  const { MockAuthService } = require(dist);
  return createServiceFactory({
    service: coreServices.auth,
    deps: { plugin: coreServices.pluginMetadata },
    factory({ plugin }) {
      const inner = new MockAuthService({ pluginId: plugin.getId(), disableDefaultAuthPolicy: false });
      inner.getPluginRequestToken = async ({ onBehalfOf, targetPluginId }) => {
        if (onBehalfOf.principal.type === 'user') {
          return { token: mockCredentials.user.token(onBehalfOf.principal.userEntityRef, { actor: { subject: `plugin:${plugin.getId()}` } }) };
        }
        return { token: mockCredentials.service.token({ onBehalfOf, targetPluginId }) };
      };
      return inner;
    },
  });
}

async function startBackend(catalogFile, log) {
  const { createBackend } = require('@backstage/backend-defaults');
  const { createServiceFactory, coreServices } = require('@backstage/backend-plugin-api');
  const { mockServices } = require('@backstage/backend-test-utils');
  const backend = createBackend();
  const config = {
    app: { baseUrl: BASE },
    backend: {
      baseUrl: BASE,
      listen: { host: '127.0.0.1', port: PORT },
      database: {
        // every plugin in its own schema of bsperm's database, so that bsperm can
        // protect the catalog's own table (catalog.final_entities)
        client: 'pg',
        pluginDivisionMode: 'schema',
        connection: { host: process.env.PGHOST, port: Number(process.env.PGPORT), user: process.env.PGUSER || 'postgres', database: DB },
      },
    },
    permission: { enabled: true },
    bsperm: { connection: { host: process.env.PGHOST, port: Number(process.env.PGPORT), user: 'bsperm_backstage', database: DB } },
    catalog: {
      rules: [{ allow: ['Component', 'Group', 'User', 'Location', 'System', 'API', 'Resource', 'Domain'] }],
      locations: [{ type: 'file', target: catalogFile }],
      processingInterval: { seconds: 1 },
    },
  };
  backend.add(mockServices.rootConfig.factory({ data: config }));
  // users authenticate with test tokens (mockCredentials.user.header); their
  // ownership refs are what Backstage's sign-in would put in the token
  backend.add(authFactory());
  backend.add(mockServices.httpAuth.factory());
  backend.add(
    createServiceFactory({
      service: coreServices.userInfo,
      deps: {},
      factory: () => ({
        async getUserInfo(credentials) {
          const ref = credentials.principal.userEntityRef;
          const name = ref.replace(/^user:default\//, '');
          return { userEntityRef: ref, ownershipEntityRefs: S.USERS[name] ? S.ownershipOf(name) : [ref] };
        },
      }),
    }),
  );
  backend.add(
    createServiceFactory({
      service: coreServices.rootLogger,
      deps: {},
      factory: () => {
        const mk = () => ({
          error: (m, meta) => log.push(['error', String(m), meta]),
          warn: (m, meta) => log.push(['warn', String(m), meta]),
          info: (m, meta) => log.push(['info', String(m), meta]),
          debug: () => undefined,
          child: () => mk(),
        });
        return mk();
      },
    }),
  );
  backend.add(require('@backstage/plugin-permission-backend'));
  backend.add(require('@backstage/plugin-catalog-backend'));
  backend.add(require(MODULE_DIR).default);
  backend.add(require(path.join(MODULE_DIR, 'catalog')).default);
  await backend.start();
  return backend;
}

async function http(method, url, { user, actor, service, body } = {}) {
  const { mockCredentials } = require('@backstage/backend-test-utils');
  const headers = { 'content-type': 'application/json' };
  if (user) headers.authorization = `Bearer ${mockCredentials.user.token(user, actor ? { actor: { subject: actor } } : undefined)}`;
  if (service) headers.authorization = `Bearer mock-service-token:${JSON.stringify({ sub: service.subject })}`;
  const res = await fetch(`${BASE}${url}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bsperm-backstage-'));
  const catalogFile = path.join(tmp, 'catalog.yaml');
  fs.writeFileSync(catalogFile, S.catalogYaml());
  await setupDatabases();
  PORT = await pickPort();
  BASE = `http://127.0.0.1:${PORT}`;
  const log = [];
  const t0 = Date.now();
  const backend = await startBackend(catalogFile, log);
  console.log(`backend started on ${BASE} in ${Date.now() - t0} ms`);
  try {
    // wait for the catalog to stitch every entity of the file
    const expected = S.TEAMS.length + Object.keys(S.USERS).length + S.COMPONENTS.length; 
    let rows = [];
    for (let i = 0; i < 240; i++) {
      rows = (await sql(DB, `SELECT final_entity FROM catalog.final_entities WHERE final_entity IS NOT NULL`)).rows;
      if (rows.length >= expected + 1) break; // + the config Location
      await new Promise(r => setTimeout(r, 250));
    }
    check(`catalog stitched the scenario's ${expected + 1} entities`, rows.length >= expected + 1, `${rows.length} stitched`);
    // bsperm protects the catalog's own tables and decides on its entities (doc/backstage.md)
    await sql(DB, `SELECT * FROM bsperm_protect_backstage('catalog')`);
    for (const u of Object.keys(S.USERS)) await sql(DB, `GRANT USAGE ON SCHEMA catalog TO ${u}; GRANT SELECT ON ALL TABLES IN SCHEMA catalog TO ${u}`);
    const refs = (await sql(DB, `SELECT entity_ref FROM catalog.final_entities`)).rows.map(r => r.entity_ref).sort();
    const components = refs.filter(r => r.startsWith('component:'));

    const users = Object.keys(S.USERS);
    // bsperm's answer in SQL, for the identity Backstage hands the policy
    async function sqlDecision(u, permission, resourceRef) {
      const c = new Client(pgConn(DB, 'bsperm_backstage'));
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query('SELECT bsperm_set_user($1, $2)', [S.userRef(u), S.ownershipOf(u)]);
        const r = await c.query('SELECT bsperm_authorize($1, $2) AS d', [permission, resourceRef ?? null]);
        await c.query('COMMIT');
        return r.rows[0].d;
      } finally {
        await c.end();
      }
    }

    // 1. /api/permission/authorize: every user × permission × resource
    for (const u of users) {
      const items = [];
      for (const [name, p] of Object.entries(S.PERMISSIONS)) {
        if (p.type === 'basic') items.push({ id: `${items.length}`, permission: p, _name: name });
        else for (const ref of [...components, 'group:default/team-a', 'component:default/missing']) items.push({ id: `${items.length}`, permission: p, resourceRef: ref, _name: name });
      }
      const res = await http('POST', '/api/permission/authorize', { user: S.userRef(u), body: { items: items.map(({ _name, ...i }) => i) } });
      if (res.status !== 200) {
        check(`${u}: POST /api/permission/authorize`, false, `HTTP ${res.status} ${JSON.stringify(res.body)}`);
        continue;
      }
      let agree = 0;
      const diffs = [];
      for (let i = 0; i < items.length; i++) {
        const want = await sqlDecision(u, items[i]._name, items[i].resourceRef);
        const got = res.body.items[i].result;
        if (got === want) agree++;
        else diffs.push(`${items[i]._name} ${items[i].resourceRef ?? ''}: HTTP ${got}, SQL ${want}`);
      }
      check(`${u}: /api/permission/authorize equals bsperm_authorize on ${items.length} items (${agree} agree)`, diffs.length === 0, diffs.join('; '));
    }

    // 2. the catalog's listing equals what the user's own SQL role reads under row-level security
    for (const u of users) {
      const res = await http('GET', '/api/catalog/entities', { user: S.userRef(u) });
      const got = res.status === 200 ? res.body.map(e => `${e.kind.toLowerCase()}:${(e.metadata.namespace || 'default').toLowerCase()}/${e.metadata.name.toLowerCase()}`).sort() : [`HTTP ${res.status}`];
      const mine = (await sql(DB, `SELECT entity_ref FROM catalog.final_entities`, [], u)).rows.map(r => r.entity_ref).sort();
      check(`${u}: GET /api/catalog/entities (${got.length}) equals the rows role ${u} reads from the catalog's final_entities (${mine.length})`, eq(got, mine), `HTTP ${JSON.stringify(got)} SQL ${JSON.stringify(mine)}`);
      const q = await http('GET', '/api/catalog/entities/by-query?filter=kind=component&limit=100', { user: S.userRef(u) });
      const gotQ = q.status === 200 ? q.body.items.map(e => `component:${e.metadata.namespace}/${e.metadata.name}`).sort() : [`HTTP ${q.status}`];
      const mineQ = mine.filter(r => r.startsWith('component:'));
      check(`${u}: GET /api/catalog/entities/by-query?filter=kind=component equals SQL (${mineQ.length} rows)`, eq(gotQ, mineQ), `HTTP ${JSON.stringify(gotQ)} SQL ${JSON.stringify(mineQ)}`);
      let single = 0;
      const bad = [];
      for (const ref of components) {
        const [kind, rest] = ref.split(':');
        const [ns, name] = rest.split('/');
        const r = await http('GET', `/api/catalog/entities/by-name/${kind}/${ns}/${name}`, { user: S.userRef(u) });
        const want = (await sqlDecision(u, 'catalog.entity.read', ref)) === 'ALLOW' ? 200 : 404;
        if (r.status === want) single++;
        else bad.push(`${ref}: HTTP ${r.status}, SQL says ${want}`);
      }
      check(`${u}: GET /api/catalog/entities/by-name for ${components.length} components equals bsperm_authorize`, bad.length === 0, bad.join('; '));
    }

    // 3. the policy's CONDITIONAL decision reaches the catalog as bsperm wrote it
    {
      const u = 'alice';
      const c = new Client(pgConn(DB, 'bsperm_backstage'));
      await c.connect();
      await c.query('BEGIN');
      await c.query('SELECT bsperm_set_user($1, $2)', [S.userRef(u), S.ownershipOf(u)]);
      const want = (await c.query(`SELECT bsperm_authorize_conditional('catalog.entity.read') AS d`)).rows[0].d;
      await c.query('COMMIT');
      await c.end();
      // a plugin asking on behalf of alice (authorizeConditional) receives bsperm's decision itself
      const res = await http('POST', '/api/permission/authorize', {
        user: S.userRef(u),
        actor: 'plugin:catalog',
        body: { items: [{ id: '1', permission: S.PERMISSIONS['catalog.entity.read'] }] },
      });
      const got = res.status === 200 ? res.body.items[0] : res.body;
      check(`alice's conditional decision is bsperm's (${JSON.stringify(want.conditions)})`, want.result === 'CONDITIONAL' && got.result === 'CONDITIONAL' && got.pluginId === want.pluginId && got.resourceType === want.resourceType && eq(got.conditions, want.conditions), JSON.stringify(got));
    }

    // 4. the catalog module registered bsperm's declared rules, and the catalog applies them as bsperm does
    {
      const meta = (await sql(DB, `SELECT bsperm_metadata() AS m`)).rows[0].m;
      const declared = meta.rules.filter(r => !['HAS_ANNOTATION', 'HAS_LABEL', 'HAS_METADATA', 'HAS_SPEC', 'IS_ENTITY_KIND', 'IS_ENTITY_OWNER'].includes(r.name));
      const res = await http('GET', '/api/catalog/.well-known/backstage/permissions/metadata', { service: { subject: 'plugin:permission' } });
      const listed = res.status === 200 ? res.body.rules : [];
      for (const d of declared) {
        const r = listed.find(x => x.name === d.name);
        check(`catalog metadata lists the declared ${d.name} with bsperm's parameters`, r && eq(r.paramsSchema.properties, d.paramsSchema.properties) && eq(r.paramsSchema.required, d.paramsSchema.required), JSON.stringify(r));
      }
      check(`bsperm declares rules for the catalog (${declared.map(d => d.name).join(', ')})`, declared.length >= 2);
      const conds = [
        { rule: 'IS_FROM_CLUSTER', resourceType: 'catalog-entity', params: { clusters: ['prod-eu', 'PROD-US'] } },
        { rule: 'IS_FROM_CLUSTER', resourceType: 'catalog-entity', params: { clusters: [] } },
        { rule: 'IN_NAMESPACE', resourceType: 'catalog-entity', params: { namespaces: ['ops'] } },
        { rule: 'IN_NAMESPACE', resourceType: 'catalog-entity', params: { namespaces: ['default'] } },
        { not: { rule: 'IS_FROM_CLUSTER', resourceType: 'catalog-entity', params: { clusters: ['dev'] } } },
        { allOf: [{ rule: 'IN_NAMESPACE', resourceType: 'catalog-entity', params: { namespaces: ['default'] } }, { rule: 'IS_FROM_CLUSTER', resourceType: 'catalog-entity', params: { clusters: ['prod-eu'] } }] },
      ];
      const items = [];
      for (const c of conds) for (const ref of components) items.push({ id: String(items.length), resourceRef: ref, resourceType: 'catalog-entity', conditions: c });
      const r = await http('POST', '/api/catalog/.well-known/backstage/permissions/apply-conditions', { service: { subject: 'plugin:permission' }, body: { items } });
      const got = r.status === 200 ? r.body.items.map(i => i.result) : [`HTTP ${r.status} ${JSON.stringify(r.body)}`];
      const c = new Client(pgConn(DB, 'bsperm_backstage'));
      await c.connect();
      const want = (await c.query('SELECT bsperm_apply_conditions($1::jsonb) AS a', [JSON.stringify({ items })])).rows[0].a.items.map(i => i.result);
      await c.end();
      check(`the catalog's apply-conditions with the generated rules (apply()) equals bsperm_apply_conditions on ${items.length} items`, eq(got, want), `catalog ${JSON.stringify(got)} bsperm ${JSON.stringify(want)}`);
      check('the generated rules allow some and deny some', want.includes('ALLOW') && want.includes('DENY'));
    }

    // 5. the same policy over the plugin's own database service (coreServices.database, a knex
    //    client) instead of a bsperm.connection pool
    {
      const M = require(MODULE_DIR);
      const knex = require('knex')({ client: 'pg', connection: pgConn(DB, 'bsperm_backstage'), pool: { min: 0, max: 2 } });
      const client = new M.BspermClient(new M.KnexRunner({ getClient: async () => knex }, 2000));
      const policy = new M.BspermPermissionPolicy(client, { error: m => log.push(['error', m]) });
      const diffs = [];
      for (const u of users) {
        const user = { credentials: { principal: { type: 'user', userEntityRef: S.userRef(u) } }, info: { userEntityRef: S.userRef(u), ownershipEntityRefs: S.ownershipOf(u) } };
        const names = Object.keys(S.PERMISSIONS).filter(n => S.PERMISSIONS[n].type === 'basic');
        const got = await Promise.all(names.map(n => policy.handle({ permission: S.PERMISSIONS[n] }, user)));
        for (let i = 0; i < names.length; i++) {
          const want = await sqlDecision(u, names[i]);
          if (got[i].result !== want) diffs.push(`${u} ${names[i]}: ${got[i].result} vs ${want}`);
        }
      }
      await knex.destroy();
      check('the policy over coreServices.database (knex) answers as bsperm_authorize', diffs.length === 0, diffs.join('; '));
    }

    // 6. nothing is cached: a policy change is in force for the very next request
    {
      const ask = async () => (await http('POST', '/api/permission/authorize', { user: S.userRef('carol'), body: { items: [{ id: '1', permission: S.PERMISSIONS['catalog.entity.create'] }] } })).body.items[0].result;
      const before = await ask();
      await sql(DB, `INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES ('role:default/everyone', 'catalog.entity.create', 'create', 'allow')`);
      const during = await ask();
      await sql(DB, `DELETE FROM bsperm.permission_policies WHERE role = 'role:default/everyone' AND object = 'catalog.entity.create'`);
      const after = await ask();
      check('a policy change is seen by the next authorize request (carol: DENY, ALLOW after a grant, DENY after its removal)', eq([before, during, after], ['DENY', 'ALLOW', 'DENY']), JSON.stringify([before, during, after]));
    }

    // 7. the module logged where it asks
    check('the module logged where decisions come from', log.some(([l, m]) => l === 'info' && m.includes('bsperm: permission decisions are bsperm')), '');
    const errs = log.filter(([l, m]) => l === 'error' && m.startsWith('bsperm'));
    check('no bsperm error logged', errs.length === 0, errs.map(e => e[1]).join(' | '));
  } finally {
    await backend.stop();
    if (!process.env.BSPERM_BACKSTAGE_KEEP) {
      const admin = process.env.PGDATABASE || 'postgres';
      await sql(admin, `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main()
  .catch(e => {
    console.log(`FAIL suite error: ${e && e.stack ? e.stack : e}`); if (e && e.cause) console.log(e.cause.stack);
    failed++;
  })
  .finally(() => {
    console.log(`# backstage.js: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
