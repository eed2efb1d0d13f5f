-- Plans shared between users whose decisions are equal (issue 12): bsperm_set_user keeps the
-- plans that folded decisions the new user makes exactly alike, and invalidates them for any
-- other user.  Each case is an attack on that sharing: a plan made for one user must never
-- serve a user whose decision differs, even by a claim.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;
INSERT INTO bsperm.entities (entity) SELECT e::jsonb FROM (VALUES
 ('{"kind":"API","metadata":{"name":"api-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"API","metadata":{"name":"api-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}'),
 ('{"kind":"Component","metadata":{"name":"comp-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}'),
 ('{"kind":"Component","metadata":{"name":"comp-b"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-b"}]}')) v(e);
INSERT INTO bsperm.roles (name) VALUES ('role:default/apis'), ('role:default/owner'), ('role:default/admin');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/apis', 'user:default/ann'), ('role:default/apis', 'user:default/amy'),
 ('role:default/owner', 'user:default/alice'), ('role:default/owner', 'user:default/bob'),
 ('role:default/admin', 'user:default/carol');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/apis', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["API"]}}'),
 ('role:default/owner', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}');
INSERT INTO bsperm.permission_policies (role, object, action, effect) VALUES
 ('role:default/admin', 'catalog-entity', 'read', 'allow');
CREATE ROLE regress_share_app LOGIN;
GRANT bsperm_trusted TO regress_share_app;
GRANT SELECT ON bsperm.entities TO regress_share_app;
CREATE FUNCTION public._share_set(u text, g text) RETURNS void LANGUAGE sql AS
  $$ SELECT bsperm_set_user('user:default/' || u, ARRAY['user:default/' || u, 'group:default/' || g]) $$;
CREATE FUNCTION public._share_names_plpgsql() RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE r text;
BEGIN
  SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '(none)') INTO r FROM bsperm.entities;
  RETURN r;
END $$;
SET ROLE regress_share_app;
PREPARE names AS SELECT coalesce(string_agg(entity->'metadata'->>'name', ',' ORDER BY 1), '(none)') AS names
  FROM bsperm.entities;
PREPARE page(text) AS SELECT coalesce(string_agg(entity_ref, ',' ORDER BY entity_ref), '(none)') AS page
  FROM (SELECT entity_ref FROM bsperm.entities WHERE entity_ref > $1 ORDER BY entity_ref LIMIT 2) s;

-- one transaction, one generic plan: equal decisions (ann, amy) share it; a user whose filter
-- differs only in a claim (alice, bob), ALLOW (carol) and DENY (eve) never get another's
SET plan_cache_mode = force_generic_plan;
BEGIN;
SELECT _share_set('ann', 'team-x') \g /dev/null
EXECUTE names; EXECUTE page('');
SELECT _share_set('amy', 'team-y') \g /dev/null
EXECUTE names; EXECUTE page('');
SELECT _share_set('alice', 'team-a') \g /dev/null
EXECUTE names; EXECUTE page('');
SELECT _share_set('bob', 'team-b') \g /dev/null
EXECUTE names; EXECUTE page('');
SELECT _share_set('carol', 'team-c') \g /dev/null
EXECUTE names; EXECUTE page('api:default/api-b');
SELECT _share_set('eve', 'team-e') \g /dev/null
EXECUTE names; EXECUTE page('');
SELECT _share_set('amy', 'team-y') \g /dev/null
EXECUTE names; SELECT _share_names_plpgsql() AS plpgsql;
SELECT _share_set('bob', 'team-b') \g /dev/null
EXECUTE names; SELECT _share_names_plpgsql() AS plpgsql;
SELECT _share_set('alice', 'team-a') \g /dev/null
SELECT _share_names_plpgsql() AS plpgsql; EXECUTE names;
COMMIT;

-- the same with custom plans, and across a savepoint rolled back (its identity is undone)
SET plan_cache_mode = force_custom_plan;
BEGIN;
SELECT _share_set('alice', 'team-a') \g /dev/null
EXECUTE names;
SAVEPOINT s;
SELECT _share_set('bob', 'team-b') \g /dev/null
EXECUTE names;
ROLLBACK TO SAVEPOINT s;
EXECUTE names;
SELECT _share_set('ann', 'team-x') \g /dev/null
EXECUTE names;
COMMIT;

-- after the transaction no identity is set: nothing is visible, with the plan kept or not
SET plan_cache_mode = force_generic_plan;
EXECUTE names;
BEGIN;
SELECT _share_set('bob', 'team-b') \g /dev/null
EXECUTE names;
COMMIT;
EXECUTE names;

-- a membership change between two users with equal decisions: the next user's decision is
-- made with it (amy loses the role, so her plan is not ann's any more)
BEGIN;
SELECT _share_set('ann', 'team-x') \g /dev/null
EXECUTE names;
RESET ROLE;
DELETE FROM bsperm.role_members WHERE member = 'user:default/amy';
SET ROLE regress_share_app;
SELECT _share_set('amy', 'team-y') \g /dev/null
EXECUTE names;
SELECT _share_set('ann', 'team-x') \g /dev/null
EXECUTE names;
ROLLBACK;
RESET plan_cache_mode;
RESET ROLE;
DEALLOCATE ALL;
DROP FUNCTION public._share_set(text, text);
DROP FUNCTION public._share_names_plpgsql();
DROP EXTENSION bsperm CASCADE;
REVOKE bsperm_trusted FROM regress_share_app;
DROP ROLE regress_share_app;
