-- The worked example of doc/decisions.md: three users, two teams, one
-- conditional policy.  Keep the two in step.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the catalog
INSERT INTO entities (entity) VALUES
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-a"},"spec":{"type":"team"}}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-b"},"spec":{"type":"team"}}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"alice"},"spec":{"memberOf":["team-a"]},"relations":[{"type":"memberOf","targetRef":"group:default/team-a"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"bob"},"spec":{"memberOf":["team-b"]},"relations":[{"type":"memberOf","targetRef":"group:default/team-b"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"User","metadata":{"name":"carol"},"spec":{"memberOf":[]}}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-a"},"spec":{"owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"svc-b"},"spec":{"owner":"team-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}'),
 ('{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"notes"},"spec":{"owner":"user:carol"},"relations":[{"type":"ownedBy","targetRef":"user:default/carol"}]}');

-- the policy: team members may register entities and may never delete them;
-- every signed-in user may read locations, and reads the entities it owns
SELECT bsperm_import_rbac_csv($csv$
p, role:default/member, catalog.entity.create, create, allow
p, role:default/member, catalog-entity, delete, deny
g, group:default/team-a, role:default/member
g, group:default/team-b, role:default/member
p, role:default/everyone, catalog.location.read, read, allow
$csv$);
INSERT INTO policy_config (default_role) VALUES ('role:default/everyone');
INSERT INTO conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
  ('role:default/everyone', 'catalog', 'catalog-entity', '{read}',
   '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');

CREATE FUNCTION _regress_as(u text) RETURNS TABLE (question text, answer text)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsperm_set_user(u);
  RETURN QUERY VALUES
    ('read svc-a', bsperm_authorize('catalog.entity.read', 'component:default/svc-a')),
    ('read svc-b', bsperm_authorize('catalog.entity.read', 'component:default/svc-b')),
    ('read notes', bsperm_authorize('catalog.entity.read', 'component:default/notes')),
    ('create', bsperm_authorize('catalog.entity.create')),
    ('delete svc-a', bsperm_authorize('catalog.entity.delete', 'component:default/svc-a')),
    ('read locations', bsperm_authorize('catalog.location.read')),
    ('read, no resource', bsperm_authorize('catalog.entity.read'));
END $$;

CREATE FUNCTION _regress_readable(u text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bsperm_set_user(u);
  RETURN (SELECT string_agg(entity_ref, ', ' ORDER BY entity_ref) FROM bsperm.entities
           WHERE bsperm_authorize('catalog.entity.read', entity_ref) = 'ALLOW');
END $$;

BEGIN;
SELECT q.question,
       max(answer) FILTER (WHERE who = 'alice') AS alice,
       max(answer) FILTER (WHERE who = 'bob') AS bob,
       max(answer) FILTER (WHERE who = 'carol') AS carol,
       max(answer) FILTER (WHERE who = 'anonymous') AS anonymous
  FROM (VALUES ('alice', 'user:default/alice'), ('bob', 'user:default/bob'),
               ('carol', 'user:default/carol'), ('anonymous', NULL)) AS users(who, ref),
       LATERAL _regress_as(ref) AS q
 GROUP BY q.question ORDER BY q.question;
-- the conditions each one gets, placeholders filled in
SELECT bsperm_set_user('user:default/alice');
SELECT bsperm_authorize_conditional('catalog.entity.read') -> 'conditions' AS alice;
SELECT bsperm_set_user('user:default/carol');
SELECT bsperm_authorize_conditional('catalog.entity.read') -> 'conditions' AS carol;
-- what each one may read, as a list
SELECT who, _regress_readable('user:default/' || who) AS readable
  FROM (VALUES ('alice'), ('bob'), ('carol')) AS u(who);
COMMIT;

DROP FUNCTION _regress_as(text), _regress_readable(text);
DROP EXTENSION bsperm CASCADE;
