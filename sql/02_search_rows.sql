-- Flattening an entity into Backstage's search rows (spec 4.3 and 8.3).
CREATE EXTENSION IF NOT EXISTS bsperm;
SET search_path = bsperm, public;

-- the spec's worked example, in Backstage's order
SELECT key, value FROM bsperm_search_rows('{"kind":"Component","metadata":{"name":"svc-a","namespace":"default",
"tags":["java","db"],"links":[{"url":"https://a","title":"Docs"}],"annotations":{"example.com/Flag":"Yes"}},
"spec":{"owner":"team-a","replicas":3,"nothing":null,"list":[["a","b"],{"x":1}],"nested":{"deep":{"key":"V"}}},
"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}');

-- arrays: values, array-item keys once, nothing for [] and {}
SELECT key, value FROM bsperm_search_rows('{"spec":{"arr":["X","x",1,true,null,[],{}]}}') ORDER BY key, value;
-- special keys are matched before lowercasing: Status is indexed, status is not
SELECT key, value FROM bsperm_search_rows('{"status":{"a":1},"Status":{"b":1},"attachments":[1]}') ORDER BY key, value;
-- no namespace, no uid: NULL rows plus the "default" namespace
SELECT key, value FROM bsperm_search_rows('{"metadata":{"name":"n"}}') ORDER BY key, value;
-- empty strings are values; U+0001 rows are dropped as Backstage does on PostgreSQL
SELECT key, value FROM bsperm_search_rows('{"spec":{"emptyStr":"","k":"\u0001"}}') ORDER BY key, value;
-- a NULL row and a U+0001 row for one key: the first one wins
SELECT key, value FROM bsperm_search_rows('{"spec":{"a":[null,"\u0001"],"b":["\u0001",null]}}') ORDER BY key, value;
-- values over 200 UTF-16 units become NULL, keys over 200 units drop the row
SELECT key, length(value) FROM bsperm_search_rows(jsonb_build_object('spec', jsonb_build_object(
  'v200', repeat('x', 200), 'v201', repeat('x', 201), 'astral', repeat('😀', 100), 'astral2', repeat('😀', 101),
  repeat('k', 195), 'fits', repeat('k', 196), 'dropped'))) ORDER BY key;
-- numbers print as JavaScript prints them
SELECT key, value FROM bsperm_search_rows('{"spec":{"a":3,"b":1.5,"c":1.0,"d":1e21,"e":1e-7,"f":0.000001,"g":-0,"h":123456789012345678901234567890,"i":1e400}}') ORDER BY key;
-- JavaScript's toLowerCase, not PostgreSQL's lower()
SELECT r.key, r.value, lower(o.v) AS pg_lower
FROM bsperm_search_rows('{"metadata":{"annotations":{"example.com/city":"İstanbul","example.com/word":"ΟΔΟΣ","Kelvin":"\u212a"}}}') r
JOIN (VALUES ('metadata.annotations.example.com/city', 'İstanbul'), ('metadata.annotations.example.com/word', 'ΟΔΟΣ'),
             ('metadata.annotations.kelvin', U&'\212A')) o(k, v) ON o.k = r.key
ORDER BY r.key;
-- relations: type kept as written, then lowercased with the key
SELECT key, value FROM bsperm_search_rows('{"relations":[{"type":"ownedBy","targetRef":"group:default/Team-A"},{"type":"OwnedBy","targetRef":"group:default/odd"},{"targetRef":"x"},"junk"]}') ORDER BY key, value;
-- literal dotted keys and nested keys flatten to the same key
SELECT key, value FROM bsperm_search_rows('{"spec":{"dotted.key":"dk","dotted":{"key":"nested"}}}') ORDER BY key, value;

-- canonical entity refs
SELECT bsperm_entity_ref('{"kind":"Component","metadata":{"name":"SVC-A","namespace":"Prod"}}'),
       bsperm_entity_ref('{"kind":"User","metadata":{"name":"Alice"}}'),
       bsperm_entity_ref('{"kind":"User","metadata":{}}') IS NULL AS no_name,
       bsperm_entity_ref('[1]') IS NULL AS not_an_object;

DROP EXTENSION bsperm CASCADE;
