/*-------------------------------------------------------------------------
 * pg_policy_load.c
 *	  Loading the policy tables into the cache: settings, the permission
 *	  registry, role mappings, and the RBAC core's input rows.
 *
 * Called by the cache (pg_policy_cache.c) inside an SPI connection and an
 * owner section (pg_owner.c), in the caller's snapshot, so the cache holds
 * the tables exactly as the calling statement sees them.  The queries name
 * every table schema-qualified and order nothing: the arrays that are
 * searched are sorted in C (here with strcmp, and by bsp_rbac_build).
 *
 * Memory.  Everything is allocated in bsperm_policy.cxt, which the cache
 * resets before loading: strings are copied out of SPI's tuples, the
 * conditions jsonb too, and the RBAC core keeps pointers into them.
 * Temporary arrays are allocated in the caller's (SPI procedure) context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "pg_audit.h"
#include "pg_policy_int.h"

#define P bsperm_policy

/* Column as a string copied into the cache, NULL for SQL NULL. */
static char *
col_text(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		return NULL;
	return MemoryContextStrdup(P.cxt, TextDatumGetCString(d));
}

/* A text[] column as strings in the cache; -1 for SQL NULL. */
static int
col_text_array(HeapTuple tup, int col, char ***out)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	*out = NULL;
	if (isnull)
		return -1;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	*out = MemoryContextAllocZero(P.cxt, sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? MemoryContextStrdup(P.cxt, "") :
			MemoryContextStrdup(P.cxt, TextDatumGetCString(elems[i]));
	return n;
}

static BspAction
parse_action(const char *s)
{
	return s ? bsperm_parse_action(s, strlen(s)) : BSP_ACT_NONE;
}

/* bsperm.policy_config: no row means the RBAC policy with its defaults. */
static void
load_settings(bsp_rbac_settings *settings)
{
	HeapTuple	tup;
	char	   *mode;
	bool		isnull;
	Datum		d;

	P.mode = POLICY_RBAC;
	P.func = InvalidOid;
	settings->max_depth = -1;
	settings->basic_precedence = false;
	settings->default_role = NULL;
	settings->use_ownership = false;
	bsperm_run_select("SELECT c.policy, c.policy_function::pg_catalog.oid, c.max_depth, "
					  "c.decision_precedence, c.default_role, c.use_ownership_entity_refs "
					  "FROM bsperm.policy_config c");
	if (SPI_processed == 0)
		return;
	tup = SPI_tuptable->vals[0];
	mode = col_text(tup, 1);
	if (strcmp(mode, "allow-all") == 0)
		P.mode = POLICY_ALLOW_ALL;
	else if (strcmp(mode, "function") == 0)
		P.mode = POLICY_FUNCTION;
	d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		P.func = DatumGetObjectId(d);
	d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);
	if (!isnull)
		settings->max_depth = DatumGetInt32(d);
	settings->basic_precedence = (strcmp(col_text(tup, 4), "basic") == 0);
	settings->default_role = col_text(tup, 5);
	d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 6, &isnull);
	settings->use_ownership = !isnull && DatumGetBool(d);
	if (P.mode == POLICY_FUNCTION)
		fmgr_info_cxt(P.func, &P.func_finfo, P.cxt);
}

/* bsperm.permissions, sorted by name for bsperm_lookup_permission. */
static void
load_permissions(void)
{
	uint64		i,
				n;

	bsperm_run_select("SELECT p.name, p.type, p.resource_type, p.action FROM bsperm.permissions p");
	n = SPI_processed;
	P.nperms = (int) n;
	P.perms = MemoryContextAllocZero(P.cxt, sizeof(BspPermission) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		CHECK_FOR_INTERRUPTS();
		P.perms[i].name = col_text(tup, 1);
		P.perms[i].resource = (strcmp(col_text(tup, 2), "resource") == 0);
		P.perms[i].resource_type = col_text(tup, 3);
		P.perms[i].action = parse_action(col_text(tup, 4));
	}
	qsort(P.perms, n, sizeof(BspPermission), bsp_first_name_cmp);
}

/* bsperm.role_users, sorted by role name. */
static void
load_mappings(void)
{
	uint64		i,
				n;

	bsperm_run_select("SELECT u.role_name::pg_catalog.text, u.user_ref, u.ownership_refs "
					  "FROM bsperm.role_users u");
	n = SPI_processed;
	P.nmappings = (int) n;
	P.mappings = MemoryContextAllocZero(P.cxt, sizeof(Mapping) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		Mapping    *m = &P.mappings[i];
		int			nr;

		CHECK_FOR_INTERRUPTS();
		m->role_name = col_text(tup, 1);
		m->user_ref = col_text(tup, 2);
		nr = col_text_array(tup, 3, &m->refs);
		m->refs_given = (nr >= 0);
		m->nrefs = Max(nr, 0);
	}
	qsort(P.mappings, n, sizeof(Mapping), bsp_first_name_cmp);
}

/* A one-column text query as a string array in the cache. */
static int
load_strings(const char *sql, const char *const **out)
{
	uint64		i,
				n;
	const char **arr;

	bsperm_run_select(sql);
	n = SPI_processed;
	arr = MemoryContextAllocZero(P.cxt, sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		arr[i] = col_text(SPI_tuptable->vals[i], 1);
	}
	*out = arr;
	return (int) n;
}

static void
load_members(bsp_rbac_input *in)
{
	uint64		i,
				n;
	bsp_rbac_member_row *rows;

	bsperm_run_select("SELECT m.role, m.member FROM bsperm.role_members m");
	n = SPI_processed;
	rows = MemoryContextAllocZero(P.cxt, sizeof(bsp_rbac_member_row) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		rows[i].role = col_text(SPI_tuptable->vals[i], 1);
		rows[i].member = col_text(SPI_tuptable->vals[i], 2);
	}
	in->nmembers = (int) n;
	in->members = rows;
}

static void
load_lines(bsp_rbac_input *in)
{
	uint64		i,
				n;
	bsp_rbac_line_row *rows;

	bsperm_run_select("SELECT p.role, p.member, p.object, p.action, p.effect "
					  "FROM bsperm.permission_policies p");
	n = SPI_processed;
	rows = MemoryContextAllocZero(P.cxt, sizeof(bsp_rbac_line_row) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		CHECK_FOR_INTERRUPTS();
		rows[i].role = col_text(tup, 1);
		rows[i].member = col_text(tup, 2);
		rows[i].object = col_text(tup, 3);
		rows[i].action = (bsp_rbac_action) parse_action(col_text(tup, 4));
		rows[i].deny = (strcmp(col_text(tup, 5), "deny") == 0);
	}
	in->nlines = (int) n;
	in->lines = rows;
}

/* Conditional policies in id order (the order the core keeps per role). */
static void
load_conds(bsp_rbac_input *in)
{
	uint64		i,
				n;
	bsp_rbac_cond_row *rows;

	bsperm_run_select("SELECT c.role, c.plugin_id, c.resource_type, c.actions, c.permissions, "
					  "c.conditions, c.permission_actions "
					  "FROM bsperm.conditional_policies c ORDER BY c.id");
	n = SPI_processed;
	rows = MemoryContextAllocZero(P.cxt, sizeof(bsp_rbac_cond_row) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	  **acts;
		char	  **names;
		int			nacts,
					k;
		bool		isnull;
		Jsonb	   *j;
		Jsonb	   *copy;

		CHECK_FOR_INTERRUPTS();
		rows[i].role = col_text(tup, 1);
		rows[i].plugin_id = col_text(tup, 2);
		rows[i].resource_type = col_text(tup, 3);
		nacts = col_text_array(tup, 4, &acts);
		for (k = 0; k < nacts; k++)
			rows[i].actions |= (1u << parse_action(acts[k]));
		rows[i].nnames = Max(col_text_array(tup, 5, &names), 0);
		rows[i].names = (const char *const *) names;
		/* {name, action} mappings: each name's action (NULL column: any action) */
		nacts = col_text_array(tup, 7, &acts);
		if (nacts >= 0)
		{
			bsp_rbac_action *na = MemoryContextAllocZero(P.cxt, sizeof(bsp_rbac_action) * Max(nacts, 1));

			for (k = 0; k < nacts && k < rows[i].nnames; k++)
				na[k] = (bsp_rbac_action) parse_action(acts[k]);
			rows[i].name_actions = na;
		}
		j = DatumGetJsonbP(SPI_getbinval(tup, SPI_tuptable->tupdesc, 6, &isnull));
		copy = MemoryContextAlloc(P.cxt, VARSIZE(j));
		memcpy(copy, j, VARSIZE(j));
		rows[i].conditions = copy;
	}
	in->nconds = (int) n;
	in->conds = rows;
}

/*
 * Loads every policy table into the cache (reset first, identities with
 * it).  Refused while a policy function decides: the policy it decides with
 * must not change under it.
 */
void
bsperm_load_policy(const PolicyKey *key)
{
	bsp_rbac_input *in;
	bsp_arena	arena;

	P.valid = false;
	if (bsperm_decide_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the permission policy changed while a decision was being made")));
	if (P.cxt == NULL)
		P.cxt = AllocSetContextCreate(TopMemoryContext, "bsperm policy cache",
									  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(P.cxt);
	memset(P.users, 0, sizeof(P.users));
	P.next_user = 0;

	in = MemoryContextAllocZero(P.cxt, sizeof(bsp_rbac_input));
	load_settings(&in->settings);
	load_permissions();
	load_mappings();
	in->nroles = load_strings("SELECT r.name FROM bsperm.roles r", &in->roles);
	in->nsupers = load_strings("SELECT s.ref FROM bsperm.superusers s", &in->supers);
	load_members(in);
	load_lines(in);
	load_conds(in);
	bsperm_load_entity_source();
	bsperm_audit_load();		/* the decision audit log's setting (pg_audit.c) */
	bsperm_arena_init(&arena, P.cxt);
	if (!bsp_rbac_build(&arena, in, &P.rbac))
		bsperm_core_oom();

	P.key.relid = key->relid;
	P.key.version = key->version;
	P.key.nchanges = key->nchanges;
	P.key.changes = MemoryContextAlloc(P.cxt, sizeof(int64) * Max(key->nchanges, 1));
	if (key->nchanges > 0)
		memcpy(P.key.changes, key->changes, sizeof(int64) * key->nchanges);
	P.valid = true;
}
