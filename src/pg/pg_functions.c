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
 * per-row context, so a scan allocates nothing that outlives one row.  A
 * filter without leaves answers without detoasting the entity (both
 * functions are STRICT: a NULL entity never arrives).
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
	Datum		entity = PG_GETARG_DATUM(0);	/* detoasted only when read */
	BspermCachedFilter *c = bsperm_cached_filter(fcinfo, 1, BSPERM_DOC_CRITERIA, false);

	PG_RETURN_BOOL(bsperm_entity_datum_matches(c, entity));
}

PG_FUNCTION_INFO_V1(bsperm_filter_matches);
Datum
bsperm_filter_matches(PG_FUNCTION_ARGS)
{
	Datum		entity = PG_GETARG_DATUM(0);	/* detoasted only when read */
	BspermCachedFilter *c = bsperm_cached_filter(fcinfo, 1, BSPERM_DOC_FILTER, true);

	/* an invalid filter computed from the row matches nothing (see above) */
	if (c->filter == NULL)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(bsperm_entity_datum_matches(c, entity));
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
	StringInfoData out;
	bsp_filter *f;

	bsperm_arena_init(&arena, CurrentMemoryContext);
	f = bsperm_compile(criteria, BSPERM_DOC_CRITERIA, &arena, NULL);
	initStringInfo(&out);
	bsperm_filter_sql(&out, f->root, expr, bsperm_schema_quoted(fcinfo));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

/* ---- bsperm_search_rows: the flattening, for inspection ---- */

typedef struct SearchRow
{
	text	   *key;
	text	   *value;			/* NULL for a NULL row */
	int			pos;
} SearchRow;

typedef struct RowsCollector
{
	SearchRow  *rows;
	int			nrows;
	int			cap;
} RowsCollector;

static bool
collect_row(void *ctx, const char *key, size_t keylen,
			const char *value, size_t valuelen)
{
	RowsCollector *rc = ctx;
	SearchRow  *r;

	if (rc->nrows == rc->cap)
	{
		rc->cap = rc->cap ? rc->cap * 2 : 64;
		rc->rows = rc->rows ? repalloc(rc->rows, sizeof(SearchRow) * rc->cap)
			: palloc(sizeof(SearchRow) * rc->cap);
	}
	r = &rc->rows[rc->nrows];
	r->key = cstring_to_text_with_len(key, keylen);
	r->value = value ? cstring_to_text_with_len(value, valuelen) : NULL;
	r->pos = rc->nrows++;
	return true;
}

static int
text_cmp(text *a, text *b)
{
	int			la = VARSIZE_ANY_EXHDR(a),
				lb = VARSIZE_ANY_EXHDR(b);
	int			c = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* by key, then value (NULL first), then first occurrence */
static int
search_row_cmp(const void *x, const void *y)
{
	const SearchRow *a = x;
	const SearchRow *b = y;
	int			c = text_cmp(a->key, b->key);

	if (c != 0)
		return c;
	if ((a->value == NULL) != (b->value == NULL))
		return a->value == NULL ? -1 : 1;
	if (a->value && (c = text_cmp(a->value, b->value)) != 0)
		return c;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/*
 * Returns the rows in Backstage's order with its de-duplication by
 * (key, value): the flattener itself only guarantees set semantics.
 */
PG_FUNCTION_INFO_V1(bsperm_search_rows);
Datum
bsperm_search_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *entity = PG_GETARG_JSONB_P(0);
	RowsCollector rc;
	bsp_arena	arena;
	bsp_flat	flat;
	SearchRow  *sorted;
	bool	   *dup;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	memset(&rc, 0, sizeof(rc));
	bsperm_arena_init(&arena, CurrentMemoryContext);
	bsp_flat_init(&flat, &arena, NULL, collect_row, &rc);
	bsperm_flatten_jsonb(&flat, entity);
	if (flat.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (rc.nrows == 0)
		return (Datum) 0;

	sorted = palloc(sizeof(SearchRow) * rc.nrows);
	memcpy(sorted, rc.rows, sizeof(SearchRow) * rc.nrows);
	qsort(sorted, rc.nrows, sizeof(SearchRow), search_row_cmp);
	dup = palloc0(sizeof(bool) * rc.nrows);
	for (i = 1; i < rc.nrows; i++)
	{
		SearchRow  *a = &sorted[i - 1],
				   *b = &sorted[i];

		if (text_cmp(a->key, b->key) == 0 &&
			(a->value == NULL ? b->value == NULL :
			 (b->value != NULL && text_cmp(a->value, b->value) == 0)))
			dup[b->pos] = true;
	}
	for (i = 0; i < rc.nrows; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (dup[i])
			continue;
		values[0] = PointerGetDatum(rc.rows[i].key);
		if (rc.rows[i].value)
			values[1] = PointerGetDatum(rc.rows[i].value);
		else
			nulls[1] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
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
