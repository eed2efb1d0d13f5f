// Asks bsperm for decisions: one transaction per identity and batch.
//   BEGIN; SELECT bsperm_set_user($user, $ownershipRefs); SELECT bsperm_authorize($request::jsonb); COMMIT
// Requests that arrive in the same tick for the same identity (the permission
// backend calls the policy for every item of a request at once) share one
// transaction and one bsperm_authorize call.
import type { TransactionRunner, Query } from './runner';
import { CATALOG_BUILTIN_RULES, DeclaredRule, EntityFilter, FilterTemplate } from './rules';

/** A filter expanded with parameter markers, as a template with "${p}" (and "$$" for "$"). */
export function unmark(f: EntityFilter, names: string[], mark: (i: number) => string): FilterTemplate {
  if ('allOf' in f) return { allOf: f.allOf.map(c => unmark(c, names, mark)) };
  if ('anyOf' in f) return { anyOf: f.anyOf.map(c => unmark(c, names, mark)) };
  if ('not' in f) return { not: unmark(f.not, names, mark) };
  const str = (s: string) => {
    let out = s.replace(/\$/g, '$$$$');
    names.forEach((n, i) => {
      out = out.split(mark(i)).join(`\${${n}}`);
    });
    return out;
  };
  if (f.values === undefined) return { key: str(f.key) };
  const whole = names.findIndex((_, i) => f.values!.length === 1 && f.values![0] === mark(i));
  return { key: str(f.key), values: whole >= 0 ? `\${${names[whole]}}` : f.values.map(str) };
}

/** A Backstage permission as sent to the policy (plugin-permission-common's Permission). */
export type BspermPermission = {
  type: 'basic' | 'resource';
  name: string;
  attributes: Record<string, unknown>;
  resourceType?: string;
};

/** Who is asking, as bsperm_set_user takes it (doc/identity.md). */
export type BspermIdentity = {
  /** canonical user entity ref, or null for an explicitly anonymous transaction */
  userEntityRef: string | null;
  /** ownership refs as Backstage resolved them; null lets bsperm compute them from its catalog */
  ownershipEntityRefs: string[] | null;
};

/** One item of bsperm_authorize(jsonb)'s answer. */
export type BspermItemResult = {
  id: string;
  result: 'ALLOW' | 'DENY' | 'CONDITIONAL';
  pluginId?: string;
  resourceType?: string;
  conditions?: unknown;
  [extra: string]: unknown;
};

type Pending = {
  permission: BspermPermission;
  resolve: (r: BspermItemResult) => void;
  reject: (e: unknown) => void;
};

/** Quotes a schema name for SQL. */
export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

export class BspermClient {
  private schema: Promise<string> | undefined;
  private readonly batches = new Map<string, { identity: BspermIdentity; items: Pending[] }>();

  constructor(private readonly runner: TransactionRunner) {}

  get description(): string {
    return this.runner.description;
  }

  /** The schema of the extension's user-facing functions (pg_extension), looked up once per success. */
  private async extensionSchema(q: Query): Promise<string> {
    if (!this.schema) {
      this.schema = q(
        `SELECT n.nspname AS schema FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'bsperm'`,
        [],
      ).then(rows => {
        if (rows.length !== 1) throw new Error('extension bsperm is not installed in this database');
        return String(rows[0].schema);
      });
      this.schema.catch(() => {
        this.schema = undefined;
      });
    }
    return this.schema;
  }

  /** A qualified name of a user-facing bsperm function. */
  async fn(q: Query, name: string): Promise<string> {
    return `${quoteIdent(await this.extensionSchema(q))}.${name}`;
  }

  /** One decision; batched with the others of this tick for the same identity. */
  decide(identity: BspermIdentity, permission: BspermPermission): Promise<BspermItemResult> {
    const key = JSON.stringify([identity.userEntityRef, identity.ownershipEntityRefs]);
    return new Promise((resolve, reject) => {
      let batch = this.batches.get(key);
      if (!batch) {
        batch = { identity, items: [] };
        this.batches.set(key, batch);
        setImmediate(() => {
          this.batches.delete(key);
          this.run(batch!).catch(() => undefined);
        });
      }
      batch.items.push({ permission, resolve, reject });
    });
  }

  /** Decides a batch directly (no tick batching). */
  async decideAll(identity: BspermIdentity, permissions: BspermPermission[]): Promise<BspermItemResult[]> {
    return this.runner.inTransaction(async q => {
      await q(`SELECT ${await this.fn(q, 'bsperm_set_user')}($1::text, $2::text[])`, [
        identity.userEntityRef,
        identity.ownershipEntityRefs,
      ]);
      const request = { items: permissions.map((permission, i) => ({ id: String(i), permission })) };
      const rows = await q(`SELECT ${await this.fn(q, 'bsperm_authorize')}($1::jsonb) AS answer`, [JSON.stringify(request)]);
      const answer = rows[0]?.answer as { items?: BspermItemResult[] } | undefined;
      const items = answer?.items;
      if (!Array.isArray(items) || items.length !== permissions.length) {
        throw new Error(`bsperm_authorize returned ${JSON.stringify(answer)} for ${permissions.length} items`);
      }
      return items.map((item, i) => {
        if (item.id !== String(i)) throw new Error(`bsperm_authorize answered item ${item.id} in place of ${i}`);
        return item;
      });
    });
  }

  private async run(batch: { identity: BspermIdentity; items: Pending[] }): Promise<void> {
    try {
      const results = await this.decideAll(batch.identity, batch.items.map(p => p.permission));
      batch.items.forEach((p, i) => p.resolve(results[i]));
    } catch (e) {
      batch.items.forEach(p => p.reject(e));
    }
  }

  /**
   * bsperm_metadata(): the permissions-metadata document, or undefined when
   * bsperm has no such function. Each declared rule (not one of the catalog's
   * own) that lacks a `filter` gets the one bsperm tests, recovered from
   * bsperm_criteria_filter: the rule is expanded with a marker for every
   * parameter, and the markers in the answer become "${p}" again.
   */
  async metadata(): Promise<unknown | undefined> {
    return this.runner.inTransaction(async q => {
      const schema = await this.extensionSchema(q);
      const exists = await q(
        `SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname = 'bsperm_metadata' AND p.pronargs = 0`,
        [schema],
      );
      if (exists.length === 0) return undefined;
      const rows = await q(`SELECT ${quoteIdent(schema)}.bsperm_metadata()::jsonb AS metadata`, []);
      const metadata = rows[0]?.metadata as { rules?: DeclaredRule[] } | undefined;
      for (const rule of metadata?.rules ?? []) {
        if (rule.filter || CATALOG_BUILTIN_RULES.has(rule.name) || rule.resourceType !== 'catalog-entity') continue;
        const names = Object.keys(rule.paramsSchema?.properties ?? {});
        const mark = (i: number) => `\u0001bsperm-param-${i}\u0001`;
        const params = Object.fromEntries(
          names.map((n, i) => [n, rule.paramsSchema!.properties![n].type === 'array' ? [mark(i)] : mark(i)]),
        );
        const criteria = { rule: rule.name, resourceType: rule.resourceType, params };
        const f = await q(`SELECT ${quoteIdent(schema)}.bsperm_criteria_filter($1::jsonb) AS filter`, [JSON.stringify(criteria)]);
        rule.filter = unmark(f[0]?.filter as EntityFilter, names, mark);
      }
      return metadata;
    });
  }

  async close(): Promise<void> {
    await this.runner.close();
  }
}
