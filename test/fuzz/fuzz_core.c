/*
 * fuzz_core.c - libFuzzer target for the PostgreSQL-free core and the
 * server's jsonb walk.
 *
 * The input is read as criteria, as an entity filter and as an entity;
 * every reader must return cleanly (valid or with an error naming a
 * place), never crash, leak or read out of bounds (ASan/UBSan/LSan).
 * When the input is valid criteria, pruned and full evaluation of a few
 * fixed entities must agree, through the json-c walk and through the
 * jsonb walk the server runs.  When the input is an entity, it is encoded
 * as jsonb and the server's jsonb walk must give exactly the rows of the
 * reference json-c walk, with and without a filter (test/unit/unit_jsonb.c).
 * The input is also compiled as criteria with the built-in declared rules
 * and every transitive walk answered (the retry protocol of bsp_rules.h),
 * and read as a rule declaration: a valid one is then used in criteria
 * with arguments for each of its parameters; both must evaluate alike
 * pruned and over all rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_criteria.h"
#include "bsp_doc.h"
#include "bsp_js.h"
#include "bsp_rules.h"
#include "../unit/unit.h"
#include "../unit/unit_eval.h"
#include "../unit/unit_jsonb.h"

static const char *const entities[] = {
	"{\"kind\":\"Component\",\"metadata\":{\"name\":\"svc-a\",\"annotations\":{\"example.com/Flag\":\"Yes\"},\"tags\":[\"java\"]},"
	"\"spec\":{\"owner\":\"team-a\",\"list\":[[\"a\"],{\"x\":1}],\"n\":null},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}",
	"{\"Kind\":\"API\",\"metadata\":{\"name\":\"\\u0130\",\"labels\":{\"tier\":\"Gold\"}},\"spec\":{\"\\u03a3\":\"\\u03a3\"}}",
	"{\"\":{\"a\":\"\\u0001\"},\"status\":{\"x\":1}}",
};

static const char *const fixed_criteria =
"{\"anyOf\":[{\"rule\":\"HAS_SPEC\",\"resourceType\":\"catalog-entity\",\"params\":{\"key\":\"a\"}},"
"{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[\"api\"]}},"
"{\"not\":{\"rule\":\"HAS_METADATA\",\"resourceType\":\"catalog-entity\",\"params\":{\"key\":\"name\",\"value\":\"x\"}}},"
"{\"rule\":\"IS_ENTITY_OWNER\",\"resourceType\":\"catalog-entity\",\"params\":{\"claims\":[\"group:default/a\"]}}]}";

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pruned and full evaluation agree on every fixed entity */
static void
check_filter(bsp_arena *a, const bsp_filter *f)
{
	size_t		i;

	for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
	{
		json_object *e = json_tokener_parse(entities[i]);
		bool		r1,
					r2;

		unit_eval_both(a, f, e, &r1, &r2);
		if (r1 != r2)
			abort();
		json_object_put(e);
	}
}

/* compiles in an environment, answering walks, as the server does */
static bool
compile_env(bsp_arena *a, const bsp_ruleset *rules, const char *text, size_t len,
			const bsp_limits *limits, bsp_filter **f, bsp_error *err)
{
	bsp_compile_env env;
	int			attempt,
				i;

	bsp_compile_env_init(&env, a, rules);
	for (attempt = 0; attempt < 3; attempt++)
	{
		bsp_error_clear(err);
		if (bsp_criteria_compile_text_env(a, text, len, limits, &env, f, NULL, err))
			return true;
		if (err->kind != BSP_ERR_NEED_WALK)
			return false;
		for (i = 0; i < env.nwalks; i++)
		{
			const char *refs[2];

			if (env.walks[i].done)
				continue;
			refs[0] = env.walks[i].claims[0];
			refs[1] = "group:default/a";
			if (!bsp_owner_walk_answer(&env, &env.walks[i], 2, refs))
				abort();
		}
	}
	abort();					/* every walk was answered: it must compile or fail */
}

static void
fuzz_rules(bsp_arena *a, const uint8_t *data, size_t size, const bsp_limits *limits)
{
	bsp_ruleset *builtins = NULL,
			   *declared = NULL;
	bsp_error	err;
	bsp_filter *f;
	bsp_sbuf	text;
	bsp_rule   *rule;

	bsp_error_clear(&err);
	if (!bsp_ruleset_parse_text(a, bsp_builtin_rules_json, strlen(bsp_builtin_rules_json),
								&builtins, &err))
		abort();
	if (compile_env(a, builtins, (const char *) data, size, limits, &f, &err))
		check_filter(a, f);
	else if (err.kind == BSP_OK || err.kind == BSP_ERR_NEED_RULES)
		abort();

	bsp_error_clear(&err);
	if (!bsp_rule_parse_text(a, (const char *) data, size, &rule, &err))
	{
		if (err.kind == BSP_OK)
			abort();
		return;
	}
	bsp_sbuf_init(&text, a);
	bsp_sbuf_putc(&text, '[');
	bsp_sbuf_append(&text, (const char *) data, size);
	bsp_sbuf_putc(&text, ']');
	bsp_error_clear(&err);
	if (text.failed || !bsp_ruleset_parse_text(a, text.data, text.len, &declared, &err) ||
		bsp_ruleset_count(declared) != 1)
		abort();				/* a valid declaration is a valid set of one */
	{
		const bsp_rule *r = bsp_ruleset_find(declared, bsp_rule_name(rule));
		int			i;

		if (r == NULL)
			abort();
		bsp_sbuf_reset(&text);
		bsp_sbuf_appends(&text, "{\"rule\": ");
		bsp_sbuf_json_string(&text, bsp_rule_name(r), strlen(bsp_rule_name(r)));
		bsp_sbuf_appends(&text, ", \"resourceType\": \"catalog-entity\", \"params\": {");
		for (i = 0; i < bsp_rule_nparams(r); i++)
		{
			const char *pn = bsp_rule_param_name(r, i);

			if (i)
				bsp_sbuf_appends(&text, ", ");
			bsp_sbuf_json_string(&text, pn, strlen(pn));
			bsp_sbuf_appends(&text, bsp_rule_param_is_list(r, i) ?
							 ": [\"Team-A\", \"java\"]" : ": \"tags\"");
		}
		bsp_sbuf_appends(&text, "}}");
		if (text.failed || !compile_env(a, declared, text.data, text.len, limits, &f, &err))
			abort();			/* arguments of the declared types always compile */
		check_filter(a, f);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unit_arena	ua;
	bsp_error	err;
	bsp_filter *f = NULL;
	bsp_filter *filters[3];
	int			nfilters = 0;
	bsp_limits	limits = {16, 2000, 500, NULL, NULL};
	bsp_sbuf	norm;
	size_t		i;

	unit_arena_init(&ua);
	bsp_error_clear(&err);
	bsp_sbuf_init(&norm, &ua.arena);

	/* lowercasing never fails on any bytes */
	bsp_js_lower(&norm, (const char *) data, size);
	bsp_utf16_len((const char *) data, size);
	bsp_sbuf_reset(&norm);

	if (bsp_criteria_compile_text(&ua.arena, (const char *) data, size, &limits, &f, &norm, &err))
	{
		filters[nfilters++] = f;
		for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		{
			json_object *e = json_tokener_parse(entities[i]);
			bool		r1,
						r2;

			unit_eval_both(&ua.arena, f, e, &r1, &r2);
			if (r1 != r2)
				abort();
			if (!unit_jsonb_agrees(e, (const bsp_filter *const *) &f, 1))
				abort();		/* the server's jsonb walk disagrees */
			json_object_put(e);
		}
	}
	else if (err.kind == BSP_OK)
		abort();				/* failure must say why */

	fuzz_rules(&ua.arena, data, size, &limits);

	bsp_error_clear(&err);
	if (bsp_filter_parse_text(&ua.arena, (const char *) data, size, &limits, &f, &err))
		filters[nfilters++] = f;
	else if (err.kind == BSP_OK)
		abort();

	/* the input as an entity */
	bsp_error_clear(&err);
	{
		json_object *e = bsp_json_parse((const char *) data, size, 64, "entity", &err);

		if (e)
		{
			if (bsp_criteria_compile_text(&ua.arena, fixed_criteria, strlen(fixed_criteria),
										  &limits, &f, NULL, &err))
				filters[nfilters++] = f;
			else
				abort();
			if (!unit_jsonb_agrees(e, (const bsp_filter *const *) filters, nfilters))
				abort();		/* the server's jsonb walk disagrees */
			json_object_put(e);
		}
	}
	unit_arena_free(&ua);
	return 0;
}
