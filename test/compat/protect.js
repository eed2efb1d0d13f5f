'use strict';
// Suite "backstage": bsperm_protect_backstage() on a database built and kept
// by the REAL catalog-backend 4.0.0 code, with Backstage's role (the tables'
// owner, not a superuser) working on it throughout:
//   * the catalog's knex migrations (applyDatabaseMigrations), run before and
//     after the protection;
//   * ingestion as a provider does it (DefaultProviderDatabase
//     .replaceUnprocessedEntities, full mutations: adds, updates, removals
//     with deleteWithEagerPruningOfChildren), processing as the engine does it
//     (DefaultProcessingDatabase.getProcessableEntities / updateProcessedEntity
//     with relations and refresh keys from the real BuiltinKindsEntityProcessor),
//     stitching (markForStitching, performStitching), deleteOrphanedEntities,
//     DefaultEntitiesCatalog (entities, entitiesBatch, queryEntities, facets,
//     removeEntityByUid);
// and, as other roles on the same tables: what each table shows a role mapped
// to a Backstage user, an anonymous role and an exempt role, and the attacks
// (reading every table, calling the protect functions, relations naming
// hidden entities, writing, abusing bsperm's trigger and helper functions).
// Run through test/compat/run.sh (test/suites/backstage).  Last line:
//   # suite backstage: N passed, N failed

const path = require('path');
const { Client } = require('pg');
const catalogModel = require('@backstage/catalog-model');
const bs = require('./lib/backstage');
const { generateEntities } = require('./lib/generate-entities');

const NM = path.join(__dirname, 'node_modules');
const catalogDist = p => require(path.join(NM, '@backstage/plugin-catalog-backend/dist', p));
const { applyDatabaseMigrations } = catalogDist('database/migrations.cjs.js');
const { DefaultProviderDatabase } = catalogDist('database/DefaultProviderDatabase.cjs.js');
const { DefaultProcessingDatabase } = catalogDist('database/DefaultProcessingDatabase.cjs.js');
const { markForStitching } = catalogDist('database/operations/stitcher/markForStitching.cjs.js');
const { performStitching } = catalogDist('database/operations/stitcher/performStitching.cjs.js');
const { deleteOrphanedEntities } = catalogDist('database/operations/util/deleteOrphanedEntities.cjs.js');
const { DefaultEntitiesCatalog } = catalogDist('service/DefaultEntitiesCatalog.cjs.js');
const { entitiesResponseToObjects } = catalogDist('service/response/process.cjs.js');

const DB = process.env.BSPERM_BACKSTAGE_DB || 'bsperm_backstage';
const KEEP = !!process.env.BSPERM_BACKSTAGE_KEEP;
const SEED = Number(process.env.BSPERM_COMPAT_SEED || 20240601);
const OWNER = 'bsperm_bs_catalog';      // Backstage's role: owns the database and the tables
const BI = 'bsperm_bs_bi';              // a BI tool mapped to user:default/alice
const ANON = 'bsperm_bs_anon';          // granted SELECT, mapped to nobody
const EXEMPT = 'bsperm_bs_replica';     // named exempt by the protecting call
const ROLES = [OWNER, BI, ANON, EXEMPT];
const SOURCE_KEY = 'bsperm-test-provider';
const logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };

// alice's read permission: APIs and Systems, and whatever is in production
const READ_CONDITIONS = {
  anyOf: [
    { rule: 'IS_ENTITY_KIND', resourceType: 'catalog-entity', params: { kinds: ['API', 'System'] } },
    { rule: 'HAS_SPEC', resourceType: 'catalog-entity', params: { key: 'lifecycle', value: 'production' } },
  ],
};

let passed = 0;
let failed = 0;
const check = (name, ok, detail = '') => {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
};
const sameSet = (name, got, want) => {
  const g = new Set(got);
  const w = new Set(want);
  const extra = [...g].filter(x => !w.has(x));
  const missing = [...w].filter(x => !g.has(x));
  check(name, extra.length === 0 && missing.length === 0 && got.length === g.size,
    `${got.length} rows, expected ${want.length}` +
    (extra.length ? `; unexpected e.g. ${extra.slice(0, 2).join(' | ')}` : '') +
    (missing.length ? `; missing e.g. ${missing.slice(0, 2).join(' | ')}` : ''));
};
const expectError = async (name, fn, code) => {
  try {
    await fn();
    check(name, false, 'no error');
  } catch (e) {
    check(name, e.code === code, `${e.code}: ${e.message}`);
  }
};

const conn = (database, user) => ({ host: process.env.PGHOST, port: Number(process.env.PGPORT || 5432), user, database });
async function client(database, user) {
  const c = new Client(conn(database, user));
  await c.connect();
  return c;
}
const knexAs = user => require('knex')({ client: 'pg', connection: conn(DB, user), pool: { min: 0, max: 6 } });

// ------------------------------------------------------------ Backstage's work
// A provider's full mutation: the items become the provider's whole set.
async function ingest(knex, items) {
  const provider = new DefaultProviderDatabase({ database: knex, logger });
  await provider.transaction(tx => provider.replaceUnprocessedEntities(tx, {
    sourceKey: SOURCE_KEY, type: 'full',
    items: items.map(i => ({ entity: i.entity, locationKey: `url:https://github.com/acme/catalog/${i.uid}` })),
  }));
}

// The processing loop: everything due is processed with the real processor.
// (OpenTelemetry gauges are not collected here)
const metrics = { createObservableGauge: () => ({ addCallback() { return this; } }) };
let processingDb;
async function processAll(knex) {
  if (!processingDb || processingDb.options.database !== knex) {
    processingDb = new DefaultProcessingDatabase({ database: knex, logger, metrics, refreshInterval: () => 3600 });
  }
  const processing = processingDb;
  const refs = [];
  for (;;) {
    const { items } = await processing.getProcessableEntities(knex, { processBatchSize: 100 });
    if (!items.length) break;
    for (const item of items) {
      let processed;
      try {
        processed = await bs.processEntity({ entity: item.unprocessedEntity, raw: false });
      } catch (e) {
        await processing.transaction(tx => processing.updateProcessedEntityErrors(tx, {
          id: item.id, errors: JSON.stringify([{ name: 'Error', message: e.message }]), resultHash: 'error' }));
        continue;
      }
      await processing.transaction(tx => processing.updateProcessedEntity(tx, {
        id: item.id, processedEntity: processed.entity, resultHash: 'h' + Date.now(), errors: '[]',
        relations: processed.relations, deferredEntities: [],
        refreshKeys: [{ key: `url:https://github.com/acme/catalog/${item.entityRef}` }],
        locationKey: item.locationKey,
      }));
      refs.push(item.entityRef);
      for (const r of processed.relations) refs.push(catalogModel.stringifyEntityRef(r.target));
    }
  }
  return refs;
}

// Stitches everything in the stitch queue, as the stitcher does.
async function stitchAll(knex, refs) {
  if (refs.length) await markForStitching({ knex, entityRefs: [...new Set(refs)] });
  const queue = await knex('stitch_queue').select('entity_ref', 'stitch_ticket');
  const errors = [];
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (queue.length) {
      const { entity_ref: entityRef, stitch_ticket: stitchTicket } = queue.shift();
      try {
        const res = await performStitching({ knex, logger, entityRef, stitchTicket });
        if (res === 'abandoned' && (await knex('refresh_state').where('entity_ref', entityRef).whereNotNull('processed_entity').first())) {
          errors.push(`${entityRef}: abandoned`);
        }
      } catch (e) {
        errors.push(`${entityRef}: ${e.message}`);
      }
    }
  }));
  return errors;
}

async function refresh(knex, items) {
  await ingest(knex, items);
  const refs = await processAll(knex);
  return stitchAll(knex, refs);
}

// ------------------------------------------------------------ expectations
// What a role mapped to alice must see, computed as a superuser from the
// unprotected rows and bsperm_matches (an independent path: no row security).
async function expected(su) {
  const cond = JSON.stringify(READ_CONDITIONS);
  const q = async sql => (await su.query(sql, [cond])).rows.map(r => r.k);
  const readable = `(SELECT f.entity_id FROM final_entities f WHERE f.final_entity IS NOT NULL
                      AND bsperm_matches(f.final_entity::jsonb, $1::jsonb))`;
  const readableRefs = `(SELECT f.entity_ref FROM final_entities f WHERE f.final_entity IS NOT NULL
                          AND bsperm_matches(f.final_entity::jsonb, $1::jsonb))`;
  return {
    final_entities: await q(`SELECT entity_id AS k FROM final_entities WHERE entity_id IN ${readable}`),
    search: await q(`SELECT entity_id || ' ' || key || ' ' || coalesce(value, '-') AS k FROM search WHERE entity_id IN ${readable}`),
    refresh_state: await q(`SELECT entity_id AS k FROM refresh_state WHERE entity_id IN ${readable}`),
    refresh_keys: await q(`SELECT entity_id || ' ' || key AS k FROM refresh_keys WHERE entity_id IN ${readable}`),
    relations: await q(`SELECT source_entity_ref || ' ' || type || ' ' || target_entity_ref AS k FROM relations r
                         WHERE r.source_entity_ref IN ${readableRefs}
                           AND (r.target_entity_ref IN ${readableRefs}
                                OR NOT EXISTS (SELECT FROM final_entities f WHERE f.entity_ref = r.target_entity_ref
                                                AND f.final_entity IS NOT NULL))`),
    refresh_state_references: await q(`SELECT id::text AS k FROM refresh_state_references r
                         WHERE r.target_entity_ref IN ${readableRefs}
                           AND (r.source_entity_ref IS NULL OR r.source_entity_ref IN ${readableRefs})`),
    locations: await q(`SELECT id::text AS k FROM locations WHERE location_entity_ref IN ${readableRefs}`),
    stitch_queue: [],
    location_update_log: [],
    bsperm_entities: await q(`SELECT entity_id AS k FROM final_entities WHERE entity_id IN ${readable}`),
  };
}
const KEYS = {
  final_entities: `SELECT entity_id AS k FROM final_entities`,
  search: `SELECT entity_id || ' ' || key || ' ' || coalesce(value, '-') AS k FROM search`,
  refresh_state: `SELECT entity_id AS k FROM refresh_state`,
  refresh_keys: `SELECT entity_id || ' ' || key AS k FROM refresh_keys`,
  relations: `SELECT source_entity_ref || ' ' || type || ' ' || target_entity_ref AS k FROM relations`,
  refresh_state_references: `SELECT id::text AS k FROM refresh_state_references`,
  locations: `SELECT id::text AS k FROM locations`,
  stitch_queue: `SELECT entity_ref AS k FROM stitch_queue`,
  location_update_log: `SELECT id::text AS k FROM location_update_log`,
  bsperm_entities: `SELECT entity_id AS k FROM bsperm_entities`,
};
async function rowsOf(c, table) {
  return (await c.query(KEYS[table])).rows.map(r => r.k);
}

// Every table as each role sees it: alice's role as expected, the anonymous
// role nothing, the exempt role and the owner everything.
async function checkVisibility(label, su, roles) {
  const want = await expected(su);
  for (const table of Object.keys(KEYS)) {
    const all = await rowsOf(su, table);
    sameSet(`${label}: ${table} as the role mapped to alice`, await rowsOf(roles.bi, table), want[table]);
    sameSet(`${label}: ${table} as an anonymous role`, await rowsOf(roles.anon, table), []);
    sameSet(`${label}: ${table} as the exempt role`, await rowsOf(roles.exempt, table), all);
    sameSet(`${label}: ${table} as Backstage's role`, await rowsOf(roles.owner, table), all);
  }
  return want;
}

// The jsonb copy equals final_entities (read as Backstage's role).
async function checkCopy(label, owner) {
  const { rows } = await owner.query(`
    SELECT (SELECT count(*) FROM final_entities WHERE final_entity IS NOT NULL)::int AS n,
           (SELECT count(*) FROM bsperm_entities)::int AS copies,
           (SELECT count(*) FROM final_entities f JOIN bsperm_entities s USING (entity_id)
             WHERE s.entity = f.final_entity::jsonb AND s.entity_ref = f.entity_ref)::int AS equal`);
  const r = rows[0];
  check(`${label}: bsperm_entities equals final_entities`, r.n > 0 && r.n === r.copies && r.n === r.equal,
    `${r.n} final entities, ${r.copies} copies, ${r.equal} equal`);
}

// The spec fields Backstage's processors make relations from, with their
// default kinds (as bsperm._bsperm_spec_ref_fields lists them).
const SPEC_REFS = {
  component: { owner: 'group', system: 'system', subcomponentOf: 'component', providesApis: 'api', consumesApis: 'api', dependsOn: null, dependencyOf: null },
  api: { owner: 'group', system: 'system' },
  resource: { owner: 'group', system: 'system', dependsOn: null, dependencyOf: null },
  system: { owner: 'group', domain: 'domain' },
  domain: { owner: 'group', subdomainOf: 'domain' },
  group: { parent: 'group', children: 'group', members: 'user' },
  user: { memberOf: 'group' },
  template: { owner: 'group' },
};
// Backstage's own parser decides what a spec value names.
function specRefs(entity) {
  const out = [];
  for (const [field, defaultKind] of Object.entries(SPEC_REFS[entity.kind.toLowerCase()] || {})) {
    const v = entity.spec && entity.spec[field];
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      try {
        out.push({ field, value: x, ref: catalogModel.stringifyEntityRef(catalogModel.parseEntityRef(x, { defaultKind: defaultKind || undefined, defaultNamespace: entity.metadata.namespace || 'default' })) });
      } catch (e) {
        out.push({ field, value: x, ref: null });
      }
    }
  }
  return out;
}

// bsperm_entities_redacted as alice's role: exactly the readable entities; each
// keeps the relations (and spec refs) to readable or absent entities and
// loses those to hidden ones; the rest of the entity is untouched.
async function checkRedaction(label, su, bi) {
  const cond = JSON.stringify(READ_CONDITIONS);
  const all = new Map((await su.query('SELECT entity_ref, entity, bsperm_matches(entity, $1::jsonb) AS readable FROM bsperm_entities', [cond]))
    .rows.map(r => [r.entity_ref, r]));
  const hidden = new Set([...all.values()].filter(r => !r.readable).map(r => r.entity_ref));
  const rows = (await bi.query('SELECT entity_ref, entity FROM bsperm_entities_redacted')).rows;
  sameSet(`${label}: bsperm_entities_redacted lists the readable entities`, rows.map(r => r.entity_ref),
    [...all.values()].filter(r => r.readable).map(r => r.entity_ref));
  let relBad = 0; let specBad = 0; let removedRel = 0; let removedSpec = 0; let restBad = 0;
  for (const { entity_ref: ref, entity: red } of rows) {
    const orig = all.get(ref).entity;
    const wantRel = (orig.relations || []).filter(r => !hidden.has(r.targetRef));
    removedRel += (orig.relations || []).length - wantRel.length;
    if (JSON.stringify(red.relations || []) !== JSON.stringify(wantRel)) relBad++;
    const before = specRefs(orig);
    const after = specRefs(red);
    const wantSpec = before.filter(x => x.ref !== null && !hidden.has(x.ref));
    removedSpec += before.length - wantSpec.length;
    if (JSON.stringify(after) !== JSON.stringify(wantSpec)) specBad++;
    const strip = e => { const c = JSON.parse(JSON.stringify(e)); delete c.relations; for (const f of Object.keys(SPEC_REFS[c.kind.toLowerCase()] || {})) if (c.spec) delete c.spec[f]; return JSON.stringify(c); };
    if (strip(orig) !== strip(red)) restBad++;
  }
  check(`${label}: redacted relations are those to readable or absent entities`, relBad === 0 && removedRel > 0,
    `${relBad} entities differ, ${removedRel} relations removed`);
  check(`${label}: redacted spec refs are those to readable or absent entities (Backstage's parseEntityRef)`, specBad === 0 && removedSpec > 0,
    `${specBad} entities differ, ${removedSpec} spec values removed`);
  check(`${label}: the rest of each redacted entity is unchanged`, restBad === 0, `${restBad} differ`);
}

async function catalogCount(knex) {
  const catalog = new DefaultEntitiesCatalog({ database: knex, logger });
  const res = await catalog.entities({ credentials: {} });
  return res.entities.entities.length;
}

// ------------------------------------------------------------ main
async function main() {
  const admin = await client(process.env.PGDATABASE || 'postgres', process.env.PGUSER || 'postgres');
  await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
  for (const r of ROLES) await admin.query(`DROP ROLE IF EXISTS ${r}`);
  await admin.query(`CREATE ROLE ${OWNER} LOGIN`);
  for (const r of [BI, ANON, EXEMPT]) await admin.query(`CREATE ROLE ${r} LOGIN`);
  await admin.query(`CREATE DATABASE ${DB} OWNER ${OWNER} TEMPLATE template0 ENCODING 'UTF8'`);

  const su = await client(DB, process.env.PGUSER || 'postgres');
  await su.query('CREATE EXTENSION bsperm');
  // alice's policy: a default role with conditions on catalog.entity.read
  await su.query(`INSERT INTO bsperm.roles VALUES ('role:default/everyone', 'all users')`);
  await su.query(`INSERT INTO bsperm.policy_config (default_role) VALUES ('role:default/everyone')`);
  await su.query(`INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, permissions, conditions)
                  VALUES ('role:default/everyone', 'catalog', 'catalog-entity', '{catalog.entity.read}', $1)`,
  [JSON.stringify(READ_CONDITIONS)]);
  await su.query(`INSERT INTO bsperm.role_users VALUES ('${BI}', 'user:default/alice'), ('${EXEMPT}', 'user:default/replica')`);

  // ---- Backstage builds its catalog (migrations and ingestion as its own role)
  const all = generateEntities(SEED, { counts: { Group: 30, User: 80, Component: 160, API: 60, System: 20, Domain: 8, Resource: 30, Template: 12, Location: 4 } })
    .filter(i => !i.raw);
  const first = all.slice(0, Math.floor(all.length * 0.7));
  console.log('# building the catalog as Backstage\'s role');
  let knex = knexAs(OWNER);
  await applyDatabaseMigrations(knex);
  const migrations = (await knex('knex_migrations').count({ n: '*' }))[0].n;
  check('the catalog-backend 4.0.0 migrations ran as Backstage\'s role', Number(migrations) === 45, `${migrations} migrations`);
  let errors = await refresh(knex, first);
  check('ingestion, processing and stitching before protection', errors.length === 0, errors.slice(0, 3).join('; '));

  // some access to grant, as platform teams do for BI tools
  await su.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${BI}, ${ANON}, ${EXEMPT}`);
  await su.query(`GRANT INSERT, UPDATE, DELETE ON final_entities, search, relations TO ${BI}`);

  // ---- the call, by the database owner (Backstage's role, not a superuser)
  const owner = await client(DB, OWNER);
  const res = await owner.query(`SELECT table_name::text, shows FROM bsperm_protect_backstage('public', ARRAY['${EXEMPT}']::regrole[])`);
  check('bsperm_protect_backstage() as the database owner covers every catalog table',
    ['final_entities', 'search', 'refresh_state', 'refresh_keys', 'relations', 'refresh_state_references', 'locations',
      'stitch_queue', 'location_update_log', 'bsperm_entities', 'bsperm_entities_redacted'].every(t => res.rows.some(r => r.table_name === t)),
    res.rows.map(r => r.table_name).join(', '));
  await su.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${BI}, ${ANON}, ${EXEMPT}`);
  await checkCopy('after the call', owner);

  const roles = { owner, bi: await client(DB, BI), anon: await client(DB, ANON), exempt: await client(DB, EXEMPT) };
  const want = await checkVisibility('after the call', su, roles);
  check('alice reads some but not all entities', want.final_entities.length > 0 &&
    want.final_entities.length < (await rowsOf(su, 'final_entities')).length, `${want.final_entities.length} entities`);

  // ---- Backstage keeps working: more ingestion, updates, removals, migrations
  check('DefaultEntitiesCatalog.entities() lists every entity for Backstage',
    (await catalogCount(knex)) === (await rowsOf(su, 'final_entities')).length);
  const changed = all.map(i => JSON.parse(JSON.stringify(i)));
  for (const i of changed.slice(0, 40)) {
    i.entity.metadata.description = `changed ${i.entity.metadata.name}`;
    if (i.entity.spec && i.entity.spec.lifecycle) i.entity.spec.lifecycle = i.entity.spec.lifecycle === 'production' ? 'experimental' : 'production';
  }
  // adds the remaining 30%, updates 40, keeps the rest
  errors = await refresh(knex, changed);
  check('ingestion, processing and stitching (adds and updates) on the protected database', errors.length === 0, errors.slice(0, 3).join('; '));
  await checkCopy('after updates', owner);
  // removes 25 entities through the provider (deleteWithEagerPruningOfChildren)
  const kept = changed.slice(25);
  errors = await refresh(knex, kept);
  check('removals by the provider on the protected database', errors.length === 0, errors.slice(0, 3).join('; '));
  const nFinal = (await rowsOf(su, 'final_entities')).length;
  check('the removed entities are gone', nFinal <= kept.length && !(await su.query(
    'SELECT 1 FROM final_entities WHERE entity_ref = ANY($1)', [changed.slice(0, 25).map(i => catalogModel.stringifyEntityRef(i.entity))])).rowCount);
  const catalog = new DefaultEntitiesCatalog({ database: knex, logger });
  const victim = (await su.query(`SELECT entity_id FROM final_entities ORDER BY entity_ref LIMIT 1`)).rows[0].entity_id;
  await catalog.removeEntityByUid(victim);
  check('DefaultEntitiesCatalog.removeEntityByUid() on the protected database',
    !(await su.query('SELECT 1 FROM bsperm_entities WHERE entity_id = $1', [victim])).rowCount);
  await deleteOrphanedEntities({ knex });
  errors = await stitchAll(knex, []);
  check('orphan clean-up and restitching on the protected database', errors.length === 0, errors.slice(0, 3).join('; '));
  await checkCopy('after removals', owner);
  const listed = await catalog.entities({ credentials: {} });
  check('DefaultEntitiesCatalog.entities() still lists every entity',
    listed.entities.entities.length === (await rowsOf(su, 'final_entities')).length, `${listed.entities.entities.length}`);
  const batch = await catalog.entitiesBatch({ credentials: {}, entityRefs: (await su.query('SELECT entity_ref FROM final_entities LIMIT 20')).rows.map(r => r.entity_ref) });
  const found = entitiesResponseToObjects(batch.items);
  check('DefaultEntitiesCatalog.entitiesBatch() finds every requested entity', found.length === 20 && found.every(Boolean));
  const q = await catalog.queryEntities({ credentials: {}, filter: { kind: 'component' }, limit: 1000 });
  const nComp = Number((await su.query(`SELECT count(*) FROM search WHERE key = 'kind' AND value = 'component'`)).rows[0].count);
  const qn = entitiesResponseToObjects(q.items).length;
  check('DefaultEntitiesCatalog.queryEntities() with a filter', qn === nComp, `${qn} of ${nComp}`);
  const facets = await catalog.facets({ credentials: {}, facets: ['kind'] });
  check('DefaultEntitiesCatalog.facets()', facets.facets.kind.reduce((a, f) => a + f.count, 0) === listed.entities.entities.length);
  await applyDatabaseMigrations(knex);
  check('the migrations run again on the protected database (nothing to do, no error)', true);
  await checkVisibility('after Backstage changed the catalog', su, roles);

  // ---- redaction: visible entities without relations or spec refs to hidden ones
  await checkRedaction('after Backstage changed the catalog', su, roles.bi);

  // ---- attacks by the role mapped to alice
  const bi = roles.bi;
  await expectError('an untrusted role cannot call bsperm_protect_backstage()', () => bi.query('SELECT bsperm_protect_backstage()'), '42501');
  await expectError('an untrusted role cannot call bsperm_unprotect_backstage()', () => bi.query('SELECT bsperm_unprotect_backstage()'), '42501');
  const hidden = (await su.query(`SELECT r.source_entity_ref s, r.target_entity_ref t FROM relations r
      JOIN bsperm_entities src ON src.entity_ref = r.source_entity_ref AND bsperm_matches(src.entity, $1::jsonb)
      JOIN bsperm_entities tgt ON tgt.entity_ref = r.target_entity_ref AND NOT bsperm_matches(tgt.entity, $1::jsonb) LIMIT 1`,
  [JSON.stringify(READ_CONDITIONS)])).rows[0];
  check('the catalog has a relation from a readable entity to a hidden one', !!hidden);
  if (hidden) {
    check('a relation of a readable entity to a hidden one is not visible',
      !(await bi.query('SELECT 1 FROM relations WHERE source_entity_ref = $1 AND target_entity_ref = $2', [hidden.s, hidden.t])).rowCount);
    check('no visible row of any table names that hidden entity', !(await bi.query(`
      SELECT 1 FROM relations WHERE $1 IN (source_entity_ref, target_entity_ref)
      UNION ALL SELECT 1 FROM refresh_state_references WHERE $1 IN (source_entity_ref, target_entity_ref)
      UNION ALL SELECT 1 FROM final_entities WHERE entity_ref = $1
      UNION ALL SELECT 1 FROM refresh_state WHERE entity_ref = $1
      UNION ALL SELECT 1 FROM bsperm_entities WHERE entity_ref = $1`, [hidden.t])).rowCount);
    const probe = await bi.query('SELECT bsperm_relation_target_absent($1, $2) a, bsperm_relation_target_absent($1, $3) b',
      [hidden.s, hidden.t, 'group:default/no-such-group-anywhere']);
    check('the relation helper is no oracle: hidden and non-existent targets answer alike',
      probe.rows[0].a === false && probe.rows[0].b === false);
  }
  const absent = (await bi.query(`SELECT count(*)::int n FROM relations r
      WHERE NOT EXISTS (SELECT FROM bsperm_entities t WHERE t.entity_ref = r.target_entity_ref)`)).rows[0].n;
  check('relations of readable entities to entities absent from the catalog are visible', absent > 0, `${absent} rows`);
  const w1 = await bi.query(`UPDATE final_entities SET hash = 'x'`);
  const w2 = await bi.query(`DELETE FROM search`);
  check('an untrusted role granted UPDATE and DELETE changes no row', w1.rowCount === 0 && w2.rowCount === 0);
  await expectError('an untrusted role granted INSERT cannot insert into final_entities',
    () => bi.query(`INSERT INTO final_entities (entity_id, entity_ref, hash, final_entity) VALUES ('x', 'component:default/x', 'x', '{}')`), '42501');
  await su.query(`CREATE SCHEMA bi AUTHORIZATION ${BI}`);
  await bi.query(`CREATE TABLE bi.fake (entity_id text, entity_ref text, final_entity text)`);
  await expectError('an untrusted role cannot attach bsperm\'s sync trigger to its own table',
    () => bi.query(`CREATE TRIGGER t AFTER INSERT ON bi.fake FOR EACH ROW EXECUTE FUNCTION public.bsperm_sync_entity()`), '42501');
  await owner.query(`INSERT INTO locations (id, type, target, location_entity_ref) SELECT gen_random_uuid(), 'url', 'x', 'location:default/x' WHERE false`);
  await owner.query(`INSERT INTO location_update_log (status, message, location_id, entity_name)
                     SELECT 'fail', 'secret ' || target, id, 'x' FROM locations LIMIT 3`);
  const viaView = await bi.query('SELECT count(*)::int n FROM location_update_log_latest');
  const viaViewOwner = await owner.query('SELECT count(*)::int n FROM location_update_log_latest');
  check('the view location_update_log_latest shows nothing to an untrusted role (security_invoker), all to Backstage',
    viaView.rows[0].n === 0 && viaViewOwner.rows[0].n === Number((await su.query('SELECT count(DISTINCT location_id) FROM location_update_log')).rows[0].count));
  const stats = await bi.query(`SELECT count(*)::int n FROM pg_stats WHERE tablename IN ('search', 'final_entities', 'relations', 'bsperm_entities')`);
  check('pg_stats shows an untrusted role no statistics of protected tables', stats.rows[0].n === 0, `${stats.rows[0].n} rows`);

  // ---- the refusals
  await owner.query('CREATE TABLE public.my_notes (note text)');
  await expectError('the call refuses a table it does not know, naming it',
    () => owner.query('SELECT bsperm_protect_backstage()'), '55000');
  await owner.query('DROP TABLE public.my_notes');
  await expectError('the call refuses a schema without a catalog', () => owner.query(`SELECT bsperm_protect_backstage('bi')`), '42P01');

  // ---- a later Backstage migration turns final_entity into jsonb
  await owner.query(`ALTER TABLE final_entities ALTER COLUMN final_entity TYPE jsonb USING final_entity::jsonb`);
  check('Backstage\'s migration of final_entity to jsonb is not blocked by the protection', true);
  knex.destroy();
  knex = knexAs(OWNER);
  const more = changed.slice(25).map(i => JSON.parse(JSON.stringify(i)));
  for (const i of more.slice(0, 30)) i.entity.metadata.description = `after jsonb ${i.entity.metadata.name}`;
  errors = await refresh(knex, more);
  check('stitching into a jsonb final_entity on the protected database', errors.length === 0, errors.slice(0, 3).join('; '));
  await checkCopy('with jsonb final_entity', owner);
  const again = await owner.query(`SELECT count(*)::int n FROM bsperm_protect_backstage('public', ARRAY['${EXEMPT}']::regrole[])`);
  const type = (await su.query(`SELECT final_entity_type::text t FROM bsperm.backstage_catalogs`)).rows[0].t;
  check('the call again detects the jsonb column', again.rows[0].n === 11 && type === 'jsonb', type);
  await checkVisibility('with jsonb final_entity', su, roles);

  // ---- undo
  await owner.query('SELECT bsperm_unprotect_backstage()');
  const left = (await su.query(`SELECT
      (SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'public'::regnamespace)::int AS policies,
      (SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relrowsecurity)::int AS rls,
      (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'public'::regnamespace AND t.tgname LIKE 'bsperm%')::int AS triggers,
      (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname IN ('bsperm_sync_entity', 'bsperm_relation_target_absent'))::int AS functions,
      to_regclass('public.bsperm_entities') IS NULL AS dropped`)).rows[0];
  check('bsperm_unprotect_backstage() leaves no policy, trigger or copy', left.policies === 0 && left.rls === 0 && left.triggers === 0 && left.functions === 0 && left.dropped,
    JSON.stringify(left));
  sameSet('after unprotecting, the granted role reads final_entities as before', await rowsOf(bi, 'final_entities'), await rowsOf(su, 'final_entities'));

  for (const c of [owner, roles.bi, roles.anon, roles.exempt, su]) await c.end();
  await knex.destroy();
  if (!KEEP) {
    await admin.query(`DROP DATABASE IF EXISTS ${DB}`);
    for (const r of ROLES) await admin.query(`DROP ROLE IF EXISTS ${r}`);
  }
  await admin.end();
}

main().catch(e => {
  console.log(`FAIL the suite stopped: ${e.stack || e.message}`);
  failed++;
}).finally(() => {
  console.log(`# suite backstage: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
