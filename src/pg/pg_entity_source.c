/*-------------------------------------------------------------------------
 * pg_entity_source.c
 *	  Where the entities of decisions live: one lookup by exact ref, from
 *	  the entity source (bsperm.entities, or the table named in
 *	  bsperm.entity_source, such as Backstage's final_entities).
 *
 * Every entity a decision reads comes through bsperm_load_entities_spi:
 * the user and its groups (the memberOf / childOf walk, pg_members.c), the
 * resources of bsperm_authorize(..., resourceRef) and of
 * bsperm_apply_conditions (pg_decide.c).  The walk, ownership refs and
 * condition evaluation do not know which table the rows came from.
 *
 * The source is policy data: bsperm.entity_source (25_entity_source.sql) is
 * loaded with the other policy tables (bsperm_load_entity_source, called by
 * bsperm_load_policy) into the policy cache, so a change of source is seen
 * by the next statement, as any policy change.  No row: bsperm.entities.
 *
 * The lookup runs no SQL and no planner: the table is opened by oid (a
 * renamed table is still found), locked in AccessShareLock as a query
 * would, and read in the caller's snapshot through a btree index on
 * entity_ref with the built-in text operator family, one descent per ref
 * (a heap scan when there is none), without inheritance children.  The
 * table may be owned by a role bsperm trusts with its rows only
 * (Backstage's), while the lookup runs as the extension's owner (a
 * superuser: row security does not filter it), so nothing of the owner's
 * may run: the planner would evaluate the owner's index expressions and
 * predicates, and a column type of the owner's own would bring its casts.
 * So under the lock the table must be an ordinary table whose entity_ref
 * is text or varchar and whose entity column is jsonb, json or text
 * (Backstage's final_entity is text in catalog-backend 4.0.0, jsonb after a
 * later migration: both read, by jsonb_in for text); the scan itself
 * calls only texteq.  Rows whose entity is NULL (final_entities rows
 * waiting to be stitched) are absent, as in every Backstage read path, and
 * a row is matched to a ref byte for byte (strcmp), whatever the index's
 * collation.
 *
 * Memory.  Entities are copied into the caller's context; everything else
 * is in the caller's (SPI procedure) context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "bsperm.h"
#include "pg_policy_int.h"

#define P bsperm_policy

/* Reads bsperm.entity_source into the policy cache (inside the loader). */
void
bsperm_load_entity_source(void)
{
	bool		isnull;

	P.source_relid = InvalidOid;
	P.source_column = NULL;
	bsperm_run_select("SELECT s.relation::pg_catalog.oid, s.entity_column::pg_catalog.text "
					  "FROM bsperm.entity_source s");
	if (SPI_processed == 0)
		return;
	P.source_relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 1, &isnull));
	P.source_column = MemoryContextStrdup(P.cxt,
										  TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																			SPI_tuptable->tupdesc,
																			2, &isnull)));
}

/* The column's number if its type is one of the built-in types in ok[], else raises. */
static AttrNumber
check_column(Relation rel, const char *col, const Oid *ok, int nok, const char *want)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), col);
	Oid			type = att == InvalidAttrNumber ? InvalidOid :
		TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid;
	int			i;

	for (i = 0; i < nok; i++)
		if (type == ok[i])
			return att;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
			 errmsg("entity source %s has no %s column \"%s\"",
					quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											   RelationGetRelationName(rel)), want, col),
			 errdetail("The relation bsperm.entity_source names was changed after it was set."),
			 errhint("Give the column a built-in type again, or point bsperm.entity_source at another relation.")));
	return InvalidAttrNumber;
}

/* The source, opened and locked, checked as the file header says. */
typedef struct Source
{
	Relation	rel;
	AttrNumber	ref_att;
	AttrNumber	entity_att;
	Oid			entity_type;
} Source;

static void
open_source(Source *src)
{
	static const Oid ref_types[] = {TEXTOID, VARCHAROID};
	static const Oid entity_types[] = {JSONBOID, JSONOID, TEXTOID};
	Oid			relid = P.source_relid;
	const char *col = P.source_column;

	if (!OidIsValid(relid))
	{
		relid = get_relname_relid("entities", get_namespace_oid("bsperm", false));
		col = "entity";
	}
	LockRelationOid(relid, AccessShareLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the relation of the entity source does not exist"),
				 errdetail("bsperm.entity_source names a relation that was dropped."),
				 errhint("Point bsperm.entity_source at the relation that holds the entities, or delete its row to use bsperm.entities.")));
	src->rel = table_open(relid, NoLock);
	if (src->rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("entity source %s is not a table",
						quote_qualified_identifier(get_namespace_name(RelationGetNamespace(src->rel)),
												   RelationGetRelationName(src->rel))),
				 errdetail("The relation bsperm.entity_source names was changed after it was set.")));
	src->ref_att = check_column(src->rel, "entity_ref", ref_types, lengthof(ref_types), "text");
	src->entity_att = check_column(src->rel, col, entity_types, lengthof(entity_types),
								   "jsonb, json or text");
	src->entity_type = TupleDescAttr(RelationGetDescr(src->rel), src->entity_att - 1)->atttypid;
}

/*
 * A btree index whose only key is entity_ref with the built-in text
 * operator family, with no expression and no predicate; NULL when there is
 * none (the caller closes it).
 */
static Relation
open_ref_index(Source *src)
{
	List	   *indexes = RelationGetIndexList(src->rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	ind = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index f = ind->rd_index;

		if (ind->rd_rel->relam == BTREE_AM_OID && f->indnkeyatts == 1 &&
			f->indkey.values[0] == src->ref_att && f->indisvalid && f->indisready &&
			ind->rd_opfamily[0] == TEXT_BTREE_FAM_OID &&
			heap_attisnull(ind->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(ind->rd_indextuple, Anum_pg_index_indpred, NULL))
			return ind;
		index_close(ind, AccessShareLock);
	}
	return NULL;
}

/* The entity of a row as jsonb, copied into outcxt; NULL for NULL or not an object. */
static Jsonb *
row_entity(Source *src, TupleTableSlot *slot, MemoryContext outcxt)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, src->entity_att, &isnull);
	Jsonb	   *j;
	Jsonb	   *copy;

	if (isnull)
		return NULL;
	if (src->entity_type == JSONBOID)
		j = DatumGetJsonbP(d);
	else						/* text or json: the same text form */
		j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(TextDatumGetCString(d))));
	if (!JsonContainerIsObject(&j->root))
		return NULL;
	copy = MemoryContextAlloc(outcxt, VARSIZE(j));
	memcpy(copy, j, VARSIZE(j));
	return copy;
}

/* Stores the row's entity at every position of its ref (sorted[] by ref). */
static void
take_row(Source *src, TupleTableSlot *slot, const bsp_refpos *sorted, int nrefs,
		 Jsonb **out, MemoryContext outcxt)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, src->ref_att, &isnull);
	char	   *ref;
	int			pos;
	Jsonb	   *entity;

	if (isnull)
		return;
	ref = TextDatumGetCString(d);
	pos = bsp_refpos_find(sorted, nrefs, ref);
	if (pos < 0 || (entity = row_entity(src, slot, outcxt)) == NULL)
		return;
	for (; pos < nrefs && strcmp(sorted[pos].ref, ref) == 0; pos++)
		out[sorted[pos].pos] = entity;
}

/*
 * Looks entities up by exact ref in the entity source (as the owner, the
 * policy loaded for this statement): out[k] is the entity of refs[k]
 * copied into outcxt, NULL when absent.
 */
void
bsperm_load_entities_spi(int nrefs, const char *const *refs, Jsonb **out,
						 MemoryContext outcxt)
{
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	bsp_refpos *sorted;
	Source		src;
	Relation	ind;
	TupleTableSlot *slot;
	int			k;

	for (k = 0; k < nrefs; k++)
		out[k] = NULL;
	if (nrefs == 0)
		return;
	sorted = palloc(sizeof(bsp_refpos) * nrefs);
	for (k = 0; k < nrefs; k++)
	{
		sorted[k].ref = refs[k];
		sorted[k].pos = k;
	}
	bsp_refpos_sort(sorted, nrefs);

	open_source(&src);
	slot = table_slot_create(src.rel, NULL);
	ind = open_ref_index(&src);
	if (ind != NULL)
	{
		IndexScanDesc scan = index_beginscan(src.rel, ind, snap, 1, 0);

		for (k = 0; k < nrefs; k++)
		{
			ScanKeyData key;

			CHECK_FOR_INTERRUPTS();
			if (k > 0 && strcmp(sorted[k].ref, sorted[k - 1].ref) == 0)
				continue;
			ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_TEXTEQ,
						CStringGetTextDatum(sorted[k].ref));
			key.sk_collation = ind->rd_indcollation[0];
			index_rescan(scan, &key, 1, NULL, 0);
			while (index_getnext_slot(scan, ForwardScanDirection, slot))
				take_row(&src, slot, sorted, nrefs, out, outcxt);
		}
		index_endscan(scan);
		index_close(ind, AccessShareLock);
	}
	else
	{
		TableScanDesc scan = table_beginscan(src.rel, snap, 0, NULL);

		while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		{
			CHECK_FOR_INTERRUPTS();
			take_row(&src, slot, sorted, nrefs, out, outcxt);
		}
		table_endscan(scan);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_close(src.rel, NoLock);
}

typedef struct LoadArgs
{
	int			nrefs;
	const char *const *refs;
	Jsonb	  **entities;
	MemoryContext cxt;
} LoadArgs;

static void
load_entities_as_owner(void *arg)
{
	LoadArgs   *a = arg;

	bsperm_policy_refresh();
	bsperm_load_entities_spi(a->nrefs, a->refs, a->entities, a->cxt);
}

void
bsperm_load_entities(int nrefs, const char *const *refs, Jsonb **entities)
{
	LoadArgs	a = {nrefs, refs, entities, CurrentMemoryContext};

	bsperm_as_owner(load_entities_as_owner, &a);
}

static void
refresh_as_owner(void *arg)
{
	bsperm_policy_refresh();
}

/*
 * The same lookup with the caller's rights, for criteria a caller passes
 * (transitive claims of bsperm_matches, bsperm_criteria_sql, ...:
 * pg_rules.c).  It is a query run as the caller, so the caller's privileges
 * on the source table and that table's row security apply: criteria cannot
 * list the parents or children of a group the caller may not read.  Nothing
 * of the extension owner's runs here; the names are qualified.
 */
void
bsperm_load_entities_caller(int nrefs, const char *const *refs, Jsonb **out,
							MemoryContext outcxt)
{
	Oid			relid;
	char	   *col;
	char	   *nsp;
	char	   *rel;
	StringInfoData q;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum	   *elems;
	Datum		arg;
	bsp_refpos *sorted;
	uint64		i;
	int			k,
				rc;
	MemoryContext cxt = CurrentMemoryContext;

	for (k = 0; k < nrefs; k++)
		out[k] = NULL;
	if (nrefs == 0)
		return;
	bsperm_as_owner(refresh_as_owner, NULL);
	relid = P.source_relid;
	col = P.source_column ? pstrdup(P.source_column) : pstrdup("entity");
	if (!OidIsValid(relid))
		relid = get_relname_relid("entities", get_namespace_oid("bsperm", false));
	rel = get_rel_name(relid);
	nsp = rel ? get_namespace_name(get_rel_namespace(relid)) : NULL;
	if (rel == NULL || nsp == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the entity source of bsperm (relation %u) does not exist", relid)));
	initStringInfo(&q);
	appendStringInfo(&q, "SELECT e.entity_ref::pg_catalog.text, e.%s::pg_catalog.jsonb FROM %s.%s e "
					 "WHERE e.entity_ref::pg_catalog.text OPERATOR(pg_catalog.=) ANY ($1)",
					 quote_identifier(col), quote_identifier(nsp), quote_identifier(rel));
	elems = palloc(sizeof(Datum) * nrefs);
	for (k = 0; k < nrefs; k++)
		elems[k] = CStringGetTextDatum(refs[k]);
	arg = PointerGetDatum(construct_array(elems, nrefs, TEXTOID, -1, false, TYPALIGN_INT));
	rc = SPI_execute_with_args(q.data, 1, argtypes, &arg, NULL, true, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));

	sorted = palloc(sizeof(bsp_refpos) * nrefs);
	for (k = 0; k < nrefs; k++)
	{
		sorted[k].ref = refs[k];
		sorted[k].pos = k;
	}
	bsp_refpos_sort(sorted, nrefs);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		Datum		r = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull);
		char	   *ref;
		Datum		d;
		int			pos;
		Jsonb	   *j;
		Jsonb	   *copy;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;
		ref = TextDatumGetCString(r);
		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		pos = bsp_refpos_find(sorted, nrefs, ref);
		if (pos < 0 || isnull)
			continue;
		j = DatumGetJsonbP(d);
		copy = MemoryContextAlloc(outcxt, VARSIZE(j));
		memcpy(copy, j, VARSIZE(j));
		for (; pos < nrefs && strcmp(sorted[pos].ref, ref) == 0; pos++)
			out[sorted[pos].pos] = copy;
	}
}
