'use strict';
// Generates a realistic, deterministic Backstage catalog: Users, Groups,
// Components, APIs, Systems, Domains, Resources, Templates and Locations, with
// the awkward values that matter for permission matching (mixed case,
// non-ASCII, values and keys around the catalog's 200-unit limits, numbers in
// JavaScript spelling, booleans, nulls, empty strings, nested objects, arrays
// of objects, U+0001).  Entities are written as a user would write them in
// catalog-info.yaml; relations are NOT written here: the real catalog
// processor computes them from spec fields at ingestion (backstage.js).

const { makeRng } = require('./rng');

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'orion', 'nova', 'atlas', 'zephyr', 'quartz', 'ember',
  'falcon', 'harbor', 'ivory', 'jade', 'kite', 'lumen', 'maple', 'nimbus', 'onyx', 'pixel', 'quill', 'raven',
  'sierra', 'tango', 'umbra', 'vertex', 'willow', 'xenon', 'yukon', 'zenith'];
const FIRST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory',
  'niaj', 'olivia', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter', 'zoe', 'ines', 'omer', 'anil'];
const LAST = ['smith', 'ince', 'oezdemir', 'papadopoulos', 'mueller', 'tanaka', 'garcia', 'nguyen', 'kowalski',
  'dubois', 'rossi', 'larsen'];
const NAMESPACES = ['default', 'default', 'default', 'default', 'default', 'default', 'ops', 'payments-eu'];
const NON_ASCII = ['İstanbul', 'ΟΔΟΣ', 'Σίσυφος', 'Straße', 'Zoë İnce', 'Ærøskøbing', '東京 Tokyo', '🚀 Launch',
  'naïve café', 'KELVIN \u212A', 'ǅemal', 'ΣΑΣ', 'Ῥόδος', 'ﬁle', 'ÇIĞ', 'Ωmega'];
const TAGS = ['java', 'python', 'go', 'typescript', 'c++', 'c#', 'kafka', 'grpc', 'postgres', 'team:payments',
  'db', 'frontend', 'backend', 'ml'];
const LIFECYCLES = ['production', 'experimental', 'deprecated', 'Production', 'EXPERIMENTAL'];

// Capitalise some letters of s (names, refs and values are case-preserving).
function mixCase(rng, s) {
  const mode = rng.int(0, 3);
  if (mode === 0) return s;
  if (mode === 1) return s.toUpperCase();
  if (mode === 2) return s.replace(/(^|[-._/:])([a-z])/g, (m, p, c) => p + c.toUpperCase());
  return s.split('').map(c => (rng.chance(0.5) ? c.toUpperCase() : c)).join('');
}

function longKey(prefixLetters, tailLen, name) {
  // a{63}.b{63}.c{tailLen}/name: a valid annotation/label key of 128+tailLen+1+name chars
  const [a, b, c] = prefixLetters;
  return `${a.repeat(63)}.${b.repeat(63)}.${c.repeat(tailLen)}/${name}`;
}

function generateEntities(seed, options = {}) {
  const rng = makeRng(seed);
  const counts = Object.assign({
    Group: 160, User: 520, Component: 700, API: 260, System: 110, Domain: 30, Resource: 160, Template: 90,
    Location: 12,
  }, options.counts || {});
  const out = [];
  const usedRefs = new Set();
  const add = (entity, extra = {}) => {
    const ns = (entity.metadata.namespace || 'default').toLowerCase();
    const ref = `${entity.kind.toLowerCase()}:${ns}/${entity.metadata.name.toLowerCase()}`;
    if (usedRefs.has(ref)) return false;
    usedRefs.add(ref);
    out.push(Object.assign({ uid: rng.uuid(), entity, raw: false, orphan: false, extraRelations: [] }, extra));
    return true;
  };
  const nsOf = () => rng.pick(NAMESPACES);

  // ---- shared metadata decorations
  const repoName = () => `${rng.pick(WORDS)}-${rng.pick(WORDS)}-${rng.int(1, 99)}`;
  const annotations = (kindish) => {
    const a = {};
    const repo = repoName();
    a['backstage.io/managed-by-location'] = `url:https://github.com/acme/${repo}/blob/main/catalog-info.yaml`;
    a['backstage.io/managed-by-origin-location'] = `url:https://github.com/acme/${rng.pick(['Catalog', 'catalog'])}/blob/main/all.yaml`;
    if (rng.chance(0.5)) a['github.com/project-slug'] = `acme/${mixCase(rng, repo)}`;
    if (rng.chance(0.4)) a['backstage.io/techdocs-ref'] = rng.pick(['dir:.', 'url:https://github.com/acme/docs', 'dir:./Docs']);
    if (rng.chance(0.3)) a['backstage.io/source-location'] = `url:https://github.com/acme/${repo}/tree/main/`;
    if (rng.chance(0.35)) a['example.com/Flag'] = rng.pick(['Yes', 'yes', 'YES', 'no', '', 'True']);
    if (rng.chance(0.1)) a['example.com/empty'] = '';
    if (rng.chance(0.25)) a['example.com/city'] = rng.pick(NON_ASCII);
    if (rng.chance(0.1)) a['example.com/word'] = rng.pick(['ΟΔΟΣ', 'ΣΑΣ', 'Σίσυφος', 'οδος']);
    if (rng.chance(0.2)) a['pagerduty.com/service-id'] = `P${rng.int(100000, 999999)}${rng.pick(['AB', 'xy', 'Qz'])}`;
    if (rng.chance(0.15)) a['jira.com/project-key'] = rng.pick(['PAY', 'pay', 'Ops', 'ML']);
    // values straddling the 200-unit limit (after JS lowercasing, in UTF-16 units)
    if (rng.chance(0.15)) a['example.com/long'] = 'https://example.com/' + 'x'.repeat(rng.int(170, 240));
    if (rng.chance(0.05)) a['example.com/emoji'] = '🚀'.repeat(rng.int(96, 104)); // 2 units each
    if (rng.chance(0.05)) a['example.com/dotted-i'] = 'İ'.repeat(rng.int(2, 6)) + 'x'.repeat(rng.int(190, 196)); // İ lowercases to 2 units
    if (rng.chance(0.04)) a['example.com/Mixed-Case'] = rng.pick(['MiXeD VaLuE', 'mixed value', 'MIXED VALUE']);
    // keys straddling the limit: search key is "metadata.annotations." (21) + key
    if (rng.chance(0.06)) a[longKey('abc', rng.int(44, 56), rng.pick(['flag', 'Flag']))] = rng.pick(['v', 'V', 'on']);
    // the PostgreSQL sentinel value, rarely
    if (rng.chance(0.006)) a['example.com/soh'] = '\u0001';
    if (kindish === 'Component' && rng.chance(0.05)) a['backstage.io/view-url'] = `https://github.com/acme/${repo}`;
    return a;
  };
  const labels = () => {
    const l = {};
    if (rng.chance(0.5)) l.tier = rng.pick(['Gold', 'gold', 'silver', 'BRONZE']);
    if (rng.chance(0.3)) l['example.com/Env'] = rng.pick(['PROD', 'prod', 'staging', 'Dev']);
    if (rng.chance(0.05)) l['example.com/blank'] = '';
    if (rng.chance(0.2)) l['cost-center'] = `CC-${rng.int(100, 130)}`;
    // label search key is "metadata.labels." (16) + key
    if (rng.chance(0.04)) l[longKey('lmn', rng.int(50, 62), 'tier')] = rng.pick(['gold', 'Gold']);
    return l;
  };
  const decorate = (e, kindish) => {
    if (rng.chance(0.6)) e.metadata.title = rng.chance(0.2) ? rng.pick(NON_ASCII) : mixCase(rng, `${rng.pick(WORDS)} ${rng.pick(WORDS)}`);
    if (rng.chance(0.5)) {
      e.metadata.description = rng.chance(0.2)
        ? `${rng.pick(NON_ASCII)} ` + 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(rng.int(3, 6))
        : `The ${rng.pick(WORDS)} ${kindish.toLowerCase()}`;
    }
    const a = annotations(kindish);
    if (Object.keys(a).length) e.metadata.annotations = a;
    const l = labels();
    if (Object.keys(l).length || rng.chance(0.05)) e.metadata.labels = l;
    if (rng.chance(0.6)) e.metadata.tags = rng.pickN(TAGS, rng.int(0, 4));
    if (rng.chance(0.4)) {
      e.metadata.links = Array.from({ length: rng.int(1, 3) }, () => ({
        url: `https://${rng.pick(WORDS)}.example.com/${rng.pick(['docs', 'Runbook', 'd/x?y=1'])}`,
        title: rng.pick(['Docs', 'docs', 'Runbook', 'Dashboard 📈', 'Grafana', 'İzleme']),
        ...(rng.chance(0.5) && { icon: rng.pick(['docs', 'dashboard', 'alert']) }),
        ...(rng.chance(0.3) && { type: rng.pick(['runbook', 'dashboard']) }),
      }));
    }
    return e;
  };
  const specExtras = (spec) => {
    if (rng.chance(0.3)) spec.replicas = rng.int(0, 12);
    if (rng.chance(0.15)) spec.ratio = rng.pick([1.5, 0.25, 2, 0.1 + 0.2, -3.75]);
    if (rng.chance(0.08)) spec.big = rng.pick([1e21, 1.2345678901234568e+20, 1e300, 123456789012]);
    if (rng.chance(0.06)) spec.tiny = rng.pick([1e-7, 5e-324, 0.000001, 1.5e-10]);
    if (rng.chance(0.2)) spec.enabled = rng.chance(0.5);
    if (rng.chance(0.1)) spec.nothing = null;
    if (rng.chance(0.1)) spec.emptyStr = '';
    if (rng.chance(0.15)) spec.nested = { deep: { key: mixCase(rng, rng.pick(WORDS)), n: rng.int(1, 5) }, empty: {} };
    if (rng.chance(0.06)) spec['dotted.key'] = rng.pick(['DK', 'dk']);
    if (rng.chance(0.1)) spec.list = [['a', 'B'], { x: rng.int(1, 3) }, 'c', 7, null, true, []];
    if (rng.chance(0.1)) spec.CamelKey = mixCase(rng, 'camel');
    if (rng.chance(0.1)) spec.ports = [8080, rng.pick([8443, 9090])];
    if (rng.chance(0.1)) {
      spec.env = [{ name: 'LOG_LEVEL', value: rng.pick(['Debug', 'info']) }, { name: 'REGION', value: rng.pick(['eu-west-1', 'EU-WEST-1']) }];
    }
    if (rng.chance(0.05)) spec['città'] = rng.pick(NON_ASCII);
    if (rng.chance(0.05)) spec['ÇITY'] = rng.pick(['Roma', 'ROMA']);
    if (rng.chance(0.04)) spec.blob = 'y'.repeat(rng.int(195, 205));
    if (rng.chance(0.004)) spec.k = '\u0001';
    if (rng.chance(0.05)) spec.aliases = ['Foo', 'foo', 'FOO', 'İd', 'ΣΑΣ']; // array-item keys deduplicated after lowercasing
    if (rng.chance(0.05)) spec['İl'] = rng.pick(['Ankara', 'İZMİR']); // key that grows when lowercased
    if (rng.chance(0.05)) spec['display name'] = rng.pick(['Tab\there', 'two\nlines', ' padded ', '%_\\']);
    if (rng.chance(0.04)) spec.mixed = [1, 'One', true, null, 2.5, { deep: ['X', 'y'] }, [[['Z']]]];
    return spec;
  };

  // ---- groups
  const groups = [];
  for (let i = 0; i < counts.Group; i++) {
    const ns = i < 20 ? nsOf() : 'default';
    const name = mixCase(rng, `team-${rng.pick(WORDS)}-${i}`);
    const e = decorate({
      apiVersion: 'backstage.io/v1alpha1', kind: 'Group',
      metadata: { name, namespace: ns },
      spec: {
        type: rng.pick(['team', 'department', 'Business-Unit']),
        profile: { displayName: rng.chance(0.3) ? rng.pick(NON_ASCII) : mixCase(rng, name.replace(/-/g, ' ')), ...(rng.chance(0.5) && { email: `${name.toLowerCase()}@acme.example` }) },
        children: [],
      },
    }, 'Group');
    if (add(e)) groups.push(e);
  }
  // hierarchy: parents by name (same namespace), as users write it
  for (let i = 10; i < groups.length; i++) {
    if (rng.chance(0.7)) {
      const p = groups[rng.int(0, Math.min(i - 1, 30))];
      if ((p.metadata.namespace || 'default') === (groups[i].metadata.namespace || 'default')) {
        groups[i].spec.parent = rng.chance(0.5) ? p.metadata.name : `group:${p.metadata.name.toLowerCase()}`;
      }
    }
  }

  // ---- users
  const users = [];
  for (let i = 0; i < counts.User; i++) {
    const name = mixCase(rng, `${rng.pick(FIRST)}.${rng.pick(LAST)}${i}`);
    const memberOf = rng.pickN(groups.filter(g => g.metadata.namespace === 'default'), rng.int(0, 3)).map(g => {
      const form = rng.int(0, 3);
      if (form === 0) return g.metadata.name; // as written, any case
      if (form === 1) return g.metadata.name.toLowerCase();
      if (form === 2) return `group:default/${g.metadata.name}`;
      return `Group:${g.metadata.name}`;
    });
    const e = decorate({
      apiVersion: 'backstage.io/v1alpha1', kind: 'User',
      metadata: { name, namespace: 'default' },
      spec: {
        profile: {
          displayName: rng.chance(0.3) ? rng.pick(NON_ASCII) : name.replace('.', ' '),
          email: `${name}@Acme.example`,
          ...(rng.chance(0.2) && { picture: `https://avatars.example.com/${'p'.repeat(rng.int(150, 200))}.png` }),
        },
        memberOf,
      },
    }, 'User');
    if (add(e)) users.push(e);
  }
  // some groups list their members (reverse edges come from the processor)
  for (const g of groups) {
    if (g.metadata.namespace === 'default' && rng.chance(0.3)) {
      g.spec.members = rng.pickN(users, rng.int(1, 4)).map(u => (rng.chance(0.5) ? u.metadata.name : `user:default/${u.metadata.name}`));
    }
  }

  // owners as users write spec.owner
  const ownerOf = (ns) => {
    const r = rng.next();
    const g = rng.pick(groups);
    const gns = g.metadata.namespace || 'default';
    if (r < 0.55) return gns === ns ? rng.pick([g.metadata.name, g.metadata.name.toLowerCase(), mixCase(rng, g.metadata.name)]) : `${gns}/${g.metadata.name}`;
    if (r < 0.75) return `group:${gns}/${rng.chance(0.5) ? g.metadata.name : g.metadata.name.toUpperCase()}`;
    if (r < 0.9) {
      const u = rng.pick(users);
      return rng.pick([`user:${u.metadata.name}`, `user:default/${u.metadata.name.toLowerCase()}`, `User:default/${u.metadata.name}`]);
    }
    return rng.pick(['team-ghost', 'group:default/Nobody-Team', `group:ops/team-${rng.pick(WORDS)}-x`]); // dangling
  };

  // ---- domains, systems
  const domains = [];
  for (let i = 0; i < counts.Domain; i++) {
    const ns = nsOf();
    const e = decorate({ apiVersion: 'backstage.io/v1alpha1', kind: 'Domain', metadata: { name: mixCase(rng, `${rng.pick(WORDS)}-domain-${i}`), namespace: ns }, spec: { owner: ownerOf(ns) } }, 'Domain');
    if (i > 5 && rng.chance(0.3)) e.spec.subdomainOf = domains[rng.int(0, 5)].metadata.name;
    if (add(e)) domains.push(e);
  }
  const systems = [];
  for (let i = 0; i < counts.System; i++) {
    const ns = nsOf();
    const e = decorate({ apiVersion: 'backstage.io/v1alpha1', kind: 'System', metadata: { name: mixCase(rng, `${rng.pick(WORDS)}-system-${i}`), namespace: ns }, spec: { owner: ownerOf(ns) } }, 'System');
    const d = domains.filter(x => x.metadata.namespace === ns);
    if (d.length && rng.chance(0.8)) e.spec.domain = rng.pick(d).metadata.name;
    if (add(e)) systems.push(e);
  }
  const systemIn = ns => {
    const s = systems.filter(x => x.metadata.namespace === ns);
    return s.length && rng.chance(0.8) ? rng.pick(s).metadata.name : undefined;
  };

  // ---- resources
  const resources = [];
  for (let i = 0; i < counts.Resource; i++) {
    const ns = nsOf();
    const e = decorate({
      apiVersion: 'backstage.io/v1alpha1', kind: 'Resource',
      metadata: { name: mixCase(rng, `${rng.pick(['db', 'bucket', 'queue', 'cache'])}-${rng.pick(WORDS)}-${i}`), namespace: ns },
      spec: specExtras({ type: rng.pick(['database', 'S3-Bucket', 'queue', 'cache']), owner: ownerOf(ns) }),
    }, 'Resource');
    const sys = systemIn(ns);
    if (sys) e.spec.system = sys;
    if (add(e)) resources.push(e);
  }

  // ---- APIs
  const apis = [];
  const openapi = n => `openapi: 3.0.0\ninfo:\n  title: ${n}\n  version: 1.0.${rng.int(0, 9)}\npaths:\n` +
    Array.from({ length: rng.int(1, 6) }, (_, k) => `  /v1/${rng.pick(WORDS)}/${k}:\n    get:\n      summary: List ${rng.pick(WORDS)}\n`).join('');
  for (let i = 0; i < counts.API; i++) {
    const ns = nsOf();
    const name = mixCase(rng, `${rng.pick(WORDS)}-api-${i}`);
    const e = decorate({
      apiVersion: 'backstage.io/v1alpha1', kind: 'API',
      metadata: { name, namespace: ns },
      spec: { type: rng.pick(['openapi', 'grpc', 'AsyncAPI', 'graphql']), lifecycle: rng.pick(LIFECYCLES), owner: ownerOf(ns), definition: rng.chance(0.2) ? 'syntax = "proto3";' : openapi(name) },
    }, 'API');
    const sys = systemIn(ns);
    if (sys) e.spec.system = sys;
    if (add(e)) apis.push(e);
  }

  // ---- components
  const components = [];
  for (let i = 0; i < counts.Component; i++) {
    const ns = nsOf();
    const e = decorate({
      apiVersion: 'backstage.io/v1alpha1', kind: 'Component',
      metadata: { name: mixCase(rng, `${rng.pick(WORDS)}-${rng.pick(['svc', 'web', 'lib', 'worker'])}-${i}`), namespace: ns },
      spec: specExtras({ type: rng.pick(['service', 'website', 'library', 'Service']), lifecycle: rng.pick(LIFECYCLES), owner: ownerOf(ns) }),
    }, 'Component');
    const sys = systemIn(ns);
    if (sys) e.spec.system = sys;
    const nsApis = apis.filter(a => a.metadata.namespace === ns);
    if (nsApis.length && rng.chance(0.4)) e.spec.providesApis = rng.pickN(nsApis, rng.int(1, 2)).map(a => a.metadata.name);
    if (rng.chance(0.4)) e.spec.consumesApis = rng.pickN(apis, rng.int(1, 3)).map(a => `api:${a.metadata.namespace}/${a.metadata.name}`);
    if (rng.chance(0.3)) e.spec.dependsOn = rng.pickN(resources, rng.int(1, 2)).map(r => `resource:${r.metadata.namespace}/${r.metadata.name}`);
    if (components.length > 5 && rng.chance(0.05)) {
      const parent = rng.pick(components.filter(c => c.metadata.namespace === ns).concat([]));
      if (parent) e.spec.subcomponentOf = parent.metadata.name;
    }
    if (add(e)) components.push(e);
  }

  // ---- templates (scaffolder kind)
  for (let i = 0; i < counts.Template; i++) {
    const ns = 'default';
    const e = decorate({
      apiVersion: 'scaffolder.backstage.io/v1beta3', kind: 'Template',
      metadata: { name: mixCase(rng, `${rng.pick(WORDS)}-template-${i}`), namespace: ns },
      spec: {
        owner: ownerOf(ns), type: rng.pick(['service', 'website', 'Documentation']),
        parameters: [{ title: rng.pick(['Fill in some steps', 'Grundeinstellungen', 'Paramètres']), required: ['name'],
          properties: { name: { title: 'Name', type: 'string', description: 'Unique name of the component' }, owner: { title: 'Owner', type: 'string', 'ui:field': 'OwnerPicker' } } }],
        steps: [
          { id: 'fetch', name: 'Fetch Base', action: 'fetch:template', input: { url: './skeleton', values: { name: '${{ parameters.name }}' } } },
          { id: 'publish', name: 'Publish', action: rng.pick(['publish:github', 'publish:gitlab']), input: { repoUrl: 'github.com?repo=x&owner=Acme', allowedHosts: ['github.com'] } },
        ],
        output: { links: [{ title: 'Repository', url: '${{ steps.publish.output.remoteUrl }}' }] },
      },
    }, 'Template');
    add(e);
  }

  // ---- locations
  for (let i = 0; i < counts.Location; i++) {
    add({
      apiVersion: 'backstage.io/v1alpha1', kind: 'Location',
      metadata: { name: `generated-${i}`, namespace: 'default', annotations: { 'backstage.io/managed-by-location': 'bootstrap:bootstrap' } },
      spec: { type: 'url', targets: Array.from({ length: rng.int(1, 4) }, () => `https://github.com/acme/${repoName()}/blob/main/catalog-info.yaml`) },
    });
  }

  // ---- the spec's fixture entities (§8.1), verbatim apart from processing
  const x230 = 'x'.repeat(230);
  const longAnn = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(50)}/flag`;
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'svc-a', namespace: 'default', title: 'Service A', annotations: { 'backstage.io/managed-by-location': 'url:https://x/catalog-info.yaml', 'example.com/Flag': 'Yes', 'example.com/empty': '', 'example.com/long': `https://example.com/${x230}`, [longAnn]: 'v' }, labels: { tier: 'Gold', 'example.com/blank': '' }, tags: ['java', 'db'], links: [{ url: 'https://a', title: 'Docs' }] }, spec: { type: 'service', owner: 'team-a', lifecycle: 'production', replicas: 3, ratio: 1.5, enabled: true, nothing: null, emptyStr: '', nested: { deep: { key: 'V' } }, 'dotted.key': 'dk', list: [['a', 'b'], { x: 1 }], CamelKey: 'Camel', big: 1e21 } },
    { extraRelations: [{ type: 'partOf', targetRef: 'system:default/sys' }] });
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'team-a', namespace: 'default' }, spec: { type: 'team', children: [] } });
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'User', metadata: { name: 'Alice' }, spec: { memberOf: ['team-a'] } }, { raw: true });
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'API', metadata: { name: 'api-x', namespace: 'default', annotations: {} }, spec: { type: 'openapi', lifecycle: 'production', owner: 'user:default/alice', definition: 'openapi: 3.0.0' } });
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'uni', namespace: 'default', annotations: { 'example.com/city': 'İstanbul', 'example.com/word': 'ΟΔΟΣ' } }, spec: { type: 'service', lifecycle: 'production', owner: 'x' } });
  // spec §8.1 X carries {"type":"OwnedBy","targetRef":"group:default/odd"}; next to the ownedBy the
  // processor emits for spec.owner the stitcher would refuse X, so an owner-less entity carries it
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'Location', metadata: { name: 'odd-owned', namespace: 'default' }, spec: { type: 'url', target: 'https://example.com/odd.yaml' } },
    { extraRelations: [{ type: 'OwnedBy', targetRef: 'group:default/odd' }] });
  add({ apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'soh', namespace: 'default', annotations: { 'example.com/soh': '\u0001' } }, spec: { type: 'service', lifecycle: 'production', owner: 'team-a', k: '\u0001' } });

  // ---- a custom processor that emits an ownership relation type in
  // non-canonical case (spec §5.1).  Only for entities without a spec.owner:
  // next to the builtin "ownedBy" the stitcher would refuse the entity
  // (duplicate search keys that vary only in casing).
  const ownerless = out.filter(x => ['User', 'Group', 'Location'].includes(x.entity.kind));
  for (const x of rng.pickN(ownerless, 10)) {
    x.extraRelations.push({ type: rng.pick(['OwnedBy', 'ownedby', 'OWNEDBY']), targetRef: rng.pick(['group:default/odd', `group:default/${rng.pick(groups).metadata.name.toLowerCase()}`]) });
  }
  for (const x of rng.pickN(out.filter(y => y.entity.kind !== 'Location'), 12)) {
    if (x.entity.metadata.namespace === 'default') { delete x.entity.metadata.namespace; x.raw = true; }
  }
  for (const x of rng.pickN(out, 40)) x.orphan = true;
  return out;
}

module.exports = { generateEntities, NON_ASCII, WORDS };
