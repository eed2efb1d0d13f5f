/*
 * fuzz_core.c - libFuzzer target for the PostgreSQL-free core.
 *
 * The input is read as criteria, as an entity filter and as an entity;
 * every reader must return cleanly (valid or with an error naming a
 * place), never crash, leak or read out of bounds (ASan/UBSan/LSan).
 * When the input is valid criteria, pruned and full evaluation of a few
 * fixed entities must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_criteria.h"
#include "bsp_doc.h"
#include "bsp_js.h"
#include "../unit/unit.h"
#include "../unit/unit_eval.h"

static const char *const entities[] = {
	"{\"kind\":\"Component\",\"metadata\":{\"name\":\"svc-a\",\"annotations\":{\"example.com/Flag\":\"Yes\"},\"tags\":[\"java\"]},"
	"\"spec\":{\"owner\":\"team-a\",\"list\":[[\"a\"],{\"x\":1}],\"n\":null},\"relations\":[{\"type\":\"ownedBy\",\"targetRef\":\"group:default/team-a\"}]}",
	"{\"Kind\":\"API\",\"metadata\":{\"name\":\"\\u0130\",\"labels\":{\"tier\":\"Gold\"}},\"spec\":{\"\\u03a3\":\"\\u03a3\"}}",
	"{\"\":{\"a\":\"\\u0001\"},\"status\":{\"x\":1}}",
};

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unit_arena ua;
	bsp_error	err;
	bsp_filter *f = NULL;
	bsp_limits	limits = {16, 2000, 500};
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
		bsp_sbuf	sql;

		bsp_sbuf_init(&sql, &ua.arena);
		bsp_filter_to_sql(&sql, f->root, "entity", "bsperm");
		for (i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
		{
			json_object *e = json_tokener_parse(entities[i]);
			bool		r1,
						r2;

			unit_eval_both(&ua.arena, f, e, &r1, &r2);
			if (r1 != r2)
				abort();
			json_object_put(e);
		}
	}
	else if (err.kind == BSP_OK)
		abort();				/* failure must say why */

	bsp_error_clear(&err);
	if (!bsp_filter_parse_text(&ua.arena, (const char *) data, size, &limits, &f, &err) &&
		err.kind == BSP_OK)
		abort();

	/* the input as an entity */
	bsp_error_clear(&err);
	{
		json_object *e = bsp_json_parse((const char *) data, size, 64, "entity", &err);

		if (e)
		{
			bsp_flat	full;
			bsp_match	m;
			const char *c = "{\"anyOf\":[{\"rule\":\"HAS_SPEC\",\"resourceType\":\"catalog-entity\",\"params\":{\"key\":\"a\"}},"
				"{\"rule\":\"IS_ENTITY_KIND\",\"resourceType\":\"catalog-entity\",\"params\":{\"kinds\":[\"api\"]}}]}";

			if (bsp_criteria_compile_text(&ua.arena, c, strlen(c), &limits, &f, NULL, &err))
			{
				bsp_match_init(&m, &ua.arena, f);
				bsp_match_reset(&m);
				bsp_flat_init(&full, &ua.arena, f, bsp_match_row, &m);
				bsp_flatten_json(&full, e);
				(void) bsp_filter_eval(f, m.hit);
			}
			json_object_put(e);
		}
	}
	unit_arena_free(&ua);
	return 0;
}
