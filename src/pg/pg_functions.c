/*-------------------------------------------------------------------------
 * pg_functions.c
 *	  SQL-callable functions of the criteria engine.
 *
 *	 bsperm_matches(entity, criteria)		the apply path
 *	 bsperm_filter_matches(entity, filter)	the @~ operator (EntityFilter)
 *	 bsperm_criteria_filter(criteria)		the rules' toQuery() result
 *	 bsperm_criteria_sql(criteria, expr)	the filter as an SQL predicate
 *	 bsperm_validate_criteria(criteria)		normalized criteria or ERROR
 *	 bsperm_search_rows(entity)				the entity's search rows
 *	 bsperm_entity_ref(entity)				canonical kind:namespace/name
 *
 * Matching functions cache the compiled document in fn_extra and reset a
 * per-row context, so a scan allocates nothing that outlives one row.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "bsp_js.h"

PG_FUNCTION_INFO_V1(bsperm_matches);
Datum
bsperm_matches(PG_FUNCTION_ARGS)
{
	Jsonb	   *entity = PG_GETARG_JSONB_P(0);
	BspermCachedFilter *c = bsperm_cached_filter(fcinfo, 1, BSPERM_DOC_CRITERIA);

	PG_RETURN_BOOL(bsperm_entity_matches(c, entity));
}

PG_FUNCTION_INFO_V1(bsperm_filter_matches);
Datum
bsperm_filter_matches(PG_FUNCTION_ARGS)
{
	Jsonb	   *entity = PG_GETARG_JSONB_P(0);
	BspermCachedFilter *c = bsperm_cached_filter(fcinfo, 1, BSPERM_DOC_FILTER);

	PG_RETURN_BOOL(bsperm_entity_matches(c, entity));
}

static Datum
jsonb_from_sbuf(bsp_sbuf *b)
{
	if (b->failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(b->data));
}

PG_FUNCTION_INFO_V1(bsperm_validate_criteria);
Datum
bsperm_validate_criteria(PG_FUNCTION_ARGS)
{
	Jsonb	   *criteria = PG_GETARG_JSONB_P(0);
	bsp_arena	arena;
	bsp_sbuf	norm;

	bsperm_arena_init(&arena, CurrentMemoryContext);
	bsp_sbuf_init(&norm, &arena);
	(void) bsperm_compile(criteria, BSPERM_DOC_CRITERIA, &arena, &norm);
	PG_RETURN_DATUM(jsonb_from_sbuf(&norm));
}

PG_FUNCTION_INFO_V1(bsperm_criteria_filter);
Datum
bsperm_criteria_filter(PG_FUNCTION_ARGS)
{
	Jsonb	   *criteria = PG_GETARG_JSONB_P(0);
	bsp_arena	arena;
	bsp_sbuf	out;
	bsp_filter *f;

	bsperm_arena_init(&arena, CurrentMemoryContext);
	f = bsperm_compile(criteria, BSPERM_DOC_CRITERIA, &arena, NULL);
	bsp_sbuf_init(&out, &arena);
	bsp_filter_to_json(&out, f->root);
	PG_RETURN_DATUM(jsonb_from_sbuf(&out));
}

PG_FUNCTION_INFO_V1(bsperm_criteria_sql);
Datum
bsperm_criteria_sql(PG_FUNCTION_ARGS)
{
	Jsonb	   *criteria = PG_GETARG_JSONB_P(0);
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bsp_arena	arena;
	bsp_sbuf	out;
	bsp_filter *f;

	bsperm_arena_init(&arena, CurrentMemoryContext);
	f = bsperm_compile(criteria, BSPERM_DOC_CRITERIA, &arena, NULL);
	bsp_sbuf_init(&out, &arena);
	bsp_filter_to_sql(&out, f->root, expr, bsperm_schema_quoted(fcinfo));
	if (out.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/* ---- bsperm_search_rows: the flattening, for inspection ---- */

typedef struct RowsCollector
{
	Tuplestorestate *store;
	TupleDesc	desc;
} RowsCollector;

static bool
collect_row(void *ctx, const char *key, size_t keylen,
			const char *value, size_t valuelen)
{
	RowsCollector *rc = ctx;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	values[0] = PointerGetDatum(cstring_to_text_with_len(key, keylen));
	if (value)
		values[1] = PointerGetDatum(cstring_to_text_with_len(value, valuelen));
	else
		nulls[1] = true;
	tuplestore_putvalues(rc->store, rc->desc, values, nulls);
	return true;
}

PG_FUNCTION_INFO_V1(bsperm_search_rows);
Datum
bsperm_search_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *entity = PG_GETARG_JSONB_P(0);
	RowsCollector rc;
	bsp_arena	arena;
	bsp_flat	flat;
	MemoryContext old;

	InitMaterializedSRF(fcinfo, 0);
	rc.store = rsinfo->setResult;
	rc.desc = rsinfo->setDesc;

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	bsperm_arena_init(&arena, CurrentMemoryContext);
	bsp_flat_init(&flat, &arena, NULL, collect_row, &rc);
	bsperm_flatten_jsonb(&flat, entity);
	MemoryContextSwitchTo(old);
	if (flat.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return (Datum) 0;
}

/* ---- bsperm_entity_ref ---- */

static bool
append_lowered_member(bsp_sbuf *b, JsonbContainer *jc, const char *name,
					  const char *dflt)
{
	JsonbValue	v;

	if (jc && JsonContainerIsObject(jc) &&
		getKeyJsonValueFromContainer(jc, name, strlen(name), &v) != NULL &&
		v.type == jbvString && v.val.string.len > 0)
		return bsp_js_lower(b, v.val.string.val, v.val.string.len);
	if (dflt)
		return bsp_sbuf_appends(b, dflt);
	return false;
}

/*
 * Canonical entity ref as Backstage's stringifyEntityRef writes it:
 * JS-lower(kind) ":" JS-lower(namespace, default "default") "/"
 * JS-lower(name).  NULL when kind or name is missing or not a string.
 */
PG_FUNCTION_INFO_V1(bsperm_entity_ref);
Datum
bsperm_entity_ref(PG_FUNCTION_ARGS)
{
	Jsonb	   *entity = PG_GETARG_JSONB_P(0);
	JsonbContainer *root = &entity->root;
	JsonbContainer *meta = NULL;
	JsonbValue	v;
	bsp_arena	arena;
	bsp_sbuf	b;

	bsperm_arena_init(&arena, CurrentMemoryContext);
	bsp_sbuf_init(&b, &arena);
	if (!JsonContainerIsObject(root))
		PG_RETURN_NULL();
	if (getKeyJsonValueFromContainer(root, "metadata", 8, &v) && v.type == jbvBinary)
		meta = v.val.binary.data;
	if (!append_lowered_member(&b, root, "kind", NULL))
		PG_RETURN_NULL();
	bsp_sbuf_putc(&b, ':');
	append_lowered_member(&b, meta, "namespace", "default");
	bsp_sbuf_putc(&b, '/');
	if (!append_lowered_member(&b, meta, "name", NULL))
		PG_RETURN_NULL();
	if (b.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(b.data, b.len));
}
