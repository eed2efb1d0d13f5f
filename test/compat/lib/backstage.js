'use strict';
// The Backstage side of the comparison, built from the real npm packages:
//  * the catalog database: the catalog's own knex migrations, entities
//    checked by the catalog's default entity policies, relations computed by
//    the catalog's BuiltinKindsEntityProcessor, final_entities + search rows
//    written by the catalog's real stitcher (performStitching →
//    buildEntitySearch → syncSearchRows);
//  * the SQL path: PermissionClient (the real response validation) →
//    AuthorizedEntitiesCatalog (createConditionTransformer over the catalog's
//    permissionRules → entityFilterToFilterPredicate) → DefaultEntitiesCatalog
//    (applyPredicateEntityFilterToQuery, EXISTS over search) on PostgreSQL;
//  * the apply path: createConditionAuthorizer over the catalog's rules, on the
//    entities loaded the way apply-conditions loads them (entitiesBatch).
// Internal modules that the package's "exports" map hides are required by
// their file path under dist/.

const path = require('path');
const http = require('http');

const NM = path.join(__dirname, '..', 'node_modules');
const catalogDist = p => require(path.join(NM, '@backstage/plugin-catalog-backend/dist', p));

const catalogModel = require('@backstage/catalog-model');
const { ConfigReader } = require('@backstage/config');
const { PermissionClient, AuthorizeResult } = require('@backstage/plugin-permission-common');
const permissionNode = require('@backstage/plugin-permission-node');
const { permissionRules } = require('@backstage/plugin-catalog-backend/alpha');
const { BuiltinKindsEntityProcessor } = require('@backstage/plugin-catalog-backend');
const { catalogEntityPermissionResourceRef } = require('@backstage/plugin-catalog-node/alpha');

const { applyDatabaseMigrations } = catalogDist('database/migrations.cjs.js');
const { performStitching } = catalogDist('database/operations/stitcher/performStitching.cjs.js');
const { markForStitching } = catalogDist('database/operations/stitcher/markForStitching.cjs.js');
const { buildEntitySearch } = catalogDist('database/operations/stitcher/buildEntitySearch.cjs.js');
const { DefaultEntitiesCatalog } = catalogDist('service/DefaultEntitiesCatalog.cjs.js');
const { AuthorizedEntitiesCatalog } = catalogDist('service/AuthorizedEntitiesCatalog.cjs.js');
const { entitiesResponseToObjects } = catalogDist('service/response/process.cjs.js');
const stitcherUtil = catalogDist('database/operations/stitcher/util.cjs.js');

const logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };

const RULES = Object.values(permissionRules);

// The ruleset as the catalog registers it (permissionsRegistry / integration
// router): unknown names fail with "Permission rule 'X' does not exist for
// resource type 'catalog-entity'".
function catalogRuleset(rules = RULES) {
  const router = permissionNode.createPermissionIntegrationRouter({
    resources: [{ resourceType: catalogEntityPermissionResourceRef.resourceType, rules, getResources: async () => [] }],
  });
  return router.getPermissionRuleset(catalogEntityPermissionResourceRef);
}

// The catalog's default entity policies (CatalogBuilder.buildEntityPolicy).
function entityPolicy(withDefaultNamespace) {
  const m = catalogModel;
  return m.EntityPolicies.allOf([
    new m.SchemaValidEntityPolicy(),
    ...(withDefaultNamespace ? [new m.DefaultNamespaceEntityPolicy()] : []),
    new m.NoForeignRootFieldsEntityPolicy(),
    new m.FieldFormatEntityPolicy(m.makeValidator()),
  ]);
}

// Processing: policies, kind validation and relations from the real
// BuiltinKindsEntityProcessor.  Templates belong to the scaffolder, whose
// processor is not installed: their ownedBy/ownerOf pair is emitted here the
// same way (default kind Group, the entity's namespace).
async function processEntity(item) {
  const proc = new BuiltinKindsEntityProcessor();
  let entity = JSON.parse(JSON.stringify(item.entity));
  entity = await proc.preProcessEntity(entity, { type: 'url', target: 'https://github.com/acme/catalog/blob/main/all.yaml' }, () => {}, undefined, undefined);
  entity = await entityPolicy(!item.raw).enforce(entity);
  if (!entity) throw new Error('entity rejected by policy');
  const builtin = ['Component', 'API', 'Resource', 'Group', 'Location', 'User', 'System', 'Domain'].includes(entity.kind);
  if (builtin && !(await proc.validateEntityKind(entity))) throw new Error(`kind validation failed for ${entity.kind}`);
  const relations = [];
  await proc.postProcessEntity(entity, { type: 'url', target: 'x' }, r => { if (r.type === 'relation') relations.push(r.relation); }, undefined);
  if (entity.kind === 'Template' && entity.spec && entity.spec.owner) {
    const self = catalogModel.getCompoundEntityRef(entity);
    const t = catalogModel.parseEntityRef(entity.spec.owner, { defaultKind: 'Group', defaultNamespace: self.namespace });
    relations.push({ source: self, type: 'ownedBy', target: t }, { source: t, type: 'ownerOf', target: self });
  }
  return { entity, relations };
}

function knexFor(database) {
  return require('knex')({
    client: 'pg',
    connection: { host: process.env.PGHOST, port: Number(process.env.PGPORT || 5432), user: process.env.PGUSER || 'postgres', database },
    pool: { min: 0, max: 8 },
  });
}

// Builds the catalog database from the generated items; returns stats.
async function buildCatalog(knex, items) {
  await applyDatabaseMigrations(knex);
  const now = knex.fn.now();
  const stateRows = [];
  const relationRows = [];
  const refs = [];
  const processingErrors = [];
  for (const item of items) {
    let processed;
    try {
      processed = await processEntity(item);
    } catch (e) {
      processingErrors.push(`${item.entity.kind}:${item.entity.metadata.name}: ${e.message}`);
      continue;
    }
    const { entity, relations } = processed;
    const ref = catalogModel.stringifyEntityRef(entity);
    refs.push({ ref, orphan: item.orphan });
    stateRows.push({
      entity_id: item.uid, entity_ref: ref, unprocessed_entity: JSON.stringify(item.entity),
      processed_entity: JSON.stringify(entity), errors: '[]', next_update_at: now, last_discovery_at: now,
      result_hash: 'compat',
    });
    // as DefaultProcessingDatabase.updateProcessedEntity writes them
    for (const r of relations) {
      relationRows.push({ originating_entity_id: item.uid, source_entity_ref: catalogModel.stringifyEntityRef(r.source), target_entity_ref: catalogModel.stringifyEntityRef(r.target), type: r.type });
    }
    // a custom processor's relations with a non-canonical type (spec §5.1)
    for (const r of item.extraRelations) {
      relationRows.push({ originating_entity_id: item.uid, source_entity_ref: ref, target_entity_ref: r.targetRef, type: r.type });
    }
  }
  await knex.batchInsert('refresh_state', stateRows, 200);
  await knex.batchInsert('refresh_state_references',
    refs.filter(r => !r.orphan).map(r => ({ source_key: 'compat-provider', target_entity_ref: r.ref })), 500);
  await knex.batchInsert('relations', relationRows, 500);

  await markForStitching({ knex, entityRefs: refs.map(r => r.ref) });
  const tickets = new Map((await knex('stitch_queue').select('entity_ref', 'stitch_ticket')).map(r => [r.entity_ref, r.stitch_ticket]));
  const stitchErrors = [];
  const queue = refs.map(r => r.ref);
  await Promise.all(Array.from({ length: 6 }, async () => {
    while (queue.length) {
      const entityRef = queue.shift();
      try {
        const res = await performStitching({ knex, logger, entityRef, stitchTicket: tickets.get(entityRef) });
        if (res !== 'changed') stitchErrors.push(`${entityRef}: ${res}`);
      } catch (e) {
        stitchErrors.push(`${entityRef}: ${e.message}`);
      }
    }
  }));
  const [{ n }] = await knex('final_entities').whereNotNull('final_entity').count({ n: '*' });
  return { processed: stateRows.length, processingErrors, stitchErrors, finalEntities: Number(n), relations: relationRows.length };
}

// A stand-in permission backend on the loopback interface: it answers
// /authorize with whatever decision is set, so that the catalog's real
// PermissionClient receives and validates it as in production.
async function startPolicyServer() {
  let decision = { result: AuthorizeResult.ALLOW };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      const { items } = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items: items.map(i => ({ id: i.id, ...decision })) }));
    });
  });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    setDecision: d => { decision = d; },
    discovery: { getBaseUrl: async () => `http://127.0.0.1:${port}/api/permission`, getExternalBaseUrl: async () => `http://127.0.0.1:${port}/api/permission` },
    close: () => new Promise(r => server.close(r)),
  };
}

async function makeSqlPath(knex, rules = RULES) {
  const policy = await startPolicyServer();
  const permissionApi = new PermissionClient({ discovery: policy.discovery, config: new ConfigReader({ permission: { enabled: true } }) });
  const transformer = permissionNode.createConditionTransformer(catalogRuleset(rules));
  const catalog = new AuthorizedEntitiesCatalog(new DefaultEntitiesCatalog({ database: knex, logger }), permissionApi, transformer);
  const byJson = new Map((await knex('final_entities').select('entity_ref', 'final_entity')).map(r => [r.final_entity, r.entity_ref]));
  return {
    // refs of the entities the catalog lists for a user under these conditions
    async list(conditions) {
      policy.setDecision({ result: AuthorizeResult.CONDITIONAL, pluginId: 'catalog', resourceType: 'catalog-entity', conditions });
      const res = await catalog.entities({ credentials: { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef: 'user:default/compat' } } });
      return res.entities.entities.map(e => byJson.get(e));
    },
    close: policy.close,
  };
}

async function makeApplyPath(knex, rules = RULES) {
  const unauthorized = new DefaultEntitiesCatalog({ database: knex, logger });
  const refs = (await knex('final_entities').select('entity_ref').orderBy('entity_ref')).map(r => r.entity_ref);
  // the apply-conditions resource loader of CatalogBuilder
  const { items } = await unauthorized.entitiesBatch({ credentials: {}, entityRefs: refs });
  const entities = entitiesResponseToObjects(items).map(e => e || undefined);
  const authorize = permissionNode.createConditionAuthorizer(catalogRuleset(rules));
  return {
    refs, entities,
    // per entity: true / false / an Error (lazy validation throws only when reached)
    evaluate(conditions) {
      const decision = { result: AuthorizeResult.CONDITIONAL, pluginId: 'catalog', resourceType: 'catalog-entity', conditions };
      return entities.map(e => { try { return authorize(decision, e); } catch (err) { return err; } });
    },
  };
}

// The catalog's /.well-known/backstage/permissions/metadata, from the real
// integration router on the loopback interface.
async function permissionMetadata(rules, permissions) {
  const express = require('express');
  const router = permissionNode.createPermissionIntegrationRouter({
    resources: [{ resourceType: catalogEntityPermissionResourceRef.resourceType, permissions, rules, getResources: async () => [] }],
  });
  const app = express();
  app.use(router);
  const server = await new Promise(r => { const s = app.listen(0, '127.0.0.1', () => r(s)); });
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/.well-known/backstage/permissions/metadata`);
    return await res.json();
  } finally {
    await new Promise(r => server.close(r));
  }
}

module.exports = {
  permissionMetadata,
  knexFor, buildCatalog, processEntity, makeSqlPath, makeApplyPath, buildEntitySearch, catalogRuleset, RULES,
  NULL_SENTINEL: stitcherUtil.NULL_SENTINEL, transformer: () => permissionNode.createConditionTransformer(catalogRuleset()),
};
