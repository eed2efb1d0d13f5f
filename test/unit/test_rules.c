/*
 * test_rules.c - unit tests of declared rules (bsp_rules.c) and of
 * IS_ENTITY_OWNER's transitive claims in the criteria reader.
 *
 * Fixed cases pin validation and its paths.  A property test then checks
 * one semantics: on random entities and random criteria mixing the
 * catalog's rules and declared ones, every criteria document answers
 * exactly like its rewriting into the catalog's rules only (IS_FROM_CLUSTER
 * as anyOf HAS_ANNOTATION, IN_NAMESPACE as anyOf HAS_METADATA, a declared
 * label rule as HAS_LABEL), with the flattener pruned and over all rows.
 */
#include "bsp_criteria.h"
#include "bsp_doc.h"
#include "bsp_filter.h"
#include "bsp_rules.h"
#include "unit.h"
#include "unit_eval.h"

static const bsp_limits limits = {64, 20000, 10000, NULL, NULL};

/* a declared rule with a string parameter in its key and an optional value */
static const char *const team_rule =
"{\"name\": \"HAS_TEAM_LABEL\", \"resourceType\": \"catalog-entity\", \"description\": \"d\","
" \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"label\": {\"type\": \"string\"},"
" \"value\": {\"type\": \"string\"}}, \"required\": [\"label\"]},"
" \"filter\": {\"key\": \"metadata.labels.${label}\", \"values\": [\"${value}\"]}}";

static bsp_ruleset *
load_rules(bsp_arena *a)
{
	char		buf[8192];
	bsp_ruleset *rs = NULL;
	bsp_error	err;
	size_t		n = strlen(bsp_builtin_rules_json);

	/* the built-ins and one more: "[builtins..., team_rule]" */
	memcpy(buf, bsp_builtin_rules_json, n - 1);
	snprintf(buf + n - 1, sizeof(buf) - n + 1, ", %s]", team_rule);
	bsp_error_clear(&err);
	if (!bsp_ruleset_parse_text(a, buf, strlen(buf), &rs, &err))
		printf("# rules: %s: %s\n", err.path, err.message);
	return rs;
}

static bool
compile(bsp_arena *a, bsp_compile_env *env, const char *crit, bsp_filter **f,
		bsp_sbuf *norm, bsp_error *err)
{
	bsp_error_clear(err);
	return bsp_criteria_compile_text_env(a, crit, strlen(crit), &limits, env, f, norm, err);
}

static char *
filter_json(bsp_arena *a, const bsp_filter *f)
{
	bsp_sbuf	b;

	bsp_sbuf_init(&b, a);
	bsp_filter_to_json(&b, f->root);
	return b.data;
}

static void
test_declarations(void)
{
	static const struct
	{
		const char *decl;
		const char *path;
		const char *msg;
	}			bad[] = {
		{"[]", "rule", "expected object, received array"},
		{"{\"name\": \"HAS_LABEL\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}, \"filter\": {\"key\": \"k\"}}",
		"rule.name", "\"HAS_LABEL\" is one of the catalog's own rules and cannot be declared"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-location\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}, \"filter\": {\"key\": \"k\"}}",
		"rule.resourceType", "rules are declared for \"catalog-entity\", not \"catalog-location\""},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}}}, \"filter\": {\"key\": \"k\"}}",
		"rule.paramsSchema.properties.a.type", "unsupported type \"number\": a parameter is a \"string\" or an \"array\" of strings"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\", \"minLength\": 1}}}, \"filter\": {\"key\": \"k\"}}",
		"rule.paramsSchema.properties.a.minLength", "JSON Schema keyword \"minLength\" is not supported"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}, \"filter\": {\"key\": \"k.${x}\"}}",
		"rule.filter.key", "parameter \"x\" is not a property of paramsSchema"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}, \"required\": [\"a\"]}, \"filter\": {\"key\": \"k.${a}\"}}",
		"rule.filter.key", "parameter \"a\" is an array: only \"values\": \"${...}\" takes it whole"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}}, \"filter\": {\"key\": \"k.${a}\"}}",
		"rule.filter.key", "parameter \"a\" is optional: a key may use only required parameters"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}}, \"filter\": {\"anyOf\": [{\"key\": \"k\", \"values\": \"${a}\"}]}}",
		"rule.filter.anyOf[0].values", "parameter \"a\" is a string: \"values\": \"${...}\" takes an array parameter"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\", \"required\": [\"b\"]}, \"filter\": {\"key\": \"k\"}}",
		"rule.paramsSchema.required[0]", "\"b\" is not a property of the schema"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}, \"filter\": {\"key\": \"k$x\"}}",
		"rule.filter.key", "\"$\" starts \"${parameter}\" or \"$$\""},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}, \"filter\": {\"key\": \"k\", \"not\": {\"key\": \"j\"}}}",
		"rule.filter", "ambiguous filter node: \"not\" and \"key\" cannot be combined"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}}",
		"rule.filter", "required"},
		{"{\"name\": \"R\", \"resourceType\": \"catalog-entity\", \"description\": \"\", \"paramsSchema\": {\"type\": \"object\"}, \"filter\": {\"key\": \"k\"}, \"toQuery\": 1}",
		"rule.toQuery", "member \"toQuery\" is not supported"},
	};
	size_t		i;
	unit_arena	ua;

	unit_arena_init(&ua);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		bsp_rule   *r = NULL;
		bsp_error	err;

		bsp_error_clear(&err);
		CHECK(!bsp_rule_parse_text(&ua.arena, bad[i].decl, strlen(bad[i].decl), &r, &err) &&
			  err.kind == BSP_ERR_INVALID, "bad declaration %zu is refused", i);
		CHECK_STR(err.path, bad[i].path, "bad declaration %zu: path", i);
		CHECK_STR(err.message, bad[i].msg, "bad declaration %zu: message", i);
	}
	{
		bsp_rule   *r = NULL;
		bsp_error	err;

		bsp_error_clear(&err);
		CHECK(bsp_rule_parse_text(&ua.arena, team_rule, strlen(team_rule), &r, &err),
			  "a declaration with a string parameter in its key is read");
		CHECK(r && bsp_rule_nparams(r) == 2 && bsp_rule_param_required(r, 0) &&
			  !bsp_rule_param_required(r, 1), "its parameters and which are required");
	}
	{
		/* found by the fuzzer: a byte after the declaration was ignored */
		bsp_rule   *r = NULL;
		bsp_error	err;
		char		buf[4096];

		snprintf(buf, sizeof(buf), "%s\x04", team_rule);
		bsp_error_clear(&err);
		CHECK(!bsp_rule_parse_text(&ua.arena, buf, strlen(buf), &r, &err) &&
			  err.kind == BSP_ERR_SYNTAX, "data after a declaration is refused");
		snprintf(buf, sizeof(buf), "%s \n", team_rule);
		bsp_error_clear(&err);
		CHECK(bsp_rule_parse_text(&ua.arena, buf, strlen(buf), &r, &err),
			  "white space after a declaration is not data");
	}
	CHECK(load_rules(&ua.arena) != NULL && bsp_ruleset_count(load_rules(&ua.arena)) == 3,
		  "the built-in declarations are read");
	unit_arena_free(&ua);
}

#define RT "\"resourceType\": \"catalog-entity\""

static void
test_compile(void)
{
	unit_arena	ua;
	bsp_compile_env env;
	bsp_filter *f;
	bsp_error	err;
	bsp_sbuf	norm;
	const char *c;

	unit_arena_init(&ua);
	bsp_compile_env_init(&env, &ua.arena, NULL);
	c = "{\"rule\": \"IS_FROM_CLUSTER\", " RT ", \"params\": {\"clusters\": [\"Prod-EU\", \"prod-us\"]}}";
	CHECK(!compile(&ua.arena, &env, c, &f, NULL, &err) && err.kind == BSP_ERR_NEED_RULES,
		  "a declared rule without the rules loaded asks for them");
	CHECK(!compile(&ua.arena, NULL, c, &f, NULL, &err) && err.kind == BSP_ERR_UNKNOWN_RULE,
		  "without an environment a declared rule is unknown");
	env.rules = load_rules(&ua.arena);
	bsp_sbuf_init(&norm, &ua.arena);
	CHECK(compile(&ua.arena, &env, c, &f, &norm, &err), "IS_FROM_CLUSTER compiles");
	CHECK_STR(filter_json(&ua.arena, f),
			  "{\"key\": \"metadata.annotations.backstage.io/kubernetes-cluster\", \"values\": [\"prod-eu\", \"prod-us\"]}",
			  "IS_FROM_CLUSTER's filter");
	CHECK_STR(norm.data,
			  "{\"rule\": \"IS_FROM_CLUSTER\", \"resourceType\": \"catalog-entity\", \"params\": {\"clusters\": [\"Prod-EU\", \"prod-us\"]}}",
			  "IS_FROM_CLUSTER normalized");
	c = "{\"rule\": \"IN_NAMESPACE\", " RT ", \"params\": {\"namespaces\": [], \"extra\": 1}}";
	CHECK(compile(&ua.arena, &env, c, &f, NULL, &err), "IN_NAMESPACE with no namespaces compiles");
	CHECK_STR(filter_json(&ua.arena, f), "{\"key\": \"metadata.namespace\", \"values\": []}",
			  "namespaces: [] is a leaf that matches nothing");
	{
		json_object *e = json_tokener_parse("{\"kind\": \"Component\", \"metadata\": {\"name\": \"a\"}}");
		bool		r1,
					r2;

		unit_eval_both(&ua.arena, f, e, &r1, &r2);
		CHECK(!r1 && !r2, "namespaces: [] matches an entity in default");
		json_object_put(e);
	}

	/* errors, path-precise, as the catalog's rules report them */
	{
		static const struct
		{
			const char *crit;
			const char *path;
			const char *msg;
		}			bad[] = {
			{"{\"rule\": \"IS_FROM_CLUSTER\", " RT ", \"params\": {}}", "criteria.params.clusters", "required"},
			{"{\"rule\": \"IS_FROM_CLUSTER\", " RT ", \"params\": {\"clusters\": \"prod\"}}", "criteria.params.clusters", "expected array, received string"},
			{"{\"anyOf\": [{\"rule\": \"IN_NAMESPACE\", " RT ", \"params\": {\"namespaces\": [\"a\", 1]}}]}", "criteria.anyOf[0].params.namespaces[1]", "expected string, received number"},
			{"{\"rule\": \"HAS_TEAM_LABEL\", " RT ", \"params\": {\"value\": \"x\"}}", "criteria.params.label", "required"},
			{"{\"rule\": \"NO_SUCH_RULE\", " RT ", \"params\": {}}", "criteria.rule", "permission rule \"NO_SUCH_RULE\" does not exist for resource type \"catalog-entity\""},
			{"{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"a\"], \"transitive\": \"up\"}}", "criteria.params.transitive", "invalid enum value: expected \"ancestors\" | \"descendants\", received \"up\""},
			{"{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"a\"], \"transitive\": true}}", "criteria.params.transitive", "expected \"ancestors\" | \"descendants\", received boolean"},
			{"{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"a\"], \"maxDepth\": 2}}", "criteria.params.maxDepth", "maxDepth needs \"transitive\": \"ancestors\" or \"descendants\""},
			{"{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"a\"], \"transitive\": \"ancestors\", \"maxDepth\": 0}}", "criteria.params.maxDepth", "number must be greater than or equal to 1"},
			{"{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"a\"], \"transitive\": \"ancestors\", \"maxDepth\": 1.5}}", "criteria.params.maxDepth", "expected integer, received float"},
			{"{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"a\"], \"transitive\": \"ancestors\", \"maxDepth\": \"2\"}}", "criteria.params.maxDepth", "expected number, received string"},
		};
		size_t		i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		{
			CHECK(!compile(&ua.arena, &env, bad[i].crit, &f, NULL, &err) &&
				  (err.kind == BSP_ERR_INVALID || err.kind == BSP_ERR_UNKNOWN_RULE),
				  "bad criteria %zu refused", i);
			CHECK_STR(err.path, bad[i].path, "bad criteria %zu: path", i);
			CHECK_STR(err.message, bad[i].msg, "bad criteria %zu: message", i);
		}
	}

	/* a string parameter in the key; an absent optional value: existence */
	c = "{\"rule\": \"HAS_TEAM_LABEL\", " RT ", \"params\": {\"label\": \"Team\"}}";
	CHECK(compile(&ua.arena, &env, c, &f, NULL, &err), "HAS_TEAM_LABEL without value compiles");
	CHECK_STR(filter_json(&ua.arena, f), "{\"key\": \"metadata.labels.team\"}",
			  "an absent optional value tests existence");
	c = "{\"rule\": \"HAS_TEAM_LABEL\", " RT ", \"params\": {\"label\": \"Team\", \"value\": \"A\"}}";
	CHECK(compile(&ua.arena, &env, c, &f, NULL, &err), "HAS_TEAM_LABEL with value compiles");
	CHECK_STR(filter_json(&ua.arena, f), "{\"key\": \"metadata.labels.team\", \"values\": [\"a\"]}",
			  "the value substituted");

	/* transitive claims: asked for, answered, then compiled */
	c = "{\"allOf\": [{\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"Group:default/B\", \"group:default/b\"], \"transitive\": \"ancestors\", \"maxDepth\": 2}},"
		" {\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [\"group:default/b\"], \"transitive\": \"ancestors\", \"maxDepth\": 2}},"
		" {\"rule\": \"IS_ENTITY_OWNER\", " RT ", \"params\": {\"claims\": [], \"transitive\": \"descendants\"}}]}";
	bsp_sbuf_init(&norm, &ua.arena);
	CHECK(!compile(&ua.arena, &env, c, &f, &norm, &err) && err.kind == BSP_ERR_NEED_WALK,
		  "transitive claims ask for a walk");
	CHECK(env.nwalks == 1 && env.walks[0].nclaims == 1 &&
		  strcmp(env.walks[0].claims[0], "group:default/b") == 0 &&
		  env.walks[0].max_depth == 2 && env.walks[0].dir == BSP_TRANS_ANCESTORS,
		  "one walk for the same claims, lowered and de-duplicated; none for no claims");
	{
		const char *refs[] = {"group:default/b", "group:default/a"};

		CHECK(bsp_owner_walk_answer(&env, &env.walks[0], 2, refs), "answered");
	}
	bsp_sbuf_reset(&norm);
	CHECK(compile(&ua.arena, &env, c, &f, &norm, &err), "then it compiles");
	CHECK_STR(filter_json(&ua.arena, f),
			  "{\"allOf\": [{\"key\": \"relations.ownedby\", \"values\": [\"group:default/a\", \"group:default/b\"]}, "
			  "{\"key\": \"relations.ownedby\", \"values\": [\"group:default/a\", \"group:default/b\"]}, "
			  "{\"key\": \"relations.ownedby\", \"values\": []}]}",
			  "the claims expanded");
	CHECK(strstr(norm.data, "\"transitive\": \"ancestors\", \"maxDepth\": 2") != NULL,
		  "normalized criteria keep transitive and maxDepth");
	CHECK(!compile(&ua.arena, NULL, c, &f, NULL, &err) && err.kind == BSP_ERR_NEED_WALK &&
		  strcmp(err.path, "criteria.allOf[0].params") == 0,
		  "without an environment transitive claims are an error naming the place");
	unit_arena_free(&ua);
}

/* ---- property test ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t) (rng % n);
}

static const char *const clusters[] = {"prod-eu", "Prod-EU", "prod-us", "dev", "", "\xc4\xb0"};
static const char *const namespaces[] = {"default", "Default", "team-a", "ops", ""};
static const char *const teams[] = {"team", "Team", "tier"};
static const char *const tvalues[] = {"a", "A", "gold", ""};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_object *
rand_entity(void)
{
	json_object *e = json_object_new_object();
	json_object *md = json_object_new_object();
	json_object *ann = json_object_new_object();
	json_object *labels = json_object_new_object();

	json_object_object_add(e, "kind", json_object_new_string(rnd(2) ? "Component" : "API"));
	json_object_object_add(md, "name", json_object_new_string("x"));
	if (rnd(3))
		json_object_object_add(md, "namespace", json_object_new_string(namespaces[rnd(N(namespaces))]));
	if (rnd(4))
		json_object_object_add(ann, rnd(4) ? "backstage.io/kubernetes-cluster" : "Backstage.io/Kubernetes-Cluster",
							   rnd(8) ? json_object_new_string(clusters[rnd(N(clusters))]) :
							   json_object_new_int(1));
	if (rnd(2))
		json_object_object_add(labels, teams[rnd(N(teams))], json_object_new_string(tvalues[rnd(N(tvalues))]));
	json_object_object_add(md, "annotations", ann);
	json_object_object_add(md, "labels", labels);
	json_object_object_add(e, "metadata", md);
	return e;
}

static void
add_list(bsp_sbuf *a, bsp_sbuf *b, const char *const *pool, size_t npool, const char **picked, int *n)
{
	int			i;

	*n = (int) rnd(3);
	for (i = 0; i < *n; i++)
	{
		picked[i] = pool[rnd((uint32_t) npool)];
		if (i)
		{
			bsp_sbuf_appends(a, ", ");
			if (b)
				bsp_sbuf_appends(b, ", ");
		}
		bsp_sbuf_json_string(a, picked[i], strlen(picked[i]));
	}
}

/*
 * A declared list rule in a, and in b its definition: anyOf the catalog
 * rule with one value each ("matches nothing" for no values, anyOf must
 * not be empty).
 */
static void
declared_list(bsp_sbuf *a, bsp_sbuf *b, const char *rule, const char *param,
			  const char *const *pool, size_t npool,
			  const char *core_rule, const char *core_param, const char *core_name)
{
	const char *picked[4];
	int			n,
				i;

	bsp_sbuf_printf(a, "{\"rule\": \"%s\", " RT ", \"params\": {\"%s\": [", rule, param);
	add_list(a, NULL, pool, npool, picked, &n);
	bsp_sbuf_appends(a, "]}}");
	if (n == 0)
	{
		bsp_sbuf_appends(b, "{\"allOf\": [{\"rule\": \"HAS_METADATA\", " RT ", \"params\": {\"key\": \"name\"}}, {\"not\": {\"rule\": \"HAS_METADATA\", " RT ", \"params\": {\"key\": \"name\"}}}]}");
		return;
	}
	bsp_sbuf_appends(b, "{\"anyOf\": [");
	for (i = 0; i < n; i++)
		bsp_sbuf_printf(b, "%s{\"rule\": \"%s\", " RT ", \"params\": {\"%s\": \"%s\", \"value\": \"%s\"}}",
						i ? ", " : "", core_rule, core_param, core_name, picked[i]);
	bsp_sbuf_appends(b, "]}");
}

/* appends random criteria to a (with declared rules) and b (catalog rules only) */
static void
rand_criteria(bsp_sbuf *a, bsp_sbuf *b, int depth)
{
	int			n,
				i,
				k = (int) rnd(depth > 2 ? 4 : 7);

	switch (k)
	{
		case 0:
			declared_list(a, b, "IS_FROM_CLUSTER", "clusters", clusters, N(clusters),
						  "HAS_ANNOTATION", "annotation", "backstage.io/kubernetes-cluster");
			return;
		case 1:
			declared_list(a, b, "IN_NAMESPACE", "namespaces", namespaces, N(namespaces),
						  "HAS_METADATA", "key", "namespace");
			return;
		case 2:
			{
				const char *t = teams[rnd(N(teams))];
				const char *v = rnd(2) ? tvalues[rnd(N(tvalues))] : NULL;
				const char *rule = rnd(2) ? "HAS_TEAM_LABEL" : "HAS_LABEL";

				bsp_sbuf_printf(a, "{\"rule\": \"%s\", " RT ", \"params\": {\"label\": \"%s\"", rule, t);
				bsp_sbuf_printf(b, "{\"rule\": \"HAS_LABEL\", " RT ", \"params\": {\"label\": \"%s\"", t);
				if (v)
				{
					bsp_sbuf_printf(a, ", \"value\": \"%s\"", v);
					bsp_sbuf_printf(b, ", \"value\": \"%s\"", v);
				}
				bsp_sbuf_appends(a, "}}");
				bsp_sbuf_appends(b, "}}");
				return;
			}
		case 3:
			{
				const char *v = clusters[rnd(N(clusters))];

				bsp_sbuf_printf(a, "{\"rule\": \"HAS_ANNOTATION\", " RT ", \"params\": {\"annotation\": \"backstage.io/kubernetes-cluster\", \"value\": \"%s\"}}", v);
				bsp_sbuf_printf(b, "{\"rule\": \"HAS_ANNOTATION\", " RT ", \"params\": {\"annotation\": \"backstage.io/kubernetes-cluster\", \"value\": \"%s\"}}", v);
				return;
			}
		case 4:
			bsp_sbuf_appends(a, "{\"not\": ");
			bsp_sbuf_appends(b, "{\"not\": ");
			rand_criteria(a, b, depth + 1);
			bsp_sbuf_appends(a, "}");
			bsp_sbuf_appends(b, "}");
			return;
		default:
			{
				const char *op = k == 5 ? "allOf" : "anyOf";

				n = 1 + (int) rnd(3);
				bsp_sbuf_printf(a, "{\"%s\": [", op);
				bsp_sbuf_printf(b, "{\"%s\": [", op);
				for (i = 0; i < n; i++)
				{
					if (i)
					{
						bsp_sbuf_appends(a, ", ");
						bsp_sbuf_appends(b, ", ");
					}
					rand_criteria(a, b, depth + 1);
				}
				bsp_sbuf_appends(a, "]}");
				bsp_sbuf_appends(b, "]}");
			}
	}
}

static void
test_property(void)
{
	int			round,
				mismatches = 0,
				failures = 0,
				trues = 0,
				total = 0;

	for (round = 0; round < 400; round++)
	{
		unit_arena	ua;
		bsp_compile_env env;
		bsp_sbuf	a,
					b;
		bsp_filter *fa,
				   *fb;
		bsp_error	err;
		int			e;

		unit_arena_init(&ua);
		bsp_compile_env_init(&env, &ua.arena, load_rules(&ua.arena));
		bsp_sbuf_init(&a, &ua.arena);
		bsp_sbuf_init(&b, &ua.arena);
		rand_criteria(&a, &b, 0);
		if (!compile(&ua.arena, &env, a.data, &fa, NULL, &err) ||
			!compile(&ua.arena, NULL, b.data, &fb, NULL, &err))
		{
			if (failures++ < 3)
				printf("# compile failed: %s: %s\n#   %s\n", err.path, err.message, a.data);
			unit_arena_free(&ua);
			continue;
		}
		for (e = 0; e < 20; e++)
		{
			json_object *ent = rand_entity();
			bool		r1,
						r2,
						r3,
						r4;

			unit_eval_both(&ua.arena, fa, ent, &r1, &r2);
			unit_eval_both(&ua.arena, fb, ent, &r3, &r4);
			total++;
			trues += r1;
			if (r1 != r2 || r1 != r3 || r3 != r4)
			{
				if (mismatches++ < 3)
					printf("# mismatch %d%d%d%d\n#   %s\n#   %s\n#   %s\n", r1, r2, r3, r4, a.data, b.data,
						   json_object_to_json_string(ent));
			}
			json_object_put(ent);
		}
		unit_arena_free(&ua);
	}
	CHECK(failures == 0, "every random criteria document compiles");
	CHECK(mismatches == 0, "declared rules answer like their rewriting into catalog rules, pruned and full (%d cases, %d true)",
		  total, trues);
	CHECK(trues > total / 10 && trues < total * 9 / 10, "random cases are balanced (%d of %d true)", trues, total);
}

int
main(void)
{
	test_declarations();
	test_compile();
	test_property();
	return unit_done("test_rules");
}
