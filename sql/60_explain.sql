-- bsperm_explain, bsperm_explain_for, bsperm_explain_row (doc/explain.md):
-- the explanation of each rule, provenance of roles, criteria values, and
-- the property that an explanation's result is the decision.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

INSERT INTO entities (entity) VALUES
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-a"},"spec":{"type":"team"},"relations":[{"type":"childOf","targetRef":"group:default/eng"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"eng"},"spec":{"type":"org"}}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"alice"},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"bob"}}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-a","annotations":{"tier":"1"}},"spec":{"owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"secret-b"},"spec":{"owner":"bob"},"relations":[{"type":"ownedBy","targetRef":"user:default/bob"}]}');

INSERT INTO roles VALUES ('role:default/eng', NULL), ('role:default/everyone', NULL), ('role:default/nodelete', NULL);
INSERT INTO role_members VALUES ('role:default/eng', 'group:default/eng'), ('role:default/nodelete', 'user:default/alice');
INSERT INTO permission_policies (role, object, action, effect) VALUES
  ('role:default/eng', 'catalog-entity', 'delete', 'allow'),
  ('role:default/nodelete', 'catalog-entity', 'delete', 'deny'),
  ('role:default/eng', 'catalog.entity.create', 'create', 'allow'),
  ('role:default/eng', 'catalog-entity', 'update', 'allow'),
  ('role:default/eng', 'catalog.entity.refresh', 'update', 'deny');
INSERT INTO policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/everyone', 'catalog', 'catalog-entity', '{read}',
   '{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}},
              {"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"tier","value":"0"}}]}');
INSERT INTO superusers VALUES ('user:default/root');

-- 1. a conditional read, explained for alice on her team's component
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT jsonb_pretty(bsperm_explain('catalog.entity.read', 'component:default/svc-a'));
-- the rule for each kind of decision
SELECT p, bsperm_explain(p) ->> 'rule' AS rule, bsperm_explain(p) ->> 'result' AS result,
       bsperm_authorize(p) AS authorize
  FROM unnest(ARRAY['catalog.entity.create', 'catalog.entity.delete', 'catalog.entity.refresh',
                    'catalog.location.read', 'catalog.entity.read']) p;
-- roles and where they come from
SELECT bsperm_explain('catalog.entity.delete') -> 'roles' AS roles,
       bsperm_explain('catalog.entity.delete') -> 'identity' -> 'groups' AS groups;
COMMIT;

-- 2. anonymous and superuser
SELECT bsperm_explain('catalog.entity.create') ->> 'rule' AS anonymous_rule;
SELECT bsperm_explain_for('user:default/root', NULL, 'catalog.entity.delete') ->> 'rule' AS root_rule;

-- 3. an untrusted role: its own decision, nothing about an entity it cannot see
CREATE ROLE _regress_viewer;
GRANT USAGE ON SCHEMA bsperm TO _regress_viewer;
GRANT SELECT ON entities TO _regress_viewer;
GRANT bsperm_trusted TO _regress_viewer;  -- to set an identity, as an app server does
SET ROLE _regress_viewer;
BEGIN;
SELECT bsperm_set_user('user:default/alice');
-- a visible entity: criteria values shown
SELECT bsperm_explain('catalog.entity.read', 'component:default/svc-a') -> 'resource' AS visible;
-- a hidden entity and a missing one: the same answer, nothing about the entity
SELECT bsperm_explain('catalog.entity.read', 'component:default/secret-b') - 'resource'
       = bsperm_explain('catalog.entity.read', 'component:default/nothing') - 'resource' AS same_but_ref,
       bsperm_explain('catalog.entity.read', 'component:default/secret-b') -> 'resource' AS hidden,
       bsperm_explain('catalog.entity.read', 'component:default/nothing') -> 'resource' AS missing;
-- the named-user variant is the owner's
SELECT bsperm_explain_for('user:default/bob', NULL, 'catalog.entity.read');
ROLLBACK;
-- the protected-table variant: hidden and missing rows answer alike
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT jsonb_pretty(bsperm_explain_row('bsperm.entities', 'component:default/svc-a'));
SELECT bsperm_explain_row('bsperm.entities', 'component:default/secret-b') - 'ref'
       = bsperm_explain_row('bsperm.entities', 'component:default/nothing') - 'ref' AS hidden_equals_missing;
SELECT bsperm_explain_row('bsperm.entities', 'component:default/secret-b');
ROLLBACK;
RESET ROLE;
-- the owner sees why the hidden row is hidden
BEGIN;
SELECT bsperm_set_user('user:default/alice');
SELECT jsonb_pretty(bsperm_explain_row('bsperm.entities', 'component:default/secret-b') -> 'explanation' -> 'resource');
ROLLBACK;
SELECT bsperm_explain_row('bsperm.roles', 'x');
SELECT bsperm_explain('catalog.entity.create', 'component:default/svc-a');
SELECT bsperm_explain('no.such.permission');

-- 4. the property: for random users, permissions and resources, the
-- explanation's result is bsperm_authorize's (current identity and named user)
CREATE FUNCTION _regress_explain_agrees(rounds int) RETURNS TABLE (cases int, disagree int, kinds text)
LANGUAGE plpgsql AS $$
DECLARE
  users text[] := ARRAY['user:default/alice', 'user:default/bob', 'user:default/root', 'user:default/nobody'];
  perms text[] := ARRAY(SELECT name FROM bsperm.permissions ORDER BY name);
  res text[] := ARRAY[NULL, 'component:default/svc-a', 'component:default/secret-b', 'component:default/nothing'];
  u text; p text; r text; a text; e text; f text; n int := 0; bad int := 0;
  seen text[] := '{}';
BEGIN
  PERFORM setseed(0.14);
  FOR i IN 1..rounds LOOP
    -- change the policy now and then: settings, a line added or removed
    IF i % 25 = 0 THEN
      UPDATE bsperm.policy_config SET decision_precedence =
        CASE WHEN random() < 0.5 THEN 'basic' ELSE 'conditional' END,
        max_depth = CASE WHEN random() < 0.5 THEN 0 ELSE NULL END,
        use_ownership_entity_refs = random() < 0.3;
    END IF;
    IF i % 10 = 0 THEN
      IF random() < 0.6 THEN
        INSERT INTO bsperm.permission_policies (role, object, action, effect)
        SELECT (ARRAY['role:default/eng', 'role:default/everyone', 'role:default/nodelete'])[1 + floor(random() * 3)::int],
               (ARRAY['catalog-entity', 'catalog.entity.read', 'catalog.entity.delete', 'catalog.location.read'])[1 + floor(random() * 4)::int],
               (ARRAY['read', 'delete', 'update'])[1 + floor(random() * 3)::int],
               (ARRAY['allow', 'deny'])[1 + floor(random() * 2)::int]
        ON CONFLICT DO NOTHING;
      ELSE
        DELETE FROM bsperm.permission_policies p
         WHERE p.ctid = (SELECT ctid FROM bsperm.permission_policies ORDER BY random() LIMIT 1);
      END IF;
    END IF;
    u := users[1 + floor(random() * 4)::int];
    p := perms[1 + floor(random() * array_length(perms, 1))::int];
    r := res[1 + floor(random() * 4)::int];
    IF (SELECT type FROM bsperm.permissions WHERE name = p) = 'basic' THEN r := NULL; END IF;
    PERFORM bsperm.bsperm_set_user(u);
    a := bsperm.bsperm_authorize(p, r);
    e := bsperm.bsperm_explain(p, r) ->> 'result';
    f := bsperm.bsperm_explain_for(u, NULL, p, r) ->> 'result';
    n := n + 1;
    IF a IS DISTINCT FROM e OR a IS DISTINCT FROM f THEN bad := bad + 1; END IF;
    IF NOT a = ANY (seen) THEN seen := seen || a; END IF;
  END LOOP;
  RETURN QUERY SELECT n, bad, array_to_string(ARRAY(SELECT unnest(seen) ORDER BY 1), ',');
END $$;
BEGIN;
SELECT * FROM _regress_explain_agrees(600);
ROLLBACK;
DROP FUNCTION _regress_explain_agrees(int);
DROP OWNED BY _regress_viewer;
DROP ROLE _regress_viewer;
TRUNCATE entities;
DELETE FROM conditional_policies; DELETE FROM permission_policies; DELETE FROM role_members;
DELETE FROM roles; DELETE FROM policy_config; DELETE FROM superusers;
