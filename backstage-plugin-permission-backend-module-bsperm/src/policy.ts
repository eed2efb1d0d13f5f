// The PermissionPolicy: every decision is bsperm's, nothing is cached here.
import { AuthorizeResult, PolicyDecision } from '@backstage/plugin-permission-common';
import type { PermissionPolicy, PolicyQuery, PolicyQueryUser } from '@backstage/plugin-permission-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { BspermClient, BspermIdentity, BspermItemResult, BspermPermission } from './client';

/**
 * Backstage's identity as bsperm_set_user takes it (doc/backstage-module.md):
 * the principal's userEntityRef, lower-cased (entity refs compare without case
 * in Backstage, bsperm wants the canonical form), and the ownership refs the
 * user info carries (what the sign-in resolver put in the token), as given.
 * No user (a request without a user principal) is an explicitly anonymous
 * transaction.
 */
export function identityOf(user?: PolicyQueryUser): BspermIdentity {
  if (!user) return { userEntityRef: null, ownershipEntityRefs: null };
  const principal = user.credentials?.principal as { type?: string; userEntityRef?: string } | undefined;
  const ref = principal?.type === 'user' && principal.userEntityRef ? principal.userEntityRef : user.info?.userEntityRef;
  if (!ref) return { userEntityRef: null, ownershipEntityRefs: null };
  const own = user.info?.ownershipEntityRefs;
  return { userEntityRef: ref.toLocaleLowerCase('en-US'), ownershipEntityRefs: Array.isArray(own) ? [...own] : null };
}

/** bsperm's answer for one item as a PolicyDecision; throws on an answer Backstage cannot take. */
export function toPolicyDecision(permission: BspermPermission, item: BspermItemResult): PolicyDecision {
  switch (item.result) {
    case 'ALLOW':
      return { result: AuthorizeResult.ALLOW };
    case 'DENY':
      return { result: AuthorizeResult.DENY };
    case 'CONDITIONAL': {
      if (permission.type !== 'resource') {
        throw new Error(`bsperm returned CONDITIONAL for basic permission "${permission.name}"`);
      }
      const { pluginId, resourceType, conditions } = item;
      if (typeof pluginId !== 'string' || typeof resourceType !== 'string' || !conditions || typeof conditions !== 'object') {
        throw new Error(`bsperm returned an incomplete CONDITIONAL decision for "${permission.name}": ${JSON.stringify(item)}`);
      }
      if (resourceType !== permission.resourceType) {
        throw new Error(`bsperm returned conditions for resource type "${resourceType}" for "${permission.name}" of type "${permission.resourceType}"`);
      }
      return { result: AuthorizeResult.CONDITIONAL, pluginId, resourceType, conditions: conditions as any };
    }
    default:
      throw new Error(`bsperm returned an unknown result ${JSON.stringify(item.result)} for "${permission.name}"`);
  }
}

/**
 * A PermissionPolicy that asks bsperm. Fails closed: a connection failure,
 * timeout, SQL error or malformed answer is DENY, with one error log line
 * that names the permission, the user and the cause.
 */
export class BspermPermissionPolicy implements PermissionPolicy {
  constructor(private readonly client: BspermClient, private readonly logger: LoggerService) {}

  async handle(request: PolicyQuery, user?: PolicyQueryUser): Promise<PolicyDecision> {
    const permission = request.permission as unknown as BspermPermission;
    const identity = identityOf(user);
    try {
      const item = await this.client.decide(identity, permission);
      return toPolicyDecision(permission, item);
    } catch (e) {
      const err = e as { message?: string; code?: string };
      this.logger.error(
        `bsperm: DENY ${permission.name} for ${identity.userEntityRef ?? 'anonymous'}: no decision from bsperm at ${this.client.description}` +
          ` (${err.code ? `SQLSTATE ${err.code}: ` : ''}${err.message ?? String(e)}); failing closed`,
      );
      return { result: AuthorizeResult.DENY };
    }
  }
}
