/*-------------------------------------------------------------------------
 * bsperm.c
 *	  Module initialisation and settings.
 *
 * Settings (all PGC_SUSET: only a superuser may change them):
 *	 bsperm.max_criteria_depth		   nesting of allOf/anyOf/not
 *	 bsperm.max_criteria_nodes		   nodes in one criteria document
 *	 bsperm.max_criteria_array_length  elements of one array
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "bsperm.h"
#include "pg_policy.h"

PG_MODULE_MAGIC;

int			bsperm_max_criteria_depth = 64;
int			bsperm_max_criteria_nodes = 20000;
int			bsperm_max_criteria_array_length = 10000;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomIntVariable("bsperm.max_criteria_depth",
							"Maximum nesting depth of permission criteria.",
							"Counts allOf, anyOf and not levels; the root is level 1. At most 1000, which keeps evaluation within the stack.",
							&bsperm_max_criteria_depth,
							64, 1, 1000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bsperm.max_criteria_nodes",
							"Maximum number of nodes in one permission criteria document.",
							NULL,
							&bsperm_max_criteria_nodes,
							20000, 1, 10000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bsperm.max_criteria_array_length",
							"Maximum number of elements in one array of a criteria document.",
							"Applies to allOf and anyOf lists and to rule parameters such as claims.",
							&bsperm_max_criteria_array_length,
							10000, 1, 10000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	bsperm_policy_init();		/* decisions and identities (pg_policy.c) */
	bsperm_rls_init();			/* row-level security (pg_rls_plans.c) */
	MarkGUCPrefixReserved("bsperm");
}
