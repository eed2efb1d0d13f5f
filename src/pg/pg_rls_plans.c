/*-------------------------------------------------------------------------
 * pg_rls_plans.c
 *	  Plans that fold a decision in: their dependency, their invalidation
 *	  and the guard that keeps a stale one from ever running.
 *
 * bsperm's policies call bsperm_rls_check(entity, permission); while a
 * query is planned its support function (pg_rls.c) replaces the call by
 * the current identity's decision: true (ALLOW), false (DENY) or an index
 * condition (CONDITIONAL).  Such a plan is right only for that decision,
 * so every plan that folds one:
 *
 *	 1. depends on the marker table bsperm.policy_epoch (its OID is added to
 *		PlannedStmt.relationOids), so PostgreSQL's plan cache invalidates
 *		exactly the plans that folded a decision when the marker's relcache
 *		entry is invalidated, and no other plan;
 *	 2. carries one extra range-table entry per folded decision: the marker
 *		table, locked in RowExclusiveLock by the plan cache before each
 *		reuse and named by a token (the permission and the decision).
 *		Locking a relation not yet locked processes pending invalidations,
 *		and the plan cache re-checks validity after locking, so a reused
 *		plan always sees committed changes whose invalidations were sent.
 *		The executor-start hook releases that lock again, so the next reuse
 *		in the same transaction locks, and so processes invalidations, anew;
 *	 3. is checked when it starts: the hook decides each token's permission
 *		again, in the statement's own snapshot and for the identity of the
 *		moment, and raises a serialization failure (40001) if the decision
 *		differs.  No statement ever runs with a stale decision.
 *
 * Who invalidates the marker:
 *	 - a committed change of policy data, in every backend: the trigger
 *	   bsperm_policy_changed() queues the relcache invalidation, and at
 *	   pre-commit takes ShareLock on the marker, held until the
 *	   invalidation has been sent, so a plan validated while the change
 *	   commits waits for it (plan validation holds RowExclusiveLock);
 *	 - an identity change in this backend (bsperm_set_user, the end of the
 *	   transaction that set one, a change of session user), locally;
 *	 - the end of a transaction that received a policy invalidation,
 *	   locally: a plan rebuilt inside it (REPEATABLE READ) folded what that
 *	   transaction's snapshot saw, and must not outlive it;
 *	 - a change of a setting a decision reads (pg_policy.c), for all plans.
 * The statements of an SQL function are planned by functions.c outside the
 * plan cache and reused for the rest of the transaction: there the policy
 * becomes "entity @~ bsperm_rls_filter(permission)", evaluated when the
 * statement runs (an index runtime key), instead of a folded constant.
 * The guard (3) turns the few races these leave into an error instead of
 * a wrong answer: a change committed between a Bind and its Execute, an
 * identity changed through set_config() in the middle of a statement.
 *
 * Memory: planner frames live on the C stack and their lists in the
 * planner's context; nothing here outlives a statement except the marker
 * OID and counters.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/paths.h"
#include "optimizer/planner.h"
#include "parser/analyze.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/sinval.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "bsperm.h"
#include "pg_audit.h"
#include "pg_rls.h"

#define TOKEN_PREFIX "bsperm decision "

uint64		bsperm_rls_statement = 0;
uint64		bsperm_rls_generation = 0;

typedef struct PlanFrame
{
	bool		runtime_only;	/* a plan the plan cache does not manage */
	List	   *tokens;			/* char *, distinct: decisions folded */
	List	   *filters;		/* Jsonb *: policy filters folded */
	struct PlanFrame *prev;
} PlanFrame;

static PlanFrame *frame = NULL;

static planner_hook_type prev_planner = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;
static ExecutorEnd_hook_type prev_executor_end = NULL;
static ProcessUtility_hook_type prev_utility = NULL;
static post_parse_analyze_hook_type prev_post_parse = NULL;
static set_rel_pathlist_hook_type prev_rel_pathlist = NULL;

static Oid	marker_oid = InvalidOid;
static bool local_inval_running = false;
static bool policy_inval_in_xact = false;
static bool policy_written_in_xact = false;
static Oid	last_session_user = InvalidOid;

/*
 * The decisions folded into this backend's valid plans, exactly (outcome
 * and the filter's bytes), while plans_epoch has not moved: every event
 * that invalidates the plans that fold a decision moves it.  All those
 * plans were made for one set of decisions: an identity change whose
 * decisions differ invalidates them all.
 */
typedef struct Folded
{
	char	   *permission;
	RlsOutcome	outcome;
	Jsonb	   *filter;			/* RLS_FILTER */
} Folded;

static List *folded = NIL;		/* Folded *, in TopMemoryContext */
static uint64 folded_epoch = 0;
static uint64 plans_epoch = 1;
static bool folded_conflict = false;

/* ---- the marker ---- */

/* Looks the marker up (catalog access: only inside a transaction). */
Oid
bsperm_policy_marker(void)
{
	if (OidIsValid(marker_oid))
	{
		/* the extension may have been dropped and created again */
		char	   *name = get_rel_name(marker_oid);

		if (name == NULL || strcmp(name, "policy_epoch") != 0 ||
			get_rel_namespace(marker_oid) != get_namespace_oid("bsperm", true))
			marker_oid = InvalidOid;
	}
	if (!OidIsValid(marker_oid))
	{
		Oid			nsp = get_namespace_oid("bsperm", true);

		if (OidIsValid(nsp))
			marker_oid = get_relname_relid("policy_epoch", nsp);
	}
	return marker_oid;
}

/*
 * Invalidates, in this backend only, the plans that folded a decision (and
 * the marker's relcache entry, which holds nothing).  Safe outside catalog
 * access: only the relcache and plan cache callbacks run.
 */
static void
local_invalidate(void)
{
	SharedInvalidationMessage msg;

	bsperm_rls_generation++;
	plans_epoch++;
	if (!OidIsValid(marker_oid))
	{
		/* no plan can depend on a marker never looked up; be safe anyway */
		ResetPlanCache();
		return;
	}
	memset(&msg, 0, sizeof(msg));
	msg.rc.id = SHAREDINVALRELCACHE_ID;
	msg.rc.dbId = MyDatabaseId;
	msg.rc.relId = marker_oid;
	local_inval_running = true;
	PG_TRY();
	{
		LocalExecuteInvalidationMessage(&msg);
	}
	PG_FINALLY();
	{
		local_inval_running = false;
	}
	PG_END_TRY();
}

/* Relcache callback: no catalog access here. */
static void
marker_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == marker_oid || !OidIsValid(marker_oid))
	{
		bsperm_rls_generation++;
		plans_epoch++;
		if (!local_inval_running && (relid == InvalidOid || relid == marker_oid))
			policy_inval_in_xact = true;
	}
}

void
bsperm_rls_setting_changed(void)
{
	bsperm_rls_generation++;
	plans_epoch++;
	ResetPlanCache();
}

/* An identity change in this backend (pg_identity.c, bsperm_set_user). */
void
bsperm_identity_changed(void)
{
	local_invalidate();
}

static void
folded_reset(void)
{
	ListCell   *lc;

	foreach(lc, folded)
	{
		Folded	   *f = (Folded *) lfirst(lc);

		pfree(f->permission);
		if (f->filter)
			pfree(f->filter);
		pfree(f);
	}
	list_free(folded);
	folded = NIL;
	folded_conflict = false;
	folded_epoch = plans_epoch;
}

/* Records a decision folded into a plan being made. */
static void
folded_add(const char *permission, const RlsDecision *d)
{
	ListCell   *lc;
	MemoryContext old;
	Folded	   *f;

	if (folded_epoch != plans_epoch)
		folded_reset();
	foreach(lc, folded)
	{
		f = (Folded *) lfirst(lc);
		if (strcmp(f->permission, permission) == 0)
		{
			if (f->outcome != d->outcome ||
				(d->outcome == RLS_FILTER &&
				 (f->filter == NULL || d->filter == NULL || VARSIZE(f->filter) != VARSIZE(d->filter) ||
				  memcmp(f->filter, d->filter, VARSIZE(f->filter)) != 0)))
				folded_conflict = true;
			return;
		}
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	f = palloc0(sizeof(Folded));
	f->permission = pstrdup(permission);
	f->outcome = d->outcome;
	if (d->outcome == RLS_FILTER && d->filter != NULL)
	{
		f->filter = palloc(VARSIZE(d->filter));
		memcpy(f->filter, d->filter, VARSIZE(d->filter));
	}
	folded = lappend(folded, f);
	MemoryContextSwitchTo(old);
}

/* Does the current identity decide every folded permission exactly as folded? */
static bool
folded_still_decided(void)
{
	ListCell   *lc;

	foreach(lc, folded)
	{
		Folded	   *f = (Folded *) lfirst(lc);
		RlsDecision d;

		bsperm_rls_decide(f->permission, f->outcome == RLS_FILTER, &d);
		if (d.outcome != f->outcome)
			return false;
		if (d.outcome == RLS_FILTER &&
			(f->filter == NULL || d.filter == NULL || VARSIZE(f->filter) != VARSIZE(d.filter) ||
			 memcmp(f->filter, d.filter, VARSIZE(f->filter)) != 0))
			return false;
	}
	return true;
}

/*
 * bsperm_set_user: plans made for the decisions the new identity makes
 * too are kept (users with equal decisions share them); otherwise they
 * are invalidated like at any identity change.  The new identity's
 * decisions are made in a subtransaction, so that one that fails (it
 * would fail the same way when planned or run) only invalidates.
 */
void
bsperm_identity_set(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	bool		same = false;

	bsperm_rls_generation++;	/* unfolded checks decide again */
	if (folded_epoch != plans_epoch || folded == NIL)
		return;					/* no valid plan folds a decision */
	if (folded_conflict || !IsTransactionState())
	{
		local_invalidate();
		return;
	}
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		same = folded_still_decided();
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		same = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	if (!same)
		local_invalidate();
}

/* A change of session user (SET SESSION AUTHORIZATION) changes the mapped identity. */
static void
identity_probe(void)
{
	Oid			su = GetSessionUserId();

	if (su != last_session_user)
	{
		bool		first = !OidIsValid(last_session_user);

		last_session_user = su;
		if (!first)
			local_invalidate();
	}
}

/* ---- planning ---- */

bool
bsperm_rls_planning(void)
{
	return frame != NULL && OidIsValid(bsperm_policy_marker());
}

bool
bsperm_rls_planning_runtime_only(void)
{
	return frame != NULL && frame->runtime_only;
}

void
bsperm_rls_plan_depends(const char *permission, const RlsDecision *d)
{
	char	   *token = bsperm_rls_token(permission, d);
	ListCell   *lc;

	Assert(frame != NULL);
	if (!frame->runtime_only)
		folded_add(permission, d);
	if (d->outcome == RLS_FILTER && d->filter != NULL)
		frame->filters = lappend(frame->filters, d->filter);
	foreach(lc, frame->tokens)
	{
		if (strcmp((char *) lfirst(lc), token) == 0)
			return;
	}
	frame->tokens = lappend(frame->tokens, token);
}

bool
bsperm_rls_is_policy_filter(Jsonb *filter)
{
	ListCell   *lc;

	if (frame == NULL)
		return false;
	foreach(lc, frame->filters)
	{
		Jsonb	   *f = (Jsonb *) lfirst(lc);

		if (VARSIZE(f) == VARSIZE(filter) && memcmp(f, filter, VARSIZE(f)) == 0)
			return true;
	}
	return false;
}

/* Adds the marker entries that make the plan depend on its decisions. */
static void
attach_tokens(PlannedStmt *stmt, List *tokens)
{
	ListCell   *lc;
	Oid			marker = bsperm_policy_marker();

	if (!OidIsValid(marker))
		elog(ERROR, "bsperm.policy_epoch is missing");
	foreach(lc, tokens)
	{
		RangeTblEntry *rte = makeNode(RangeTblEntry);
		char	   *name = psprintf("%s%s", TOKEN_PREFIX, (char *) lfirst(lc));

		rte->rtekind = RTE_RELATION;
		rte->relid = marker;
		rte->relkind = RELKIND_RELATION;
		rte->rellockmode = RowExclusiveLock;
		rte->requiredPerms = 0;
		rte->inh = false;
		rte->inFromCl = false;
		rte->alias = makeAlias(name, NIL);
		rte->eref = makeAlias(name, NIL);
		stmt->rtable = lappend(stmt->rtable, rte);
	}
	stmt->relationOids = lappend_oid(stmt->relationOids, marker);
}

static PlannedStmt *
rls_planner(Query *parse, const char *query_string, int cursorOptions,
			ParamListInfo boundParams)
{
	PlanFrame	f;
	PlannedStmt *result;

	/*
	 * An SQL function (functions.c) plans its statements in its own memory
	 * context and reuses them for the rest of the transaction without the
	 * plan cache: nothing would re-plan them after a change, so their
	 * decisions are evaluated when they run instead of folded.
	 */
	f.runtime_only = (strcmp(CurrentMemoryContext->name, "SQL function") == 0);
	f.tokens = NIL;
	f.filters = NIL;
	f.prev = frame;
	frame = &f;
	PG_TRY();
	{
		if (prev_planner)
			result = prev_planner(parse, query_string, cursorOptions, boundParams);
		else
			result = standard_planner(parse, query_string, cursorOptions, boundParams);
	}
	PG_FINALLY();
	{
		frame = f.prev;
	}
	PG_END_TRY();
	if (f.tokens != NIL)
		attach_tokens(result, f.tokens);
	return result;
}

/*
 * A DENY folds to a constant false condition.  PostgreSQL proves a table
 * empty from it only when it is the table's only condition; with another
 * one (a keyset position) it would scan and filter everything.  A base
 * table with a constant false or NULL condition reads nothing, whatever
 * else its conditions say.
 */
static void
rls_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte)
{
	ListCell   *lc;

	if (prev_rel_pathlist)
		prev_rel_pathlist(root, rel, rti, rte);
	if (frame == NULL || rel->reloptkind != RELOPT_BASEREL || IS_DUMMY_REL(rel))
		return;
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);

		if (IsA(ri->clause, Const) && ((Const *) ri->clause)->consttype == BOOLOID &&
			(((Const *) ri->clause)->constisnull || !DatumGetBool(((Const *) ri->clause)->constvalue)))
		{
			mark_dummy_rel(rel);
			return;
		}
	}
}

/* ---- execution ---- */

/* The permission a token names ("<outcome>:<fingerprint>:<permission>"). */
static const char *
token_permission(const char *token)
{
	const char *p = strchr(token, ':');

	if (p)
		p = strchr(p + 1, ':');
	if (p == NULL)
		elog(ERROR, "malformed bsperm plan token \"%s\"", token);
	return p + 1;
}

/*
 * Releases the marker lock the plan cache took to validate a plan, so that
 * its next reuse locks (and processes invalidations) anew.  The plan cache
 * took it under whatever resource owner was current then (a portal's, the
 * transaction's, an SPI caller's), so every owner's count is released under
 * that owner; a session lock (none is ever taken) would be left alone.
 */
static void
release_marker_lock(Oid relid)
{
	LOCKTAG		tag;
	LOCALLOCK  *ll;
	ResourceOwner owners[16];
	int64		counts[16];
	int			n = 0;
	ResourceOwner save = CurrentResourceOwner;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	if (!LockHeldByMe(&tag, RowExclusiveLock))
		return;
	/* find the local lock: one more count, under the current owner */
	(void) LockAcquireExtended(&tag, RowExclusiveLock, false, false, false, &ll);
	for (int i = 0; i < ll->numLockOwners && n < lengthof(owners); i++)
	{
		if (ll->lockOwners[i].owner == NULL)
			continue;
		owners[n] = ll->lockOwners[i].owner;
		counts[n] = ll->lockOwners[i].nLocks;
		n++;
	}
	PG_TRY();
	{
		for (int i = 0; i < n; i++)
		{
			CurrentResourceOwner = owners[i];
			for (int64 k = 0; k < counts[i]; k++)
				LockRelease(&tag, RowExclusiveLock, false);
		}
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save;
	}
	PG_END_TRY();
}

static void
check_plan(PlannedStmt *stmt, int eflags)
{
	ListCell   *lc;
	bool		released = false;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = (RangeTblEntry *) lfirst(lc);
		const char *token;
		const char *permission;
		RlsDecision d;

		if (rte->rtekind != RTE_RELATION || rte->eref == NULL ||
			strncmp(rte->eref->aliasname, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
			continue;
		if (!released)
		{
			release_marker_lock(rte->relid);
			released = true;
		}
		if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
			continue;
		token = rte->eref->aliasname + strlen(TOKEN_PREFIX);
		permission = token_permission(token);
		bsperm_rls_decide(permission, false, &d);
		if (strcmp(bsperm_rls_token(permission, &d), token) != 0)
		{
			local_invalidate();
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("decision for permission \"%s\" changed after the statement was planned",
							permission),
					 errdetail("A policy, membership, setting or identity change became visible between planning and execution."),
					 errhint("Run the statement again; it will be planned with the new decision.")));
		}
		/* the audit log: a folded decision once per execution (pg_audit.c) */
		bsperm_audit_note_current(permission, d.outcome == RLS_ALLOW ? BSP_ALLOW :
								  d.outcome == RLS_FILTER ? BSP_CONDITIONAL : BSP_DENY, "rls");
	}
}

static void
rls_executor_start(QueryDesc *queryDesc, int eflags)
{
	bsperm_rls_statement++;
	if (!IsParallelWorker())
		check_plan(queryDesc->plannedstmt, eflags);
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
rls_executor_end(QueryDesc *queryDesc)
{
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (!IsParallelWorker())
		identity_probe();
}

static void
rls_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			ProcessUtilityContext context, ParamListInfo params,
			QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	bsperm_rls_statement++;
	if (prev_utility)
		prev_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
	bsperm_rls_statement++;
	identity_probe();
}

/*
 * Before every statement that is parsed: take pending invalidations (a
 * transaction that already holds its locks would not) and notice a change
 * of session user.
 */
static void
rls_post_parse(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse)
		prev_post_parse(pstate, query, jstate);
	AcceptInvalidationMessages();
	identity_probe();
}

static void
rls_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			if (policy_written_in_xact && OidIsValid(marker_oid))
			{
				LOCKTAG		tag;

				/* held until the invalidation is sent (see the file header) */
				SET_LOCKTAG_RELATION(tag, MyDatabaseId, marker_oid);
				(void) LockAcquire(&tag, ShareLock, false, false);
			}
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			policy_written_in_xact = false;
			if (policy_inval_in_xact)
			{
				policy_inval_in_xact = false;
				local_invalidate();
			}
			break;
		default:
			break;
	}
}

/*
 * Trigger on every table whose rows decide access: queues the marker's
 * invalidation (sent when the transaction commits; seen by this backend
 * at its next command).  Row-level where any role may write the table, so
 * a statement that changes nothing invalidates nothing.
 */
PG_FUNCTION_INFO_V1(bsperm_policy_changed);
Datum
bsperm_policy_changed(PG_FUNCTION_ARGS)
{
	Oid			marker;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("bsperm_policy_changed() must be called as a trigger")));
	marker = bsperm_policy_marker();
	if (!OidIsValid(marker))
		elog(ERROR, "bsperm.policy_epoch is missing");
	policy_written_in_xact = true;
	CacheInvalidateRelcacheByRelid(marker);
	return PointerGetDatum(NULL);
}

void
bsperm_rls_init(void)
{
	CacheRegisterRelcacheCallback(marker_callback, (Datum) 0);
	RegisterXactCallback(rls_xact_callback, NULL);
	prev_planner = planner_hook;
	planner_hook = rls_planner;
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = rls_executor_start;
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = rls_executor_end;
	prev_utility = ProcessUtility_hook;
	ProcessUtility_hook = rls_utility;
	prev_rel_pathlist = set_rel_pathlist_hook;
	set_rel_pathlist_hook = rls_rel_pathlist;
	prev_post_parse = post_parse_analyze_hook;
	post_parse_analyze_hook = rls_post_parse;
}
