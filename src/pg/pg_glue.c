/*-------------------------------------------------------------------------
 * pg_glue.c
 *	  Arenas, error mapping, compiling jsonb documents and the compiled
 *	  filter cache.
 *
 * Criteria and filters are per statement, not per row, so they are read
 * through their text form with json-c (the core's reader).  Entities are
 * per row and never go through text: see pg_entity.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "bsp_doc.h"

static void *
arena_alloc(void *ctx, size_t size)
{
	if (size > MaxAllocSize)
		return NULL;
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_NO_OOM);
}

void
bsperm_arena_init(bsp_arena *arena, MemoryContext cxt)
{
	arena->alloc = arena_alloc;
	arena->ctx = cxt;
}

void
bsperm_current_limits(bsp_limits *limits)
{
	limits->max_depth = bsperm_max_criteria_depth;
	limits->max_nodes = bsperm_max_criteria_nodes;
	limits->max_array = bsperm_max_criteria_array_length;
	limits->cancel_requested = bsperm_cancel_requested;
	limits->cancel_ctx = NULL;
}

/* The setting behind each limit the core reports (NULL: none) */
static const char *
limit_setting(bsp_limit_kind limit)
{
	switch (limit)
	{
		case BSP_LIMIT_DEPTH:
			return "bsperm.max_criteria_depth";
		case BSP_LIMIT_NODES:
			return "bsperm.max_criteria_nodes";
		case BSP_LIMIT_ARRAY:
			return "bsperm.max_criteria_array_length";
		case BSP_LIMIT_SIZE:
		case BSP_LIMIT_NONE:
			break;
	}
	return NULL;
}

void
bsperm_report_error(const bsp_error *err, const char *what)
{
	int			code;

	switch (err->kind)
	{
		case BSP_ERR_CANCELED:
			bsperm_raise_cancel();
			break;
		case BSP_ERR_OOM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
			break;
		case BSP_ERR_UNKNOWN_RULE:
			code = ERRCODE_UNDEFINED_OBJECT;
			break;
		case BSP_ERR_LIMIT:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case BSP_ERR_SYNTAX:
			code = ERRCODE_INVALID_TEXT_REPRESENTATION;
			break;
		default:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
	}
	if (err->kind == BSP_ERR_LIMIT)
	{
		const char *setting = limit_setting(err->limit);

		ereport(ERROR,
				(errcode(code),
				 errmsg("%s at %s is too large", what, err->path),
				 errdetail("%c%s.", pg_toupper((unsigned char) err->message[0]),
						   err->message[0] ? err->message + 1 : ""),
				 setting ?
				 errhint("A superuser can raise the limit with the setting \"%s\".", setting) :
				 errhint("The document must be smaller.")));
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("invalid %s at %s: %s", what, err->path, err->message)));
}

/* Compiles; on invalid input fills err and returns NULL (out of memory raises). */
static bsp_filter *
compile_or_null(Jsonb *doc, BspermDocKind kind, bsp_arena *arena,
				bsp_sbuf *normalized, bsp_error *err)
{
	char	   *text;
	bsp_limits	limits;
	bsp_filter *filter = NULL;
	bool		ok;

	bsp_error_clear(err);
	bsperm_current_limits(&limits);
	/* a filter compiled before (a policy's at planning, a Const's) is not read again */
	if (kind == BSPERM_DOC_FILTER && (filter = bsperm_filter_cache_get(doc, &limits, arena)) != NULL)
		return filter;
	text = JsonbToCString(NULL, &doc->root, VARSIZE(doc));
	if (kind == BSPERM_DOC_CRITERIA)
		ok = bsperm_compile_criteria_text(arena, text, strlen(text), &limits,
										  &filter, normalized, err);
	else
		ok = bsp_filter_parse_text(arena, text, strlen(text), &limits,
								   &filter, err);
	/* never quiet about running out of memory or being canceled */
	if (!ok && (err->kind == BSP_ERR_OOM || err->kind == BSP_ERR_CANCELED))
		bsperm_report_error(err, "");
	return ok ? filter : NULL;
}

bsp_filter *
bsperm_compile_quiet(Jsonb *doc, BspermDocKind kind, bsp_arena *arena)
{
	bsp_error	err;

	return compile_or_null(doc, kind, arena, NULL, &err);
}

bsp_filter *
bsperm_compile(Jsonb *doc, BspermDocKind kind, bsp_arena *arena,
			   bsp_sbuf *normalized)
{
	bsp_error	err;
	bsp_filter *filter = compile_or_null(doc, kind, arena, normalized, &err);

	if (filter == NULL)
		bsperm_report_error(&err, kind == BSPERM_DOC_CRITERIA ?
							"permission criteria" : "entity filter");
	return filter;
}

/*
 * Is argument argno of the call a Const?  Only a Const is the same on every
 * call of this FmgrInfo: get_fn_expr_arg_stable() also says yes for
 * external Params, and a PL/pgSQL variable is one whose value changes
 * between executions of the same cached expression (issue 7, item 3).
 */
static bool
arg_is_const(FmgrInfo *flinfo, int argno)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;

	if (expr == NULL)
		return false;
	if (IsA(expr, FuncExpr))
		args = ((FuncExpr *) expr)->args;
	else if (IsA(expr, OpExpr))
		args = ((OpExpr *) expr)->args;
	else
		return false;
	if (argno < 0 || argno >= list_length(args))
		return false;
	return IsA(list_nth(args, argno), Const);
}

BspermCachedFilter *
bsperm_cached_filter(FunctionCallInfo fcinfo, int argno, BspermDocKind kind,
					 bool quiet_if_row_dependent)
{
	BspermCachedFilter *c = (BspermCachedFilter *) fcinfo->flinfo->fn_extra;
	Jsonb	   *doc;
	Size		len;
	MemoryContext old;
	bsp_arena	arena;
	bool		stable;

	/*
	 * A Const needs no comparison after the first row; anything else (a
	 * parameter, a PL/pgSQL variable, a column) is compared byte for byte
	 * with the document the cache was built from.
	 */
	if (c && c->constant && c->filter)
		return c;
	doc = PG_GETARG_JSONB_P(argno);
	len = VARSIZE(doc);
	if (c && c->kind == kind && c->doclen == len && memcmp(c->doc, doc, len) == 0)
		return c;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(BspermCachedFilter));
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "bsperm filter",
									   ALLOCSET_SMALL_SIZES);
		c->rowcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "bsperm row",
										  ALLOCSET_DEFAULT_SIZES);
		fcinfo->flinfo->fn_extra = c;
	}
	else
	{
		MemoryContextReset(c->cxt);
		c->doc = NULL;
		c->doclen = 0;
		c->filter = NULL;
		c->leafless = false;
	}

	/*
	 * Compile in the cache's context; a failure leaves the cache empty.  An
	 * invalid document that is not the same for every row (it is computed
	 * from the row) is not an error: raising one would reveal row data
	 * through a function that is declared LEAKPROOF.  The cache then holds
	 * no filter and the caller answers "no match".
	 */
	old = MemoryContextSwitchTo(c->cxt);
	bsperm_arena_init(&arena, c->cxt);
	stable = get_fn_expr_arg_stable(fcinfo->flinfo, argno);
	if (stable || !quiet_if_row_dependent)
		c->filter = bsperm_compile(doc, kind, &arena, NULL);
	else
	{
		bsp_error	err;

		c->filter = compile_or_null(doc, kind, &arena, NULL, &err);
	}
	c->arena = arena;
	if (c->filter)
	{
		if (!bsp_match_init(&c->match, &c->arena, c->filter))
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		bsp_flat_init(&c->flat, &c->arena, c->filter, bsp_match_row, &c->match);
		c->leafless = bsperm_filter_is_constant(c->filter, &c->leafless_value);
	}
	c->constant = arg_is_const(fcinfo->flinfo, argno);
	/* a document that stays (a Const) is kept compiled; one per row is not */
	if (c->filter && c->constant && kind == BSPERM_DOC_FILTER)
	{
		bsp_limits	limits;

		bsperm_current_limits(&limits);
		bsperm_filter_cache_put(doc, &limits, c->filter);
	}
	c->doc = palloc(len);
	memcpy(c->doc, doc, len);
	c->doclen = len;
	c->kind = kind;
	MemoryContextSwitchTo(old);
	return c;
}

bool
bsperm_filter_is_constant(const bsp_filter *f, bool *value)
{
	if (f->nleaves != 0)
		return false;
	*value = bsp_filter_true_on_empty(f);
	return true;
}

/*
 * Every per-entity allocation lands in c->rowcxt, reset here before each
 * entity: the flattener's buffers and null-key set (through the row
 * arena), the detoasted copy and whatever the jsonb walk pallocs.  The
 * filter's context (c->cxt) only holds what was built at compile time.
 */
static bool
entity_matches(BspermCachedFilter *c, Datum entity, Jsonb *detoasted)
{
	MemoryContext old;
	bool		result;

	MemoryContextReset(c->rowcxt);
	old = MemoryContextSwitchTo(c->rowcxt);
	bsperm_arena_init(&c->rowarena, c->rowcxt);
	bsp_match_reset(&c->match);
	bsp_flat_reset(&c->flat, &c->rowarena);
	if (detoasted == NULL)
		detoasted = DatumGetJsonbP(entity);
	bsperm_flatten_jsonb(&c->flat, detoasted);
	if (c->flat.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	result = bsp_filter_eval(c->filter, c->match.hit);
	MemoryContextSwitchTo(old);
	return result;
}

bool
bsperm_entity_matches(BspermCachedFilter *c, Jsonb *entity)
{
	return entity_matches(c, (Datum) 0, entity);
}

bool
bsperm_entity_datum_matches(BspermCachedFilter *c, Datum entity)
{
	if (c->leafless)
		return c->leafless_value;
	return entity_matches(c, entity, NULL);
}

const char *
bsperm_schema_quoted(FunctionCallInfo fcinfo)
{
	char	   *name = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));

	if (name == NULL)
		elog(ERROR, "cache lookup failed for the namespace of function %u",
			 fcinfo->flinfo->fn_oid);
	return quote_identifier(name);
}
