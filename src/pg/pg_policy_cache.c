/*-------------------------------------------------------------------------
 * pg_policy_cache.c
 *	  The per-backend policy cache and the identity cache: what they hold,
 *	  when they are valid, when they are freed.
 *
 * The policy.  The policy tables (bsperm.permissions, roles, role_members,
 * permission_policies, conditional_policies, superusers, policy_config,
 * role_users, entity_source) are loaded (pg_policy_load.c) into one memory context,
 * bsperm_policy.cxt, and kept while the key is unchanged: the oid of
 * bsperm.policy_state, its base version, and the set of versions in
 * bsperm.policy_changes.  Every change of a policy table, and every change
 * of a User or Group entity, gives the writing transaction's own row in
 * policy_changes a new version from a sequence (statement triggers in
 * 20_policy.sql; no row is shared by writers, so they never wait for each
 * other).  The key is read at every call of bsperm_policy_user in the
 * caller's snapshot (directly from the heap: the fast path runs no SQL),
 * and the tables are loaded in that same snapshot, so
 * the cache never answers differently from the tables as that statement
 * sees them: a committed change is seen by the next statement of every
 * session, and a change rolled back leaves no version behind that a later
 * change could reuse.
 *
 * Identities.  Up to USER_CACHE_SIZE resolved identities are kept, each in
 * its own memory context under the policy's (with its decision memos), so
 * a reload frees them all and an eviction frees exactly one.  While a
 * policy function decides, a new identity is resolved into the context of
 * the caller of bsperm_policy_user and not cached (an identity in use is
 * never evicted).
 *
 * Privileges.  Loading and resolving run in an owner section (pg_owner.c):
 * as the owner of schema bsperm, search_path pinned.  Reading the key is a
 * heap scan in C, which needs neither.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "pg_policy_int.h"
#include "pg_rls.h"

#define P bsperm_policy

Policy		bsperm_policy;

/* GUC: ownership refs computed from the catalog include ancestor groups */
static bool bsperm_transitive_ownership = false;

/*
 * Decisions read the setting, and plans fold decisions: a change (SET, or
 * ALTER SYSTEM and a reload, which may arrive between a Bind and its
 * Execute) must reach the plans before their next use.  Assign hooks may
 * not touch the catalogs, so every plan of this backend is reset.
 */
static void
transitive_ownership_assign(bool newval, void *extra)
{
	if (newval != bsperm_transitive_ownership)
		bsperm_rls_setting_changed();
}

void
bsperm_policy_init(void)
{
	DefineCustomBoolVariable("bsperm.transitive_ownership",
							 "Ownership refs computed from the catalog include ancestor groups.",
							 "Off (as in Backstage's sign-in): the user's ref and the groups it is directly a member of. "
							 "On: also every group those groups are children of, through childOf relations.",
							 &bsperm_transitive_ownership,
							 false,
							 PGC_SUSET, 0, NULL, transitive_ownership_assign, NULL);
	bsperm_identity_init();
}

void
bsperm_core_oom(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory")));
}

static int
int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The "version" column of every row of bsperm.<relname> visible in snap,
 * read directly from the heap (no SQL, so no name or operator lookup at
 * all); returns the number of rows, *relid the table's oid.
 */
static int
scan_versions(const char *relname, Snapshot snap, Oid *relid, int64 **out)
{
	Oid			nsp = get_namespace_oid("bsperm", false);
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	AttrNumber	att;
	int			n = 0,
				cap = 8;

	*relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(*relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"bsperm.%s\" does not exist", relname)));
	att = get_attnum(*relid, "version");
	if (att == InvalidAttrNumber)
		elog(ERROR, "bsperm.%s has no column \"version\"", relname);
	*out = palloc(sizeof(int64) * cap);
	rel = table_open(*relid, AccessShareLock);
	scan = table_beginscan(rel, snap, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);

		if (isnull)
			continue;
		if (n == cap)
		{
			cap *= 2;
			*out = repalloc(*out, sizeof(int64) * cap);
		}
		(*out)[n++] = DatumGetInt64(d);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * The key in the caller's snapshot (the statement's active snapshot, as a
 * SELECT in it would use); arrays in CurrentMemoryContext.
 */
/*
 * The last key read and the snapshot it was read in.  Two MVCC snapshots of
 * one transaction with the same bounds, in-progress transactions and command
 * id see the same rows, unless a subtransaction of this one was rolled back
 * in between: then the same key is returned without scanning (a decision
 * reads it twice per statement, planning and executor start, and the scans
 * cost tens of microseconds).
 */
#define KEY_MAX_XIP 64
static struct
{
	bool		valid;
	uint32		xcnt;
	TransactionId xip[KEY_MAX_XIP];
	TransactionId xmin;
	TransactionId xmax;
	CommandId	curcid;
	LocalTransactionId lxid;
	uint64		subaborts;
	PolicyKey	key;			/* changes in TopMemoryContext */
}			last_key;
static uint64 subxact_aborts = 0;
static bool key_callback_registered = false;

static void
key_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		subxact_aborts++;
}

static bool
key_snapshot_usable(Snapshot snap)
{
	return snap->snapshot_type == SNAPSHOT_MVCC && !snap->takenDuringRecovery &&
		snap->xcnt <= KEY_MAX_XIP && snap->subxcnt == 0 && !snap->suboverflowed;
}

static bool
same_key_snapshot(Snapshot snap)
{
	return last_key.valid && key_snapshot_usable(snap) && last_key.xcnt == snap->xcnt &&
		memcmp(last_key.xip, snap->xip, sizeof(TransactionId) * snap->xcnt) == 0 &&
		TransactionIdEquals(last_key.xmin, snap->xmin) &&
		TransactionIdEquals(last_key.xmax, snap->xmax) &&
		last_key.curcid == snap->curcid && last_key.lxid == MyProc->lxid &&
		last_key.subaborts == subxact_aborts;
}

static void
remember_key(Snapshot snap, const PolicyKey *key)
{
	if (!key_callback_registered)
	{
		RegisterSubXactCallback(key_subxact_callback, NULL);
		key_callback_registered = true;
	}
	if (last_key.key.changes)
		pfree(last_key.key.changes);
	last_key.valid = false;
	if (!key_snapshot_usable(snap))
		return;
	last_key.key = *key;
	last_key.key.changes = MemoryContextAlloc(TopMemoryContext,
											  sizeof(int64) * Max(key->nchanges, 1));
	memcpy(last_key.key.changes, key->changes, sizeof(int64) * key->nchanges);
	last_key.xcnt = snap->xcnt;
	memcpy(last_key.xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
	last_key.xmin = snap->xmin;
	last_key.xmax = snap->xmax;
	last_key.curcid = snap->curcid;
	last_key.lxid = MyProc->lxid;
	last_key.subaborts = subxact_aborts;
	last_key.valid = true;
}

static void
read_policy_key(PolicyKey *key)
{
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : GetTransactionSnapshot();
	int64	   *base;
	Oid			changes_relid;

	if (same_key_snapshot(snap))
	{
		*key = last_key.key;
		key->changes = palloc(sizeof(int64) * Max(key->nchanges, 1));
		memcpy(key->changes, last_key.key.changes, sizeof(int64) * key->nchanges);
		return;
	}

	if (scan_versions("policy_state", snap, &key->relid, &base) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bsperm.policy_state must hold exactly one row")));
	key->version = base[0];
	key->nchanges = scan_versions("policy_changes", snap, &changes_relid, &key->changes);
	qsort(key->changes, key->nchanges, sizeof(int64), int64_cmp);
	remember_key(snap, key);
}

/* The same for the rules cache (pg_rules.c). */
void
bsperm_read_policy_key(PolicyKey *key)
{
	read_policy_key(key);
}

static bool
policy_key_matches(const PolicyKey *key)
{
	return P.valid && P.key.relid == key->relid &&
		P.key.version == key->version && P.key.nchanges == key->nchanges &&
		(key->nchanges == 0 ||
		 memcmp(P.key.changes, key->changes, sizeof(int64) * key->nchanges) == 0);
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

/* Who asks: the transaction's identity, else session_user's mapping. */
static const BspIdentity *
asking_identity(BspIdentity *mapped)
{
	const BspIdentity *tid = bsperm_transaction_identity();
	char	   *session;
	int			pos;

	if (tid != NULL)
		return tid;
	session = GetUserNameFromId(GetSessionUserId(), false);
	pos = bsp_name_find(P.mappings, P.nmappings, sizeof(Mapping), session);
	memset(mapped, 0, sizeof(*mapped));
	mapped->source = BSP_IDENT_NONE;
	if (pos >= 0)
	{
		Mapping    *m = &P.mappings[pos];

		mapped->source = BSP_IDENT_ROLE_MAPPING;
		mapped->user_ref = (char *) m->user_ref;
		mapped->refs_given = m->refs_given;
		mapped->nrefs = m->nrefs;
		mapped->refs = m->refs;
	}
	return mapped;
}

static BspUser *
find_cached_user(const BspIdentity *id, bool transitive)
{
	int			i;

	for (i = 0; i < USER_CACHE_SIZE; i++)
		if (P.users[i] && P.users[i]->transitive == transitive &&
			identity_equal(&P.users[i]->id, id))
			return P.users[i];
	return NULL;
}

/*
 * A new identity resolved and cached in the oldest slot (whose identity is
 * freed); see the file header for policy functions.
 */
static BspUser *
cache_new_user(const BspIdentity *id, bool transitive, MemoryContext caller)
{
	BspUser    *u;
	int			slot = P.next_user;

	if (bsperm_decide_depth > 0)
		return bsperm_resolve_user(id, transitive, caller);
	u = bsperm_resolve_user(id, transitive, P.cxt);
	if (P.users[slot] != NULL)
		MemoryContextDelete(P.users[slot]->cxt);
	P.users[slot] = u;
	P.next_user = (slot + 1) % USER_CACHE_SIZE;
	return u;
}

typedef struct UserArgs
{
	const PolicyKey *key;
	bool		transitive;
	MemoryContext caller;
	BspUser    *user;
} UserArgs;

/* The slow path, as the owner: reload the policy and/or resolve the identity. */
static void
policy_user_as_owner(void *arg)
{
	UserArgs   *a = arg;
	BspIdentity mapped;
	const BspIdentity *id;

	if (!policy_key_matches(a->key))
		bsperm_load_policy(a->key);
	id = asking_identity(&mapped);
	a->user = find_cached_user(id, a->transitive);
	if (a->user == NULL)
		a->user = cache_new_user(id, a->transitive, a->caller);
}

/*
 * In an owner section: reloads the policy if its key changed, for callers
 * that read policy data (the entity source) without an identity
 * (bsperm_apply_conditions).  Callers that hold a BspUser got it from
 * bsperm_policy_user in the same statement, under the same key: nothing
 * is reloaded under them.
 */
void
bsperm_policy_refresh(void)
{
	PolicyKey	key;

	read_policy_key(&key);
	if (!policy_key_matches(&key))
		bsperm_load_policy(&key);
}

/*
 * The fast path (policy unchanged, identity cached) runs no SQL: the key is
 * read from the heap, everything else is in memory.
 */
static BspUser *last_user = NULL;

BspUser *
bsperm_policy_user(void)
{
	PolicyKey	key;
	UserArgs	a;

	last_user = NULL;
	read_policy_key(&key);
	if (policy_key_matches(&key))
	{
		BspIdentity mapped;
		BspUser    *u = find_cached_user(asking_identity(&mapped),
										 bsperm_transitive_ownership);

		if (u != NULL)
			return last_user = u;
	}
	a.key = &key;
	a.transitive = bsperm_transitive_ownership;
	a.caller = CurrentMemoryContext;	/* SPI_connect switches */
	a.user = NULL;
	bsperm_as_owner(policy_user_as_owner, &a);
	return last_user = a.user;
}

BspUser *
bsperm_policy_last_user(void)
{
	return last_user;
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

	Assert(P.valid);
	i = bsp_name_find(P.perms, P.nperms, sizeof(BspPermission), name);
	if (i < 0)
		return false;
	*out = P.perms[i];
	return true;
}
