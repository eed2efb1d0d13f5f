-- bench/rls/bench.sql: side-by-side timings under row-level security.
-- Each query runs in its own transaction as the application role with the
-- identity set, interleaved in rounds; medians and ratios at the end.
SET max_parallel_workers_per_gather = 0;
SET jit = off;
DROP TABLE IF EXISTS public.bench_rq, public.bench_rt;
CREATE TABLE public.bench_rq (name text PRIMARY KEY, who text, q text);
CREATE TABLE public.bench_rt (name text, ms double precision);
GRANT ALL ON public.bench_rt, public.bench_rq TO bsperm_bench_app;
INSERT INTO public.bench_rq VALUES
 ('count.unprotected', 'SUPER', 'SELECT count(*) FROM bsperm.entities'),
 ('count.plain_table', NULL, 'SELECT count(*) FROM public.plain_entities'),
 ('count.allow_rls', 'user:default/carol', 'SELECT count(*) FROM bsperm.entities'),
 ('count.deny_rls', 'user:default/eve', 'SELECT count(*) FROM bsperm.entities'),
 ('owner.rls', 'user:default/alice', 'SELECT count(*) FROM bsperm.entities'),
 ('owner.rls_fetch', 'user:default/alice', 'SELECT sum(length(entity::text)) FROM bsperm.entities'),
 ('owner.hand_indexed', NULL, $q$SELECT count(*) FROM public.plain_entities WHERE entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-1"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-2"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"user:default/alice"}]}'$q$),
 ('owner.hand_indexed_fetch', NULL, $q$SELECT sum(length(entity::text)) FROM public.plain_entities WHERE entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-1"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-2"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"user:default/alice"}]}'$q$),
 ('compound.rls', 'user:default/dave', 'SELECT count(*) FROM bsperm.entities'),
 ('compound.backstage_search', NULL, $q$SELECT count(*) FROM public.final_entities fe WHERE fe.final_entity IS NOT NULL AND
   EXISTS (SELECT 1 FROM public.search s WHERE s.entity_id = fe.entity_id AND s.key = 'kind' AND s.value = 'component')
   AND (EXISTS (SELECT 1 FROM public.search s WHERE s.entity_id = fe.entity_id AND s.key = 'relations.ownedby' AND s.value = ANY('{group:default/team-1,group:default/team-2,user:default/dave}'))
        OR EXISTS (SELECT 1 FROM public.search s WHERE s.entity_id = fe.entity_id AND s.key = 'metadata.annotations.example.com/cluster' AND s.value = 'cluster-7'))$q$),
 ('userfilter.rls', 'user:default/carol', $q$SELECT count(*) FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.annotations.example.com/cluster","values":["cluster-9"]}]}'$q$),
 ('userfilter.unprotected', 'SUPER', $q$SELECT count(*) FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"allOf":[{"key":"kind","values":["api"]},{"key":"metadata.annotations.example.com/cluster","values":["cluster-9"]}]}'$q$),
 ('userfilter.cond_rls', 'user:default/alice', $q$SELECT count(*) FROM bsperm.entities WHERE entity OPERATOR(public.@~) '{"key":"kind","values":["api"]}'$q$),
 ('perrow.bsperm_matches', NULL, $q$SELECT count(*) FROM public.plain_entities WHERE bsperm_matches(entity, '{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["group:default/team-1","group:default/team-2"]}}')$q$);
-- listings as a catalog UI runs them (issue 12): a page of 20 by entity ref, and the next page
INSERT INTO public.bench_rq VALUES
 ('listing.rls', 'user:default/alice', 'SELECT count(*) FROM (SELECT entity_ref FROM bsperm.entities ORDER BY entity_ref LIMIT 20) s'),
 ('listing.rls_keyset', 'user:default/alice', $q$SELECT count(*) FROM (SELECT entity_ref FROM bsperm.entities WHERE entity_ref > 'component:default/entity-5' ORDER BY entity_ref LIMIT 20) s$q$),
 ('listing.hand_indexed', NULL, $q$SELECT count(*) FROM (SELECT entity_ref FROM public.plain_entities WHERE entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-1"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-2"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"user:default/alice"}]}' ORDER BY entity_ref LIMIT 20) s$q$),
 ('listing.hand_keyset', NULL, $q$SELECT count(*) FROM (SELECT entity_ref FROM public.plain_entities WHERE (entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-1"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"group:default/team-2"}]}' OR entity @> '{"relations":[{"type":"ownedBy","targetRef":"user:default/alice"}]}') AND entity_ref > 'component:default/entity-5' ORDER BY entity_ref LIMIT 20) s$q$);
