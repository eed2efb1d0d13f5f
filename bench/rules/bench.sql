-- bench/rules/bench.sql: the queries, each run as the application role with the
-- identity set (who), or as that role on the unprotected copy (who NULL)
DROP TABLE IF EXISTS public.bench_rq, public.bench_rt;
CREATE TABLE public.bench_rq (name text PRIMARY KEY, who text, refs text, q text);
CREATE TABLE public.bench_rt (name text, ms double precision);
GRANT ALL ON public.bench_rt, public.bench_rq TO bsperm_bench_app;
INSERT INTO public.bench_rq VALUES
 ('cluster.rls', 'user:default/sam', NULL, 'SELECT count(*) FROM bsperm.entities'),
 ('cluster.rls_fetch', 'user:default/sam', NULL, 'SELECT sum(length(entity::text)) FROM bsperm.entities'),
 ('cluster.hand_btree', NULL, NULL, $q$SELECT count(*) FROM public.plain_entities WHERE entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' IN ('cluster-1', 'cluster-2')$q$),
 ('cluster.hand_btree_fetch', NULL, NULL, $q$SELECT sum(length(entity::text)) FROM public.plain_entities WHERE entity #>> '{metadata,annotations,backstage.io/kubernetes-cluster}' IN ('cluster-1', 'cluster-2')$q$),
 ('cluster.hand_gin', NULL, NULL, $q$SELECT count(*) FROM public.plain_entities WHERE entity @> '{"metadata":{"annotations":{"backstage.io/kubernetes-cluster":"cluster-1"}}}' OR entity @> '{"metadata":{"annotations":{"backstage.io/kubernetes-cluster":"cluster-2"}}}'$q$),
 ('transitive.rls', 'user:default/dana', NULL, 'SELECT count(*) FROM bsperm.entities'),
 ('transitive.rls_fetch', 'user:default/dana', NULL, 'SELECT sum(length(entity::text)) FROM bsperm.entities'),
 ('direct.rls', 'user:default/dora', 'user:default/dora,group:default/dept-0,group:default/team-0,group:default/team-1,group:default/team-2,group:default/team-3,group:default/team-4,group:default/team-5,group:default/team-6,group:default/team-7,group:default/team-8,group:default/team-9', 'SELECT count(*) FROM bsperm.entities'),
 ('direct.rls_fetch', 'user:default/dora', 'user:default/dora,group:default/dept-0,group:default/team-0,group:default/team-1,group:default/team-2,group:default/team-3,group:default/team-4,group:default/team-5,group:default/team-6,group:default/team-7,group:default/team-8,group:default/team-9', 'SELECT sum(length(entity::text)) FROM bsperm.entities');
-- the best hand-written query for the eleven groups: one containment per group, OR-ed (a BitmapOr)
INSERT INTO public.bench_rq
SELECT n, NULL, NULL, 'SELECT ' || e || ' FROM public.plain_entities WHERE ' ||
       string_agg(format('entity @> %L', jsonb_build_object('relations', jsonb_build_array(jsonb_build_object('type', 'ownedBy', 'targetRef', g)))), ' OR ')
  FROM (VALUES ('transitive.hand_gin', 'count(*)'), ('transitive.hand_gin_fetch', 'sum(length(entity::text))')) v(n, e),
       unnest(ARRAY['group:default/dept-0'] || ARRAY(SELECT 'group:default/team-' || k FROM generate_series(0, 9) k)) g
 GROUP BY n, e;
