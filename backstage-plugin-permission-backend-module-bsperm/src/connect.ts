import type { DatabaseService, RootConfigService } from '@backstage/backend-plugin-api';
import { BspermClient } from './client';
import { KnexRunner, PoolRunner } from './runner';

/** The client the modules use: the `bsperm.connection` section if present, else the plugin's database. */
export function bspermClientFromConfig(config: RootConfigService, database: DatabaseService): BspermClient {
  const statementTimeoutMs = config.getOptionalNumber('bsperm.statementTimeoutMs') ?? 2000;
  const poolSize = config.getOptionalNumber('bsperm.poolSize') ?? 5;
  if (config.has('bsperm.connection')) {
    return new BspermClient(PoolRunner.fromConfig(config, { statementTimeoutMs, poolSize }));
  }
  return new BspermClient(new KnexRunner(database, statementTimeoutMs));
}
