/**
 * Backstage permission policy backed by bsperm, and the catalog module for bsperm's custom rules.
 * @packageDocumentation
 */
import { bspermPermissionModule } from './module';

export default bspermPermissionModule;
export { bspermPermissionModule };
export { catalogModuleBspermRules } from './catalog';
export { BspermPermissionPolicy, identityOf, toPolicyDecision } from './policy';
export { BspermClient } from './client';
export type { BspermIdentity, BspermItemResult, BspermPermission } from './client';
export { PoolRunner, KnexRunner } from './runner';
export type { TransactionRunner, Query } from './runner';
export { bspermClientFromConfig } from './connect';
export { rulesFromMetadata, zodFromJsonSchema, searchPairs, matches, substitute, CATALOG_BUILTIN_RULES } from './rules';
export type { DeclaredRule, FilterTemplate, EntityFilter, JsonSchema } from './rules';
