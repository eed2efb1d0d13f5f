-- bench/backstage/protect.sql: bsperm_protect_backstage('bs_prot') on the copy
-- setup.sql made, the grants of the BI role, and alice's policy.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET search_path = public;
SELECT count(*) FROM bsperm_protect_backstage('bs_prot');

GRANT USAGE ON SCHEMA bs_plain, bs_prot TO bench_bs_bi;
GRANT SELECT ON ALL TABLES IN SCHEMA bs_plain, bs_prot TO bench_bs_bi;
VACUUM ANALYZE bs_plain.final_entities, bs_plain.search, bs_plain.relations, bs_plain.refresh_state,
               bs_prot.final_entities, bs_prot.search, bs_prot.relations, bs_prot.refresh_state, bs_prot.bsperm_entities;

-- alice's read permission: what her groups own (0.4% of the catalog)
DELETE FROM bsperm.conditional_policies; DELETE FROM bsperm.roles; DELETE FROM bsperm.policy_config;
INSERT INTO bsperm.roles VALUES ('role:default/everyone', 'all users');
INSERT INTO bsperm.policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, permissions, conditions)
  VALUES ('role:default/everyone', 'catalog', 'catalog-entity', '{catalog.entity.read}',
          '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
