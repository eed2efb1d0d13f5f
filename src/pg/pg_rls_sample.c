/*-------------------------------------------------------------------------
 * pg_rls_sample.c
 *	  A sample of a table's rows, kept per backend, for the estimates of @~.
 *
 * PostgreSQL's statistics of an entity column are empty: ANALYZE leaves out
 * values wider than 1 KB, and catalog entities are wider.  The estimator of
 * @~ (pg_rls.c) therefore reads its own sample: the visible rows of up to
 * SAMPLE_BLOCKS blocks spread evenly over the table (a few hundred rows),
 * copied once and kept until the table's relcache entry is invalidated
 * (ANALYZE, VACUUM, any schema change) or its size in blocks changes.  A
 * filter is evaluated on the sample once per filter and the fraction kept
 * with it, so planning the same policy again costs a hash lookup.
 *
 * The sample also gives the joint selectivity of a policy's filter and the
 * query's other simple conditions on the same table (a keyset position
 * "entity_ref > $last", a kind): PostgreSQL multiplies selectivities as if
 * they were independent, and a policy that shows only APIs and a keyset
 * position after the last API are not.  Those conditions are evaluated only
 * on sampled rows the policy lets through, and only when they are leakproof
 * (no error, no output that depends on the row) and the policy's filter is
 * the table's only security condition: nothing is evaluated on a row the
 * user may not see.
 *
 * Memory: samples live in their own contexts under CacheMemoryContext.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/pg_am.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "pg_rls.h"

#define SAMPLE_BLOCKS 48
#define SAMPLE_ROWS 320
#define SAMPLES 4
#define MEMO 16

typedef struct Memo
{
	uint32		hash;
	Size		len;
	int			matched;		/* sampled rows that match */
	uint64		rows[(SAMPLE_ROWS + 63) / 64];	/* which */
} Memo;

typedef struct Sample
{
	Oid			relid;
	BlockNumber blocks;
	MemoryContext cxt;
	TupleDesc	desc;
	int			nrows;
	HeapTuple  *rows;
	int			nmemo;
	Memo		memo[MEMO];
} Sample;

static Sample samples[SAMPLES];
static int	next_slot = 0;
static bool callback_registered = false;

static void
drop_sample(Sample *s)
{
	if (s->cxt)
		MemoryContextDelete(s->cxt);
	memset(s, 0, sizeof(*s));
}

static void
sample_inval(Datum arg, Oid relid)
{
	for (int i = 0; i < SAMPLES; i++)
		if (samples[i].cxt && (relid == InvalidOid || samples[i].relid == relid))
			drop_sample(&samples[i]);
}

/* Visible rows of evenly spread blocks, copied into the sample's context. */
static void
read_sample(Sample *s, Relation rel, BlockNumber blocks)
{
	int			nblk = Min(blocks, SAMPLE_BLOCKS);
	int			cap = SAMPLE_ROWS;
	Snapshot	snap = GetActiveSnapshot();
	BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
	MemoryContext old;

	s->relid = RelationGetRelid(rel);
	s->blocks = blocks;
	s->cxt = AllocSetContextCreate(CacheMemoryContext, "bsperm estimate sample",
								   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(s->cxt);
	s->desc = CreateTupleDescCopy(RelationGetDescr(rel));
	s->rows = palloc(sizeof(HeapTuple) * cap);
	for (int b = 0; b < nblk && s->nrows < cap; b++)
	{
		BlockNumber blk = (BlockNumber) (((uint64) b * blocks + blocks / 2) / nblk);
		Buffer		buf;
		Page		page;
		OffsetNumber maxoff;

		CHECK_FOR_INTERRUPTS();
		buf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		maxoff = PageIsNew(page) ? InvalidOffsetNumber : PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff && s->nrows < cap; off++)
		{
			ItemId		id = PageGetItemId(page, off);
			HeapTupleData tup;

			if (!ItemIdIsNormal(id))
				continue;
			tup.t_data = (HeapTupleHeader) PageGetItem(page, id);
			tup.t_len = ItemIdGetLength(id);
			tup.t_tableOid = s->relid;
			ItemPointerSet(&tup.t_self, blk, off);
			if (snap != NULL && HeapTupleSatisfiesVisibility(&tup, snap, buf))
				s->rows[s->nrows++] = heap_copytuple(&tup);
		}
		UnlockReleaseBuffer(buf);
	}
	FreeAccessStrategy(strategy);
	MemoryContextSwitchTo(old);
}

static Sample *
get_sample(Oid relid, BlockNumber *blocks_out)
{
	Relation	rel;
	BlockNumber blocks;
	Sample	   *s = NULL;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(sample_inval, (Datum) 0);
		callback_registered = true;
	}
	rel = relation_open(relid, NoLock);		/* the planner holds its lock */
	if (rel->rd_rel->relam != HEAP_TABLE_AM_OID || GetActiveSnapshot() == NULL)
	{
		relation_close(rel, NoLock);
		return NULL;
	}
	blocks = RelationGetNumberOfBlocks(rel);
	for (int i = 0; i < SAMPLES; i++)
		if (samples[i].cxt && samples[i].relid == relid)
		{
			if (samples[i].blocks == blocks)
				s = &samples[i];
			else
				drop_sample(&samples[i]);
		}
	if (s == NULL && blocks > 0)
	{
		s = &samples[next_slot];
		next_slot = (next_slot + 1) % SAMPLES;
		drop_sample(s);
		PG_TRY();
		{
			read_sample(s, rel, blocks);
		}
		PG_CATCH();
		{
			drop_sample(s);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	relation_close(rel, NoLock);
	*blocks_out = blocks;
	return (s && s->nrows > 0) ? s : NULL;
}

static bool
matches(FmgrInfo *fn, Sample *s, int i, AttrNumber attno, Datum filter)
{
	bool		isnull;
	Datum		v = heap_getattr(s->rows[i], attno, s->desc, &isnull);

	return !isnull && DatumGetBool(FunctionCall2Coll(fn, InvalidOid, v, filter));
}

/*
 * The fraction of the sample that matches entity @~ filter (operator's
 * function opfunc, column attno), and, when others is not NIL (implicitly
 * ANDed expressions of the same table), in *joint the fraction that matches
 * both.  Returns false when the table cannot be sampled.
 */
bool
bsperm_sample_selectivity(Oid relid, AttrNumber attno, Oid opfunc, Jsonb *filter,
						  List *others, double *sel, double *joint)
{
	BlockNumber blocks;
	Sample	   *s = get_sample(relid, &blocks);
	uint32		h;
	Memo	   *memo = NULL;
	Memo		fresh;
	int			mj = 0;

	if (s == NULL)
		return false;
	h = hash_bytes((const unsigned char *) filter, VARSIZE(filter));
	for (int i = 0; i < s->nmemo; i++)
		if (s->memo[i].hash == h && s->memo[i].len == VARSIZE(filter))
			memo = &s->memo[i];
	if (memo == NULL)
	{
		FmgrInfo	fn;

		/* the filter on every sampled row, once per filter */
		fmgr_info(opfunc, &fn);
		memset(&fresh, 0, sizeof(fresh));
		fresh.hash = h;
		fresh.len = VARSIZE(filter);
		for (int i = 0; i < s->nrows; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (matches(&fn, s, i, attno, JsonbPGetDatum(filter)))
			{
				fresh.rows[i / 64] |= UINT64CONST(1) << (i % 64);
				fresh.matched++;
			}
		}
		if (s->nmemo < MEMO)
		{
			s->memo[s->nmemo] = fresh;
			memo = &s->memo[s->nmemo++];
		}
		else
			memo = &fresh;
	}
	*sel = (double) memo->matched / s->nrows;
	if (others != NIL && joint != NULL)
	{
		/* the other conditions, only on sampled rows the filter lets through */
		EState	   *estate = CreateExecutorState();
		ExprContext *econtext = GetPerTupleExprContext(estate);
		ExprState  *qual = ExecPrepareQual(others, estate);
		TupleTableSlot *slot = MakeSingleTupleTableSlot(s->desc, &TTSOpsHeapTuple);

		for (int i = 0; i < s->nrows; i++)
		{
			if (!(memo->rows[i / 64] & (UINT64CONST(1) << (i % 64))))
				continue;
			ExecStoreHeapTuple(s->rows[i], slot, false);
			econtext->ecxt_scantuple = slot;
			if (ExecQual(qual, econtext))
				mj++;
			ResetExprContext(econtext);
		}
		ExecDropSingleTupleTableSlot(slot);
		FreeExecutorState(estate);
		*joint = (double) mj / s->nrows;
	}
	return true;
}

/* The size of a table's sample (for the resolution of its estimates). */
int
bsperm_sample_rows(Oid relid)
{
	for (int i = 0; i < SAMPLES; i++)
		if (samples[i].cxt && samples[i].relid == relid)
			return samples[i].nrows;
	return 0;
}

