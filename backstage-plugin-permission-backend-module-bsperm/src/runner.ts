// How the module talks to PostgreSQL: one transaction per batch of decisions,
// either on its own pool (config section `bsperm.connection`) or on the
// permission plugin's own database (coreServices.database).
import { Pool, PoolConfig } from 'pg';
import type { RootConfigService as Config } from '@backstage/backend-plugin-api';
import type { DatabaseService } from '@backstage/backend-plugin-api';

/** A statement runner inside one transaction. */
export type Query = (sql: string, params: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** Runs `fn` inside one transaction and commits, or rolls back if it throws. */
export interface TransactionRunner {
  inTransaction<T>(fn: (q: Query) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** where the connection goes, for log lines (never a password) */
  readonly description: string;
}

/** A runner on a node-postgres pool. */
export class PoolRunner implements TransactionRunner {
  readonly description: string;
  constructor(private readonly pool: Pool, description: string) {
    this.description = description;
    // an idle client's error (server restart) must not crash the backend
    pool.on('error', () => undefined);
  }

  static fromConfig(config: Config, options: { statementTimeoutMs: number; poolSize: number }): PoolRunner {
    const c = config.get('bsperm.connection') as string | Record<string, unknown>;
    const base: PoolConfig = typeof c === 'string' ? { connectionString: c } : { ...(c as PoolConfig) };
    const pool = new Pool({
      ...base,
      max: options.poolSize,
      statement_timeout: options.statementTimeoutMs,
      connectionTimeoutMillis: options.statementTimeoutMs,
      application_name: 'backstage-bsperm',
    });
    const where =
      typeof c === 'string'
        ? c.replace(/\/\/[^@/]*@/, '//***@')
        : `host=${String((c as PoolConfig).host ?? '')} port=${String((c as PoolConfig).port ?? '')} database=${String((c as PoolConfig).database ?? '')} user=${String((c as PoolConfig).user ?? '')}`;
    return new PoolRunner(pool, `bsperm.connection (${where})`);
  }

  async inTransaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(async (sql, params) => (await client.query(sql, params)).rows);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** A runner on the plugin's knex client (coreServices.database). */
export class KnexRunner implements TransactionRunner {
  readonly description = 'the permission plugin database (backend.database)';
  constructor(private readonly database: DatabaseService, private readonly statementTimeoutMs: number) {}

  async inTransaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    const knex = await this.database.getClient();
    if (knex.client.config.client !== 'pg' && knex.client.config.client !== 'postgres' && knex.client.config.client !== 'postgresql') {
      throw new Error(`bsperm needs PostgreSQL, but the permission plugin's database client is "${String(knex.client.config.client)}"`);
    }
    return knex.transaction(async trx => {
      // knex placeholders are `?`; our statements are written with $n
      const q: Query = async (sql, params) => {
        const r = await trx.raw(sql.replace(/\$(\d+)/g, '?'), params as any[]);
        return r.rows as Array<Record<string, unknown>>;
      };
      await q(`SELECT set_config('statement_timeout', $1, true)`, [String(this.statementTimeoutMs)]);
      return fn(q);
    });
  }

  async close(): Promise<void> {
    // the database service owns the client
  }
}
