-- bench/criteria/data.sql: a generated catalog of :n entities (about 1 KB each)
-- in bench_entities, with bsperm's GIN index and a jsonb_path_ops GIN index
-- for the hand-written comparison queries.
DROP TABLE IF EXISTS bench_entities;
CREATE TABLE bench_entities (id int PRIMARY KEY, entity jsonb NOT NULL);
INSERT INTO bench_entities
SELECT i, jsonb_build_object(
  'apiVersion', 'backstage.io/v1alpha1',
  'kind', (ARRAY['Component','API','Resource','System','Domain','Template','Group','User'])[1 + i % 8],
  'metadata', jsonb_build_object(
     'name', 'entity-' || i, 'namespace', 'default', 'uid', md5(i::text),
     'title', 'Entity number ' || i,
     'description', 'Generated entity ' || i || ' for the bsperm benchmark, with some prose to reach a realistic size.',
     'annotations', jsonb_build_object(
        'backstage.io/managed-by-location', 'url:https://git.example.com/org/repo-' || (i % 997) || '/catalog-info.yaml',
        'backstage.io/managed-by-origin-location', 'url:https://git.example.com/org/repo-' || (i % 997) || '/catalog-info.yaml',
        'backstage.io/techdocs-ref', 'dir:.',
        'example.com/Cluster', 'Cluster-' || (i % 50),
        'github.com/project-slug', 'org/repo-' || (i % 997)),
     'labels', jsonb_build_object('tier', (ARRAY['Gold','silver','bronze'])[1 + i % 3], 'region', 'eu-' || (i % 4)),
     'tags', jsonb_build_array('lang-' || (i % 12), 'java', 'team-' || (i % 500)),
     'links', jsonb_build_array(jsonb_build_object('url', 'https://dash.example.com/' || i, 'title', 'Dashboard'))),
  'spec', jsonb_build_object('type', (ARRAY['service','website','library'])[1 + i % 3],
     'lifecycle', (ARRAY['production','experimental','deprecated'])[1 + i % 3],
     'owner', 'team-' || (i % 500), 'system', 'system-' || (i % 100)),
  'relations', jsonb_build_array(
     jsonb_build_object('type', 'ownedBy', 'targetRef', 'group:default/team-' || (i % 500)),
     jsonb_build_object('type', 'partOf', 'targetRef', 'system:default/system-' || (i % 100)),
     jsonb_build_object('type', 'dependsOn', 'targetRef', 'resource:default/db-' || (i % 300))))
FROM generate_series(1, :n) i;
CREATE INDEX bench_entities_bsperm ON bench_entities USING gin (entity bsperm.bsperm_entity_ops);
CREATE INDEX bench_entities_pathops ON bench_entities USING gin (entity jsonb_path_ops);
VACUUM ANALYZE bench_entities;
