/*
 * test_core.c - unit tests of the flattener, filters and criteria reader.
 *
 * Besides fixed cases, a property test compares the pruned evaluation
 * (the flattener told which keys the filter reads, as bsperm_matches and
 * the @~ operator run it) with evaluation over every search row, on
 * thousands of random entities and filters.
 */
#include <math.h>

#include "bsp_criteria.h"
#include "bsp_doc.h"
#include "bsp_filter.h"
#include "bsp_flatten.h"
#include "unit.h"
#include "unit_eval.h"
#include "unit_jsonb.h"

static const bsp_limits limits = {64, 20000, 10000, NULL, NULL};

/* ---- collecting rows as "key=value" / "key=NULL" lines ---- */
typedef struct rows
{
	char		buf[65536];
	size_t		len;
	int			n;
} rows;

static bool
collect(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
	rows	   *r = ctx;
	int			w = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%.*s=%s%.*s\n",
							(int) kl, k, v ? "" : "NULL", v ? (int) vl : 0, v ? v : "");

	if (w > 0 && r->len + (size_t) w < sizeof(r->buf))
		r->len += (size_t) w;
	r->n++;
	return true;
}

static bool
has_row(rows *r, const char *line)
{
	char		want[1024];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strncmp(r->buf, want + 1, strlen(want + 1)) == 0)
		return true;
	return strstr(r->buf, want) != NULL;
}

static void
flatten_text(const char *json, rows *r)
{
	unit_arena ua;
	bsp_flat	f;
	json_object *o = json_tokener_parse(json);

	unit_arena_init(&ua);
	memset(r, 0, sizeof(*r));
	bsp_flat_init(&f, &ua.arena, NULL, collect, r);
	bsp_flatten_json(&f, o);
	json_object_put(o);
	unit_arena_free(&ua);
}

static void
test_flatten(void)
{
	rows		r;

	flatten_text("{\"kind\":\"Component\",\"metadata\":{\"name\":\"svc-a\",\"tags\":[\"java\",\"DB\"],"
				 "\"links\":[{\"url\":\"https://a\",\"title\":\"Docs\"}],\"annotations\":{\"example.com/Flag\":\"Yes\"}},"
				 "\"spec\":{\"owner\":\"team-a\",\"replicas\":3,\"ratio\":1.5,\"big\":1e21,\"nothing\":null,"
				 "\"list\":[[\"a\",\"b\"],{\"x\":1}],\"nested\":{\"deep\":{\"key\":\"V\"}},\"e\":{}},"
				 "\"status\":{\"x\":1},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}", &r);
	CHECK(has_row(&r, "kind=component"), "kind lowercased");
	CHECK(has_row(&r, "metadata.tags=db") && has_row(&r, "metadata.tags.db=true"), "array value and array-item key");
	CHECK(has_row(&r, "metadata.links.title=docs"), "array of objects");
	CHECK(has_row(&r, "metadata.annotations.example.com/flag=yes"), "dotted annotation key lowercased");
	CHECK(has_row(&r, "spec.replicas=3") && has_row(&r, "spec.ratio=1.5") && has_row(&r, "spec.big=1e+21"),
		  "numbers in JavaScript spelling");
	CHECK(has_row(&r, "spec.nothing=NULL"), "null is a NULL row");
	CHECK(has_row(&r, "spec.list.a=true") && has_row(&r, "spec.list.x=1"), "nested arrays keep the path");
	CHECK(has_row(&r, "spec.nested.deep.key=v") && !strstr(r.buf, "spec.nested="), "objects have no row of their own");
	CHECK(!strstr(r.buf, "spec.e"), "empty object emits nothing");
	CHECK(!strstr(r.buf, "status"), "status is skipped");
	CHECK(has_row(&r, "metadata.namespace=NULL") && has_row(&r, "metadata.namespace=default"),
		  "absent namespace: NULL row and default");
	CHECK(has_row(&r, "relations.ownedby=group:default/team-a"), "relations row");

	flatten_text("{\"Status\":{\"b\":1},\"metadata\":{\"namespace\":\"\"}}", &r);
	CHECK(has_row(&r, "status.b=1"), "special paths are case-sensitive");
	CHECK(has_row(&r, "metadata.namespace=") && has_row(&r, "metadata.namespace=default"),
		  "empty namespace is falsy");

	flatten_text("{\"spec\":{\"a\":[null,\"\\u0001\"],\"b\":[\"\\u0001\",null],\"c\":\"\\u0001\"}}", &r);
	CHECK(has_row(&r, "spec.a=NULL") && !has_row(&r, "spec.b=NULL") && !strstr(r.buf, "spec.c="),
		  "U+0001: first NULL-class row decides, U+0001 rows dropped");

	flatten_text("{\"spec\":{\"\xce\xa3\":{\"\xce\x91\xce\xa3\":\"x\"}}}", &r);
	CHECK(has_row(&r, "spec.\xcf\x83.\xce\xb1\xcf\x82=x"), "final sigma decided on the whole key");
}

/* ---- criteria ---- */

static void
expect_error(const char *crit, bsp_errkind kind, const char *path, const char *msg_part)
{
	unit_arena ua;
	bsp_error	err;
	bsp_filter *f = NULL;
	bool		ok;

	unit_arena_init(&ua);
	bsp_error_clear(&err);
	ok = bsp_criteria_compile_text(&ua.arena, crit, strlen(crit), &limits, &f, NULL, &err);
	CHECK(!ok && err.kind == kind && strcmp(err.path, path) == 0 && strstr(err.message, msg_part),
		  "error at %s: %s", path, msg_part);
	if (ok || strcmp(err.path, path) != 0)
		printf("#   got kind %d path '%s' message '%s'\n", err.kind, err.path, err.message);
	unit_arena_free(&ua);
}

/* limits: the core names the limit, never a server setting */
static void
test_limits(void)
{
	static const struct
	{
		const char *crit;
		bsp_limit_kind limit;
	}			cases[] = {
		{"{\"not\":{\"not\":{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[]}}}}", BSP_LIMIT_DEPTH},
		{"{\"anyOf\":[{\"not\":{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[]}}}]}", BSP_LIMIT_NODES},
		{"{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[\"a\",\"b\",\"c\"]}}", BSP_LIMIT_ARRAY},
		{"[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]", BSP_LIMIT_DEPTH},
	};
	bsp_limits	small[] = {{2, 100, 100, NULL, NULL}, {10, 2, 100, NULL, NULL},
	{10, 100, 2, NULL, NULL}, {2, 100, 100, NULL, NULL}};
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		unit_arena	ua;
		bsp_error	err;
		bsp_filter *f = NULL;
		bool		ok;

		unit_arena_init(&ua);
		bsp_error_clear(&err);
		ok = bsp_criteria_compile_text(&ua.arena, cases[i].crit, strlen(cases[i].crit),
									   &small[i], &f, NULL, &err);
		CHECK(!ok && err.kind == BSP_ERR_LIMIT && err.limit == cases[i].limit &&
			  strstr(err.message, "bsperm") == NULL,
			  "limit %d reported as such: %s", (int) cases[i].limit, err.message);
		unit_arena_free(&ua);
	}
}

static void
test_criteria(void)
{
	unit_arena ua;
	bsp_error	err;
	bsp_filter *f;
	bsp_sbuf	norm,
				out;
	const char *c = "{\"allOf\":[{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[\"API\",\"api\"]}},"
		"{\"not\":{\"rule\":\"HAS_LABEL\",\"resourceType\":\"catalog-entity\",\"params\":{\"label\":\"Tier\",\"value\":\"It's\",\"x\":1}}}]}";

	unit_arena_init(&ua);
	bsp_error_clear(&err);
	bsp_sbuf_init(&norm, &ua.arena);
	CHECK(bsp_criteria_compile_text(&ua.arena, c, strlen(c), &limits, &f, &norm, &err), "valid criteria compile");
	CHECK_STR(norm.data, "{\"allOf\": [{\"rule\": \"IS_ENTITY_KIND\", \"resourceType\": \"catalog-entity\", \"params\": {\"kinds\": [\"API\", \"api\"]}}, "
			  "{\"not\": {\"rule\": \"HAS_LABEL\", \"resourceType\": \"catalog-entity\", \"params\": {\"label\": \"Tier\", \"value\": \"It's\"}}}]}",
			  "normalized form drops extra keys");
	CHECK(f->nleaves == 2 && f->nkeys == 2, "two leaves, two keys");
	CHECK(f->leaves[0]->nvalues == 1, "kind values lowered and deduplicated");
	bsp_sbuf_init(&out, &ua.arena);
	bsp_filter_to_json(&out, f->root);
	CHECK_STR(out.data, "{\"allOf\": [{\"key\": \"kind\", \"values\": [\"api\"]}, "
			  "{\"not\": {\"key\": \"metadata.labels.tier\", \"values\": [\"it's\"]}}]}",
			  "the compiled filter as EntityFilter JSON");
	unit_arena_free(&ua);

	expect_error("{\"anyOf\":[]}", BSP_ERR_INVALID, "criteria.anyOf", "at least 1");
	expect_error("{\"anyOf\":[{\"rule\":\"X\",\"resourceType\":\"catalog-entity\",\"params\":{}}]}",
				 BSP_ERR_UNKNOWN_RULE, "criteria.anyOf[0].rule", "\"X\" does not exist");
	expect_error("{\"not\":{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\",\"params\":{\"claims\":[1]}}}",
				 BSP_ERR_INVALID, "criteria.not.params.claims[0]", "expected string, received number");
	expect_error("{\"rule\":\"HAS_SPEC\",\"resourceType\":\"catalog-entity\",\"params\":{\"key\":\"a\",\"value\":null}}",
				 BSP_ERR_INVALID, "criteria.params.value", "received null");
	expect_error("{\"rule\":\"HAS_SPEC\",\"resourceType\":\"catalog-entity\",\"params\":{\"key\":\"a\"},\"not\":{}}",
				 BSP_ERR_INVALID, "criteria", "ambiguous");
	expect_error("{\"rule\":\"HAS_SPEC\",\"params\":{\"key\":\"a\"}}", BSP_ERR_INVALID, "criteria.resourceType", "required");
	expect_error("{\"allOf\":[{", BSP_ERR_SYNTAX, "criteria", "");
	/* bare scalars are complete documents, of the wrong type */
	expect_error("3", BSP_ERR_INVALID, "criteria", "expected object, received number");
	expect_error("null", BSP_ERR_INVALID, "criteria", "expected object, received null");
	expect_error("true", BSP_ERR_INVALID, "criteria", "expected object, received boolean");
}

/* ---- property test: pruned evaluation == evaluation over all rows ---- */

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t) (rng % n);
}

static const char *const words[] = {
	"kind", "Kind", "spec", "Spec", "type", "owner", "Tags", "tags", "a.b", "a", "b",
	"links", "title", "\xce\xa3", "\xce\x91\xce\xa3", "status", "annotations", "labels", "x",
	"\xc4\xb0stanbul", "name", "namespace", "uid", "etag", "relations", "attachments", ""
};
static const char *const values[] = {
	"Component", "component", "API", "team-a", "Team-A", "group:default/team-a", "java", "JAVA",
	"\x01", "", "true", "1", "\xce\x9f\xce\x94\xce\x9f\xce\xa3", "i\xcc\x87stanbul", "\xc4\xb0stanbul"
};
#define NWORDS (sizeof(words) / sizeof(words[0]))
#define NVALUES (sizeof(values) / sizeof(values[0]))

static json_object *
rand_value(int depth)
{
	switch (rnd(depth > 2 ? 5 : 8))
	{
		case 0:
			return json_object_new_int(rnd(3));
		case 1:
			return json_object_new_boolean(rnd(2));
		case 2:
			return NULL;
		case 3:
			if (rnd(10) == 0)
			{
				char		big[260];

				memset(big, 'X', sizeof(big) - 1);
				big[sizeof(big) - 1] = '\0';
				return json_object_new_string(big);
			}
			/* fall through */
		case 4:
			return json_object_new_string(values[rnd(NVALUES)]);
		case 5:
		case 6:
			{
				json_object *o = json_object_new_object();
				int			n = rnd(4);

				while (n--)
					json_object_object_add(o, words[rnd(NWORDS)], rand_value(depth + 1));
				return o;
			}
		default:
			{
				json_object *a = json_object_new_array();
				int			n = rnd(4);

				while (n--)
					json_object_array_add(a, rand_value(depth + 1));
				return a;
			}
	}
}

static json_object *
rand_entity(void)
{
	json_object *e = json_object_new_object();
	json_object *md = json_object_new_object();
	json_object *rels = json_object_new_array();
	int			i,
				n = rnd(4);

	json_object_object_add(e, rnd(2) ? "kind" : "Kind", json_object_new_string(values[rnd(4)]));
	if (rnd(4))
		json_object_object_add(md, "name", json_object_new_string(values[rnd(NVALUES)]));
	if (rnd(2))
		json_object_object_add(md, "namespace", rand_value(3));
	json_object_object_add(md, words[rnd(NWORDS)], rand_value(1));
	json_object_object_add(md, "annotations", rand_value(1));
	json_object_object_add(e, "metadata", md);
	json_object_object_add(e, rnd(2) ? "spec" : "Spec", rand_value(0));
	json_object_object_add(e, words[rnd(NWORDS)], rand_value(1));
	for (i = 0; i < n; i++)
	{
		json_object *r = json_object_new_object();

		json_object_object_add(r, "type", json_object_new_string(rnd(3) ? "ownedBy" : "OwnedBy"));
		json_object_object_add(r, "targetRef", json_object_new_string(values[rnd(NVALUES)]));
		json_object_array_add(rels, r);
	}
	json_object_object_add(e, "relations", rels);
	return e;
}

typedef struct keypool
{
	char		keys[256][256];
	char		vals[256][256];
	int			n;
} keypool;

static bool
pool_row(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
	keypool    *p = ctx;
	int			i = p->n < 256 ? p->n++ : (int) rnd(256);

	if (kl > 250 || vl > 250)
		return true;
	memcpy(p->keys[i], k, kl);
	p->keys[i][kl] = '\0';
	if (v)
	{
		memcpy(p->vals[i], v, vl);
		p->vals[i][vl] = '\0';
	}
	else
		strcpy(p->vals[i], "zz");
	return true;
}

static bsp_fnode *
rand_filter(bsp_arena *a, keypool *p, int depth)
{
	int			k = rnd(depth > 2 ? 1 : 4);

	if (k == 0 || p->n == 0)
	{
		int			i = p->n ? (int) rnd(p->n) : 0;
		const char *key = p->n && rnd(6) ? p->keys[i] : words[rnd(NWORDS)];
		const char *vals[3];
		size_t		lens[3];
		int			nv = rnd(4),
					j;

		for (j = 0; j < nv && j < 3; j++)
		{
			vals[j] = p->n && rnd(2) ? p->vals[rnd(p->n)] : values[rnd(NVALUES)];
			lens[j] = strlen(vals[j]);
		}
		return bsp_fnode_leaf(a, key, strlen(key), nv > 0, nv > 3 ? 3 : nv - (nv > 0 ? 0 : 0), vals, lens);
	}
	if (k == 1)
	{
		bsp_fnode  *n = bsp_fnode_new(a, BSP_F_NOT, 1);

		n->children[0] = rand_filter(a, p, depth + 1);
		return n;
	}
	{
		int			nc = 1 + rnd(3),
					j;
		bsp_fnode  *n = bsp_fnode_new(a, k == 2 ? BSP_F_ALL : BSP_F_ANY, nc);

		for (j = 0; j < nc; j++)
			n->children[j] = rand_filter(a, p, depth + 1);
		return n;
	}
}

static void
test_pruning_property(void)
{
	int			iter,
				jsonb_mismatches = 0,
				mismatches = 0,
				trues = 0,
				total = 0;

	for (iter = 0; iter < 3000; iter++)
	{
		unit_arena ua;
		json_object *e = rand_entity();
		keypool    *pool = calloc(1, sizeof(keypool));
		bsp_flat	f;
		int			t;

		unit_arena_init(&ua);
		bsp_flat_init(&f, &ua.arena, NULL, pool_row, pool);
		bsp_flatten_json(&f, e);
		for (t = 0; t < 10; t++)
		{
			bsp_filter *flt = bsp_filter_finish(&ua.arena, rand_filter(&ua.arena, pool, 0));
			bsp_match	m1;
			bsp_flat	pruned;
			unit_arena	row;
			bool		r1,
						r2,
						r3,
						r4;

			unit_eval_both(&ua.arena, flt, e, &r1, &r2);
			/* the server's jsonb walk gives the same rows and answer */
			if (!unit_jsonb_agrees(e, (const bsp_filter *const *) &flt, 1))
				jsonb_mismatches++;
			/* reusing a flattener after reset gives the same answer */
			bsp_match_init(&m1, &ua.arena, flt);
			bsp_match_reset(&m1);
			bsp_flat_init(&pruned, &ua.arena, flt, bsp_match_row, &m1);
			bsp_flatten_json(&pruned, e);
			bsp_match_reset(&m1);
			bsp_flat_reset(&pruned, NULL);
			bsp_flatten_json(&pruned, e);
			r3 = bsp_filter_eval(flt, m1.hit);
			/* and so does one whose per-entity arena is dropped between entities */
			unit_arena_init(&row);
			bsp_match_reset(&m1);
			bsp_flat_reset(&pruned, &row.arena);
			bsp_flatten_json(&pruned, e);
			r4 = bsp_filter_eval(flt, m1.hit);
			unit_arena_free(&row);
			total++;
			trues += r2;
			if (r1 != r2 || r3 != r2 || r4 != r2)
			{
				if (mismatches++ < 3)
				{
					bsp_sbuf	s;

					bsp_sbuf_init(&s, &ua.arena);
					bsp_filter_to_json(&s, flt->root);
					printf("#   mismatch: entity %s\n#   filter %s pruned=%d full=%d\n",
						   json_object_to_json_string(e), s.data, r1, r2);
				}
			}
		}
		json_object_put(e);
		free(pool);
		unit_arena_free(&ua);
	}
	CHECK(mismatches == 0, "pruned evaluation equals full evaluation on %d random cases (%d true)", total, trues);
	CHECK(jsonb_mismatches == 0, "the jsonb walk (as encoded by the server) agrees on all %d cases (%d disagree)",
		  total, jsonb_mismatches);
	CHECK(trues > total / 10 && trues < total * 9 / 10, "random cases are balanced (%d of %d true)", trues, total);
}

/* ---- terms ---- */

static void
test_terms(void)
{
	unit_arena ua;
	bsp_sbuf	a,
				b;

	unit_arena_init(&ua);
	bsp_sbuf_init(&a, &ua.arena);
	bsp_sbuf_init(&b, &ua.arena);
	bsp_term_value(&a, "a", 1, "b=c", 3);
	bsp_term_value(&b, "a=b", 3, "c", 1);
	CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0, "value terms are injective");
	bsp_sbuf_reset(&a);
	bsp_sbuf_reset(&b);
	bsp_term_exists(&a, "ab", 2);
	bsp_term_value(&b, "a", 1, "b", 1);
	CHECK(a.len != b.len || memcmp(a.data, b.data, a.len) != 0, "existence and value terms differ");
	unit_arena_free(&ua);
}

/* ---- large entities: linear NULL-key dedup, cancellation ---- */

static bool
count_row(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
	long	   *n = ctx;

	(*n)++;
	return true;
}

static bool
cancel_after(void *ctx)
{
	int		   *polls = ctx;

	return --(*polls) <= 0;
}

static void
test_large_entities(void)
{
	const int	n = 200000;
	bsp_sbuf	text;
	unit_arena	ua;
	bsp_flat	f;
	json_object *o;
	long		nrows = 0;
	int			polls = 3;
	int			i;

	unit_arena_init(&ua);
	bsp_sbuf_init(&text, &ua.arena);
	/* n NULL members, each key twice through a nested object of the same path */
	bsp_sbuf_appends(&text, "{\"spec\":{");
	for (i = 0; i < n; i++)
		bsp_sbuf_printf(&text, "%s\"k%d\":null", i ? "," : "", i);
	bsp_sbuf_appends(&text, "},\"spec.k0\":\"\\u0001\",\"x\":[");
	for (i = 0; i < n; i++)
		bsp_sbuf_printf(&text, "%snull", i ? "," : "");
	bsp_sbuf_appends(&text, "]}");
	o = json_tokener_parse(text.data);
	CHECK(o != NULL, "a %d-member entity parses", n);

	bsp_flat_init(&f, &ua.arena, NULL, count_row, &nrows);
	CHECK(bsp_flatten_json(&f, o) && !f.cancelled, "flattening %d NULL members finishes", n);
	/* n spec.kN rows, one x row (duplicates dropped), the 3 + 1 fixed rows */
	CHECK(nrows == n + 1 + 4, "one row per NULL key (%ld rows)", nrows);

	nrows = 0;
	bsp_flat_reset(&f, NULL);
	f.cancel_requested = cancel_after;
	f.cancel_ctx = &polls;
	CHECK(!bsp_flatten_json(&f, o) && f.cancelled && f.failed && polls == 0,
		  "a cancellation request stops the walk (%ld rows before it)", nrows);
	CHECK(nrows < n, "and it stopped early");
	json_object_put(o);
	unit_arena_free(&ua);
}

/* bsp_filter_copy: an independent deep copy that renders and indexes the same */
static void
test_filter_copy(void)
{
	static const char *docs[] = {
		"{\"key\":\"kind\",\"values\":[\"API\",\"component\",\"api\"]}",
		"{\"allOf\":[{\"key\":\"metadata.name\"},{\"not\":{\"key\":\"spec.type\",\"values\":[\"x\"]}}]}",
		"{\"anyOf\":[{\"allOf\":[]},{\"key\":\"relations.ownedBy\",\"values\":[\"group:default/a\",\"user:default/b\"]},{\"key\":\"kind\",\"values\":[\"x\"]}]}",
		"{\"anyOf\":[]}",
	};
	bsp_limits	limits;

	memset(&limits, 0, sizeof(limits));
	limits.max_depth = 64;
	limits.max_nodes = 20000;
	limits.max_array = 10000;
	for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++)
	{
		unit_arena a, b;
		bsp_filter *f = NULL, *c;
		bsp_error	err;
		bsp_sbuf	jf, jc;
		bool		same_keys = true;

		unit_arena_init(&a);
		unit_arena_init(&b);
		CHECK(bsp_filter_parse_text(&a.arena, docs[d], strlen(docs[d]), &limits, &f, &err),
			  "filter %zu parses", d);
		c = bsp_filter_copy(&b.arena, f);
		CHECK(c != NULL && c->nleaves == f->nleaves && c->nkeys == f->nkeys && c->nnodes == f->nnodes,
			  "filter %zu: the copy has the same leaves, keys and nodes", d);
		for (int k = 0; c && k < f->nkeys; k++)
		{
			same_keys = same_keys && strcmp(c->keys[k].key.s, f->keys[k].key.s) == 0 &&
				c->keys[k].key.s != f->keys[k].key.s && c->keys[k].nleaves == f->keys[k].nleaves &&
				memcmp(c->keys[k].leaves, f->keys[k].leaves, sizeof(int) * f->keys[k].nleaves) == 0;
		}
		for (int l = 0; c && l < c->nleaves; l++)
			same_keys = same_keys && c->leaves[l]->leaf == l && c->leaves[l] != f->leaves[l];
		CHECK(same_keys, "filter %zu: key table and leaf table copied, not shared", d);
		bsp_sbuf_init(&jf, &a.arena);
		bsp_sbuf_init(&jc, &b.arena);
		bsp_filter_to_json(&jf, f->root);
		{
			char	   *want = strdup(jf.data ? jf.data : "");

			unit_arena_free(&a);	/* the copy must not need the original */
			bsp_filter_to_json(&jc, c->root);
			CHECK_STR(jc.data, want, "filter %zu: the copy renders the same after the original is freed", d);
			free(want);
		}
		unit_arena_free(&b);
	}
}

int
main(void)
{
	test_flatten();
	test_large_entities();
	test_criteria();
	test_limits();
	test_terms();
	test_pruning_property();
	test_filter_copy();
	return unit_done("core");
}
