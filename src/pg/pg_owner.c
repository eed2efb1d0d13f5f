/*-------------------------------------------------------------------------
 * pg_owner.c
 *	  Running queries as the extension owner, immune to the caller.
 *
 * The policy tables and bsperm.entities are readable only by their owner,
 * the owner of schema bsperm (the role that created the extension).  Code
 * that reads them on behalf of any caller (the policy loader, entity loads,
 * membership resolution) runs in an owner section:
 *
 *	 bsperm_owner_enter:  the owner becomes the current user, in a
 *		security-restricted operation (no SET ROLE, no temp objects used);
 *		a new GUC nest level pins search_path to "pg_catalog, pg_temp", as
 *		PostgreSQL does for a SECURITY DEFINER function with SET
 *		search_path, so no name, operator or collation in the queries can
 *		resolve to an object in the caller's schemas.  The queries qualify
 *		every name and operator as well, and sorting is done in C.
 *	 bsperm_owner_leave:  pops the GUC level and restores the user.
 *	 bsperm_owner_abort:  for PG_CATCH blocks: restores the user; the
 *		(sub)transaction abort pops the GUC level.
 *	 bsperm_as_owner(fn, arg):  fn inside SPI and an owner section.
 *
 * Memory.  SPI results live in SPI's procedure context until SPI_finish;
 * the helpers here switch back to the caller's context after each call.
 * Saved plans (bsperm_prepare_saved) live for the backend; they are
 * prepared inside an owner section, with the pinned search_path.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/genam.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "pg_policy_int.h"

/*
 * The schema that holds bsperm's user-facing functions, types and the @~
 * operator: the one CREATE EXTENSION was given, "public" by default.  Policy
 * tables and internal helpers are always in schema bsperm.
 */
Oid
bsperm_extschema(void)
{
	Oid			ext = get_extension_oid("bsperm", true);

	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			nsp = InvalidOid;

	if (!OidIsValid(ext))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"bsperm\" is not installed in this database")));
	/* PostgreSQL 15 does not export get_extension_schema() */
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ext));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		nsp = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nsp))
		elog(ERROR, "could not find the schema of extension \"bsperm\"");
	return nsp;
}

/* bsperm_extschema()'s name, palloc'd */
char *
bsperm_extschema_name(void)
{
	char	   *name = get_namespace_name(bsperm_extschema());

	if (name == NULL)
		elog(ERROR, "schema of extension \"bsperm\" does not exist");
	return name;
}

static Oid
bsperm_owner(void)
{
	Oid			nsp = get_namespace_oid("bsperm", false);
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

void
bsperm_owner_enter(OwnerContext *oc)
{
	GetUserIdAndSecContext(&oc->save_userid, &oc->save_sec);
	SetUserIdAndSecContext(bsperm_owner(),
						   oc->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	oc->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

void
bsperm_owner_leave(OwnerContext *oc)
{
	AtEOXact_GUC(true, oc->save_nestlevel);
	SetUserIdAndSecContext(oc->save_userid, oc->save_sec);
}

void
bsperm_owner_abort(OwnerContext *oc)
{
	SetUserIdAndSecContext(oc->save_userid, oc->save_sec);
}

/* A plan kept for the backend; call inside SPI, in an owner section. */
SPIPlanPtr
bsperm_prepare_saved(const char *sql, int nargs, Oid *argtypes)
{
	MemoryContext cxt = CurrentMemoryContext;
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	MemoryContextSwitchTo(cxt);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* A read-only query; SPI_tuptable holds the result, the caller's context is kept. */
void
bsperm_run_select(const char *sql)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc = SPI_execute(sql, true, 0);

	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(rc));
}

/*
 * Runs fn(arg) connected to SPI, in an owner section; fn's allocations in
 * CurrentMemoryContext go away with SPI_finish (allocate results in a
 * context the caller passes).
 */
void
bsperm_as_owner(void (*fn) (void *arg), void *arg)
{
	OwnerContext oc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	bsperm_owner_enter(&oc);
	PG_TRY();
	{
		fn(arg);
	}
	PG_CATCH();
	{
		bsperm_owner_abort(&oc);
		PG_RE_THROW();
	}
	PG_END_TRY();
	bsperm_owner_leave(&oc);
	SPI_finish();
}
