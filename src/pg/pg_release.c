/*-------------------------------------------------------------------------
 * pg_release.c
 *	  What releases and operations need from the library.
 *
 * Entry points of released versions.  One library serves every version's
 * SQL (the install scripts of release/ and the upgrade scripts between
 * them), as pg_stat_statements does: a database created at an older version
 * runs with this library until ALTER EXTENSION bsperm UPDATE.  C functions
 * that a released script declares and the current one no longer does stay
 * here, doing the least that keeps that version working:
 *	 bsperm_filter_matches_support, bsperm_rls_filter_support (0.1.0):
 *		planner support functions; returning NULL gives the planner no help,
 *		which is always correct.
 *
 * DROP EXTENSION.  bsperm_drop_extension_guard is a ddl_command_start event
 * trigger on DROP EXTENSION: when the statement drops bsperm, it first
 * unprotects every table that bsperm protects (bsperm._bsperm_unprotect_all,
 * 90_operations.sql), so the tables keep the row security they had before
 * bsperm_protect instead of being left with row security forced on and no
 * policy (no row for anyone).  Only the statement's parse tree tells which
 * extensions it drops, hence C.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"

PG_FUNCTION_INFO_V1(bsperm_filter_matches_support);
Datum
bsperm_filter_matches_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(NULL);
}

PG_FUNCTION_INFO_V1(bsperm_rls_filter_support);
Datum
bsperm_rls_filter_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(NULL);
}

PG_FUNCTION_INFO_V1(bsperm_drop_extension_guard);
Datum
bsperm_drop_extension_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	bool		drops_bsperm = false;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("bsperm_drop_extension_guard must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (trigdata->parsetree != NULL && IsA(trigdata->parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) trigdata->parsetree;
		ListCell   *lc;

		if (stmt->removeType == OBJECT_EXTENSION)
			foreach(lc, stmt->objects)
			{
				Node	   *name = (Node *) lfirst(lc);

				if (IsA(name, String) && strcmp(strVal(name), "bsperm") == 0)
					drops_bsperm = true;
			}
	}
	if (drops_bsperm)
	{
		int			rc;

		SPI_connect();
		/* internal helpers live in schema bsperm; the helper pins search_path */
		rc = SPI_execute("SELECT bsperm._bsperm_unprotect_all()", false, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "bsperm._bsperm_unprotect_all failed: %s", SPI_result_code_string(rc));
		SPI_finish();
	}
	PG_RETURN_VOID();
}
