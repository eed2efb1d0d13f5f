import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { BspermPermissionPolicy } from './policy';
import { bspermClientFromConfig } from './connect';

/**
 * The permission backend's policy is bsperm: `backend.add(import('backstage-plugin-permission-backend-module-bsperm'))`.
 */
export const bspermPermissionModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'bsperm-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        database: coreServices.database,
        logger: coreServices.logger,
        lifecycle: coreServices.lifecycle,
      },
      async init({ policy, config, database, logger, lifecycle }) {
        const client = bspermClientFromConfig(config, database);
        policy.setPolicy(new BspermPermissionPolicy(client, logger));
        logger.info(`bsperm: permission decisions are bsperm's, asked at ${client.description}`);
        lifecycle.addShutdownHook(() => client.close());
      },
    });
  },
});
