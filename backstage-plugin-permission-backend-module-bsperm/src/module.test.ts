// Unit tests (node:test): identity mapping, decision translation, fail-closed, generated rules.
import test from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { BspermClient, unmark } from './client';
import { BspermPermissionPolicy, identityOf, toPolicyDecision } from './policy';
import { PoolRunner, TransactionRunner } from './runner';
import { matches, rulesFromMetadata, searchPairs, substitute, zodFromJsonSchema } from './rules';

const read = { type: 'resource' as const, name: 'catalog.entity.read', attributes: { action: 'read' as const }, resourceType: 'catalog-entity' };
const create = { type: 'basic' as const, name: 'catalog.entity.create', attributes: { action: 'create' as const } };
const user = (ref: string, own?: string[]) =>
  ({
    credentials: { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: ref } },
    info: { userEntityRef: ref, ownershipEntityRefs: own ?? [ref] },
  }) as any;
const logger = () => {
  const lines: string[] = [];
  const l: any = { error: (m: string) => lines.push(m), warn: () => {}, info: () => {}, debug: () => {}, child: () => l };
  return { l, lines };
};

test('identity: user ref lower-cased, ownership refs as Backstage gives them, no user is anonymous', () => {
  assert.deepEqual(identityOf(user('user:default/Alice', ['user:default/Alice', 'group:default/Team-A'])), {
    userEntityRef: 'user:default/alice',
    ownershipEntityRefs: ['user:default/Alice', 'group:default/Team-A'],
  });
  assert.deepEqual(identityOf(undefined), { userEntityRef: null, ownershipEntityRefs: null });
});

test('decisions: ALLOW, DENY, CONDITIONAL with pluginId/resourceType/conditions', () => {
  assert.deepEqual(toPolicyDecision(create, { id: '0', result: 'ALLOW' }), { result: AuthorizeResult.ALLOW });
  assert.deepEqual(toPolicyDecision(read, { id: '0', result: 'DENY' }), { result: AuthorizeResult.DENY });
  const conditions = { rule: 'IS_ENTITY_OWNER', resourceType: 'catalog-entity', params: { claims: ['user:default/a'] } };
  assert.deepEqual(toPolicyDecision(read, { id: '0', result: 'CONDITIONAL', pluginId: 'catalog', resourceType: 'catalog-entity', conditions }), {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'catalog',
    resourceType: 'catalog-entity',
    conditions,
  });
  assert.throws(() => toPolicyDecision(create, { id: '0', result: 'CONDITIONAL', pluginId: 'catalog', resourceType: 'catalog-entity', conditions }));
  assert.throws(() => toPolicyDecision(read, { id: '0', result: 'CONDITIONAL', pluginId: 'catalog', resourceType: 'other', conditions }));
  assert.throws(() => toPolicyDecision(read, { id: '0', result: 'MAYBE' as any }));
});

test('one transaction per identity and tick: set_user then one bsperm_authorize for the batch', async () => {
  const calls: Array<[string, unknown[]]> = [];
  const runner: TransactionRunner = {
    description: 'fake',
    async close() {},
    async inTransaction(fn) {
      calls.push(['BEGIN', []]);
      return fn(async (sql, params) => {
        calls.push([sql, params]);
        if (sql.includes('pg_extension')) return [{ schema: 'bsperm' }];
        if (sql.includes('bsperm_authorize')) {
          const req = JSON.parse(params[0] as string);
          return [{ answer: { items: req.items.map((i: any) => ({ id: i.id, result: i.permission.type === 'basic' ? 'ALLOW' : 'DENY' })) } }];
        }
        return [{}];
      });
    },
  };
  const { l } = logger();
  const policy = new BspermPermissionPolicy(new BspermClient(runner), l);
  const u = user('user:default/alice');
  const out = await Promise.all([policy.handle({ permission: create }, u), policy.handle({ permission: read }, u), policy.handle({ permission: create }, user('user:default/bob'))]);
  assert.deepEqual(out.map(d => d.result), [AuthorizeResult.ALLOW, AuthorizeResult.DENY, AuthorizeResult.ALLOW]);
  assert.equal(calls.filter(c => c[0] === 'BEGIN').length, 2);
  const sets = calls.filter(c => c[0].includes('bsperm_set_user'));
  assert.deepEqual(sets.map(c => c[1]), [['user:default/alice', ['user:default/alice']], ['user:default/bob', ['user:default/bob']]]);
  assert.match(sets[0][0], /"bsperm"\.bsperm_set_user/);
});

test('fails closed: no server is DENY with one log line naming the permission, user and cause', async () => {
  const runner = new PoolRunner(new (require('pg').Pool)({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 }), 'bsperm.connection (test)');
  const { l, lines } = logger();
  const policy = new BspermPermissionPolicy(new BspermClient(runner), l);
  const d = await policy.handle({ permission: create }, user('user:default/alice'));
  assert.equal(d.result, AuthorizeResult.DENY);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^bsperm: DENY catalog\.entity\.create for user:default\/alice: no decision from bsperm at bsperm\.connection \(test\) \(.*ECONNREFUSED.*\); failing closed$/);
  await runner.close();
});

test('fails closed: an SQL error and a malformed answer are DENY', async () => {
  for (const answer of [new Error('permission "x" does not exist'), { items: [] }, { items: [{ id: '0', result: 'CONDITIONAL' }] }]) {
    const runner: TransactionRunner = {
      description: 'fake',
      async close() {},
      async inTransaction(fn) {
        return fn(async sql => {
          if (sql.includes('pg_extension')) return [{ schema: 'public' }];
          if (sql.includes('bsperm_authorize')) {
            if (answer instanceof Error) throw answer;
            return [{ answer }];
          }
          return [{}];
        });
      },
    };
    const { l, lines } = logger();
    const d = await new BspermPermissionPolicy(new BspermClient(runner), l).handle({ permission: read }, user('user:default/a'));
    assert.equal(d.result, AuthorizeResult.DENY);
    assert.equal(lines.length, 1);
  }
});

const CLUSTER = {
  name: 'IS_FROM_CLUSTER',
  description: 'entities of these clusters',
  resourceType: 'catalog-entity',
  paramsSchema: { type: 'object', properties: { clusters: { type: 'array', items: { type: 'string' } } }, required: ['clusters'], additionalProperties: false },
  filter: { key: 'metadata.annotations.backstage.io/kubernetes-cluster', values: '${clusters}' },
};

test('rules: one declaration gives toQuery (the filter) and apply (the same filter on the entity)', () => {
  const { rules, skipped } = rulesFromMetadata({
    rules: [CLUSTER, { name: 'IS_ENTITY_OWNER', resourceType: 'catalog-entity' }, { name: 'NO_FILTER', resourceType: 'catalog-entity' }, { name: 'X', resourceType: 'scaffolder-template', filter: {} }],
  });
  assert.deepEqual(rules.map(r => r.name), ['IS_FROM_CLUSTER']);
  assert.equal(skipped.length, 1);
  const r = rules[0] as any;
  assert.deepEqual(r.toQuery({ clusters: ['prod-eu', 'prod-us'] }), { key: 'metadata.annotations.backstage.io/kubernetes-cluster', values: ['prod-eu', 'prod-us'] });
  const e = (c?: string) => ({ kind: 'Component', metadata: { name: 'x', ...(c ? { annotations: { 'backstage.io/kubernetes-cluster': c } } : {}) } });
  assert.equal(r.apply(e('PROD-EU'), { clusters: ['prod-eu'] }), true);
  assert.equal(r.apply(e('dev'), { clusters: ['prod-eu'] }), false);
  assert.equal(r.apply(e(), { clusters: ['prod-eu'] }), false);
  assert.equal(r.apply(e('prod-eu'), { clusters: [] }), false);
  assert.equal(r.paramsSchema.safeParse({ clusters: ['a'] }).success, true);
  assert.equal(r.paramsSchema.safeParse({ clusters: 'a' }).success, false);
  assert.equal(r.paramsSchema.safeParse({ clusters: ['a'], other: 1 }).success, false);
});

test('rules: search keys and values as the catalog computes them', () => {
  const pairs = searchPairs({
    kind: 'Component',
    metadata: { name: 'Svc', tags: ['A', 'b'] },
    spec: { owner: 'team-a' },
    relations: [{ type: 'ownedBy', targetRef: 'group:default/Team-A' }],
  });
  assert.ok(matches(pairs, { key: 'metadata.namespace', values: ['default'] }));
  assert.ok(matches(pairs, { key: 'relations.ownedby', values: ['group:default/team-a'] }));
  assert.ok(matches(pairs, { key: 'metadata.tags', values: ['a'] }));
  assert.ok(matches(pairs, { key: 'spec.owner' }));
  assert.ok(!matches(pairs, { key: 'spec.lifecycle' }));
  assert.ok(matches(pairs, { not: { key: 'spec.lifecycle' } }));
  assert.ok(matches(pairs, { allOf: [{ key: 'kind', values: ['component'] }, { anyOf: [{ key: 'metadata.name', values: ['svc'] }] }] }));
  assert.deepEqual(substitute({ anyOf: [{ key: 'metadata.labels.${k}', values: ['${v}', 'a$$b'] }] }, { k: 'tier', v: 'gold' }), {
    anyOf: [{ key: 'metadata.labels.tier', values: ['gold', 'a$b'] }],
  });
  // an optional parameter left out: the key exists
  assert.deepEqual(substitute({ key: 'metadata.annotations.${a}', values: '${v}' }, { a: 'x' }), { key: 'metadata.annotations.x' });
  assert.deepEqual(substitute({ key: 'k', values: '${list}' }, { list: [] }), { key: 'k', values: [] });
});

test('rules: JSON Schema subset to zod', () => {
  const z = zodFromJsonSchema({ type: 'object', properties: { n: { type: 'integer', minimum: 1 }, t: { enum: ['ancestors', 'descendants'] } } });
  assert.equal(z.safeParse({ n: 2, t: 'ancestors' }).success, true);
  assert.equal(z.safeParse({ n: 0 }).success, false);
  assert.equal(z.safeParse({ t: 'x' }).success, false);
  assert.throws(() => zodFromJsonSchema({ type: 'null' }));
});

test('rules: a filter expanded with markers gives back the declaration', () => {
  const mark = (i: number) => `\u0001m${i}\u0001`;
  assert.deepEqual(
    unmark({ anyOf: [{ key: `metadata.labels.${mark(1)}`, values: [mark(0)] }, { not: { key: 'a$b', values: [`x-${mark(1)}`, 'y'] } }] }, ['list', 'label'], mark),
    { anyOf: [{ key: 'metadata.labels.${label}', values: '${list}' }, { not: { key: 'a$$b', values: ['x-${label}', 'y'] } }] },
  );
});
