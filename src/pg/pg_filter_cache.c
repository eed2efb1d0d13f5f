/*-------------------------------------------------------------------------
 * pg_filter_cache.c
 *	  Compiled EntityFilters by their jsonb bytes, so that a filter is
 *	  compiled once per backend and not once per scan.
 *
 * A policy's filter is compiled when its decision is made (pg_rls.c puts
 * it here with the jsonb the plan carries); the GIN scan's extractQuery,
 * the per-row recheck and every @~ call site then find it by the bytes of
 * their argument instead of reading the document through its text form.
 * A filter given as a Const is put here when a call site compiles it; a
 * document computed per row is only looked up, never put, so a scan of
 * row-dependent filters does not churn the slots.
 *
 * Memory: a fixed number of slots, each with its own context under
 * TopMemoryContext, replaced least recently used first; documents larger
 * than MAX_DOC are not kept.  A hit is copied into the caller's arena, so
 * nothing a caller holds points into a slot.  The key includes the limits
 * the filter was accepted under.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/memutils.h"

#include "bsperm.h"

#define SLOTS 64
#define MAX_DOC (64 * 1024)

typedef struct Slot
{
	MemoryContext cxt;			/* NULL: empty */
	uint32		hash;
	bsp_limits	limits;
	Size		len;
	char	   *doc;
	bsp_filter *filter;
	uint64		used;
} Slot;

static Slot slots[SLOTS];
static uint64 clock_hand = 0;
static MemoryContext cache_cxt = NULL;

static bool
same_limits(const bsp_limits *a, const bsp_limits *b)
{
	return a->max_depth == b->max_depth && a->max_nodes == b->max_nodes &&
		a->max_array == b->max_array;
}

static Slot *
find(Jsonb *doc, uint32 hash, const bsp_limits *limits)
{
	for (int i = 0; i < SLOTS; i++)
	{
		Slot	   *s = &slots[i];

		if (s->cxt && s->hash == hash && s->len == VARSIZE(doc) &&
			same_limits(&s->limits, limits) && memcmp(s->doc, doc, s->len) == 0)
			return s;
	}
	return NULL;
}

bsp_filter *
bsperm_filter_cache_get(Jsonb *doc, const bsp_limits *limits, bsp_arena *arena)
{
	Slot	   *s;
	bsp_filter *copy;

	if (VARSIZE(doc) > MAX_DOC)
		return NULL;
	s = find(doc, hash_bytes((const unsigned char *) doc, VARSIZE(doc)), limits);
	if (s == NULL)
		return NULL;
	s->used = ++clock_hand;
	copy = bsp_filter_copy(arena, s->filter);
	if (copy == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return copy;
}

void
bsperm_filter_cache_put(Jsonb *doc, const bsp_limits *limits, const bsp_filter *filter)
{
	uint32		hash;
	Slot	   *s;
	bsp_arena	arena;

	if (VARSIZE(doc) > MAX_DOC)
		return;
	hash = hash_bytes((const unsigned char *) doc, VARSIZE(doc));
	if (find(doc, hash, limits) != NULL)
		return;
	if (cache_cxt == NULL)
		cache_cxt = AllocSetContextCreate(TopMemoryContext, "bsperm filter cache",
										  ALLOCSET_SMALL_SIZES);
	s = &slots[0];
	for (int i = 0; i < SLOTS; i++)
	{
		if (slots[i].cxt == NULL)
		{
			s = &slots[i];
			break;
		}
		if (slots[i].used < s->used)
			s = &slots[i];
	}
	if (s->cxt)
		MemoryContextDelete(s->cxt);
	memset(s, 0, sizeof(*s));
	s->cxt = AllocSetContextCreate(cache_cxt, "bsperm cached filter", ALLOCSET_SMALL_SIZES);
	bsperm_arena_init(&arena, s->cxt);
	s->doc = MemoryContextAllocExtended(s->cxt, VARSIZE(doc), MCXT_ALLOC_NO_OOM);
	s->filter = s->doc ? bsp_filter_copy(&arena, filter) : NULL;
	if (s->filter == NULL)
	{
		/* out of memory: keep nothing */
		MemoryContextDelete(s->cxt);
		memset(s, 0, sizeof(*s));
		return;
	}
	memcpy(s->doc, doc, VARSIZE(doc));
	s->len = VARSIZE(doc);
	s->hash = hash;
	s->limits = *limits;
	s->used = ++clock_hand;
}
