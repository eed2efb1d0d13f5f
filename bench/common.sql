-- bench/common.sql: what every benchmark shares.  bench_entity(i) is a
-- generated Backstage entity of about 1.1 KB (mixed-case values, arrays,
-- relations as the catalog writes them); bench_timed(q) runs q once and
-- returns the milliseconds it took, planning included.
CREATE OR REPLACE FUNCTION public.bench_entity(i int) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_build_object(
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
$$;

CREATE OR REPLACE FUNCTION public.bench_timed(q text) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; n bigint;
BEGIN
  t0 := clock_timestamp();
  EXECUTE q INTO n;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
