/*-------------------------------------------------------------------------
 * pg_rls.c
 *	  Row-level security: decisions folded into plans, and keeping those
 *	  plans honest.
 *
 * A protected table carries ordinary policies such as
 *
 *	 USING (entity OPERATOR(bsperm.@~) bsperm.bsperm_rls_filter('catalog.entity.read'))
 *
 * bsperm_rls_filter() returns the EntityFilter of the current identity's
 * decision: {"allOf": []} for ALLOW, {"anyOf": []} for DENY, the
 * conditions' filter for CONDITIONAL.  Evaluated per row, that would cost
 * a decision per row and hide the filter from the index.  Instead both
 * functions have planner support (SupportRequestSimplify):
 *
 *	 - bsperm_rls_filter('<const>') is folded to the Const filter while the
 *	   query is planned, so a CONDITIONAL decision becomes an ordinary index
 *	   condition on the GIN operator class;
 *	 - entity @~ '<filter without leaves>' is folded to true or false, so an
 *	   ALLOW costs nothing per row and a DENY becomes a one-time "false"
 *	   filter that never scans the table.
 *
 * A folded plan is only valid for the identity and the policy it was made
 * with.  Every change of either calls ResetPlanCache(), which makes every
 * cached plan of this backend (prepared statements, PL/pgSQL) replan on
 * next use:
 *	 - identity changes in this backend call bsperm_identity_changed();
 *	 - a committed change of policy data anywhere fires the trigger
 *	   bsperm_policy_changed(), which queues a relcache invalidation of the
 *	   marker table bsperm.policy_epoch; every backend receives it when the
 *	   change commits (its own backend at the next command) and the relcache
 *	   callback below resets its plans and bumps bsperm_policy_epoch, which
 *	   decision caches compare against.
 * One-shot statements are planned afresh anyway.
 *
 * A backend processes other sessions' invalidations when it takes a lock
 * it does not hold yet, so inside a transaction that has already read a
 * protected table a committed policy change could go unnoticed.  A
 * post-parse-analysis hook therefore accepts pending invalidations before
 * every statement (cheap when there are none).  A statement executed
 * through the extended protocol's Bind/Execute without a new Parse, in a
 * transaction that already holds its locks, sees the change from its next
 * transaction on (doc/rls.md).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "parser/analyze.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/syscache.h"

#include "bsperm.h"
#include "bsp_doc.h"

uint64		bsperm_policy_epoch = 1;
static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;
static Oid	policy_marker_oid = InvalidOid;
static bool callback_registered = false;

/*
 * Relcache invalidation callback (no catalog access allowed here).  While
 * the marker's OID is unknown (never looked up, or the extension may have
 * been re-created) every invalidation counts, so none can be missed; the
 * OID is looked up again at the next fold.
 */
static void
policy_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || !OidIsValid(policy_marker_oid) || relid == policy_marker_oid)
	{
		bsperm_policy_epoch++;
		ResetPlanCache();
		if (relid != InvalidOid)
			policy_marker_oid = InvalidOid;
	}
}

/* Remembers the marker table's OID; call outside invalidation callbacks. */
static void
ensure_policy_callback(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(policy_relcache_callback, (Datum) 0);
		callback_registered = true;
	}
	if (!OidIsValid(policy_marker_oid))
	{
		Oid			nsp = get_namespace_oid("bsperm", true);

		if (OidIsValid(nsp))
			policy_marker_oid = get_relname_relid("policy_epoch", nsp);
	}
}

static void
rls_post_parse_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(pstate, query, jstate);
	if (callback_registered)
		AcceptInvalidationMessages();
}

void
bsperm_rls_init(void)
{
	prev_post_parse_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = rls_post_parse_analyze;
}

void
bsperm_identity_changed(void)
{
	ResetPlanCache();
}

/*
 * Trigger on every table whose rows decide access (policies, roles,
 * members, permissions, protected tables...): a statement-level AFTER
 * trigger.  Queues the invalidation; nothing happens unless the
 * transaction commits (or, in this backend, at the next command).
 */
PG_FUNCTION_INFO_V1(bsperm_policy_changed);
Datum
bsperm_policy_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("bsperm_policy_changed() must be called as a trigger")));
	ensure_policy_callback();
	if (!OidIsValid(policy_marker_oid))
		elog(ERROR, "bsperm.policy_epoch is missing");
	CacheInvalidateRelcacheByRelid(policy_marker_oid);
	return PointerGetDatum(NULL);
}

/* ---- bsperm_rls_filter ---- */

/* Looked up at every call (once per statement), so a re-created extension is found. */
static Oid
decision_function_oid(void)
{
	Oid			argtypes[1] = {TEXTOID};
	List	   *name = list_make2(makeString("bsperm"),
								  makeString("bsperm_authorize_conditional"));

	return LookupFuncName(name, 1, argtypes, false);
}

/*
 * The EntityFilter that row-level security applies for permission, for
 * the current identity.  Any decision that is not well-formed is an ERROR
 * (fail closed: the statement does not run).
 */
static Jsonb *
rls_filter_for(text *permission)
{
	Jsonb	   *decision;
	JsonbValue	v;
	JsonbValue *res;
	char	   *result;

	ensure_policy_callback();
	decision = DatumGetJsonbP(OidFunctionCall1(decision_function_oid(),
											   PointerGetDatum(permission)));
	res = getKeyJsonValueFromContainer(&decision->root, "result", 6, &v);
	if (res == NULL || res->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("policy decision for \"%s\" has no result", text_to_cstring(permission))));
	result = pnstrdup(res->val.string.val, res->val.string.len);
	if (strcmp(result, "ALLOW") == 0)
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"allOf\": []}")));
	if (strcmp(result, "DENY") == 0)
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"anyOf\": []}")));
	if (strcmp(result, "CONDITIONAL") == 0)
	{
		JsonbValue	cv;
		Jsonb	   *conditions;
		bsp_arena	arena;
		bsp_sbuf	out;
		bsp_filter *f;

		if (getKeyJsonValueFromContainer(&decision->root, "conditions", 10, &cv) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("conditional decision for \"%s\" has no conditions",
							text_to_cstring(permission))));
		conditions = JsonbValueToJsonb(&cv);
		bsperm_arena_init(&arena, CurrentMemoryContext);
		f = bsperm_compile(conditions, BSPERM_DOC_CRITERIA, &arena, NULL);
		bsp_sbuf_init(&out, &arena);
		bsp_filter_to_json(&out, f->root);
		if (out.failed)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("unrecognized policy decision result \"%s\"", result)));
	return NULL;				/* keep compiler quiet */
}

PG_FUNCTION_INFO_V1(bsperm_rls_filter);
Datum
bsperm_rls_filter(PG_FUNCTION_ARGS)
{
	PG_RETURN_JSONB_P(rls_filter_for(PG_GETARG_TEXT_PP(0)));
}

/* Folds bsperm_rls_filter('<const>') into the plan (see the file header). */
PG_FUNCTION_INFO_V1(bsperm_rls_filter_support);
Datum
bsperm_rls_filter_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	Const	   *arg;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	if (list_length(req->fcall->args) != 1 || !IsA(linitial(req->fcall->args), Const))
		PG_RETURN_POINTER(NULL);
	arg = (Const *) linitial(req->fcall->args);
	if (arg->constisnull)
		PG_RETURN_POINTER(NULL);
	PG_RETURN_POINTER(makeConst(JSONBOID, -1, InvalidOid, -1,
								JsonbPGetDatum(rls_filter_for(DatumGetTextPP(arg->constvalue))),
								false, false));
}

/*
 * Folds entity @~ '<filter with no leaves>' ({"allOf": []}, {"anyOf": []},
 * and/or/not of those), which does not depend on the entity: false stays
 * false; true becomes true for a NOT NULL column and "entity IS NOT NULL"
 * otherwise (the operator is strict, and NULL entities match nothing).
 */
static bool
column_not_null(Oid relid, AttrNumber attnum)
{
	HeapTuple	tp = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
	bool		result = false;

	if (HeapTupleIsValid(tp))
	{
		result = ((Form_pg_attribute) GETSTRUCT(tp))->attnotnull;
		ReleaseSysCache(tp);
	}
	return result;
}

PG_FUNCTION_INFO_V1(bsperm_filter_matches_support);
Datum
bsperm_filter_matches_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	Const	   *arg;
	bsp_arena	arena;
	bsp_filter *f;
	Jsonb	   *doc;
	NullTest   *nt;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	if (list_length(req->fcall->args) != 2 || !IsA(lsecond(req->fcall->args), Const))
		PG_RETURN_POINTER(NULL);
	arg = (Const *) lsecond(req->fcall->args);
	if (arg->constisnull)
		PG_RETURN_POINTER(NULL);
	doc = DatumGetJsonbP(arg->constvalue);
	bsperm_arena_init(&arena, CurrentMemoryContext);
	f = bsperm_compile(doc, BSPERM_DOC_FILTER, &arena, NULL);
	if (f->nleaves > 0)
		PG_RETURN_POINTER(NULL);
	if (!bsp_filter_true_on_empty(f))
		PG_RETURN_POINTER(makeBoolConst(false, false));
	if (IsA(linitial(req->fcall->args), Var) && req->root != NULL)
	{
		Var		   *var = (Var *) linitial(req->fcall->args);

		if (var->varlevelsup == 0 && var->varattno > 0 &&
			var->varno > 0 && var->varno <= list_length(req->root->parse->rtable))
		{
			RangeTblEntry *rte = rt_fetch(var->varno, req->root->parse->rtable);

			if (rte->rtekind == RTE_RELATION && column_not_null(rte->relid, var->varattno))
				PG_RETURN_POINTER(makeBoolConst(true, false));
		}
	}
	nt = makeNode(NullTest);
	nt->arg = (Expr *) linitial(req->fcall->args);
	nt->nulltesttype = IS_NOT_NULL;
	nt->argisrow = false;
	nt->location = -1;
	PG_RETURN_POINTER(nt);
}
