-- The permission registry and the text form of bsperm_authorize.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the catalog's eleven permissions (spec section 2), as Backstage's JSON
SELECT name, type, resource_type, action FROM permissions ORDER BY builtin DESC, name;
SELECT count(*) FROM permissions WHERE builtin;

-- integrators add their own; a resource permission needs a resource type
INSERT INTO permissions (name, type, resource_type, action)
  VALUES ('scaffolder.action.execute', 'basic', NULL, NULL),
         ('scaffolder.template.parameter.read', 'resource', 'scaffolder-template', 'read');
INSERT INTO permissions (name, type, resource_type) VALUES ('bad.one', 'resource', NULL);
INSERT INTO permissions (name, type, resource_type) VALUES ('bad.two', 'basic', 'catalog-entity');
INSERT INTO permissions (name, type, action) VALUES ('bad.three', 'basic', 'use');
INSERT INTO permissions (name, type) VALUES ('bad.four', 'other');

-- nothing configured: DENY for everything, and for the superuser asking too
SELECT name, bsperm_authorize(name) FROM permissions ORDER BY name;

\set VERBOSITY default
SELECT bsperm_authorize('no.such.permission');
SELECT bsperm_authorize('catalog.entity.create', 'component:default/x');
SELECT bsperm_authorize_conditional('no.such.permission');
\set VERBOSITY terse
SELECT bsperm_authorize(NULL) IS NULL AS null_permission,
       bsperm_authorize_conditional(NULL) IS NULL AS null_conditional;

-- the placeholder helper
SELECT bsperm_substitute_placeholders(
  '{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$currentUser","$ownerRefs","group:default/x"]}},
             {"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":"$ownerRefs"}},
             {"not":{"rule":"HAS_SPEC","resourceType":"catalog-entity","params":{"key":"owner","value":"$currentUser"}}},
             {"rule":"HAS_LABEL","resourceType":"$currentUser","params":{"label":"$ownerRefs-not-a-placeholder"}}]}',
  'user:default/alice', ARRAY['user:default/alice', 'group:default/team-a']);

-- every function and table is documented
SELECT p.proname, obj_description(p.oid, 'pg_proc') IS NOT NULL AS has_comment
  FROM pg_proc p WHERE p.pronamespace = (SELECT e.extnamespace FROM pg_extension e WHERE e.extname = 'bsperm')
   AND p.proname IN ('bsperm_authorize', 'bsperm_authorize_conditional', 'bsperm_apply_conditions',
                     'bsperm_set_user', 'bsperm_current_user', 'bsperm_current_identity',
                     'bsperm_import_rbac_csv', 'bsperm_substitute_placeholders')
 ORDER BY 1, 2;
SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL AS has_comment
  FROM pg_class c WHERE c.relnamespace = 'bsperm'::regnamespace AND c.relkind = 'r'
   AND c.relname IN ('permissions', 'roles', 'role_members', 'permission_policies',
                     'conditional_policies', 'superusers', 'policy_config', 'role_users',
                     'policy_state', 'policy_changes', 'entities')
 ORDER BY 1;

DROP EXTENSION bsperm CASCADE;
