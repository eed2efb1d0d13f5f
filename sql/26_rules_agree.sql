-- One semantics for declared rules and transitive ownership (issue 10): for
-- random entities and random criteria mixing the catalog's rules, the
-- built-in declared rules, a rule declared here and IS_ENTITY_OWNER with
-- transitive/maxDepth, four answers agree:
--   per entity   bsperm_matches(entity, criteria)
--   index        bsperm_criteria_sql(criteria) run with the GIN index only
--   scan         the same predicate with a sequential scan only
--   reference    the criteria rewritten into the catalog's six rules (declared
--                rules spelled out, transitive claims expanded by a recursive
--                query over the groups' relations), run per entity
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

SELECT bsperm_declare_rule('HAS_TIER', 'Allow entities with one of the given tiers',
  '{"type":"object","properties":{"tiers":{"type":"array","items":{"type":"string"}}},"required":["tiers"]}',
  '{"key":"metadata.labels.tier","values":"${tiers}"}');

-- the group hierarchy, where bsperm reads it: a binary tree g1..g31 (g1 the
-- root; childOf the parent, parentOf the children) and a two-group cycle
INSERT INTO entities (entity)
SELECT jsonb_build_object('kind', 'Group', 'metadata', jsonb_build_object('name', 'g' || i),
  'relations', (SELECT coalesce(jsonb_agg(r), '[]') FROM (
      SELECT jsonb_build_object('type', 'childOf', 'targetRef', 'group:default/g' || (i / 2)) r WHERE i > 1
      UNION ALL
      SELECT jsonb_build_object('type', 'parentOf', 'targetRef', 'group:default/g' || c)
        FROM unnest(ARRAY[2 * i, 2 * i + 1]) c WHERE c <= 31) x))
FROM generate_series(1, 31) i;
INSERT INTO entities (entity) VALUES
 ('{"kind":"Group","metadata":{"name":"c1"},"relations":[{"type":"childOf","targetRef":"group:default/c2"},{"type":"parentOf","targetRef":"group:default/c2"}]}'),
 ('{"kind":"Group","metadata":{"name":"c2"},"relations":[{"type":"childOf","targetRef":"group:default/c1"},{"type":"parentOf","targetRef":"group:default/c1"}]}');

CREATE FUNCTION _expand(claims jsonb, dir text, depth int) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE w(ref, d) AS (
    SELECT lower(c), 0 FROM jsonb_array_elements_text(claims) c
    UNION
    SELECT r ->> 'targetRef', w.d + 1
      FROM w JOIN bsperm.entities e ON e.entity_ref = w.ref,
           jsonb_array_elements(e.entity -> 'relations') r
     WHERE r ->> 'type' = CASE dir WHEN 'ancestors' THEN 'childOf' ELSE 'parentOf' END
       AND w.d < coalesce(depth, 8))   -- (the tree is 5 levels deep)
  SELECT coalesce(jsonb_agg(DISTINCT ref), '[]') FROM w $$;

SELECT setseed(0.1010);
CREATE FUNCTION _pick(a text[]) RETURNS text LANGUAGE sql VOLATILE AS
  $$ SELECT a[1 + floor(random() * cardinality(a))::int] $$;
CREATE FUNCTION _list(a text[]) RETURNS jsonb LANGUAGE sql VOLATILE AS
  $$ SELECT coalesce(jsonb_agg(_pick(a)), '[]') FROM generate_series(1, floor(random() * 3)::int) $$;
CREATE FUNCTION _leaf(rule text, params jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS
  $$ SELECT jsonb_build_object('rule', rule, 'resourceType', 'catalog-entity', 'params', params) $$;
-- matches nothing, in the catalog's rules (anyOf must not be empty)
CREATE FUNCTION _nothing() RETURNS jsonb LANGUAGE sql IMMUTABLE AS
  $$ SELECT jsonb_build_object('allOf', jsonb_build_array(_leaf('HAS_METADATA', '{"key":"name"}'),
            jsonb_build_object('not', _leaf('HAS_METADATA', '{"key":"name"}')))) $$;
CREATE FUNCTION _any_of(leaves jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE WHEN jsonb_array_length(leaves) = 0 THEN _nothing() ELSE jsonb_build_object('anyOf', leaves) END $$;

-- random criteria: (with declared rules, the same in the catalog's rules)
CREATE FUNCTION _criteria(depth int, OUT c jsonb, OUT ref jsonb) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  k int := floor(random() * CASE WHEN depth > 2 THEN 5 ELSE 8 END)::int;
  l jsonb;
  a jsonb;
  b jsonb;
  dir text;
  md int;
  i int;
BEGIN
  CASE k
  WHEN 0 THEN
    l := _list(ARRAY['prod-eu', 'PROD-US', 'dev', 'x']);
    c := _leaf('IS_FROM_CLUSTER', jsonb_build_object('clusters', l));
    ref := _any_of((SELECT coalesce(jsonb_agg(_leaf('HAS_ANNOTATION', jsonb_build_object(
             'annotation', 'backstage.io/kubernetes-cluster', 'value', v))), '[]') FROM jsonb_array_elements_text(l) v));
  WHEN 1 THEN
    l := _list(ARRAY['default', 'ops', 'Team-A', 'none']);
    c := _leaf('IN_NAMESPACE', jsonb_build_object('namespaces', l));
    ref := _any_of((SELECT coalesce(jsonb_agg(_leaf('HAS_METADATA', jsonb_build_object('key', 'namespace', 'value', v))), '[]')
                      FROM jsonb_array_elements_text(l) v));
  WHEN 2 THEN
    l := _list(ARRAY['gold', 'Silver', 'bronze']);
    c := _leaf('HAS_TIER', jsonb_build_object('tiers', l));
    ref := _any_of((SELECT coalesce(jsonb_agg(_leaf('HAS_LABEL', jsonb_build_object('label', 'tier', 'value', v))), '[]')
                      FROM jsonb_array_elements_text(l) v));
  WHEN 3 THEN
    l := _list(ARRAY['group:default/g1', 'group:default/g2', 'group:default/g5', 'Group:default/G11',
                     'group:default/g23', 'group:default/c1', 'user:default/u1', 'group:default/nope']);
    dir := _pick(ARRAY['ancestors', 'descendants', NULL]);
    md := CASE WHEN dir IS NOT NULL AND random() < 0.5 THEN 1 + floor(random() * 3)::int END;
    c := _leaf('IS_ENTITY_OWNER', jsonb_build_object('claims', l) ||
               CASE WHEN dir IS NULL THEN '{}' ELSE jsonb_build_object('transitive', dir) END ||
               CASE WHEN md IS NULL THEN '{}' ELSE jsonb_build_object('maxDepth', md) END);
    ref := _leaf('IS_ENTITY_OWNER', jsonb_build_object('claims',
             CASE WHEN dir IS NULL THEN l ELSE _expand(l, dir, md) END));
  WHEN 4 THEN
    SELECT x.c, x.ref INTO a, b FROM _criteria(depth + 1) x;
    c := jsonb_build_object('not', a);
    ref := jsonb_build_object('not', b);
  ELSE
    c := '[]';
    ref := '[]';
    FOR i IN 1 .. 1 + floor(random() * 3)::int LOOP
      SELECT x.c, x.ref INTO a, b FROM _criteria(depth + 1) x;
      c := c || jsonb_build_array(a);
      ref := ref || jsonb_build_array(b);
    END LOOP;
    c := jsonb_build_object(CASE WHEN k = 5 THEN 'allOf' ELSE 'anyOf' END, c);
    ref := jsonb_build_object(CASE WHEN k = 5 THEN 'allOf' ELSE 'anyOf' END, ref);
  END CASE;
END $$;

CREATE TABLE rt (id int PRIMARY KEY, entity jsonb NOT NULL);
INSERT INTO rt
SELECT i, jsonb_build_object('kind', _pick(ARRAY['Component', 'API']),
  'metadata', jsonb_build_object('name', 'e' || i)
     || CASE WHEN random() < 0.7 THEN jsonb_build_object('namespace', _pick(ARRAY['default', 'ops', 'team-a', 'Team-A'])) ELSE '{}' END
     || jsonb_build_object('annotations', CASE WHEN random() < 0.7
          THEN jsonb_build_object('backstage.io/kubernetes-cluster', _pick(ARRAY['prod-eu', 'prod-us', 'Prod-EU', 'dev']))
          ELSE '{}' END)
     || jsonb_build_object('labels', CASE WHEN random() < 0.6 THEN jsonb_build_object('tier', _pick(ARRAY['gold', 'silver', 'Bronze'])) ELSE '{}' END),
  'relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef',
     CASE WHEN random() < 0.9 THEN 'group:default/g' || (1 + floor(random() * 31)::int)
          ELSE _pick(ARRAY['group:default/c2', 'user:default/u1']) END)))
FROM generate_series(1, 1500) i;
CREATE INDEX rt_entity ON rt USING gin (entity bsperm_entity_ops);
ANALYZE rt;

CREATE TABLE rc AS SELECT i AS id, x.c, x.ref FROM generate_series(1, 120) i, LATERAL _criteria(i - i) x;  -- (correlated: one call per row)

CREATE FUNCTION _ids(pred text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
  EXECUTE format('SELECT coalesce(string_agg(id::text, '','' ORDER BY id), '''') FROM rt WHERE %s', pred) INTO r;
  RETURN r;
END $$;

CREATE TEMP TABLE answers AS
SELECT id,
       (SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM rt WHERE bsperm_matches(rt.entity, rc.c)) AS per_entity,
       (SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM rt WHERE bsperm_matches(rt.entity, rc.ref)) AS reference,
       bsperm_criteria_sql(c, 'rt.entity') AS pred
  FROM rc;
SET enable_seqscan = off;
ALTER TABLE answers ADD COLUMN by_index text;
UPDATE answers SET by_index = _ids(pred);
RESET enable_seqscan;
SET enable_bitmapscan = off;
SET enable_indexscan = off;
ALTER TABLE answers ADD COLUMN by_scan text;
UPDATE answers SET by_scan = _ids(pred);
RESET enable_bitmapscan;
RESET enable_indexscan;

SELECT count(*) AS criteria,
       count(*) FILTER (WHERE per_entity = reference AND per_entity = by_index AND per_entity = by_scan) AS all_agree,
       count(*) FILTER (WHERE per_entity = '') AS match_none,
       count(*) FILTER (WHERE per_entity <> '' AND cardinality(string_to_array(per_entity, ',')) < 1500) AS match_some,
       count(*) FILTER (WHERE rc.c::text LIKE '%transitive%') AS with_transitive,
       count(*) FILTER (WHERE rc.c::text LIKE '%IS_FROM_CLUSTER%' OR rc.c::text LIKE '%IN_NAMESPACE%' OR rc.c::text LIKE '%HAS_TIER%') AS with_declared
  FROM answers JOIN rc USING (id);
-- any disagreement, shown
SELECT rc.id, rc.c, a.per_entity, a.reference, a.by_index, a.by_scan
  FROM answers a JOIN rc USING (id)
 WHERE NOT (per_entity = reference AND per_entity = by_index AND per_entity = by_scan);

-- the index answers a declared rule and a transitive claim (the plan without parallel workers)
SET enable_seqscan = off;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT id FROM rt WHERE entity @~ bsperm_criteria_filter(
  '{"anyOf":[{"rule":"IS_FROM_CLUSTER","resourceType":"catalog-entity","params":{"clusters":["prod-eu"]}},
             {"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/g23"],"transitive":"ancestors","maxDepth":2}}]}');
RESET enable_seqscan;
RESET max_parallel_workers_per_gather;

DROP TABLE rt, rc;
DROP FUNCTION _ids(text), _criteria(int), _any_of(jsonb), _nothing(), _leaf(text, jsonb), _list(text[]), _pick(text[]),
  _expand(jsonb, text, int);
DROP EXTENSION bsperm CASCADE;
