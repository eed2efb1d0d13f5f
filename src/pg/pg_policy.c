/*-------------------------------------------------------------------------
 * pg_policy.c
 *	  The per-backend policy cache, identity resolution and the decision.
 *
 * Cache.  The policy tables (bsperm.permissions, roles, role_members,
 * permission_policies, conditional_policies, superusers, policy_config,
 * role_users) are loaded into one memory context, policy.cxt, and kept while
 * the key (oid of bsperm.policy_state, its base version, and the set of
 * versions in bsperm.policy_changes) is unchanged.  Every change of a
 * policy table, and every change of a User or Group entity, gives the
 * writing transaction's own row in policy_changes a new version from a
 * sequence (statement triggers in 20_policy.sql; no row shared by writers,
 * so they never wait for each other).  The key is read at every call in
 * the caller's snapshot, and the tables are
 * loaded in that same snapshot, so the cache never answers differently from
 * the tables as that statement sees them: a committed change is seen by the
 * next statement of every session, and a change rolled back cannot leave a
 * version number behind that a later change reuses.
 *
 * Identities resolved against the catalog (groups through memberOf and
 * childOf, roles, ownership refs) are cached in the same context, keyed by
 * the identity, so they go with the cache.
 *
 * Privileges.  The tables are readable only by their owner; the loading
 * queries, entity loads and membership resolution run as the owner of
 * schema bsperm (the role that created the extension) in a
 * security-restricted operation with search_path pinned to "pg_catalog,
 * pg_temp" for the whole section (owner_enter), every name and operator
 * schema-qualified as well, and every sorted array sorted here with strcmp
 * (never by a collation the caller could shadow).  A policy function runs as
 * the role that asks, outside that context.
 *
 * The decision follows the RBAC plugin's order (doc/policy.md).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "pg_policy.h"

/* GUC: ownership refs computed from the catalog include ancestor groups */
static bool bsperm_transitive_ownership = false;

typedef enum PolicyMode
{
	POLICY_RBAC,
	POLICY_ALLOW_ALL,
	POLICY_FUNCTION
} PolicyMode;

typedef struct Line
{
	const char *object;
	BspAction	action;
	bool		deny;
} Line;

typedef struct Cond
{
	const char *plugin_id;
	const char *resource_type;
	uint32		actions;		/* bit per BspAction */
	int			nnames;
	char	  **names;
	Jsonb	   *conditions;
} Cond;

typedef struct Role
{
	const char *name;
	int			nlines;
	Line	   *lines;
	int			nconds;
	Cond	   *conds;
} Role;

/* (ref, index) pairs sorted by ref: members, direct lines, mappings */
typedef struct RefIndex
{
	const char *ref;
	int			index;
} RefIndex;

typedef struct Mapping
{
	const char *user_ref;
	bool		refs_given;
	int			nrefs;
	char	  **refs;
} Mapping;

/* A memoized decision of one user for one permission. */
typedef struct DecisionMemo
{
	BspPermission perm;			/* key (strings owned by the memo) */
	BspDecision decision;
	void	   *filter;
	Jsonb	   *json;
} DecisionMemo;

#define MAX_MEMOS 64

struct BspUser
{
	MemoryContext cxt;			/* holds this struct, its strings and memos */
	/* key */
	BspIdentity id;
	bool		transitive;
	/* resolved */
	bool		super;
	int			nrefs;			/* ownership refs */
	const char **refs;
	int			nsubjects;		/* user ref and groups within max depth */
	const char **subjects;
	int			nroles;
	int		   *roles;
	/* decisions made so far, while the policy is unchanged */
	int			nmemos;
	DecisionMemo *memos;
};

#define USER_CACHE_SIZE 16

typedef struct Policy
{
	bool		valid;
	Oid			state_relid;
	int64		version;		/* base version (policy_state) */
	int			nchanges;		/* versions in policy_changes, sorted */
	int64	   *changes;
	MemoryContext cxt;

	PolicyMode	mode;
	Oid			func;
	FmgrInfo	func_finfo;
	int			max_depth;		/* -1: unlimited */
	bool		basic_precedence;
	int			default_role;	/* -1: none */
	bool		use_ownership;

	int			nperms;
	BspPermission *perms;		/* sorted by name */
	int			nroles;
	Role	   *roles;			/* sorted by name */
	int			nmembers;
	RefIndex   *members;		/* member ref -> role */
	int			ndirect;
	RefIndex   *direct;			/* member ref -> direct_lines */
	Line	   *direct_lines;
	int			nsupers;
	const char **supers;		/* sorted */
	int			nmappings;
	RefIndex   *mapping_index;	/* role name -> mappings */
	Mapping    *mappings;

	BspUser    *users[USER_CACHE_SIZE];
	int			next_user;
} Policy;

static Policy policy;
static int	decide_depth = 0;	/* policy functions may call back into us */

/* saved plans */
static SPIPlanPtr plan_version;
static SPIPlanPtr plan_entities;

void
bsperm_policy_init(void)
{
	DefineCustomBoolVariable("bsperm.transitive_ownership",
							 "Ownership refs computed from the catalog include ancestor groups.",
							 "Off (as in Backstage's sign-in): the user's ref and the groups it is directly a member of. "
							 "On: also every group those groups are children of, through childOf relations.",
							 &bsperm_transitive_ownership,
							 false,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	bsperm_identity_init();
}

BspAction
bsperm_parse_action(const char *s, int len)
{
	if (len == 6 && memcmp(s, "create", 6) == 0)
		return BSP_ACT_CREATE;
	if (len == 4 && memcmp(s, "read", 4) == 0)
		return BSP_ACT_READ;
	if (len == 6 && memcmp(s, "update", 6) == 0)
		return BSP_ACT_UPDATE;
	if (len == 6 && memcmp(s, "delete", 6) == 0)
		return BSP_ACT_DELETE;
	if (len == 3 && memcmp(s, "use", 3) == 0)
		return BSP_ACT_USE;
	return BSP_ACT_NONE;
}

const char *
bsperm_action_name(BspAction a)
{
	switch (a)
	{
		case BSP_ACT_CREATE:
			return "create";
		case BSP_ACT_READ:
			return "read";
		case BSP_ACT_UPDATE:
			return "update";
		case BSP_ACT_DELETE:
			return "delete";
		case BSP_ACT_USE:
			return "use";
		default:
			return NULL;
	}
}

/* ---------------------------------------------------------------------
 * Sorted string lookups
 * ---------------------------------------------------------------------
 */
static int
refindex_cmp(const void *a, const void *b)
{
	int			c = strcmp(((const RefIndex *) a)->ref, ((const RefIndex *) b)->ref);

	if (c != 0)
		return c;
	return ((const RefIndex *) a)->index - ((const RefIndex *) b)->index;
}

static int
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* First position of ref in the sorted array, -1 when absent. */
static int
refindex_find(const RefIndex *arr, int n, const char *ref)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (strcmp(arr[mid].ref, ref) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && strcmp(arr[lo].ref, ref) == 0) ? lo : -1;
}

static bool
cstring_sorted_contains(const char **arr, int n, const char *s)
{
	return n > 0 && bsearch(&s, arr, n, sizeof(char *), cstring_cmp) != NULL;
}

/*
 * Index of name in an array of n structs of the given size, sorted by
 * their first member, a "const char *name"; -1 when absent.
 */
static int
name_search(const void *base, int n, size_t size, const char *name)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const char *midname = *(const char *const *) ((const char *) base + (size_t) mid * size);
		int			c = strcmp(midname, name);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* qsort comparator for structs whose first member is "const char *name" */
static int
first_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int
role_find(const char *name)
{
	return name_search(policy.roles, policy.nroles, sizeof(Role), name);
}

/* ---------------------------------------------------------------------
 * Running queries as the owner of bsperm's schema
 * ---------------------------------------------------------------------
 */
typedef struct OwnerContext
{
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
} OwnerContext;

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

/*
 * Enters the owner section: the owner of schema bsperm as the current user,
 * in a security-restricted operation, with search_path pinned to
 * "pg_catalog, pg_temp" (as PostgreSQL does for a SECURITY DEFINER function
 * with SET search_path), so that no name, operator or collation in the
 * queries below can resolve to an object of the caller's schemas.
 *
 * owner_leave restores both.  On an error the transaction (or subtransaction)
 * abort pops the GUC nest level; the catch blocks restore the user.
 */
static void
owner_enter(OwnerContext *oc)
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

static void
owner_leave(OwnerContext *oc)
{
	AtEOXact_GUC(true, oc->save_nestlevel);
	SetUserIdAndSecContext(oc->save_userid, oc->save_sec);
}

/* The catch-block half of owner_leave: the abort pops the GUC level. */
static void
owner_abort(OwnerContext *oc)
{
	SetUserIdAndSecContext(oc->save_userid, oc->save_sec);
}

static SPIPlanPtr
prepare_saved(const char *sql, int nargs, Oid *argtypes)
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

/* SPI calls return in SPI's procedure context; callers keep their own */
static void
run_select(const char *sql)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			rc = SPI_execute(sql, true, 0);

	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(rc));
}

/* Column as a string copied into the cache, NULL for SQL NULL. */
static char *
col_text(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		return NULL;
	return MemoryContextStrdup(policy.cxt, TextDatumGetCString(d));
}

static Datum
col_datum(HeapTuple tup, int col, bool *isnull)
{
	return SPI_getbinval(tup, SPI_tuptable->tupdesc, col, isnull);
}

/* A text[] column as strings in the cache. */
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
	*out = MemoryContextAllocZero(policy.cxt, sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		(*out)[i] = nulls[i] ? MemoryContextStrdup(policy.cxt, "") :
			MemoryContextStrdup(policy.cxt, TextDatumGetCString(elems[i]));
	return n;
}

/* ---------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------
 */
/* The cache key as read in the caller's snapshot (see 20_policy.sql). */
typedef struct PolicyKey
{
	Oid			relid;
	int64		version;
	int			nchanges;
	int64	   *changes;
} PolicyKey;

static void
read_policy_key(PolicyKey *key)
{
	bool		isnull;
	int			rc;
	Datum		d;

	if (plan_version == NULL)
		plan_version = prepare_saved("SELECT s.tableoid, s.version, "
									 "ARRAY(SELECT c.version FROM bsperm.policy_changes c "
									 "ORDER BY c.version) FROM bsperm.policy_state s", 0, NULL);
	rc = SPI_execute_plan(plan_version, NULL, NULL, true, 2);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bsperm.policy_state must hold exactly one row")));
	key->relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	key->version = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
	key->nchanges = 0;
	key->changes = NULL;
	if (!isnull)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n,
					i;

		deconstruct_array(DatumGetArrayTypeP(d), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &elems, &nulls, &n);
		key->changes = palloc(sizeof(int64) * Max(n, 1));
		for (i = 0; i < n; i++)
			key->changes[i] = DatumGetInt64(elems[i]);
		key->nchanges = n;
	}
}

static bool
policy_key_matches(const PolicyKey *key)
{
	return policy.valid && policy.state_relid == key->relid &&
		policy.version == key->version && policy.nchanges == key->nchanges &&
		(key->nchanges == 0 ||
		 memcmp(policy.changes, key->changes, sizeof(int64) * key->nchanges) == 0);
}

static void
load_policy(const PolicyKey *key)
{
	uint64		i,
				n;
	int		   *nlines,
			   *nconds;
	int			ndirect = 0;

	policy.valid = false;
	if (decide_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the permission policy changed while a decision was being made")));
	if (policy.cxt == NULL)
		policy.cxt = AllocSetContextCreate(TopMemoryContext, "bsperm policy cache",
										   ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(policy.cxt);
	memset(policy.users, 0, sizeof(policy.users));
	policy.next_user = 0;

	/* settings; no row means the RBAC policy with its defaults */
	policy.mode = POLICY_RBAC;
	policy.func = InvalidOid;
	policy.max_depth = -1;
	policy.basic_precedence = false;
	policy.use_ownership = false;
	policy.default_role = -1;
	run_select("SELECT policy, policy_function::pg_catalog.oid, max_depth, decision_precedence, "
			   "default_role, use_ownership_entity_refs FROM bsperm.policy_config");
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		char	   *mode = col_text(tup, 1);
		char	   *prec = col_text(tup, 4);
		bool		isnull;
		Datum		d;

		if (strcmp(mode, "allow-all") == 0)
			policy.mode = POLICY_ALLOW_ALL;
		else if (strcmp(mode, "function") == 0)
			policy.mode = POLICY_FUNCTION;
		d = col_datum(tup, 2, &isnull);
		if (!isnull)
			policy.func = DatumGetObjectId(d);
		d = col_datum(tup, 3, &isnull);
		if (!isnull)
			policy.max_depth = DatumGetInt32(d);
		policy.basic_precedence = (strcmp(prec, "basic") == 0);
		d = col_datum(tup, 6, &isnull);
		policy.use_ownership = !isnull && DatumGetBool(d);
	}
	if (policy.mode == POLICY_FUNCTION)
		fmgr_info_cxt(policy.func, &policy.func_finfo, policy.cxt);

	/* the permission registry */
	run_select("SELECT name, type, resource_type, action FROM bsperm.permissions");
	n = SPI_processed;
	policy.nperms = n;
	policy.perms = MemoryContextAllocZero(policy.cxt, sizeof(BspPermission) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *type = col_text(tup, 2);
		char	   *action = col_text(tup, 4);

		CHECK_FOR_INTERRUPTS();
		policy.perms[i].name = col_text(tup, 1);
		policy.perms[i].resource = (strcmp(type, "resource") == 0);
		policy.perms[i].resource_type = col_text(tup, 3);
		policy.perms[i].action = action ? bsperm_parse_action(action, strlen(action)) : BSP_ACT_NONE;
	}
	/* sorted here, byte-wise, as name_search expects: never by a collation */
	qsort(policy.perms, n, sizeof(BspPermission), first_name_cmp);

	/* roles */
	run_select("SELECT name FROM bsperm.roles");
	n = SPI_processed;
	policy.nroles = n;
	policy.roles = MemoryContextAllocZero(policy.cxt, sizeof(Role) * Max(n, 1));
	for (i = 0; i < n; i++)
		policy.roles[i].name = col_text(SPI_tuptable->vals[i], 1);
	qsort(policy.roles, n, sizeof(Role), first_name_cmp);
	nlines = palloc0(sizeof(int) * Max(n, 1));
	nconds = palloc0(sizeof(int) * Max(n, 1));

	run_select("SELECT c.default_role FROM bsperm.policy_config c");
	if (SPI_processed > 0)
	{
		char	   *dr = col_text(SPI_tuptable->vals[0], 1);

		if (dr)
			policy.default_role = role_find(dr);
	}

	/* members */
	run_select("SELECT member, role FROM bsperm.role_members");
	n = SPI_processed;
	policy.nmembers = 0;
	policy.members = MemoryContextAllocZero(policy.cxt, sizeof(RefIndex) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *role = col_text(tup, 2);
		int			r = role_find(role);

		CHECK_FOR_INTERRUPTS();
		if (r < 0)
			continue;
		policy.members[policy.nmembers].ref = col_text(tup, 1);
		policy.members[policy.nmembers].index = r;
		policy.nmembers++;
	}
	qsort(policy.members, policy.nmembers, sizeof(RefIndex), refindex_cmp);

	/* permission policies: count per role, then fill */
	run_select("SELECT role, member, object, action, effect FROM bsperm.permission_policies");
	n = SPI_processed;
	policy.direct = MemoryContextAllocZero(policy.cxt, sizeof(RefIndex) * Max(n, 1));
	policy.direct_lines = MemoryContextAllocZero(policy.cxt, sizeof(Line) * Max(n, 1));
	{
		int		   *roleof = palloc(sizeof(int) * Max(n, 1));
		Line	   *tmp = palloc(sizeof(Line) * Max(n, 1));

		for (i = 0; i < n; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			char	   *role = col_text(tup, 1);
			char	   *action = col_text(tup, 4);
			char	   *effect = col_text(tup, 5);

			CHECK_FOR_INTERRUPTS();
			tmp[i].object = col_text(tup, 3);
			tmp[i].action = bsperm_parse_action(action, strlen(action));
			tmp[i].deny = (strcmp(effect, "deny") == 0);
			roleof[i] = role ? role_find(role) : -1;
			if (roleof[i] >= 0)
				nlines[roleof[i]]++;
			else if (role == NULL)
			{
				policy.direct[ndirect].ref = col_text(tup, 2);
				policy.direct[ndirect].index = ndirect;
				policy.direct_lines[ndirect] = tmp[i];
				ndirect++;
			}
		}
		for (i = 0; i < (uint64) policy.nroles; i++)
		{
			policy.roles[i].lines = MemoryContextAllocZero(policy.cxt,
														   sizeof(Line) * Max(nlines[i], 1));
			policy.roles[i].nlines = 0;
		}
		for (i = 0; i < n; i++)
			if (roleof[i] >= 0)
			{
				Role	   *r = &policy.roles[roleof[i]];

				r->lines[r->nlines++] = tmp[i];
			}
	}
	policy.ndirect = ndirect;
	qsort(policy.direct, ndirect, sizeof(RefIndex), refindex_cmp);

	/* conditional policies, in id order */
	run_select("SELECT role, plugin_id, resource_type, actions, permissions, conditions "
			   "FROM bsperm.conditional_policies ORDER BY id");
	n = SPI_processed;
	{
		int		   *roleof = palloc(sizeof(int) * Max(n, 1));
		Cond	   *tmp = palloc0(sizeof(Cond) * Max(n, 1));

		for (i = 0; i < n; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			char	  **acts;
			int			nacts,
						k;
			bool		isnull;
			Datum		d;
			Jsonb	   *j;

			CHECK_FOR_INTERRUPTS();
			roleof[i] = role_find(col_text(tup, 1));
			tmp[i].plugin_id = col_text(tup, 2);
			tmp[i].resource_type = col_text(tup, 3);
			nacts = col_text_array(tup, 4, &acts);
			for (k = 0; k < nacts; k++)
				tmp[i].actions |= (1u << bsperm_parse_action(acts[k], strlen(acts[k])));
			tmp[i].nnames = Max(col_text_array(tup, 5, &tmp[i].names), 0);
			d = col_datum(tup, 6, &isnull);
			j = DatumGetJsonbP(d);
			tmp[i].conditions = MemoryContextAlloc(policy.cxt, VARSIZE(j));
			memcpy(tmp[i].conditions, j, VARSIZE(j));
			if (roleof[i] >= 0)
				nconds[roleof[i]]++;
		}
		for (i = 0; i < (uint64) policy.nroles; i++)
			policy.roles[i].conds = MemoryContextAllocZero(policy.cxt,
														   sizeof(Cond) * Max(nconds[i], 1));
		for (i = 0; i < n; i++)
			if (roleof[i] >= 0)
			{
				Role	   *r = &policy.roles[roleof[i]];

				r->conds[r->nconds++] = tmp[i];
			}
	}

	/* superusers */
	run_select("SELECT ref FROM bsperm.superusers");
	n = SPI_processed;
	policy.nsupers = n;
	policy.supers = MemoryContextAllocZero(policy.cxt, sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		policy.supers[i] = col_text(SPI_tuptable->vals[i], 1);
	qsort(policy.supers, n, sizeof(char *), cstring_cmp);

	/* role mappings */
	run_select("SELECT role_name::pg_catalog.text, user_ref, ownership_refs FROM bsperm.role_users");
	n = SPI_processed;
	policy.nmappings = n;
	policy.mappings = MemoryContextAllocZero(policy.cxt, sizeof(Mapping) * Max(n, 1));
	policy.mapping_index = MemoryContextAllocZero(policy.cxt, sizeof(RefIndex) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		int			nr;

		CHECK_FOR_INTERRUPTS();
		policy.mapping_index[i].ref = col_text(tup, 1);
		policy.mapping_index[i].index = i;
		policy.mappings[i].user_ref = col_text(tup, 2);
		nr = col_text_array(tup, 3, &policy.mappings[i].refs);
		policy.mappings[i].refs_given = (nr >= 0);
		policy.mappings[i].nrefs = Max(nr, 0);
	}
	qsort(policy.mapping_index, n, sizeof(RefIndex), refindex_cmp);

	policy.state_relid = key->relid;
	policy.version = key->version;
	policy.nchanges = key->nchanges;
	policy.changes = MemoryContextAlloc(policy.cxt, sizeof(int64) * Max(key->nchanges, 1));
	if (key->nchanges > 0)
		memcpy(policy.changes, key->changes, sizeof(int64) * key->nchanges);
	policy.valid = true;
}

/* ---------------------------------------------------------------------
 * Identity resolution
 * ---------------------------------------------------------------------
 */

/* Growable list of strings (palloc'd in the current context). */
typedef struct StrList
{
	int			n;
	int			cap;
	const char **items;
} StrList;

static void
strlist_add(StrList *l, const char *s)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 16;
		l->items = l->items ? repalloc(l->items, sizeof(char *) * l->cap) :
			palloc(sizeof(char *) * l->cap);
	}
	l->items[l->n++] = s;
}

static bool
strlist_contains(const StrList *l, const char *s)
{
	int			i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return true;
	return false;
}

/* Looks entities up by exact ref; runs inside SPI, as the owner. */
static void
load_entities_spi(int nrefs, const char *const *refs, Jsonb **out,
				  MemoryContext outcxt)
{
	Datum	   *elems;
	ArrayType  *arr;
	Datum		arg;
	uint64		i;
	int			k;
	int			rc;
	RefIndex   *sorted;
	MemoryContext cxt = CurrentMemoryContext;

	for (k = 0; k < nrefs; k++)
		out[k] = NULL;
	if (nrefs == 0)
		return;
	if (plan_entities == NULL)
	{
		Oid			argtypes[1] = {TEXTARRAYOID};

		plan_entities = prepare_saved("SELECT entity_ref, entity FROM bsperm.entities "
									  "WHERE entity_ref OPERATOR(pg_catalog.=) ANY ($1)",
									  1, argtypes);
	}
	elems = palloc(sizeof(Datum) * nrefs);
	for (k = 0; k < nrefs; k++)
		elems[k] = CStringGetTextDatum(refs[k]);
	arr = construct_array(elems, nrefs, TEXTOID, -1, false, TYPALIGN_INT);
	arg = PointerGetDatum(arr);
	rc = SPI_execute_plan(plan_entities, &arg, NULL, true, 0);
	MemoryContextSwitchTo(cxt);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));

	/* match rows back to the (possibly repeated) refs */
	sorted = palloc(sizeof(RefIndex) * nrefs);
	for (k = 0; k < nrefs; k++)
	{
		sorted[k].ref = refs[k];
		sorted[k].index = k;
	}
	qsort(sorted, nrefs, sizeof(RefIndex), refindex_cmp);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		char	   *ref = TextDatumGetCString(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
		Jsonb	   *copy;
		int			pos = refindex_find(sorted, nrefs, ref);

		CHECK_FOR_INTERRUPTS();
		if (pos < 0 || isnull)
			continue;
		{
			Jsonb	   *j = DatumGetJsonbP(d);

			copy = MemoryContextAlloc(outcxt, VARSIZE(j));
			memcpy(copy, j, VARSIZE(j));
		}
		for (; pos < nrefs && strcmp(sorted[pos].ref, ref) == 0; pos++)
			out[sorted[pos].index] = copy;
	}
}

/* Appends relation targets of the given type that start with "group:". */
static void
entity_relations(Jsonb *entity, const char *type, StrList *out, MemoryContext cxt)
{
	JsonbValue	v;
	JsonbIterator *it;
	JsonbValue	el;
	JsonbIteratorToken tok;
	size_t		typelen = strlen(type);

	if (entity == NULL || !JsonContainerIsObject(&entity->root) ||
		getKeyJsonValueFromContainer(&entity->root, "relations", 9, &v) == NULL ||
		v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		return;
	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &el, true)) != WJB_DONE)
	{
		JsonbValue	t,
					r;
		JsonbContainer *rel;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM || el.type != jbvBinary || !JsonContainerIsObject(el.val.binary.data))
			continue;
		rel = el.val.binary.data;
		if (getKeyJsonValueFromContainer(rel, "type", 4, &t) == NULL || t.type != jbvString ||
			t.val.string.len != typelen || memcmp(t.val.string.val, type, typelen) != 0)
			continue;
		if (getKeyJsonValueFromContainer(rel, "targetRef", 9, &r) == NULL || r.type != jbvString ||
			r.val.string.len < 6 || memcmp(r.val.string.val, "group:", 6) != 0)
			continue;
		{
			char	   *s = MemoryContextAlloc(cxt, r.val.string.len + 1);

			memcpy(s, r.val.string.val, r.val.string.len);
			s[r.val.string.len] = '\0';
			if (!strlist_contains(out, s))
				strlist_add(out, s);
		}
	}
}

static bool
identity_equal(const BspIdentity *a, const BspIdentity *b)
{
	int			i;

	if (a->source != b->source || a->refs_given != b->refs_given || a->nrefs != b->nrefs)
		return false;
	if ((a->user_ref == NULL) != (b->user_ref == NULL))
		return false;
	if (a->user_ref && strcmp(a->user_ref, b->user_ref) != 0)
		return false;
	for (i = 0; i < a->nrefs; i++)
		if (strcmp(a->refs[i], b->refs[i]) != 0)
			return false;
	return true;
}

/* Adds the roles bound to ref to the role set. */
static void
add_member_roles(const char *ref, bool *has)
{
	int			pos = refindex_find(policy.members, policy.nmembers, ref);

	if (pos < 0)
		return;
	for (; pos < policy.nmembers && strcmp(policy.members[pos].ref, ref) == 0; pos++)
		has[policy.members[pos].index] = true;
}

/* Resolves an identity against the catalog; runs inside SPI as the owner. */
static BspUser *
resolve_user(const BspIdentity *id, bool transitive, MemoryContext parent)
{
	MemoryContext ucxt = AllocSetContextCreate(parent, "bsperm identity",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ucxt);
	BspUser    *u = palloc0(sizeof(BspUser));
	StrList		groups = {0};
	int			direct_groups = 0;
	int			within_depth;
	StrList		refs = {0};
	StrList		subjects = {0};
	bool	   *has;
	int			i;

	/* the key: a deep copy of the identity */
	u->cxt = ucxt;
	u->id.source = id->source;
	u->id.user_ref = id->user_ref ? pstrdup(id->user_ref) : NULL;
	u->id.refs_given = id->refs_given;
	u->id.nrefs = id->nrefs;
	u->id.refs = palloc0(sizeof(char *) * Max(id->nrefs, 1));
	for (i = 0; i < id->nrefs; i++)
		u->id.refs[i] = pstrdup(id->refs[i]);
	u->transitive = transitive;

	if (id->user_ref == NULL)
	{
		MemoryContextSwitchTo(old);
		return u;
	}

	/* groups: direct memberOf (distance 0), then parents through childOf */
	within_depth = 0;
	if (policy.mode == POLICY_RBAC || !id->refs_given)
	{
		Jsonb	   *user;
		int			depth_limit;
		int			level_start;
		int			level;

		load_entities_spi(1, (const char *const *) &id->user_ref, &user, ucxt);
		entity_relations(user, "memberOf", &groups, ucxt);
		direct_groups = groups.n;
		within_depth = groups.n;

		/* how far up: max_depth for roles, everything for transitive claims */
		depth_limit = policy.mode == POLICY_RBAC ? policy.max_depth : 0;
		if (transitive && !id->refs_given)
			depth_limit = -1;
		level_start = 0;
		level = 0;
		while (level_start < groups.n && (depth_limit < 0 || level < depth_limit))
		{
			int			level_end = groups.n;
			int			nlevel = level_end - level_start;
			Jsonb	  **ents = palloc(sizeof(Jsonb *) * nlevel);

			CHECK_FOR_INTERRUPTS();

			load_entities_spi(nlevel, groups.items + level_start, ents, CurrentMemoryContext);
			for (i = 0; i < nlevel; i++)
				entity_relations(ents[i], "childOf", &groups, ucxt);
			pfree(ents);
			level++;
			if (policy.max_depth < 0 || level <= policy.max_depth)
				within_depth = groups.n;
			level_start = level_end;
		}
	}

	/* ownership refs */
	if (id->refs_given)
	{
		for (i = 0; i < id->nrefs; i++)
			if (!strlist_contains(&refs, id->refs[i]))
				strlist_add(&refs, u->id.refs[i]);
	}
	else
	{
		strlist_add(&refs, u->id.user_ref);
		for (i = 0; i < (transitive ? groups.n : direct_groups); i++)
			if (!strlist_contains(&refs, groups.items[i]))
				strlist_add(&refs, groups.items[i]);
	}
	u->nrefs = refs.n;
	u->refs = refs.items;

	/* subjects: the user and its groups within max_depth */
	strlist_add(&subjects, u->id.user_ref);
	for (i = 0; i < within_depth; i++)
		strlist_add(&subjects, groups.items[i]);
	u->nsubjects = subjects.n;
	u->subjects = subjects.items;

	/* superuser: the user ref or any ownership ref */
	u->super = cstring_sorted_contains(policy.supers, policy.nsupers, u->id.user_ref);
	for (i = 0; i < u->nrefs && !u->super; i++)
		u->super = cstring_sorted_contains(policy.supers, policy.nsupers, u->refs[i]);

	/* roles */
	has = palloc0(sizeof(bool) * Max(policy.nroles, 1));
	for (i = 0; i < subjects.n; i++)
		add_member_roles(subjects.items[i], has);
	if (policy.use_ownership)
		for (i = 0; i < u->nrefs; i++)
			add_member_roles(u->refs[i], has);
	if (policy.default_role >= 0)
		has[policy.default_role] = true;
	u->roles = palloc(sizeof(int) * Max(policy.nroles, 1));
	for (i = 0; i < policy.nroles; i++)
		if (has[i])
			u->roles[u->nroles++] = i;

	MemoryContextSwitchTo(old);
	return u;
}

/*
 * Resolves an identity that is not cached and caches it, evicting (and
 * freeing) the oldest of USER_CACHE_SIZE.  While a decision is being made
 * (a policy function asks again) an identity still in use may be the one
 * the next slot holds, so nothing is evicted then: the identity is resolved
 * into the caller's memory context and not cached.
 */
static BspUser *
cache_user(const BspIdentity *id, bool transitive)
{
	BspUser    *u;
	int			slot = policy.next_user;

	if (decide_depth > 0)
		return resolve_user(id, transitive, CurrentMemoryContext);
	u = resolve_user(id, transitive, policy.cxt);
	if (policy.users[slot] != NULL)
		MemoryContextDelete(policy.users[slot]->cxt);
	policy.users[slot] = u;
	policy.next_user = (slot + 1) % USER_CACHE_SIZE;
	return u;
}

BspUser *
bsperm_policy_user(void)
{
	OwnerContext oc;
	const BspIdentity *tid = bsperm_transaction_identity();
	BspIdentity mapped;
	const BspIdentity *id;
	bool		transitive = bsperm_transitive_ownership;
	BspUser    *u = NULL;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	owner_enter(&oc);
	PG_TRY();
	{
		PolicyKey	key;

		read_policy_key(&key);
		if (!policy_key_matches(&key))
			load_policy(&key);

		/* who asks */
		if (tid != NULL)
			id = tid;
		else
		{
			char	   *session = GetUserNameFromId(GetSessionUserId(), false);
			int			pos = refindex_find(policy.mapping_index, policy.nmappings, session);

			memset(&mapped, 0, sizeof(mapped));
			if (pos >= 0)
			{
				Mapping    *m = &policy.mappings[policy.mapping_index[pos].index];

				mapped.source = BSP_IDENT_ROLE_MAPPING;
				mapped.user_ref = (char *) m->user_ref;
				mapped.refs_given = m->refs_given;
				mapped.nrefs = m->nrefs;
				mapped.refs = m->refs;
			}
			else
				mapped.source = BSP_IDENT_NONE;
			id = &mapped;
		}

		for (i = 0; i < USER_CACHE_SIZE && u == NULL; i++)
			if (policy.users[i] && policy.users[i]->transitive == transitive &&
				identity_equal(&policy.users[i]->id, id))
				u = policy.users[i];
		if (u == NULL)
			u = cache_user(id, transitive);
	}
	PG_CATCH();
	{
		owner_abort(&oc);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_leave(&oc);
	SPI_finish();
	return u;
}

const char *
bsperm_user_ref(const BspUser *u)
{
	return u->id.user_ref;
}

int
bsperm_user_ownership_refs(const BspUser *u, const char *const **refs)
{
	*refs = u->refs;
	return u->nrefs;
}

BspIdentitySource
bsperm_user_source(const BspUser *u)
{
	return u->id.source;
}

bool
bsperm_lookup_permission(const char *name, BspPermission *out)
{
	int			i;

	Assert(policy.valid);
	i = name_search(policy.perms, policy.nperms, sizeof(BspPermission), name);
	if (i < 0)
		return false;
	*out = policy.perms[i];
	return true;
}

void
bsperm_load_entities(int nrefs, const char *const *refs, Jsonb **entities)
{
	OwnerContext oc;
	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	owner_enter(&oc);
	PG_TRY();
	{
		load_entities_spi(nrefs, refs, entities, cxt);
	}
	PG_CATCH();
	{
		owner_abort(&oc);
		PG_RE_THROW();
	}
	PG_END_TRY();
	owner_leave(&oc);
	SPI_finish();
}

/* ---------------------------------------------------------------------
 * JSON for policies
 * ---------------------------------------------------------------------
 */
void
bsperm_permission_json(StringInfo buf, const BspPermission *perm)
{
	appendStringInfoString(buf, "{\"type\":");
	escape_json(buf, perm->resource ? "resource" : "basic");
	appendStringInfoString(buf, ",\"name\":");
	escape_json(buf, perm->name);
	appendStringInfoString(buf, ",\"attributes\":{");
	if (perm->action != BSP_ACT_NONE && perm->action != BSP_ACT_USE)
	{
		appendStringInfoString(buf, "\"action\":");
		escape_json(buf, bsperm_action_name(perm->action));
	}
	appendStringInfoChar(buf, '}');
	if (perm->resource)
	{
		appendStringInfoString(buf, ",\"resourceType\":");
		escape_json(buf, perm->resource_type);
	}
	appendStringInfoChar(buf, '}');
}

static void
refs_json(StringInfo buf, const BspUser *u)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < u->nrefs; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		escape_json(buf, u->refs[i]);
	}
	appendStringInfoChar(buf, ']');
}

/* The PolicyQueryUser object, or NULL for anonymous. */
static Jsonb *
user_json(const BspUser *u)
{
	StringInfoData buf;

	if (u->id.user_ref == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"credentials\":{\"$$type\":\"@backstage/BackstageCredentials\",\"principal\":{\"type\":\"user\",\"userEntityRef\":");
	escape_json(&buf, u->id.user_ref);
	appendStringInfoString(&buf, "}},\"info\":{\"userEntityRef\":");
	escape_json(&buf, u->id.user_ref);
	appendStringInfoString(&buf, ",\"ownershipEntityRefs\":");
	refs_json(&buf, u);
	appendStringInfoString(&buf, "},\"identity\":{\"type\":\"user\",\"userEntityRef\":");
	escape_json(&buf, u->id.user_ref);
	appendStringInfoString(&buf, ",\"ownershipEntityRefs\":");
	refs_json(&buf, u);
	appendStringInfoString(&buf, "}}");
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

/* ---------------------------------------------------------------------
 * Placeholders: $currentUser and $ownerRefs in rule parameters
 * ---------------------------------------------------------------------
 */
static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	(void) pushJsonbValue(st, tok, &v);
}

static bool
is_placeholder(const JsonbValue *v, const char *name)
{
	size_t		len = strlen(name);

	return v->type == jbvString && v->val.string.len == len &&
		memcmp(v->val.string.val, name, len) == 0;
}

/*
 * Copies criteria, replacing inside every "params" object: a string
 * "$currentUser" by the user ref; "$ownerRefs" by the ownership refs (spliced
 * into an array it is an element of, else as an array).
 */
static Jsonb *
substitute_placeholders(Jsonb *criteria, const char *user_ref, int nrefs,
						const char *const *refs)
{
	JsonbIterator *it = JsonbIteratorInit(&criteria->root);
	JsonbParseState *st = NULL;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken tok;
	int			depth = 0;
	int			params_depth = -1;
	bool		next_is_params = false;
	int			i;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		bool		inside = params_depth >= 0;

		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				depth++;
				if (next_is_params && tok == WJB_BEGIN_OBJECT && params_depth < 0)
					params_depth = depth;
				next_is_params = false;
				res = pushJsonbValue(&st, tok, tok == WJB_BEGIN_ARRAY ? &v : NULL);
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				if (depth == params_depth)
					params_depth = -1;
				depth--;
				res = pushJsonbValue(&st, tok, NULL);
				break;
			case WJB_KEY:
				next_is_params = (params_depth < 0 && v.val.string.len == 6 &&
								  memcmp(v.val.string.val, "params", 6) == 0);
				res = pushJsonbValue(&st, tok, &v);
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				next_is_params = false;
				if (inside && user_ref && is_placeholder(&v, "$currentUser"))
					push_string(&st, tok, user_ref);
				else if (inside && is_placeholder(&v, "$ownerRefs"))
				{
					if (tok == WJB_VALUE)
					{
						JsonbValue	a;

						a.type = jbvArray;
						a.val.array.rawScalar = false;
						a.val.array.nElems = nrefs;
						(void) pushJsonbValue(&st, WJB_BEGIN_ARRAY, &a);
						for (i = 0; i < nrefs; i++)
							push_string(&st, WJB_ELEM, refs[i]);
						(void) pushJsonbValue(&st, WJB_END_ARRAY, NULL);
					}
					else
						for (i = 0; i < nrefs; i++)
							push_string(&st, WJB_ELEM, refs[i]);
				}
				else
					res = pushJsonbValue(&st, tok, &v);
				break;
			default:
				break;
		}
	}
	return JsonbValueToJsonb(res);
}

PG_FUNCTION_INFO_V1(bsperm_substitute_placeholders);
Datum
bsperm_substitute_placeholders(PG_FUNCTION_ARGS)
{
	Jsonb	   *criteria = PG_GETARG_JSONB_P(0);
	char	   *user_ref = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	const char **refs;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	refs = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ownership refs cannot contain null")));
		refs[i] = TextDatumGetCString(elems[i]);
	}
	if (JB_ROOT_IS_SCALAR(criteria))
		PG_RETURN_JSONB_P(criteria);
	PG_RETURN_JSONB_P(substitute_placeholders(criteria, user_ref, n, refs));
}

/* ---------------------------------------------------------------------
 * The decision
 * ---------------------------------------------------------------------
 */

/* Looks at the lines for obj/action; counts allows and denies. */
static void
scan_lines(const Line *lines, int n, const char *obj, BspAction act,
		   int *nallow, int *ndeny)
{
	int			i;

	for (i = 0; i < n; i++)
		if (lines[i].action == act && strcmp(lines[i].object, obj) == 0)
		{
			if (lines[i].deny)
				(*ndeny)++;
			else
				(*nallow)++;
		}
}

static bool
lines_name(const Line *lines, int n, const char *name, BspAction act)
{
	int			i;

	for (i = 0; i < n; i++)
		if (lines[i].action == act && strcmp(lines[i].object, name) == 0)
			return true;
	return false;
}

static bool
cond_matches(const Cond *c, const BspPermission *perm, BspAction act)
{
	int			i;

	if (strcmp(c->resource_type, perm->resource_type) != 0)
		return false;
	if (c->actions & (1u << act))
		return true;
	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], perm->name) == 0)
			return true;
	return false;
}

static void
decide_rbac(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	BspAction	act = perm->action == BSP_ACT_NONE ? BSP_ACT_USE : perm->action;
	bool		named = false;
	int			nallow = 0,
				ndeny = 0;
	int			i;
	const Cond **conds = NULL;
	int			nconds = 0;

	out->result = BSP_DENY;

	/* 1. anonymous: DENY; 2. superusers: ALLOW */
	if (u->id.user_ref == NULL)
		return;
	if (u->super)
	{
		out->result = BSP_ALLOW;
		return;
	}

	/* 4. a line naming the permission beats resource-type lines */
	if (u->nroles > 0)
	{
		for (i = 0; i < u->nroles && !named; i++)
		{
			Role	   *r = &policy.roles[u->roles[i]];

			named = lines_name(r->lines, r->nlines, perm->name, act);
		}
		for (i = 0; i < u->nroles; i++)
		{
			Role	   *r = &policy.roles[u->roles[i]];

			if (named)
				scan_lines(r->lines, r->nlines, perm->name, act, &nallow, &ndeny);
			else if (perm->resource)
				scan_lines(r->lines, r->nlines, perm->resource_type, act, &nallow, &ndeny);
		}
	}
	else
	{
		/* 7. lines bound to the user or its groups count only without roles */
		for (i = 0; i < u->nsubjects && !named; i++)
		{
			int			pos = refindex_find(policy.direct, policy.ndirect, u->subjects[i]);

			for (; pos >= 0 && pos < policy.ndirect &&
				 strcmp(policy.direct[pos].ref, u->subjects[i]) == 0; pos++)
				if (lines_name(&policy.direct_lines[policy.direct[pos].index], 1, perm->name, act))
					named = true;
		}
		for (i = 0; i < u->nsubjects; i++)
		{
			int			pos = refindex_find(policy.direct, policy.ndirect, u->subjects[i]);

			for (; pos >= 0 && pos < policy.ndirect &&
				 strcmp(policy.direct[pos].ref, u->subjects[i]) == 0; pos++)
			{
				const Line *l = &policy.direct_lines[policy.direct[pos].index];

				if (named)
					scan_lines(l, 1, perm->name, act, &nallow, &ndeny);
				else if (perm->resource)
					scan_lines(l, 1, perm->resource_type, act, &nallow, &ndeny);
			}
		}
	}

	/* 5. conditions: at most one per role; several roles combine by anyOf */
	if (perm->resource && u->nroles > 0)
	{
		conds = palloc(sizeof(Cond *) * u->nroles);
		for (i = 0; i < u->nroles; i++)
		{
			Role	   *r = &policy.roles[u->roles[i]];
			const Cond *found = NULL;
			int			k;

			for (k = 0; k < r->nconds; k++)
				if (cond_matches(&r->conds[k], perm, act))
				{
					if (found != NULL)
						return; /* two in one role: DENY */
					found = &r->conds[k];
				}
			if (found)
			{
				/* one decision has one plugin: disagreeing policies DENY */
				if (nconds > 0 && strcmp(conds[0]->plugin_id, found->plugin_id) != 0)
					return;
				conds[nconds++] = found;
			}
		}
	}

	if (nconds > 0 && (!policy.basic_precedence || nallow + ndeny == 0))
	{
		StringInfoData buf;
		Jsonb	   *combined;

		if (nconds == 1)
			combined = conds[0]->conditions;
		else
		{
			initStringInfo(&buf);
			appendStringInfoString(&buf, "{\"anyOf\":[");
			for (i = 0; i < nconds; i++)
			{
				if (i > 0)
					appendStringInfoChar(&buf, ',');
				(void) JsonbToCString(&buf, &conds[i]->conditions->root,
									  VARSIZE(conds[i]->conditions));
			}
			appendStringInfoString(&buf, "]}");
			combined = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
		}
		out->result = BSP_CONDITIONAL;
		out->plugin_id = conds[0]->plugin_id;
		out->resource_type = perm->resource_type;
		out->conditions = substitute_placeholders(combined, u->id.user_ref, u->nrefs, u->refs);
		return;
	}

	/* 6. deny overrides allow; nothing said is DENY */
	if (nallow > 0 && ndeny == 0)
		out->result = BSP_ALLOW;
}

/* Checks a policy function's result and turns it into a decision. */
static void
decision_from_json(Jsonb *j, const BspPermission *perm, BspDecision *out)
{
	JsonbValue	v;

	out->raw = j;
	if (!JB_ROOT_IS_OBJECT(j) ||
		getKeyJsonValueFromContainer(&j->root, "result", 6, &v) == NULL ||
		v.type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned an invalid decision for permission %s", perm->name),
				 errdetail("A PolicyDecision is an object with \"result\" ALLOW, DENY or CONDITIONAL.")));
	if (v.val.string.len == 5 && memcmp(v.val.string.val, "ALLOW", 5) == 0)
		out->result = BSP_ALLOW;
	else if (v.val.string.len == 4 && memcmp(v.val.string.val, "DENY", 4) == 0)
		out->result = BSP_DENY;
	else if (v.val.string.len == 11 && memcmp(v.val.string.val, "CONDITIONAL", 11) == 0)
	{
		JsonbValue	p,
					rt,
					c;

		out->result = BSP_CONDITIONAL;
		if (!perm->resource)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
					 errmsg("Conditional decision returned from permission policy for non-resource permission %s",
							perm->name),
					 errdetail("Backstage's permission backend answers HTTP 500 (Error).")));
		if (getKeyJsonValueFromContainer(&j->root, "resourceType", 12, &rt) == NULL ||
			rt.type != jbvString ||
			strlen(perm->resource_type) != (size_t) rt.val.string.len ||
			memcmp(rt.val.string.val, perm->resource_type, rt.val.string.len) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
					 errmsg("Invalid resource conditions returned from permission policy for permission %s",
							perm->name),
					 errdetail("Backstage's permission backend answers HTTP 500 (Error).")));
		if (getKeyJsonValueFromContainer(&j->root, "pluginId", 8, &p) == NULL ||
			p.type != jbvString ||
			getKeyJsonValueFromContainer(&j->root, "conditions", 10, &c) == NULL ||
			c.type != jbvBinary || !JsonContainerIsObject(c.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
					 errmsg("permission policy returned an invalid conditional decision for permission %s",
							perm->name),
					 errdetail("A CONDITIONAL decision has a string \"pluginId\" and an object \"conditions\".")));
		out->plugin_id = pnstrdup(p.val.string.val, p.val.string.len);
		out->resource_type = perm->resource_type;
		out->conditions = JsonbValueToJsonb(&c);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned an invalid decision for permission %s", perm->name),
				 errdetail("A PolicyDecision is an object with \"result\" ALLOW, DENY or CONDITIONAL.")));
}

static void
decide_function(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	StringInfoData req;
	Jsonb	   *user = user_json(u);
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	initStringInfo(&req);
	appendStringInfoString(&req, "{\"permission\":");
	bsperm_permission_json(&req, perm);
	appendStringInfoChar(&req, '}');

	InitFunctionCallInfoData(*fcinfo, &policy.func_finfo, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = DirectFunctionCall1(jsonb_in, CStringGetDatum(req.data));
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = user ? JsonbPGetDatum(user) : (Datum) 0;
	fcinfo->args[1].isnull = (user == NULL);
	if (policy.func_finfo.fn_strict && user == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned null for permission %s", perm->name),
				 errdetail("The policy function is STRICT and the user is anonymous (null).")));
	result = FunctionCallInvoke(fcinfo);
	if (fcinfo->isnull)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned null for permission %s", perm->name)));
	decision_from_json(DatumGetJsonbP(result), perm, out);
}

static bool
same_permission(const BspPermission *a, const BspPermission *b)
{
	return a->resource == b->resource && a->action == b->action &&
		strcmp(a->name, b->name) == 0 &&
		(!a->resource || strcmp(a->resource_type, b->resource_type) == 0);
}

static char *
cache_strdup(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

static Jsonb *
cache_jsonb(MemoryContext cxt, const Jsonb *j)
{
	Jsonb	   *copy;

	if (j == NULL)
		return NULL;
	copy = MemoryContextAlloc(cxt, VARSIZE(j));
	memcpy(copy, j, VARSIZE(j));
	return copy;
}

/*
 * The RBAC policy's decision depends on nothing but the cached policy, the
 * user and the permission, so it is kept in the user's memo.
 */
static void
decide_rbac_memo(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	int			i;
	DecisionMemo *m;

	for (i = 0; i < u->nmemos; i++)
		if (same_permission(&u->memos[i].perm, perm))
			break;
	if (i == u->nmemos)
	{
		BspDecision d;

		memset(&d, 0, sizeof(d));
		decide_rbac(u, perm, &d);
		if (u->nmemos >= MAX_MEMOS)
		{
			*out = d;
			return;
		}
		if (u->memos == NULL)
			u->memos = MemoryContextAllocZero(u->cxt, sizeof(DecisionMemo) * MAX_MEMOS);
		m = &u->memos[u->nmemos];
		m->perm.name = cache_strdup(u->cxt, perm->name);
		m->perm.resource = perm->resource;
		m->perm.resource_type = cache_strdup(u->cxt, perm->resource_type);
		m->perm.action = perm->action;
		m->decision.result = d.result;
		m->decision.plugin_id = cache_strdup(u->cxt, d.plugin_id);
		m->decision.resource_type = cache_strdup(u->cxt, d.resource_type);
		m->decision.conditions = cache_jsonb(u->cxt, d.conditions);
		u->nmemos++;
	}
	m = &u->memos[i];
	*out = m->decision;
	out->memo_cxt = u->cxt;
	out->filter_slot = &m->filter;
	out->json_slot = &m->json;
}

void
bsperm_decide(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	memset(out, 0, sizeof(*out));
	Assert(policy.valid);
	switch (policy.mode)
	{
		case POLICY_ALLOW_ALL:
			out->result = BSP_ALLOW;
			break;
		case POLICY_FUNCTION:

			/*
			 * The policy function asked for a decision itself (it called
			 * bsperm_authorize, or read a table that bsperm protects, whose
			 * row-level security asks for one while planning): that would
			 * recurse until the stack is exhausted.  Fail closed, clearly.
			 */
			if (decide_depth > 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_RECURSION),
						 errmsg("permission policy function %s asked for a permission decision while deciding",
								format_procedure(policy.func)),
						 errdetail("The nested request is for permission \"%s\". A policy function that reads a table protected by bsperm, or calls bsperm_authorize, would decide recursively.",
								   perm->name),
						 errhint("Read what the policy function needs from tables bsperm does not protect, or through a SECURITY DEFINER function owned by a role that bypasses row-level security.")));
			decide_depth++;
			PG_TRY();
			{
				decide_function(u, perm, out);
			}
			PG_FINALLY();
			{
				decide_depth--;
			}
			PG_END_TRY();
			break;
		case POLICY_RBAC:
			decide_rbac_memo(u, perm, out);
			break;
	}
}
