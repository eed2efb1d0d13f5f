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
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_criteria.h"
#include "bsp_doc.h"
#include "bsp_js.h"
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
