'use strict';
// Custom rules, both ways (issue 10): IS_FROM_CLUSTER and IN_NAMESPACE written
// the usual Backstage way (createCatalogPermissionRule with apply() and
// toQuery(), registered next to the catalog's rules) against the same rules
// declared in bsperm (installed as data).  On a catalog built by the real
// catalog code, for random criteria mixing them with IS_ENTITY_KIND:
//   A  bsperm_matches                       B  bsperm_criteria_sql, GIN index forced
//   C  the custom rules' apply()            D  the catalog SQL path (toQuery → search table)
// must agree everywhere, and bsperm_metadata() must publish the rules the
// real integration router publishes.

const { z } = require('zod');
const { Client } = require('pg');
const { createCatalogPermissionRule } = require('@backstage/plugin-catalog-backend/alpha');
const { catalogEntityPermissionResourceRef } = require('@backstage/plugin-catalog-node/alpha');
const { catalogPermissions } = require('@backstage/plugin-catalog-common/alpha');
const { makeRng } = require('./rng');

const CLUSTER = 'backstage.io/kubernetes-cluster';

// Written as Backstage's documentation writes custom rules.  apply() compares
// as the search table does (lowercased, an entity without namespace is in
// "default"), so that it answers like toQuery() on the catalog.
const isFromCluster = createCatalogPermissionRule({
  name: 'IS_FROM_CLUSTER',
  description: 'Allow entities discovered in one of the given Kubernetes clusters (the backstage.io/kubernetes-cluster annotation)',
  resourceRef: catalogEntityPermissionResourceRef,
  paramsSchema: z.object({ clusters: z.array(z.string()).describe('Names of the clusters') }),
  apply: (entity, { clusters }) => {
    const v = entity.metadata.annotations?.[CLUSTER];
    return v !== undefined && clusters.map(c => c.toLocaleLowerCase('en-US')).includes(String(v).toLocaleLowerCase('en-US'));
  },
  toQuery: ({ clusters }) => ({ key: `metadata.annotations.${CLUSTER}`, values: clusters }),
});

const inNamespace = createCatalogPermissionRule({
  name: 'IN_NAMESPACE',
  description: 'Allow entities in one of the given namespaces (an entity without a namespace is in default)',
  resourceRef: catalogEntityPermissionResourceRef,
  paramsSchema: z.object({ namespaces: z.array(z.string()).describe('Names of the namespaces') }),
  apply: (entity, { namespaces }) => namespaces.map(n => n.toLocaleLowerCase('en-US'))
    .includes((entity.metadata.namespace ?? 'default').toLocaleLowerCase('en-US')),
  toQuery: ({ namespaces }) => ({ key: 'metadata.namespace', values: namespaces }),
});

function generate(seed) {
  const rng = makeRng(seed);
  const items = [];
  const clusters = ['prod-eu', 'prod-us', 'Prod-EU', 'dev', 'staging', ''];
  for (let i = 0; i < 400; i++) {
    const ns = rng.pick(['default', 'default', 'ops', 'payments-eu', 'team-a', null]);
    const metadata = { name: `svc-${i}` };
    if (ns) metadata.namespace = ns;
    if (rng.chance(0.75)) metadata.annotations = { [CLUSTER]: rng.pick(clusters) };
    items.push({
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      entity: { apiVersion: 'backstage.io/v1alpha1', kind: rng.pick(['Component', 'API', 'Resource']), metadata, spec: { type: 'service', lifecycle: 'production', owner: 'team-a', definition: 'x' } },
      raw: ns === null, orphan: false, extraRelations: [],
    });
  }
  const leaf = () => {
    const k = rng.int(0, 2);
    const list = pool => Array.from({ length: rng.int(0, 3) }, () => rng.pick(pool));
    if (k === 0) return { rule: 'IS_FROM_CLUSTER', resourceType: 'catalog-entity', params: { clusters: list(['prod-eu', 'PROD-US', 'dev', '', 'nowhere']) } };
    if (k === 1) return { rule: 'IN_NAMESPACE', resourceType: 'catalog-entity', params: { namespaces: list(['default', 'Ops', 'payments-eu', 'team-a', 'x']) } };
    return { rule: 'IS_ENTITY_KIND', resourceType: 'catalog-entity', params: { kinds: list(['component', 'API', 'resource']) } };
  };
  const node = d => {
    const k = rng.int(0, d > 2 ? 0 : 3);
    if (k === 0) return leaf();
    if (k === 1) return { not: node(d + 1) };
    return { [k === 2 ? 'allOf' : 'anyOf']: Array.from({ length: rng.int(1, 3) }, () => node(d + 1)) };
  };
  return { items, criteria: Array.from({ length: 150 }, () => node(0)) };
}

async function run({ bs, conn, recreate, drop, check, say, keep, seed }) {
  const BS_DB = 'bsperm_compat_rules_bs';
  const BP_DB = 'bsperm_compat_rules';
  const rules = [...bs.RULES, isFromCluster, inNamespace];
  const { items, criteria } = generate(seed);

  await recreate(BS_DB);
  const knex = bs.knexFor(BS_DB);
  const build = await bs.buildCatalog(knex, items);
  const applyPath = await bs.makeApplyPath(knex, rules);
  const sqlPath = await bs.makeSqlPath(knex, rules);
  const { refs } = applyPath;

  await recreate(BP_DB);
  const pg = new Client(conn(BP_DB));
  await pg.connect();
  await pg.query('CREATE EXTENSION bsperm');
  await pg.query('CREATE TABLE compat_entities (ref text PRIMARY KEY, entity jsonb NOT NULL)');
  const fe = await knex('final_entities').select('entity_ref', 'final_entity');
  await pg.query('INSERT INTO compat_entities SELECT * FROM unnest($1::text[], $2::jsonb[])', [fe.map(r => r.entity_ref), fe.map(r => r.final_entity)]);
  await pg.query('CREATE INDEX ON compat_entities USING gin (entity bsperm_entity_ops)');
  await pg.query('ANALYZE compat_entities');
  say('');
  say(`== custom rules (IS_FROM_CLUSTER, IN_NAMESPACE): createCatalogPermissionRule with apply()/toQuery() vs bsperm's declared rules; ${build.finalEntities} entities, ${criteria.length} criteria`);

  const pairs = { 'A=D': 0, 'B=D': 0, 'A=C': 0 };
  let total = 0; let some = 0; const diffs = [];
  for (const c of criteria) {
    const json = JSON.stringify(c);
    const A = new Set((await pg.query('SELECT ref FROM compat_entities WHERE bsperm_matches(entity, $1::jsonb)', [json])).rows.map(r => r.ref));
    const sql = (await pg.query("SELECT bsperm_criteria_sql($1::jsonb, 'e.entity') AS s", [json])).rows[0].s;
    await pg.query('SET enable_seqscan = off');
    const B = new Set((await pg.query(`SELECT e.ref FROM compat_entities e WHERE ${sql}`)).rows.map(r => r.ref));
    await pg.query('RESET enable_seqscan');
    const D = new Set(await sqlPath.list(c));
    const C = new Set();
    applyPath.evaluate(c).forEach((x, i) => { if (x instanceof Error) throw x; if (x) C.add(refs[i]); });
    if (A.size && A.size < refs.length) some++;
    for (const ref of refs) {
      total++;
      if (A.has(ref) === D.has(ref)) pairs['A=D']++; else diffs.push(`A≠D ${ref} ${json}`);
      if (B.has(ref) === D.has(ref)) pairs['B=D']++; else diffs.push(`B≠D ${ref} ${json}`);
      if (A.has(ref) === C.has(ref)) pairs['A=C']++; else diffs.push(`A≠C ${ref} ${json}`);
    }
  }
  for (const d of diffs.slice(0, 20)) say(`  DIFF ${d}`);
  say(`  ${some}/${criteria.length} criteria match some but not all entities`);
  check('custom rules: bsperm_matches with the declared rules = the catalog SQL path with the custom rules\' toQuery()', pairs['A=D'] === total, `${pairs['A=D']}/${total}`);
  check('custom rules: bsperm_criteria_sql (GIN index) = the catalog SQL path with the custom rules\' toQuery()', pairs['B=D'] === total, `${pairs['B=D']}/${total}`);
  check('custom rules: bsperm_matches = the custom rules\' apply()', pairs['A=C'] === total, `${pairs['A=C']}/${total}`);
  check('custom rules: the criteria are not trivial (≥ 50% match some but not all entities)', some >= criteria.length / 2, `${some}/${criteria.length}`);

  // the metadata endpoint, real and bsperm's
  const real = await bs.permissionMetadata(rules, catalogPermissions);
  const mine = (await pg.query('SELECT bsperm_metadata() AS m')).rows[0].m;
  const byName = list => new Map(list.map(x => [x.name, x]));
  const canon = v => JSON.stringify(v, (k, x) => (x && typeof x === 'object' && !Array.isArray(x)
    ? Object.fromEntries(Object.keys(x).sort().map(key => [key, x[key]])) : x));
  const realRules = byName(real.rules); const mineRules = byName(mine.rules);
  const ruleDiffs = [];
  for (const [name, r] of realRules) {
    const m = mineRules.get(name);
    let want = r;
    if (name === 'IS_ENTITY_OWNER' && m) {
      // bsperm's extension: two more optional properties, nothing else changed
      want = JSON.parse(JSON.stringify(r));
      want.paramsSchema.properties.transitive = m.paramsSchema.properties.transitive;
      want.paramsSchema.properties.maxDepth = m.paramsSchema.properties.maxDepth;
    }
    if (!m || canon(m) !== canon(want)) ruleDiffs.push(`${name}: real ${canon(r)}, bsperm ${m ? canon(m) : 'missing'}`);
  }
  for (const name of mineRules.keys()) if (!realRules.has(name)) ruleDiffs.push(`${name}: only in bsperm`);
  for (const d of ruleDiffs) say(`  METADATA DIFF ${d}`);
  check('metadata: bsperm_metadata() rules = the integration router\'s metadata (the six catalog rules and both custom rules; IS_ENTITY_OWNER with transitive/maxDepth added)',
    ruleDiffs.length === 0, `${realRules.size} rules, ${ruleDiffs.length} differ`);
  const permDiffs = [];
  const realPerms = byName(real.permissions); const minePerms = byName(mine.permissions);
  for (const [name, p] of realPerms) if (canon(p) !== canon(minePerms.get(name))) permDiffs.push(name);
  check('metadata: bsperm_metadata() permissions = the catalog\'s permissions', permDiffs.length === 0 && realPerms.size === minePerms.size,
    `${realPerms.size} real, ${minePerms.size} bsperm, differing: ${permDiffs.join(', ') || 'none'}`);

  await sqlPath.close();
  await knex.destroy();
  await pg.end();
  if (!keep) { await drop(BP_DB); await drop(BS_DB); }
}

module.exports = { run };
