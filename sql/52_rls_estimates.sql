-- The planner sees through the policy: row estimates of a policy's filter
-- within 3x of the truth, selective to broad; listings served by the index.
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = public;
INSERT INTO bsperm.entities (entity)
  SELECT jsonb_build_object(
    'kind', (ARRAY['Component','API','Resource','System','Domain','Template','Group','User'])[1 + i % 8],
    'metadata', jsonb_build_object('name', 'e-' || i,
       'annotations', jsonb_build_object('example.com/cluster', 'c-' || (i % 50))),
    'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/team-' || (i % 500))))
  FROM generate_series(1, 20000) i;
ANALYZE bsperm.entities;
INSERT INTO bsperm.roles (name) VALUES ('role:default/owner'), ('role:default/apis'), ('role:default/half');
INSERT INTO bsperm.role_members (role, member) VALUES
 ('role:default/owner', 'user:default/alice'), ('role:default/apis', 'user:default/ann'),
 ('role:default/half', 'user:default/hal');
INSERT INTO bsperm.conditional_policies (role, plugin_id, resource_type, actions, conditions) VALUES
 ('role:default/owner', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["$ownerRefs"]}}'),
 ('role:default/apis', 'catalog', 'catalog-entity', '{read}',
  '{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["API"]}}'),
 ('role:default/half', 'catalog', 'catalog-entity', '{read}',
  '{"anyOf":[{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["API","Component","Group","User"]}},
             {"rule":"HAS_ANNOTATION","resourceType":"catalog-entity","params":{"annotation":"example.com/cluster","value":"c-3"}}]}');
CREATE ROLE regress_est_app LOGIN;
GRANT bsperm_trusted TO regress_est_app;
GRANT SELECT ON bsperm.entities TO regress_est_app;
CREATE FUNCTION public._est_ratio(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE j json; est float8; n bigint;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  est := (j->0->'Plan'->>'Plan Rows')::float8;
  EXECUTE 'SELECT count(*) FROM (' || q || ') s' INTO n;
  RETURN CASE WHEN est BETWEEN n / 3.0 AND greatest(n * 3.0, 1) THEN 'within 3x' ELSE format('est %s, actual %s', est, n) END;
END $$;
CREATE FUNCTION public._est_plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE l text; out text := '';
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF l ~ 'Scan|Sort|Limit' THEN out := out || regexp_replace(trim(l), ' on .*| using .*|:.*', '') || '; '; END IF;
  END LOOP;
  RETURN out;
END $$;
SET ROLE regress_est_app;
-- selective (0.2%), medium (12.5%) and broad (about 50%) policies
BEGIN; SELECT bsperm_set_user('user:default/alice', ARRAY['group:default/team-7']) \g /dev/null
SELECT 'selective' AS policy, public._est_ratio('SELECT * FROM bsperm.entities') AS estimate;
SELECT public._est_plan('SELECT entity_ref FROM bsperm.entities ORDER BY entity_ref LIMIT 20') AS listing_plan;
COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/ann') \g /dev/null
SELECT 'medium' AS policy, public._est_ratio('SELECT * FROM bsperm.entities') AS estimate;
-- a keyset position after every row the policy shows (APIs sort first): the joint estimate
-- finds nothing there, so the index's rows are sorted instead of walking the rest of the key
SELECT 'medium, keyset past its rows' AS policy,
  public._est_ratio($q$SELECT * FROM bsperm.entities WHERE entity_ref > 'component:default/e-5'$q$) AS estimate;
SELECT public._est_plan($q$SELECT entity_ref FROM bsperm.entities WHERE entity_ref > 'component:default/e-5' ORDER BY entity_ref LIMIT 20$q$) AS keyset_plan;
COMMIT;
-- DENY with another condition reads nothing
BEGIN; SELECT bsperm_set_user('user:default/nobody') \g /dev/null
SELECT public._est_plan($q$SELECT entity_ref FROM bsperm.entities WHERE entity_ref > 'component:default/e-5' ORDER BY entity_ref LIMIT 20$q$) AS deny_keyset_plan;
COMMIT;
BEGIN; SELECT bsperm_set_user('user:default/hal') \g /dev/null
SELECT 'broad' AS policy, public._est_ratio('SELECT * FROM bsperm.entities') AS estimate;
COMMIT;
RESET ROLE;
-- without row security (the superuser), a user's own filters are estimated the same way
SELECT f AS filter, public._est_ratio(format('SELECT * FROM bsperm.entities WHERE entity OPERATOR(public.@~) %L', f)) AS estimate
  FROM (VALUES ('{"key":"relations.ownedby","values":["group:default/team-9"]}'),
               ('{"key":"metadata.annotations.example.com/cluster","values":["c-4"]}'),
               ('{"key":"kind","values":["api"]}'),
               ('{"key":"kind","values":["api","component","group","user"]}'),
               ('{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.annotations.example.com/cluster","values":["c-9"]}]}'),
               ('{"not":{"key":"kind","values":["api"]}}')) v(f);
-- a filter that appears both alone and inside another condition of the same
-- query ("a AND (b OR a)"): the joint estimate of one must not estimate the
-- other jointly again (it recursed until the stack ran out)
SELECT count(*) AS same_filter_twice FROM bsperm.entities e
 WHERE (e.entity @~ '{"key":"kind","values":[]}')
   AND (NOT (e.entity @~ '{"key":"kind","values":["api"]}') OR (e.entity @~ '{"key":"kind","values":[]}'));
DROP FUNCTION public._est_ratio(text);
DROP FUNCTION public._est_plan(text);
DROP EXTENSION bsperm CASCADE;
REVOKE bsperm_trusted FROM regress_est_app;
DROP ROLE regress_est_app;
