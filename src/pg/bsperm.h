/*-------------------------------------------------------------------------
 * bsperm.h
 *	  Server glue shared by bsperm's SQL-callable C functions.
 *
 * The glue is thin: it converts between PostgreSQL values and the core
 * (src/core), maps core errors to ereport, renders SQL, and caches
 * compiled filters.  Memory rules: core allocations come from
 * palloc_extended(NO_OOM) in the context an arena names; a cached filter
 * keeps what it compiled in its own context and everything per entity in
 * a row context reset before each entity; json-c trees never leave the
 * core (bsp_doc.h).  The core never raises: it returns an error (or stops
 * a walk when cancel_requested says so) and the glue raises afterwards.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_H
#define BSPERM_H

#include "fmgr.h"
#include "utils/jsonb.h"

#include "bsp_common.h"
#include "bsp_filter.h"
#include "bsp_flatten.h"

/* GUCs (bsperm.c) */
extern int	bsperm_max_criteria_depth;
extern int	bsperm_max_criteria_nodes;
extern int	bsperm_max_criteria_array_length;

extern void bsperm_current_limits(bsp_limits *limits);

/* An arena allocating in the given memory context (pg_glue.c). */
extern void bsperm_arena_init(bsp_arena *arena, MemoryContext cxt);

/* Raises the core error as an ERROR; what names the document kind. */
extern void bsperm_report_error(const bsp_error *err, const char *what) pg_attribute_noreturn();

typedef enum BspermDocKind
{
	BSPERM_DOC_CRITERIA,
	BSPERM_DOC_FILTER
} BspermDocKind;

/*
 * Compiles criteria or an EntityFilter given as jsonb into arena memory.
 * normalized (criteria only) receives the normalized JSON when not NULL.
 * Raises an ERROR for invalid input.
 */
extern bsp_filter *bsperm_compile(Jsonb *doc, BspermDocKind kind,
								  bsp_arena *arena, bsp_sbuf *normalized);
/*
 * Compiles criteria text with declared rules and transitive claims
 * (pg_rules.c); false with err set for invalid input.
 */
extern bool bsperm_compile_criteria_text(bsp_arena *arena, const char *text, size_t len,
										 const bsp_limits *limits, bsp_filter **out,
										 bsp_sbuf *normalized, bsp_error *err);
/*
 * bsperm_compile for criteria that come from the policy (decisions, RLS,
 * apply-conditions): transitive claims are walked as the extension owner.
 * Elsewhere (criteria a caller passes to bsperm_matches & co.) they are
 * walked with the caller's own rights on the catalog, so that criteria never
 * reveal groups the caller cannot read (pg_rules.c).
 */
extern bsp_filter *bsperm_compile_policy(Jsonb *criteria, bsp_arena *arena);
/* The same, but NULL for invalid input (out of memory and cancel still raise). */
extern bsp_filter *bsperm_compile_quiet(Jsonb *doc, BspermDocKind kind,
										bsp_arena *arena);

/*
 * Compiled EntityFilters by their jsonb bytes (pg_filter_cache.c): a hit is
 * copied into arena; NULL when the document is not cached.
 */
extern bsp_filter *bsperm_filter_cache_get(Jsonb *doc, const bsp_limits *limits,
										   bsp_arena *arena);
extern void bsperm_filter_cache_put(Jsonb *doc, const bsp_limits *limits,
									const bsp_filter *filter);

/*
 * A compiled filter cached in fn_extra for as long as the same document
 * comes in (the usual case: a constant or a stable expression).
 */
typedef struct BspermCachedFilter
{
	MemoryContext cxt;			/* holds the filter */
	MemoryContext rowcxt;		/* reset before each entity */
	BspermDocKind kind;
	bool		constant;		/* the argument is a Const: never compared again */
	Size		doclen;
	char	   *doc;			/* copy of the varlena, for comparison */
	bsp_filter *filter;
	bool		leafless;		/* the filter reads nothing of the entity */
	bool		leafless_value; /* its answer then */
	/* evaluation state reused for every entity */
	bsp_arena	arena;			/* allocates in cxt */
	bsp_arena	rowarena;		/* allocates in rowcxt (set per entity) */
	bsp_flat	flat;
	bsp_match	match;
} BspermCachedFilter;

/*
 * quiet_if_row_dependent: when the document is not the same for every row
 * and is invalid, return a cache entry with filter == NULL instead of
 * raising (for LEAKPROOF callers, whose errors must not depend on rows).
 */
extern BspermCachedFilter *bsperm_cached_filter(FunctionCallInfo fcinfo,
												int argno, BspermDocKind kind,
												bool quiet_if_row_dependent);

/*
 * Flattens a jsonb entity into the flattener (pg_entity.c).  Polls for
 * query cancel and statement timeout and raises them (the core itself
 * only stops: see bsp_flat.cancel_requested).
 */
extern void bsperm_flatten_jsonb(bsp_flat *f, Jsonb *entity);
/* The core's cancellation poll, and raising what it saw (pg_entity.c). */
extern bool bsperm_cancel_requested(void *ctx);
extern void bsperm_raise_cancel(void) pg_attribute_noreturn();

/*
 * Does the entity satisfy the cached filter (non-NULL)?  Resets c->rowcxt
 * and allocates every per-entity byte there (c->cxt does not grow).
 */
extern bool bsperm_entity_matches(BspermCachedFilter *c, Jsonb *entity);
/*
 * The same for an entity Datum that may still be toasted: a filter that
 * has no leaves answers without detoasting it; otherwise it is detoasted
 * in c->rowcxt.  Needs a cache entry made by bsperm_cached_filter.
 */
extern bool bsperm_entity_datum_matches(BspermCachedFilter *c, Datum entity);

/*
 * True when the filter reads nothing of the entity (it has no leaves:
 * {"allOf": []}, {"not": {"anyOf": []}}, ...); *value is then its answer
 * for every non-NULL entity.
 */
extern bool bsperm_filter_is_constant(const bsp_filter *f, bool *value);

/*
 * Appends the filter as an SQL boolean expression over entity_expr, every
 * name fully qualified and every value a quoted literal (pg_sql_render.c).
 */
extern void bsperm_filter_sql(StringInfo out, const bsp_fnode *n,
							  const char *entity_expr, const char *opschema);

/* Schema of the calling function, i.e. bsperm's, quoted for SQL. */
extern const char *bsperm_schema_quoted(FunctionCallInfo fcinfo);

/*
 * Row-level security (pg_rls_plans.c).  Plans fold the current identity's
 * decisions in, so every change of identity must call
 * bsperm_identity_changed(), which invalidates those plans in this backend.
 */
extern void bsperm_identity_changed(void);
/* bsperm_set_user: the same, except that plans whose decisions the new identity shares are kept */
extern void bsperm_identity_set(void);
extern void bsperm_rls_init(void);	/* from _PG_init */

#endif							/* BSPERM_H */
