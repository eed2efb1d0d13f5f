import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { bspermClientFromConfig } from './connect';
import { rulesFromMetadata } from './rules';

/**
 * Registers in the catalog's permissions registry every custom rule bsperm
 * declares (bsperm_metadata()), so that CONDITIONAL decisions using them can
 * be applied by the catalog: `backend.add(import('backstage-plugin-permission-backend-module-bsperm/catalog'))`.
 * The rules are read once, at start-up (the registry refuses rules after the
 * catalog has started); a rule declared later needs a restart.
 */
export const catalogModuleBspermRules = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'bsperm-rules',
  register(reg) {
    reg.registerInit({
      deps: {
        registry: coreServices.permissionsRegistry,
        config: coreServices.rootConfig,
        database: coreServices.database,
        logger: coreServices.logger,
      },
      async init({ registry, config, database, logger }) {
        const client = bspermClientFromConfig(config, database);
        try {
          const metadata = await client.metadata();
          if (metadata === undefined) {
            logger.warn('bsperm: this bsperm has no bsperm_metadata(); no custom rules registered in the catalog');
            return;
          }
          const { rules, skipped } = rulesFromMetadata(metadata);
          for (const s of skipped) logger.error(`bsperm: rule not registered in the catalog: ${s}`);
          if (rules.length) registry.addPermissionRules(rules);
          logger.info(`bsperm: ${rules.length} custom rule(s) registered in the catalog${rules.length ? `: ${rules.map(r => r.name).join(', ')}` : ''}`);
        } catch (e) {
          // conditions naming an unregistered rule are refused by the catalog, so decisions using them fail closed
          logger.error(`bsperm: cannot read bsperm_metadata() at ${client.description} (${(e as Error).message}); no custom rules registered in the catalog`);
        } finally {
          await client.close();
        }
      },
    });
  },
});

export default catalogModuleBspermRules;
