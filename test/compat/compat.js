'use strict';
// bsperm compatibility suite: compares bsperm with the real Backstage code
// (catalog-backend 4.0.0 and the permission packages, from npm) on a generated
// catalog and generated criteria.  Run through test/compat/run.sh.
//
// Paths compared, for every valid criteria × every entity:
//   A  bsperm_matches(entity, criteria)             bsperm's apply path
//   B  WHERE <bsperm_criteria_sql(criteria)>         bsperm's toQuery path (GIN index forced)
//   C  createConditionAuthorizer(catalog rules)             Backstage apply()
//   D  AuthorizedEntitiesCatalog.entities() on PostgreSQL   Backstage catalog SQL path
// and, per entity, bsperm_search_rows vs the catalog's own search table vs
// buildEntitySearch.  Invalid criteria must be rejected by bsperm.

const fs = require('fs');
const path = require('path');
const { Client } = require('pg');
const bs = require('./lib/backstage');
const { generateEntities } = require('./lib/generate-entities');
const { generateCriteria } = require('./lib/generate-criteria');
const { specCases } = require('./lib/spec-cases');
const customRules = require('./lib/custom-rules');
const { RULES } = bs;

const SEED = Number(process.env.BSPERM_COMPAT_SEED || 20240601);
const N_CRITERIA = Number(process.env.BSPERM_COMPAT_CRITERIA || 560);
const BS_DB = process.env.BSPERM_COMPAT_BS_DB || 'bsperm_compat_bs';
const BP_DB = process.env.BSPERM_COMPAT_DB || 'bsperm_compat';
const OUT_DIR = process.env.BSPERM_COMPAT_OUT || path.join(__dirname, 'out');
const KEEP = !!process.env.BSPERM_COMPAT_KEEP;
const MAX_PRINT = Number(process.env.BSPERM_COMPAT_MAX_PRINT || 40);

const lines = [];
const say = (s = '') => { lines.push(s); console.log(s); };
const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok, detail });
  say(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
};
const pct = (a, n) => (n === 0 ? '100.0000' : ((100 * a) / n).toFixed(4));
const utf16 = s => s.length; // JS strings are UTF-16

const conn = database => ({ host: process.env.PGHOST, port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'postgres', database });

async function recreate(db) {
  const c = new Client(conn(process.env.PGDATABASE || 'postgres'));
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${db}`);
  await c.query(`CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8'`);
  await c.end();
}
async function drop(db) {
  const c = new Client(conn(process.env.PGDATABASE || 'postgres'));
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${db}`);
  await c.end();
}

// ---------------------------------------------------------------- criteria helpers
const kindOf = n => (n && typeof n === 'object' && !Array.isArray(n)
  ? (Object.prototype.hasOwnProperty.call(n, 'allOf') ? 'allOf' : Object.prototype.hasOwnProperty.call(n, 'anyOf') ? 'anyOf' : Object.prototype.hasOwnProperty.call(n, 'not') ? 'not' : 'leaf')
  : 'bad');
function evalTree(n, leafFn) {
  switch (kindOf(n)) {
    case 'allOf': return n.allOf.every(c => evalTree(c, leafFn));
    case 'anyOf': return n.anyOf.some(c => evalTree(c, leafFn));
    case 'not': return !evalTree(n.not, leafFn);
    default: return leafFn(n);
  }
}
function leavesOf(n, out = []) {
  switch (kindOf(n)) {
    case 'allOf': n.allOf.forEach(c => leavesOf(c, out)); break;
    case 'anyOf': n.anyOf.forEach(c => leavesOf(c, out)); break;
    case 'not': leavesOf(n.not, out); break;
    default: out.push(n);
  }
  return out;
}
const ruleByName = new Map(RULES.map(r => [r.name, r]));

// ---------------------------------------------------------------- main
async function main() {
  const t0 = Date.now();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  say(`# bsperm compatibility suite (seed ${SEED})`);
  const pkgs = ['@backstage/plugin-catalog-backend', '@backstage/plugin-permission-node', '@backstage/plugin-permission-common', '@backstage/catalog-model', 'knex', 'pg', 'zod'];
  say(`packages: ${pkgs.map(p => `${p}@${require(path.join(__dirname, 'node_modules', p, 'package.json')).version}`).join(', ')}`);

  // ---- Backstage catalog database
  await recreate(BS_DB);
  const knex = bs.knexFor(BS_DB);
  const items = generateEntities(SEED);
  const build = await bs.buildCatalog(knex, items);
  say(`catalog: ${items.length} entities generated, ${build.processed} processed, ${build.relations} relation rows, ${build.finalEntities} stitched into final_entities (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  for (const e of [...build.processingErrors, ...build.stitchErrors]) say(`  ingestion problem: ${e}`);
  const applyPath = await bs.makeApplyPath(knex);
  const sqlPath = await bs.makeSqlPath(knex);
  const refs = applyPath.refs;
  const entities = applyPath.entities;
  const refIndex = new Map(refs.map((r, i) => [r, i]));
  const kindCounts = {};
  for (const e of entities) kindCounts[e.kind] = (kindCounts[e.kind] || 0) + 1;
  say(`kinds: ${Object.entries(kindCounts).map(([k, n]) => `${k} ${n}`).join(', ')}`);

  // the catalog's search table, per entity
  const searchRows = await knex('search').join('final_entities', 'search.entity_id', 'final_entities.entity_id')
    .select('final_entities.entity_ref as ref', 'search.key', 'search.value', 'search.original_value');
  const searchByRef = new Map(refs.map(r => [r, []]));
  for (const r of searchRows) searchByRef.get(r.ref).push(r);
  const searchIndex = new Map(); // ref -> Map key -> values[]
  for (const [ref, rows] of searchByRef) {
    const m = new Map();
    for (const r of rows) { if (!m.has(r.key)) m.set(r.key, []); m.get(r.key).push(r.value); }
    searchIndex.set(ref, m);
  }
  say(`search table: ${searchRows.length} rows`);

  // ---- bsperm database
  await recreate(BP_DB);
  const pgA = new Client(conn(BP_DB));
  await pgA.connect();
  await pgA.query('CREATE EXTENSION bsperm');
  const extVersion = (await pgA.query("SELECT extversion FROM pg_extension WHERE extname = 'bsperm'")).rows[0].extversion;
  await pgA.query('CREATE TABLE compat_entities (ref text PRIMARY KEY, entity jsonb NOT NULL)');
  const fe = await knex('final_entities').select('entity_ref', 'final_entity').orderBy('entity_ref');
  for (let i = 0; i < fe.length; i += 500) {
    const chunk = fe.slice(i, i + 500);
    await pgA.query('INSERT INTO compat_entities SELECT * FROM unnest($1::text[], $2::jsonb[])', [chunk.map(r => r.entity_ref), chunk.map(r => r.final_entity)]);
  }
  await pgA.query('CREATE INDEX compat_entities_bsperm ON compat_entities USING gin (entity bsperm_entity_ops)');
  await pgA.query('ANALYZE compat_entities');
  const pgB = new Client(conn(BP_DB));
  await pgB.connect();
  await pgB.query('SET enable_seqscan = off'); // make the toQuery path go through the GIN index
  say(`bsperm ${extVersion}: ${fe.length} entities loaded into ${BP_DB}.compat_entities (jsonb, GIN bsperm_entity_ops)`);

  check('at least 2000 entities generated and stitched by the real catalog', build.finalEntities >= 2000 && build.finalEntities === items.length,
    `${build.finalEntities} of ${items.length}`);

  // ---- flattening: bsperm_search_rows vs the search table vs buildEntitySearch
  const rowKey = (k, v) => `${k}\u0000${v === null ? '\u0001<NULL>' : v}`;
  const bpRows = (await pgA.query('SELECT e.ref, r.key, r.value FROM compat_entities e, bsperm_search_rows(e.entity) r')).rows;
  const bpByRef = new Map(refs.map(r => [r, []]));
  for (const r of bpRows) bpByRef.get(r.ref).push(rowKey(r.key, r.value));
  let flatSame = 0; let buildSame = 0; let bpDupEntities = 0;
  const flatDiffs = [];
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    const table = new Set(searchByRef.get(ref).map(r => rowKey(r.key, r.value)));
    const bpList = bpByRef.get(ref);
    const bp = new Set(bpList);
    if (bp.size !== bpList.length) bpDupEntities++;
    // buildEntitySearch + syncSearchRows' dedup and PostgreSQL U+0001 filter
    const built = new Set(bs.buildEntitySearch(entities[i].metadata.uid, entities[i])
      .filter(r => r.value !== bs.NULL_SENTINEL && r.original_value !== bs.NULL_SENTINEL)
      .map(r => rowKey(r.key, r.value)));
    const eq = (a, b) => a.size === b.size && [...a].every(x => b.has(x));
    if (eq(table, built)) buildSame++;
    if (eq(table, bp)) flatSame++;
    else flatDiffs.push({ ref, onlyBsperm: [...bp].filter(x => !table.has(x)), onlyCatalog: [...table].filter(x => !bp.has(x)) });
  }
  say('');
  say(`== flattening (${refs.length} entities, ${searchRows.length} catalog rows, ${bpRows.length} bsperm rows)`);
  say(`  bsperm_search_rows = catalog search table: ${flatSame}/${refs.length} entities (${pct(flatSame, refs.length)}%)`);
  say(`  catalog search table = buildEntitySearch after the PostgreSQL U+0001 filter: ${buildSame}/${refs.length}`);
  if (bpDupEntities) say(`  note: bsperm_search_rows returned duplicate (key, value) rows for ${bpDupEntities} entities`);
  for (const d of flatDiffs.slice(0, MAX_PRINT)) {
    say(`  DIFF ${d.ref}: only bsperm ${JSON.stringify(d.onlyBsperm.map(x => x.replace('\u0000', '=')))}; only catalog ${JSON.stringify(d.onlyCatalog.map(x => x.replace('\u0000', '=')))}`);
  }
  check('flattening: bsperm_search_rows equals the catalog search table for every entity', flatSame === refs.length, `${flatSame}/${refs.length}`);
  check('flattening: the catalog search table equals buildEntitySearch (U+0001-filtered)', buildSame === refs.length, `${buildSame}/${refs.length}`);

  // ---- criteria
  const randomCriteria = generateCriteria(SEED + 1, entities, { count: N_CRITERIA });
  const criteria = [...randomCriteria, ...specCases()];
  const specFailures = [];
  const bsTransformer = bs.transformer();

  // search-semantics leaf over the catalog's stored rows (for categorising only)
  const searchLeaf = (leaf, ref) => {
    const f = ruleByName.get(leaf.rule).toQuery(leaf.params ?? {});
    const vals = searchIndex.get(ref).get(f.key.toLowerCase());
    if (!vals) return false;
    if (!f.values) return true;
    const want = f.values.map(v => String(v).toLowerCase());
    return vals.some(v => v !== null && want.includes(v));
  };
  const applyLeaf = (leaf, entity) => ruleByName.get(leaf.rule).apply(entity, leaf.params ?? {});

  // why does Backstage's apply() answer this leaf differently from the search rows?
  const explainLeaf = (leaf, entity, applied, searched) => {
    const p = leaf.params || {};
    const causes = [];
    if (leaf.rule === 'IS_ENTITY_OWNER' && !applied && searched) {
      const claims = p.claims.map(c => c.toLowerCase());
      for (const r of entity.relations || []) {
        if (r.type.toLowerCase() !== 'ownedby' || !claims.includes(r.targetRef.toLowerCase())) continue;
        if (r.type !== 'ownedBy') causes.push('§5.1 ownership relation type not spelled "ownedBy" (apply: not an owner)');
        else if (!p.claims.includes(r.targetRef)) causes.push('§5.1 IS_ENTITY_OWNER claim in other case (apply: case-sensitive)');
      }
    }
    if ((leaf.rule === 'HAS_ANNOTATION' || leaf.rule === 'HAS_LABEL') && applied && !searched) {
      const field = leaf.rule === 'HAS_ANNOTATION' ? 'annotations' : 'labels';
      const name = leaf.rule === 'HAS_ANNOTATION' ? p.annotation : p.label;
      const obj = entity.metadata[field] || {};
      for (const [k, v] of Object.entries(obj)) {
        const keyMatch = k === name || k.toLowerCase() === name.toLowerCase();
        const valMatch = p.value === undefined || v === p.value || String(v).toLowerCase() === p.value.toLowerCase();
        if (!keyMatch || !valMatch) continue;
        if (utf16(`metadata.${field}.${k}`.toLowerCase()) > 200) causes.push(`§5.3 ${field} key longer than 200 units in the search table`);
        else if (p.value !== undefined && utf16(String(v).toLowerCase()) > 200) causes.push(`§5.2 ${field} value longer than 200 units, asked with value`);
        else if (v === '\u0001') causes.push('§5.4 U+0001 value (not stored on PostgreSQL)');
      }
    }
    if ((leaf.rule === 'HAS_METADATA' || leaf.rule === 'HAS_SPEC') && applied && !searched) {
      const key = `${leaf.rule === 'HAS_METADATA' ? 'metadata' : 'spec'}.${p.key}`.toLowerCase();
      const rows = bs.buildEntitySearch('x', entity).filter(r => r.key === key);
      if (rows.some(r => r.value === '\u0001' || r.original_value === '\u0001')) causes.push('§5.4 U+0001 value (not stored on PostgreSQL)');
    }
    return [...new Set(causes)];
  };

  const stats = {
    valid: 0, decisions: 0,
    pairs: { 'B=D': 0, 'A=D': 0, 'A=B': 0, 'A=C': 0, 'C=D': 0 },
    categoriesAC: new Map(), categoriesCD: new Map(), unexplainedAC: [], bspermVsCatalog: [], applyErrors: 0,
    matchedDecisions: 0, criteriaMatchingSome: 0,
    invalid: { total: 0, bothReject: 0, bspermOnlyDocumented: new Map(), bspermAcceptsBackstageRejects: [], bspermRejectsBackstageAccepts: [], inconsistentBsperm: [], sqlstates: new Map(), byDefect: new Map(), applyLazy: 0, applyOutcomes: new Map() },
  };
  const addCat = (map, cat, cid) => {
    if (!map.has(cat)) map.set(cat, { decisions: 0, criteria: new Set(), example: null });
    const c = map.get(cat);
    c.decisions++;
    c.criteria.add(cid);
    return c;
  };

  const bsQuery = async (client, sql, params) => {
    try { return { rows: (await client.query(sql, params)).rows }; } catch (e) { return { error: e }; }
  };

  const tCrit = Date.now();
  for (const c of criteria) {
    const json = JSON.stringify(c.criteria);
    // bsperm: validation, then both paths
    const v = await bsQuery(pgA, 'SELECT bsperm_validate_criteria($1::jsonb) AS n', [json]);
    // Backstage SQL path (PermissionClient → transformer → SQL) and apply()
    let D; let dError = null;
    try { D = new Set(await sqlPath.list(c.criteria)); } catch (e) { dError = e; }
    const Cres = applyPath.evaluate(c.criteria);

    if (v.error || dError) {
      // ---- invalid for at least one side
      const inv = stats.invalid;
      inv.total++;
      const defect = c.defect || (v.error ? 'bsperm-rejected generated-valid' : 'backstage-rejected generated-valid');
      if (!inv.byDefect.has(defect)) inv.byDefect.set(defect, { n: 0, bothReject: 0 });
      inv.byDefect.get(defect).n++;
      const lazy = Cres.filter(x => !(x instanceof Error)).length;
      if (lazy) inv.applyLazy++;
      const applyOutcome = lazy === 0 ? 'apply() throws for every entity'
        : lazy === refs.length ? 'apply() answers every entity (defect never reached, or not a defect for apply())'
          : 'apply() answers some entities, throws for others (lazy, §5.7)';
      inv.applyOutcomes.set(applyOutcome, (inv.applyOutcomes.get(applyOutcome) || 0) + 1);
      const bsErr = dError ? `${dError.name}: ${dError.message.split('\n')[0].slice(0, 160)}` : null;
      if (v.error) {
        const code = v.error.code;
        inv.sqlstates.set(code, (inv.sqlstates.get(code) || 0) + 1);
        // all bsperm entry points must refuse it the same way
        const m = await bsQuery(pgA, 'SELECT bsperm_matches(entity, $1::jsonb) FROM compat_entities LIMIT 1', [json]);
        const s = await bsQuery(pgA, "SELECT bsperm_criteria_sql($1::jsonb, 'e.entity')", [json]);
        const expected = ['22023', '42704', '54000'];
        if (!expected.includes(code) || !m.error || !s.error || m.error.code !== code || s.error.code !== code) {
          inv.inconsistentBsperm.push({ c, detail: `bsperm_validate_criteria ${code} "${v.error.message}", bsperm_matches ${m.error ? m.error.code : 'no error'}, bsperm_criteria_sql ${s.error ? s.error.code : 'no error'}` });
        }
      }
      if (v.error && dError) {
        inv.bothReject++;
        inv.byDefect.get(defect).bothReject++;
      } else if (v.error) {
        // Backstage's catalog accepts it: only documented refusals are allowed
        const k = kindOf(c.criteria);
        const ambiguous = (function amb(n) {
          if (!n || typeof n !== 'object' || Array.isArray(n)) return false;
          const has = ['allOf', 'anyOf', 'not', 'rule'].filter(x => Object.prototype.hasOwnProperty.call(n, x));
          if (has.length > 1) return true;
          return ['allOf', 'anyOf'].some(x => Array.isArray(n[x]) && n[x].some(amb)) || amb(n.not);
        }(c.criteria));
        let cat = null;
        if (ambiguous) cat = 'ambiguous node (several of allOf/anyOf/not/rule): Backstage picks one, bsperm refuses (§5.6, compatibility.md)';
        else if (v.error.code === '54000') cat = `bsperm limit, SQLSTATE 54000 "${v.error.message.replace(/^.* is too large: /, '')}": Backstage has no limit`;
        if (cat) inv.bspermOnlyDocumented.set(cat, (inv.bspermOnlyDocumented.get(cat) || 0) + 1);
        else inv.bspermRejectsBackstageAccepts.push({ c, detail: `bsperm ${v.error.code} ${v.error.message}; Backstage SQL path accepts (${k})` });
      } else {
        inv.bspermAcceptsBackstageRejects.push({ c, detail: `Backstage SQL path: ${bsErr}; bsperm accepts` });
      }
      if (c.expect) specFailures.push(`${c.id} rejected: bsperm ${v.error ? v.error.message : 'accepted'}; catalog ${bsErr || 'accepted'}`);
      c.result = { bsperm: v.error ? `${v.error.code} ${v.error.message}` : 'accepted', backstageSql: bsErr || 'accepted', applyLazyAnswers: lazy };
      continue;
    }

    // ---- valid criteria: evaluate both bsperm paths
    stats.valid++;
    const a = await bsQuery(pgA, 'SELECT ref FROM compat_entities WHERE bsperm_matches(entity, $1::jsonb)', [json]);
    const sqlText = await bsQuery(pgA, "SELECT bsperm_criteria_sql($1::jsonb, 'e.entity') AS s", [json]);
    if (a.error || sqlText.error) throw new Error(`bsperm failed on valid criteria ${c.id}: ${(a.error || sqlText.error).message}`);
    const b = await bsQuery(pgB, `SELECT e.ref FROM compat_entities e WHERE ${sqlText.rows[0].s}`);
    if (b.error) throw new Error(`bsperm_criteria_sql output failed for ${c.id}: ${b.error.message}`);
    const A = new Set(a.rows.map(r => r.ref));
    const B = new Set(b.rows.map(r => r.ref));
    const C = new Set();
    Cres.forEach((x, i) => { if (x instanceof Error) stats.applyErrors++; else if (x) C.add(refs[i]); });
    if (A.size) stats.criteriaMatchingSome++;
    stats.matchedDecisions += A.size;
    stats.decisions += refs.length;
    const diff = (X, Y) => refs.filter(r => X.has(r) !== Y.has(r));
    const dBD = diff(B, D); const dAD = diff(A, D); const dAB = diff(A, B); const dAC = diff(A, C); const dCD = diff(C, D);
    stats.pairs['B=D'] += refs.length - dBD.length;
    stats.pairs['A=D'] += refs.length - dAD.length;
    stats.pairs['A=B'] += refs.length - dAB.length;
    stats.pairs['A=C'] += refs.length - dAC.length;
    stats.pairs['C=D'] += refs.length - dCD.length;
    const leaves = leavesOf(c.criteria);

    // bsperm vs the catalog SQL path / each other: expected identical
    for (const [label, list, X, Y] of [['bsperm_criteria_sql vs catalog SQL', dBD, B, D], ['bsperm_matches vs catalog SQL', dAD, A, D], ['bsperm_matches vs bsperm_criteria_sql', dAB, A, B]]) {
      for (const ref of list) {
        const leafInfo = [];
        for (const leaf of leaves) {
          const r = await bsQuery(pgA, 'SELECT bsperm_matches(entity, $2::jsonb) AS m FROM compat_entities WHERE ref = $1', [ref, JSON.stringify(leaf)]);
          const s = searchLeaf(leaf, ref);
          if (r.error || r.rows[0].m !== s) leafInfo.push(`${JSON.stringify(leaf)}: bsperm ${r.error ? r.error.message : r.rows[0].m}, catalog rows ${s}`);
        }
        stats.bspermVsCatalog.push({ label, id: c.id, criteria: c.criteria, ref, got: X.has(ref), other: Y.has(ref), leafInfo });
      }
    }

    // bsperm_matches vs Backstage apply(): categorise each disagreement
    const categorize = (list, map, X) => {
      for (const ref of list) {
        const e = entities[refIndex.get(ref)];
        const causes = [];
        let unexplainedLeaf = false;
        for (const leaf of leaves) {
          const ap = applyLeaf(leaf, e);
          const se = searchLeaf(leaf, ref);
          if (ap === se) continue;
          const why = explainLeaf(leaf, e, ap, se);
          if (why.length) causes.push(...why); else { unexplainedLeaf = true; causes.push(`UNEXPLAINED leaf ${JSON.stringify(leaf)} (apply ${ap}, search rows ${se})`); }
        }
        // the search-semantics evaluation must reproduce the other side exactly
        const bySearch = evalTree(c.criteria, leaf => searchLeaf(leaf, ref));
        if (bySearch !== X.has(ref)) { unexplainedLeaf = true; causes.push('UNEXPLAINED: bsperm differs from the catalog search rows'); }
        if (!causes.length) { unexplainedLeaf = true; causes.push('UNEXPLAINED: no leaf differs'); }
        const cat = [...new Set(causes)].sort().join(' + ');
        const entry = addCat(map, cat, c.id);
        if (!entry.byCriteria) entry.byCriteria = new Map();
        if (!entry.byCriteria.has(c.id)) entry.byCriteria.set(c.id, []);
        entry.byCriteria.get(c.id).push(`${ref}${X.has(ref) ? '' : ' (not)'}`);
        if (!entry.example) entry.example = { id: c.id, ref, criteria: c.criteria, apply: C.has(ref) };
        if (unexplainedLeaf && map === stats.categoriesAC) stats.unexplainedAC.push({ id: c.id, ref, criteria: c.criteria, bsperm: X.has(ref), apply: C.has(ref), cat });
      }
    };
    categorize(dAC, stats.categoriesAC, A);
    categorize(dCD, stats.categoriesCD, D);
    c.result = { A: A.size, B: B.size, C: C.size, D: D.size };
    if (c.expect) {
      const { scope, apply, sql } = c.expect;
      const got = X => scope.filter(r => X.has(r)).sort().join(',');
      const want = list => [...list].sort().join(',');
      for (const [label, X, w] of [['Backstage apply()', C, apply], ['catalog SQL path', D, sql], ['bsperm_matches', A, sql], ['bsperm_criteria_sql', B, sql]]) {
        if (got(X) !== want(w)) specFailures.push(`${c.id} ${label}: got [${got(X)}], spec says [${want(w)}]; criteria ${JSON.stringify(c.criteria)}`);
      }
    }
  }
  const critSecs = (Date.now() - tCrit) / 1000;

  // ---------------------------------------------------------------- report
  const nValid = stats.valid; const N = stats.decisions;
  say('');
  say(`== criteria: ${randomCriteria.length} generated (${randomCriteria.filter(x => x.intent === 'valid').length} intended valid, ${randomCriteria.filter(x => x.intent === 'invalid').length} intended invalid) + ${criteria.length - randomCriteria.length} fixed (spec §8.2 table, pinned invalid documents); ${nValid} accepted by both Backstage's catalog and bsperm, ${stats.invalid.total} rejected by at least one (${critSecs.toFixed(1)}s)`);
  const leafCount = {};
  for (const c of criteria) if (c.intent === 'valid') for (const l of leavesOf(c.criteria)) leafCount[l.rule] = (leafCount[l.rule] || 0) + 1;
  say(`  leaves by rule in valid criteria: ${Object.entries(leafCount).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  say(`  ${stats.criteriaMatchingSome}/${nValid} valid criteria match at least one entity; ${stats.matchedDecisions} of ${N} decisions are ALLOW (${pct(stats.matchedDecisions, N)}%)`);
  say('');
  say(`== agreement over ${nValid} valid criteria × ${refs.length} entities = ${N} decisions`);
  const row = (label, k) => say(`  ${label.padEnd(58)} ${pct(stats.pairs[k], N).padStart(9)}%  (${N - stats.pairs[k]} disagreements)`);
  row('bsperm_criteria_sql (toQuery path) vs catalog SQL path', 'B=D');
  row('bsperm_matches (apply path) vs catalog SQL path', 'A=D');
  row('bsperm_matches vs bsperm_criteria_sql', 'A=B');
  row('bsperm_matches vs Backstage apply()', 'A=C');
  row('(reference) Backstage apply() vs catalog SQL path', 'C=D');
  if (stats.applyErrors) say(`  note: Backstage apply() threw on ${stats.applyErrors} (criteria, entity) pairs of valid criteria`);

  const printCats = (title, map, full) => {
    say('');
    say(title);
    if (!map.size) say('  (none)');
    for (const [cat, v] of [...map.entries()].sort((x, y) => y[1].decisions - x[1].decisions)) {
      say(`  ${String(v.decisions).padStart(6)} decisions in ${String(v.criteria.size).padStart(4)} criteria: ${cat}`);
      if (v.example) say(`         e.g. ${v.example.id} on ${v.example.ref} (apply ${v.example.apply}): ${JSON.stringify(v.example.criteria).slice(0, 400)}`);
      if (full) for (const [id, list] of v.byCriteria) say(`         ${id}: ${list.join(', ')}`);
    }
  };
  printCats('== bsperm_matches vs Backstage apply(): every disagreement, by documented cause\n   (per criteria id — documents in compat-criteria.json — the entities where bsperm matches; "(not)": where apply() matches)', stats.categoriesAC, true);
  printCats('== (reference) Backstage apply() vs its own catalog SQL path, by cause', stats.categoriesCD);

  say('');
  say(`== bsperm vs the catalog SQL path and bsperm's paths against each other: ${stats.bspermVsCatalog.length} disagreements`);
  for (const d of stats.bspermVsCatalog.slice(0, MAX_PRINT)) {
    say(`  ${d.label}: ${d.id} on ${d.ref}: first ${d.got}, second ${d.other}; criteria ${JSON.stringify(d.criteria)}`);
    for (const l of d.leafInfo) say(`      leaf ${l}`);
  }
  if (stats.unexplainedAC.length) {
    say('');
    say(`== UNEXPLAINED bsperm_matches vs apply() disagreements: ${stats.unexplainedAC.length}`);
    for (const u of stats.unexplainedAC.slice(0, MAX_PRINT)) say(`  ${u.id} on ${u.ref}: bsperm ${u.bsperm}, apply ${u.apply}; ${u.cat}; criteria ${JSON.stringify(u.criteria)}`);
  }

  const inv = stats.invalid;
  say('');
  say(`== invalid criteria: ${inv.total} (rejected by bsperm and/or the catalog)`);
  say(`  rejected by both bsperm and the catalog SQL path: ${inv.bothReject}`);
  for (const [d, x] of [...inv.byDefect.entries()].sort()) say(`    ${d.padEnd(36)} ${x.n} (both reject: ${x.bothReject})`);
  say(`  bsperm SQLSTATEs: ${[...inv.sqlstates.entries()].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  for (const [cat, n] of inv.bspermOnlyDocumented) say(`  refused by bsperm only (documented): ${n} × ${cat}`);
  say(`  Backstage apply() (createConditionAuthorizer, which validates only the leaves it reaches, §5.7) on these documents:`);
  for (const [k, n] of [...inv.applyOutcomes.entries()].sort()) say(`    ${String(n).padStart(4)} × ${k}`);
  for (const x of inv.bspermAcceptsBackstageRejects) say(`  BSPERM ACCEPTS, CATALOG REJECTS ${x.c.id}: ${x.detail}; criteria ${JSON.stringify(x.c.criteria)}`);
  for (const x of inv.bspermRejectsBackstageAccepts) say(`  BSPERM REJECTS, CATALOG ACCEPTS ${x.c.id}: ${x.detail}; criteria ${JSON.stringify(x.c.criteria)}`);
  for (const x of inv.inconsistentBsperm) say(`  BSPERM ERROR NOT AS DOCUMENTED ${x.c.id}: ${x.detail}; criteria ${JSON.stringify(x.c.criteria)}`);

  // ---------------------------------------------------------------- checks
  say('');
  const documented = ['§5.1 IS_ENTITY_OWNER claim', '§5.1 ownership relation type', '§5.2', '§5.3', '§5.4'];
  const seen = documented.filter(d => [...stats.categoriesAC.keys()].some(k => k.includes(d)));
  check('at least 500 criteria generated', randomCriteria.length >= 500, `${randomCriteria.length} random + ${criteria.length - randomCriteria.length} fixed (${nValid} valid, ${inv.total} invalid)`);
  const nSpec = criteria.filter(x => x.expect).length;
  for (const f of specFailures) say(`  SPEC TABLE MISMATCH ${f}`);
  check(`spec §8.2 table: real Backstage apply()/SQL path and both bsperm paths give the recorded answers (${nSpec} cases)`, specFailures.length === 0, `${specFailures.length} mismatches`);
  check('SQL path: bsperm_criteria_sql agrees 100% with the catalog SQL path', stats.pairs['B=D'] === N, `${pct(stats.pairs['B=D'], N)}%`);
  check('SQL path: bsperm_matches agrees 100% with the catalog SQL path', stats.pairs['A=D'] === N, `${pct(stats.pairs['A=D'], N)}%`);
  check('bsperm internal: bsperm_matches and bsperm_criteria_sql agree 100%', stats.pairs['A=B'] === N, `${pct(stats.pairs['A=B'], N)}%`);
  check('apply path: every disagreement with Backstage apply() is a documented divergence', stats.unexplainedAC.length === 0,
    `${N - stats.pairs['A=C']} disagreements, ${stats.unexplainedAC.length} unexplained`);
  check('apply path: the generated catalog exercises every documented divergence (§5.1 ×2, §5.2, §5.3, §5.4)', seen.length === documented.length,
    `seen: ${seen.join(', ') || 'none'}`);
  check('invalid criteria: every criteria the catalog rejects is rejected by bsperm', inv.bspermAcceptsBackstageRejects.length === 0,
    `${inv.bothReject} rejected by both, ${inv.bspermAcceptsBackstageRejects.length} accepted by bsperm only`);
  check('invalid criteria: bsperm refuses only what the catalog refuses, or documented cases (ambiguous nodes, limits)', inv.bspermRejectsBackstageAccepts.length === 0,
    `${[...inv.bspermOnlyDocumented.values()].reduce((x, y) => x + y, 0)} documented, ${inv.bspermRejectsBackstageAccepts.length} other`);
  check('invalid criteria: bsperm_validate_criteria, bsperm_matches and bsperm_criteria_sql all raise the same documented SQLSTATE (22023/42704/54000)', inv.inconsistentBsperm.length === 0,
    `${inv.inconsistentBsperm.length} not so`);
  check('invalid criteria: some are present (≥ 5% of all)', inv.total >= criteria.length * 0.05, `${inv.total}`);

  // ---------------------------------------------------------------- custom rules (issue 10)
  await customRules.run({ bs, conn, recreate, drop, check, say, keep: KEEP, seed: SEED + 2 });

  // ---------------------------------------------------------------- files
  const figures = {
    seed: SEED, generatedAt: new Date().toISOString(), bspermVersion: extVersion,
    packages: Object.fromEntries(pkgs.map(p => [p, require(path.join(__dirname, 'node_modules', p, 'package.json')).version])),
    entities: refs.length, kinds: kindCounts, searchRows: searchRows.length, criteria: criteria.length, valid: nValid, invalid: inv.total, decisions: N,
    agreement: Object.fromEntries(Object.entries(stats.pairs).map(([k, n]) => [k, { agree: n, disagree: N - n, percent: Number(pct(n, N)) }])),
    flattening: { identical: flatSame, entities: refs.length, catalogEqualsBuildEntitySearch: buildSame },
    applyCategories: Object.fromEntries([...stats.categoriesAC.entries()].map(([k, v]) => [k, { decisions: v.decisions, criteria: v.criteria.size }])),
    backstageOwnCategories: Object.fromEntries([...stats.categoriesCD.entries()].map(([k, v]) => [k, { decisions: v.decisions, criteria: v.criteria.size }])),
    invalidCriteria: { total: inv.total, bothReject: inv.bothReject, bspermOnlyDocumented: Object.fromEntries(inv.bspermOnlyDocumented), sqlstates: Object.fromEntries(inv.sqlstates), byDefect: Object.fromEntries(inv.byDefect), applyOutcomes: Object.fromEntries(inv.applyOutcomes) },
    checks, seconds: (Date.now() - t0) / 1000,
  };
  fs.writeFileSync(path.join(OUT_DIR, 'compat-figures.json'), JSON.stringify(figures, null, 2));
  fs.writeFileSync(path.join(OUT_DIR, 'compat-criteria.json'), JSON.stringify(criteria, null, 1));
  say(`runtime ${figures.seconds.toFixed(1)}s; report written to ${path.relative(process.cwd(), OUT_DIR) || '.'}/compat-report.txt, compat-figures.json, compat-criteria.json`);
  fs.writeFileSync(path.join(OUT_DIR, 'compat-report.txt'), `${lines.join('\n')}\n`);

  await sqlPath.close();
  await knex.destroy();
  await pgA.end();
  await pgB.end();
  if (!KEEP) { await drop(BP_DB); await drop(BS_DB); }
}

main().then(() => {
  const p = checks.filter(c => c.ok).length; const f = checks.length - p;
  console.log(`# suite compat: ${p} passed, ${f} failed`);
  process.exit(f ? 1 : 0);
}).catch(e => {
  console.error(e && e.stack ? e.stack : e);
  const p = checks.filter(c => c.ok).length; const f = checks.length - p + 1;
  console.log(`COMPAT SUITE ERROR: ${e && e.message}`);
  console.log(`# suite compat: ${p} passed, ${f} failed`);
  process.exit(1);
});
