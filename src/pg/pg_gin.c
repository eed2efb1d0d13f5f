/*-------------------------------------------------------------------------
 * pg_gin.c
 *	  GIN operator class bsperm_entity_ops: jsonb entity @~ EntityFilter.
 *
 * extractValue flattens the entity into Backstage's search rows and makes
 * one term per key ('K' key) and per key/value pair ('V' key NUL value);
 * the index stores a 32-bit hash of each term (int4, compared with
 * btint4cmp), as jsonb_path_ops does: small entries, cheap comparisons,
 * fast inserts.  A hash may collide, so a present term only means "maybe":
 * consistent evaluates the filter tree in three-valued logic (an absent
 * term is certainly absent, a present one maybe present), rejects the
 * items for which the filter is certainly false and asks for a recheck of
 * the others, which the @~ operator answers exactly.  Three values keep
 * "not" correct: a colliding term never hides a row.  A filter that would
 * be true for an entity with none of its terms (a top-level "not", say)
 * needs every item: extractQuery then asks for GIN_SEARCH_MODE_ALL.
 * An invalid filter also scans every item and leaves the answer (an error
 * for a constant, "no match" for a value from another row) to the
 * recheck, so the index never answers differently from a sequential scan.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/gin.h"
#include "access/stratnum.h"
#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "bsp_js.h"

#define BSPERM_MATCH_STRATEGY 1

typedef struct TermCollector
{
	Datum	   *terms;
	int			nterms;
	int			cap;
	bsp_sbuf	buf;
} TermCollector;

static void
add_term(TermCollector *tc)
{
	if (tc->buf.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (tc->nterms == tc->cap)
	{
		tc->cap = tc->cap ? tc->cap * 2 : 64;
		tc->terms = tc->terms ? repalloc(tc->terms, sizeof(Datum) * tc->cap)
			: palloc(sizeof(Datum) * tc->cap);
	}
	tc->terms[tc->nterms++] =
		Int32GetDatum((int32) hash_bytes((const unsigned char *) tc->buf.data,
										 (int) tc->buf.len));
}

static bool
collect_terms(void *ctx, const char *key, size_t keylen,
			  const char *value, size_t valuelen)
{
	TermCollector *tc = ctx;

	bsp_sbuf_reset(&tc->buf);
	bsp_term_exists(&tc->buf, key, keylen);
	add_term(tc);
	if (value)
	{
		bsp_sbuf_reset(&tc->buf);
		bsp_term_value(&tc->buf, key, keylen, value, valuelen);
		add_term(tc);
	}
	return true;
}

PG_FUNCTION_INFO_V1(bsperm_gin_extract_value);
Datum
bsperm_gin_extract_value(PG_FUNCTION_ARGS)
{
	Jsonb	   *entity = PG_GETARG_JSONB_P(0);
	int32	   *nentries = (int32 *) PG_GETARG_POINTER(1);
	TermCollector tc;
	bsp_arena	arena;
	bsp_flat	flat;

	memset(&tc, 0, sizeof(tc));
	bsperm_arena_init(&arena, CurrentMemoryContext);
	bsp_sbuf_init(&tc.buf, &arena);
	bsp_flat_init(&flat, &arena, NULL, collect_terms, &tc);
	bsperm_flatten_jsonb(&flat, entity);
	if (flat.failed)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	*nentries = tc.nterms;
	PG_RETURN_POINTER(tc.terms);
}

/*
 * What consistent needs, shared by every entry of one scan key.  filter is
 * NULL for an invalid filter: the scan then returns every item for the
 * recheck (see bsperm_gin_extract_query).
 */
typedef struct QueryState
{
	bsp_filter *filter;
	uint8	   *leaf;			/* bsp_tri per leaf */
} QueryState;

typedef struct QueryEntry
{
	QueryState *state;
	int			leaf;
} QueryEntry;

PG_FUNCTION_INFO_V1(bsperm_gin_extract_query);
Datum
bsperm_gin_extract_query(PG_FUNCTION_ARGS)
{
	Jsonb	   *query = PG_GETARG_JSONB_P(0);
	int32	   *nentries = (int32 *) PG_GETARG_POINTER(1);
	StrategyNumber strategy = PG_GETARG_UINT16(2);
	Pointer   **extra_data = (Pointer **) PG_GETARG_POINTER(4);
	int32	   *searchMode = (int32 *) PG_GETARG_POINTER(6);
	bsp_arena	arena;
	QueryState *qs;
	TermCollector tc;
	QueryEntry *qe;
	int			i,
				j,
				cap = 0;

	if (strategy != BSPERM_MATCH_STRATEGY)
		elog(ERROR, "unrecognized strategy number: %d", strategy);

	bsperm_arena_init(&arena, CurrentMemoryContext);
	qs = palloc0(sizeof(QueryState));
	qs->filter = bsperm_compile_quiet(query, BSPERM_DOC_FILTER, &arena);
	if (qs->filter == NULL)
	{
		/*
		 * An invalid filter.  extractQuery cannot tell a constant from a
		 * value computed from another row (a nested loop's outer row), and
		 * raising for the latter would make the index path disagree with a
		 * sequential scan, where @~ answers "no match" (and would reveal
		 * row data through a LEAKPROOF operator).  So the index scan hands
		 * every item to the recheck, which is @~ itself: it raises for a
		 * constant (or parameter) and answers false otherwise, exactly as
		 * in a sequential scan.  One placeholder entry carries the state
		 * that tells consistent to ask for that recheck.
		 */
		*nentries = 1;
		*searchMode = GIN_SEARCH_MODE_ALL;
		qe = palloc0(sizeof(QueryEntry));
		qe->state = qs;
		*extra_data = palloc(sizeof(Pointer));
		(*extra_data)[0] = (Pointer) qe;
		memset(&tc, 0, sizeof(tc));
		bsp_sbuf_init(&tc.buf, &arena);
		bsp_term_exists(&tc.buf, "", 0);
		add_term(&tc);
		PG_RETURN_POINTER(tc.terms);
	}
	qs->leaf = palloc0(sizeof(uint8) * Max(qs->filter->nleaves, 1));

	for (i = 0; i < qs->filter->nleaves; i++)
		cap += qs->filter->leaves[i]->has_values ? qs->filter->leaves[i]->nvalues : 1;

	memset(&tc, 0, sizeof(tc));
	bsp_sbuf_init(&tc.buf, &arena);
	qe = palloc0(sizeof(QueryEntry) * Max(cap, 1));
	*extra_data = palloc0(sizeof(Pointer) * Max(cap, 1));

	for (i = 0; i < qs->filter->nleaves; i++)
	{
		bsp_fnode  *leaf = qs->filter->leaves[i];

		/* keys and values over Backstage's limits are never stored */
		if (bsp_utf16_len(leaf->key.s, leaf->key.len) > BSP_SEARCH_MAX_LEN)
			continue;
		if (!leaf->has_values)
		{
			bsp_sbuf_reset(&tc.buf);
			bsp_term_exists(&tc.buf, leaf->key.s, leaf->key.len);
			add_term(&tc);
			qe[tc.nterms - 1].state = qs;
			qe[tc.nterms - 1].leaf = i;
			continue;
		}
		for (j = 0; j < leaf->nvalues; j++)
		{
			if (bsp_utf16_len(leaf->values[j].s, leaf->values[j].len) > BSP_SEARCH_MAX_LEN)
				continue;
			bsp_sbuf_reset(&tc.buf);
			bsp_term_value(&tc.buf, leaf->key.s, leaf->key.len,
						   leaf->values[j].s, leaf->values[j].len);
			add_term(&tc);
			qe[tc.nterms - 1].state = qs;
			qe[tc.nterms - 1].leaf = i;
		}
	}
	for (i = 0; i < tc.nterms; i++)
		(*extra_data)[i] = (Pointer) &qe[i];

	*searchMode = bsp_filter_true_on_empty(qs->filter) ?
		GIN_SEARCH_MODE_ALL : GIN_SEARCH_MODE_DEFAULT;
	*nentries = tc.nterms;
	PG_RETURN_POINTER(tc.terms);
}

PG_FUNCTION_INFO_V1(bsperm_gin_consistent);
Datum
bsperm_gin_consistent(PG_FUNCTION_ARGS)
{
	bool	   *check = (bool *) PG_GETARG_POINTER(0);
	int32		nentries = PG_GETARG_INT32(3);
	Pointer    *extra_data = (Pointer *) PG_GETARG_POINTER(4);
	bool	   *recheck = (bool *) PG_GETARG_POINTER(5);
	QueryState *qs;
	int			i;

	/* no entries: the filter is the same constant for every item */
	if (nentries == 0)
	{
		*recheck = false;
		PG_RETURN_BOOL(true);
	}
	qs = ((QueryEntry *) extra_data[0])->state;
	if (qs->filter == NULL)
	{
		/* an invalid filter: @~ decides in the recheck */
		*recheck = true;
		PG_RETURN_BOOL(true);
	}
	memset(qs->leaf, BSP_NO, sizeof(uint8) * Max(qs->filter->nleaves, 1));
	for (i = 0; i < nentries; i++)
		if (check[i])
			qs->leaf[((QueryEntry *) extra_data[i])->leaf] = BSP_MAYBE;
	*recheck = true;
	PG_RETURN_BOOL(bsp_filter_eval3(qs->filter, qs->leaf) != BSP_NO);
}

PG_FUNCTION_INFO_V1(bsperm_gin_triconsistent);
Datum
bsperm_gin_triconsistent(PG_FUNCTION_ARGS)
{
	GinTernaryValue *check = (GinTernaryValue *) PG_GETARG_POINTER(0);
	int32		nentries = PG_GETARG_INT32(3);
	Pointer    *extra_data = (Pointer *) PG_GETARG_POINTER(4);
	QueryState *qs;
	int			i;

	if (nentries == 0)
		PG_RETURN_GIN_TERNARY_VALUE(GIN_TRUE);
	qs = ((QueryEntry *) extra_data[0])->state;
	if (qs->filter == NULL)
		PG_RETURN_GIN_TERNARY_VALUE(GIN_MAYBE);
	memset(qs->leaf, BSP_NO, sizeof(uint8) * Max(qs->filter->nleaves, 1));
	for (i = 0; i < nentries; i++)
		if (check[i] != GIN_FALSE)
			qs->leaf[((QueryEntry *) extra_data[i])->leaf] = BSP_MAYBE;
	/* hashed terms: never more certain than "maybe" */
	PG_RETURN_GIN_TERNARY_VALUE(bsp_filter_eval3(qs->filter, qs->leaf) == BSP_NO ?
								GIN_FALSE : GIN_MAYBE);
}
