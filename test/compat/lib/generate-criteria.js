'use strict';
// Random permission criteria trees (depth ≤ 4) over the catalog's six rules,
// with parameters drawn from the values the generated catalog really holds
// (so that many match), in mixed case, plus ~10% invalid documents.

const { makeRng } = require('./rng');

const RT = 'catalog-entity';

// Leaf paths of an object as HAS_METADATA / HAS_SPEC keys: dotted, arrays
// traversed without indices, plus "<path>.<item>" for string array items.
function leafPaths(obj, prefix, out) {
  const visit = (p, v) => {
    if (v === null || typeof v !== 'object') { out.push([p, v]); return; }
    if (Array.isArray(v)) {
      for (const item of v) {
        visit(p, item);
        if (typeof item === 'string') out.push([`${p}.${item}`, true]);
      }
      return;
    }
    out.push([p, undefined]); // an object-valued key: present in the entity, never in the search rows
    for (const [k, c] of Object.entries(v)) visit(p ? `${p}.${k}` : k, c);
  };
  visit(prefix, obj);
  return out;
}

function buildPools(entities) {
  const kinds = new Set();
  const owners = new Set();
  const claimsOfUsers = [];
  const annotations = [];
  const labels = [];
  const metadata = [];
  const spec = [];
  for (const e of entities) {
    if (!e) continue;
    kinds.add(e.kind);
    for (const r of e.relations || []) if (r.type.toLowerCase() === 'ownedby') owners.add(r.targetRef);
    if (e.kind === 'User') {
      const ns = (e.metadata.namespace || 'default').toLowerCase();
      claimsOfUsers.push([`user:${ns}/${e.metadata.name.toLowerCase()}`,
        ...(e.relations || []).filter(r => r.type === 'memberOf' && r.targetRef.startsWith('group:')).map(r => r.targetRef)]);
    }
    for (const [k, v] of Object.entries(e.metadata.annotations || {})) annotations.push([k, v]);
    for (const [k, v] of Object.entries(e.metadata.labels || {})) labels.push([k, v]);
    leafPaths(e.metadata, '', metadata);
    if (e.spec) leafPaths(e.spec, '', spec);
  }
  const dedup = arr => [...new Map(arr.map(x => [JSON.stringify(x), x])).values()];
  // the pairs where the catalog's storage rules matter: keys and values around
  // the 200-unit limits, U+0001, non-ASCII, numbers in exponent form
  const special = ([k, v]) => k.length > 160 || (typeof v === 'string' && (v.toLowerCase().length > 180 || v === '\u0001' || /[^\x00-\x7f]/.test(v)))
    || (typeof v === 'number' && /e/.test(String(v)));
  const pools = {
    kinds: [...kinds], owners: [...owners], claimsOfUsers,
    annotations: dedup(annotations), labels: dedup(labels),
    metadata: dedup(metadata.filter(([p]) => p)), spec: dedup(spec.filter(([p]) => p)),
  };
  for (const k of ['annotations', 'labels', 'metadata', 'spec']) {
    pools[`${k}Special`] = pools[k].filter(special);
    pools[`${k}Sentinel`] = pools[k].filter(([, v]) => v === '\u0001');
  }
  return pools;
}

function generateCriteria(seed, entities, { count = 560, invalidShare = 0.1 } = {}) {
  const rng = makeRng(seed);
  const P = buildPools(entities);

  const mixCase = s => {
    const m = rng.int(0, 2);
    if (m === 0) return s.toUpperCase();
    if (m === 1) return s.replace(/(^|[-._/:])([a-z])/g, (x, p, c) => p + c.toUpperCase());
    return s.split('').map(c => (rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
  };
  const caseVariant = s => (rng.chance(0.7) ? s : mixCase(s));
  const strOf = v => (v === undefined ? rng.pick(['x', 'true', '']) : v === null ? 'null' : String(v));
  const valueParam = (v) => {
    const r = rng.next();
    if (r < 0.55) return strOf(v);
    if (r < 0.8) return mixCase(strOf(v));
    if (r < 0.9) return rng.pick(['', 'true', 'null', 'production', 'Gold', 'i\u0307stanbul', 'istanbul', 'οδος', 'οδοσ', '1e+21', '3', 'yes']);
    return `nope-${rng.int(0, 99)}`;
  };
  const extra = () => (rng.chance(0.04) ? { extra: rng.pick([1, 'x', null, ['y']]) } : {});
  const rt = () => (rng.chance(0.03) ? rng.pick(['WRONG-TYPE', 'catalog-entity ', 'Catalog-Entity']) : RT);

  const leafMakers = {
    IS_ENTITY_OWNER: () => {
      const claims = [];
      const n = rng.chance(0.05) ? 0 : rng.int(1, 4);
      if (rng.chance(0.3) && P.claimsOfUsers.length) claims.push(...rng.pick(P.claimsOfUsers)); // a user's default claims
      while (claims.length < n) {
        const o = rng.pick(P.owners);
        const r = rng.next();
        if (r < 0.65) claims.push(o);
        else if (r < 0.85) claims.push(mixCase(o)); // §5.1: apply is case-sensitive
        else if (r < 0.93) claims.push(o.split('/').pop()); // short ref: never matches
        else claims.push(`group:default/unknown-${rng.int(0, 9)}`);
      }
      return { claims };
    },
    IS_ENTITY_KIND: () => ({
      kinds: rng.chance(0.05) ? [] : Array.from({ length: rng.int(1, 3) }, () => (rng.chance(0.9) ? caseVariant(rng.pick(P.kinds)) : rng.pick(['Location', 'nope', 'componen']))),
    }),
    HAS_ANNOTATION: () => {
      const [k, v] = pickPair('annotations');
      const p = { annotation: rng.chance(0.9) ? caseVariant(k) : `example.com/missing-${rng.int(0, 9)}` };
      if (rng.chance(0.55)) p.value = valueParam(v);
      return p;
    },
    HAS_LABEL: () => {
      const [k, v] = pickPair('labels');
      const p = { label: rng.chance(0.9) ? caseVariant(k) : 'nope' };
      if (rng.chance(0.55)) p.value = valueParam(v);
      return p;
    },
    HAS_METADATA: () => {
      const [k, v] = pickPair('metadata');
      const p = { key: rng.chance(0.92) ? caseVariant(k) : rng.pick(['etag', 'uid', 'namespace', 'relations', 'annotations', 'links']) };
      if (rng.chance(0.6)) p.value = valueParam(v);
      return p;
    },
    HAS_SPEC: () => {
      const [k, v] = pickPair('spec');
      const p = { key: rng.chance(0.95) ? caseVariant(k) : 'nope.nothing' };
      if (rng.chance(0.6)) p.value = valueParam(v);
      return p;
    },
  };
  const pickPair = (name) => {
    if (rng.chance(0.04) && P[`${name}Sentinel`].length) return rng.pick(P[`${name}Sentinel`]);
    if (rng.chance(0.25) && P[`${name}Special`].length) return rng.pick(P[`${name}Special`]);
    return rng.pick(P[name]);
  };
  const RULE_NAMES = Object.keys(leafMakers);
  const leaf = () => {
    const rule = rng.pick(RULE_NAMES);
    return { rule, resourceType: rt(), params: { ...leafMakers[rule](), ...extra() } };
  };
  const tree = (depth, maxDepth) => {
    if (depth >= maxDepth || rng.chance(depth === 1 ? 0.15 : 0.45)) return leaf();
    const r = rng.next();
    if (r < 0.2) return { not: tree(depth + 1, maxDepth) };
    const kids = Array.from({ length: rng.int(1, 4) }, () => tree(depth + 1, maxDepth));
    return r < 0.6 ? { allOf: kids } : { anyOf: kids };
  };

  // defects (each makes the document invalid for the catalog or for bsperm)
  const defects = {
    unknown_rule: () => ({ rule: rng.pick(['IS_ENTITY_OWNR', 'is_entity_kind', 'HAS_TAG', '', 'HAS_ANNOTATIONS']), resourceType: RT, params: { kinds: ['component'] } }),
    bad_params_type: () => rng.pick([
      { rule: 'IS_ENTITY_OWNER', resourceType: RT, params: { claims: 'group:default/team-a' } },
      { rule: 'IS_ENTITY_KIND', resourceType: RT, params: { kinds: [1, 'component'] } },
      { rule: 'HAS_ANNOTATION', resourceType: RT, params: { annotation: 3 } },
      { rule: 'HAS_LABEL', resourceType: RT, params: { label: 'tier', value: null } },
      { rule: 'HAS_SPEC', resourceType: RT, params: { key: 'replicas', value: 3 } },
      { rule: 'HAS_METADATA', resourceType: RT, params: { key: ['name'] } },
    ]),
    missing_params: () => rng.pick([
      { rule: 'IS_ENTITY_KIND', resourceType: RT },
      { rule: 'IS_ENTITY_OWNER', resourceType: RT, params: {} },
      { rule: 'HAS_ANNOTATION', resourceType: RT, params: { value: 'x' } },
      { rule: 'HAS_SPEC', resourceType: RT, params: { value: 'x' } },
    ]),
    params_not_object: () => ({ rule: 'IS_ENTITY_KIND', resourceType: RT, params: rng.pick([[], null, 'component']) }),
    empty_list: () => (rng.chance(0.5) ? { anyOf: [] } : { allOf: [] }),
    ambiguous_node: () => rng.pick([
      { ...leaf(), anyOf: [leaf()] },
      { allOf: [leaf()], anyOf: [leaf()] },
      { not: leaf(), ...leaf() },
      { allOf: [leaf()], not: leaf() },
    ]),
    leaf_without_resource_type: () => { const l = leaf(); delete l.resourceType; return l; },
    node_not_object: () => rng.pick(['IS_ENTITY_KIND', 3, null, [leaf()]]),
    list_not_array: () => rng.pick([{ anyOf: leaf() }, { allOf: 'x' }, { not: [leaf()] }]),
    rule_not_string: () => ({ rule: rng.pick([3, null, ['IS_ENTITY_KIND']]), resourceType: RT, params: { kinds: ['component'] } }),
  };
  const DEFECTS = Object.keys(defects);
  // replace one random node of a tree by a defect (also at the root)
  const inject = (t, defect) => {
    const nodes = [];
    const walk = (node, parent, key) => {
      nodes.push([parent, key]);
      if (node.allOf) node.allOf.forEach((c, i) => walk(c, node.allOf, i));
      else if (node.anyOf) node.anyOf.forEach((c, i) => walk(c, node.anyOf, i));
      else if (node.not) walk(node.not, node, 'not');
    };
    walk(t, null, null);
    const [parent, key] = rng.pick(nodes);
    if (parent === null) return defect;
    parent[key] = defect;
    return t;
  };

  const out = [];
  let invalidSeen = 0;
  for (let i = 0; i < count; i++) {
    const maxDepth = rng.int(1, 4);
    if (i % Math.round(1 / invalidShare) === Math.round(1 / invalidShare) - 1) { // every 10th document
      const kind = DEFECTS[invalidSeen++ % DEFECTS.length];
      out.push({ id: `c${i}`, intent: 'invalid', defect: kind, criteria: inject(tree(1, maxDepth), defects[kind]()) });
    } else {
      out.push({ id: `c${i}`, intent: 'valid', criteria: tree(1, maxDepth) });
    }
  }
  // beyond bsperm's default depth limit (64): valid for Backstage
  let deep = leaf();
  for (let d = 1; d < 70; d++) deep = rng.chance(0.5) ? { not: deep } : { allOf: [deep] };
  out.push({ id: `c${count}`, intent: 'invalid', defect: 'bsperm_limit', criteria: deep });
  return out;
}

module.exports = { generateCriteria, buildPools };
