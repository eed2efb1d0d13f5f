/*-------------------------------------------------------------------------
 * pg_entity_source.c
 *	  Where the entities of decisions live: one lookup by exact ref, from
 *	  the entity source (bsperm.entities, or the relation named in
 *	  bsperm.entity_source, such as Backstage's final_entities).
 *
 * Every entity a decision reads comes through bsperm_load_entities_spi:
 * the user and its groups (the memberOf / childOf walk, pg_members.c), the
 * resources of bsperm_authorize(..., resourceRef) and of
 * bsperm_apply_conditions (pg_decide.c).  The walk, ownership refs and
 * condition evaluation do not know which relation the rows came from.
 *
 * The source is policy data: bsperm.entity_source (25_entity_source.sql) is
 * loaded with the other policy tables (bsperm_load_entity_source, called by
 * bsperm_load_policy) into the policy cache, so a change of source is seen
 * by the next statement, as any policy change.  No row: bsperm.entities.
 *
 * The query.  "SELECT entity_ref, CAST(<entity column> AS jsonb) FROM
 * <relation> WHERE entity_ref = ANY($1)", with the relation's current
 * schema and name (looked up from its oid at every load, so a renamed
 * relation is still found); the cast makes text (Backstage's final_entity
 * in catalog-backend 4.0.0), json and jsonb columns one case, and a column
 * whose type changes later (Backstage's migration to jsonb) is re-planned by
 * the plan cache.  The relation must stay an ordinary table with built-in
 * column types (checked under its lock at every lookup): its owner is not
 * trusted to run code as the extension's owner.  Rows whose entity is NULL (final_entities rows waiting
 * to be stitched) are absent, as in every Backstage read path.  It runs as
 * the extension owner (a superuser: row security does not filter it) with
 * search_path pinned (pg_owner.c); every name and operator is qualified.
 *
 * Memory.  The saved plan and its SQL text live in TopMemoryContext,
 * replaced when the text changes.  Loaded entities are copied into the
 * caller's context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "bsperm.h"
#include "pg_policy_int.h"

#define P bsperm_policy

static SPIPlanPtr source_plan;
static char *source_sql;

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

/*
 * The column's type if it is one of the built-in types in ok[], else raises:
 * the relation's owner (Backstage's role) may change its columns, and a
 * type of its own would run its code (a cast, an operator) as the
 * extension's owner when decisions read it.
 */
static Oid
check_column(Oid relid, const char *col, const Oid *ok, int nok, const char *want)
{
	AttrNumber	att = get_attnum(relid, col);
	Oid			type = att == InvalidAttrNumber ? InvalidOid : get_atttype(relid, att);
	int			i;

	for (i = 0; i < nok; i++)
		if (type == ok[i])
			return type;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TABLE_DEFINITION),
			 errmsg("entity source %s has no %s column \"%s\"",
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											   get_rel_name(relid)), want, col),
			 errdetail("The relation bsperm.entity_source names was changed after it was set."),
			 errhint("Give the column a built-in type again, or point bsperm.entity_source at another relation.")));
	return InvalidOid;
}

/*
 * The lookup query for the current source, as text.  A source other than
 * bsperm.entities is locked first (AccessShareLock, to the end of the
 * transaction, as the query would), so that what is checked here, in the
 * catalogs as of that lock, is what the query reads: an ordinary table
 * (no view or foreign table, whose code would run as the extension's
 * owner), read without its inheritance children, with built-in column types.
 */
static char *
source_query(void)
{
	static const Oid ref_types[] = {TEXTOID, VARCHAROID};
	static const Oid entity_types[] = {JSONBOID, JSONOID, TEXTOID};
	const char *nsp = "bsperm";
	const char *rel = "entities";
	const char *col = "entity";
	Oid			relid = P.source_relid;

	if (OidIsValid(relid))
	{
		LockRelationOid(relid, AccessShareLock);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("the relation of the entity source does not exist"),
					 errdetail("bsperm.entity_source names a relation that was dropped."),
					 errhint("Point bsperm.entity_source at the relation that holds the entities, or delete its row to use bsperm.entities.")));
		rel = get_rel_name(relid);
		nsp = get_namespace_name(get_rel_namespace(relid));
		col = P.source_column;
		if (get_rel_relkind(relid) != RELKIND_RELATION)
			ereport(ERROR,
					(errcode(ERRCODE_WRONG_OBJECT_TYPE),
					 errmsg("entity source %s is not a table", quote_qualified_identifier(nsp, rel)),
					 errdetail("The relation bsperm.entity_source names was changed after it was set.")));
		check_column(relid, "entity_ref", ref_types, lengthof(ref_types), "text");
		check_column(relid, col, entity_types, lengthof(entity_types), "jsonb, json or text");
	}
	return psprintf("SELECT CAST(e.entity_ref AS pg_catalog.text), CAST(e.%s AS pg_catalog.jsonb) "
					"FROM ONLY %s.%s e WHERE e.entity_ref OPERATOR(pg_catalog.=) ANY ($1)",
					quote_identifier(col), quote_identifier(nsp), quote_identifier(rel));
}

/* Runs the lookup for refs; SPI_tuptable holds (ref, entity) rows. */
static void
run_entities_query(int nrefs, const char *const *refs)
{
	Datum	   *elems = palloc(sizeof(Datum) * nrefs);
	Datum		arg;
	int			k,
				rc;
	MemoryContext cxt = CurrentMemoryContext;
	char	   *sql = source_query();

	if (source_plan == NULL || strcmp(sql, source_sql) != 0)
	{
		Oid			argtypes[1] = {TEXTARRAYOID};
		SPIPlanPtr	plan = bsperm_prepare_saved(sql, 1, argtypes);

		if (source_plan != NULL)
		{
			SPI_freeplan(source_plan);
			pfree(source_sql);
		}
		source_plan = plan;
		source_sql = MemoryContextStrdup(TopMemoryContext, sql);
	}
	for (k = 0; k < nrefs; k++)
		elems[k] = CStringGetTextDatum(refs[k]);
	arg = PointerGetDatum(construct_array(elems, nrefs, TEXTOID, -1, false, TYPALIGN_INT));
	rc = SPI_execute_plan(source_plan, &arg, NULL, true, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

/*
 * Looks entities up by exact ref in the entity source (inside SPI, as the
 * owner, the policy loaded for this statement): out[k] is the entity of
 * refs[k] copied into outcxt, NULL when absent.
 */
void
bsperm_load_entities_spi(int nrefs, const char *const *refs, Jsonb **out,
						 MemoryContext outcxt)
{
	bsp_refpos *sorted;
	uint64		i;
	int			k;

	for (k = 0; k < nrefs; k++)
		out[k] = NULL;
	if (nrefs == 0)
		return;
	run_entities_query(nrefs, refs);

	/* match rows back to the (possibly repeated) refs */
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
		char	   *ref = TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		int			pos = bsp_refpos_find(sorted, nrefs, ref);
		Jsonb	   *j;
		Jsonb	   *copy;

		CHECK_FOR_INTERRUPTS();
		if (pos < 0 || isnull)
			continue;
		j = DatumGetJsonbP(d);
		if (!JsonContainerIsObject(&j->root))
			continue;			/* not an entity */
		copy = MemoryContextAlloc(outcxt, VARSIZE(j));
		memcpy(copy, j, VARSIZE(j));
		for (; pos < nrefs && strcmp(sorted[pos].ref, ref) == 0; pos++)
			out[sorted[pos].pos] = copy;
	}
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
