/*-------------------------------------------------------------------------
 * pg_rls.c
 *	  Row-level security: the decision a policy applies, folded into plans.
 *
 * A protected table carries RESTRICTIVE policies such as
 *
 *	 USING (public.bsperm_rls_check(entity, 'catalog.entity.read'))
 *
 * bsperm_rls_check() is true when the current identity's decision for the
 * permission lets the row through.  Evaluated per row it would cost a
 * decision lookup per row and hide the filter from the index, so while a
 * query is planned its support function replaces the call with the
 * decision itself:
 *
 *	 - ALLOW becomes true (nothing per row; "entity IS NOT NULL" when the
 *	   column may be NULL),
 *	 - DENY becomes false (a one-time filter: the table is never scanned),
 *	 - CONDITIONAL becomes "entity @~ '<filter>'", an index condition of
 *	   the GIN operator class.
 *
 * Only the planner hook's plans fold (pg_rls_plans.c makes them depend on
 * the decision and checks it again when they start); anywhere else (a
 * domain's CHECK, an expression planned outside a query) the call is
 * evaluated, one decision per statement.
 *
 * bsperm_rls_filter() returns the same decision as an EntityFilter, for
 * people and for queries that want it as a value; it is never folded.
 *
 * The estimator of @~ (bsperm_filter_sel) never evaluates a user's filter
 * on sampled rows of a table whose row security applies to the user: the
 * samples include rows the user may not see.  A policy's own filter is
 * estimated from all statistics: that estimate describes what the user
 * may see.
 *
 * Memory: decisions are made in the caller's context; the per-call-site
 * caches live in fn_mcxt and are rebuilt at each statement.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/skey.h"
#include "utils/rel.h"
#include "nodes/tidbitmap.h"
#include "catalog/pg_am.h"
#include "access/relscan.h"
#include "access/genam.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/selfuncs.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "bsperm.h"
#include "pg_policy_int.h"
#include "bsp_doc.h"
#include "pg_policy.h"
#include "pg_audit.h"
#include "pg_rls.h"

#define CATALOG_PLUGIN "catalog"
#define CATALOG_RESOURCE "catalog-entity"

/* the @~ function (pg_functions.c), called directly for unfolded checks */
extern Datum bsperm_filter_matches(PG_FUNCTION_ARGS);

/* ---- decisions ---- */

static Jsonb *
jsonb_from_cstring(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

/*
 * Pushes a compiled filter node as a jsonb object; children are pushed as
 * nested containers.  Returns what the outermost END_OBJECT returns: the
 * finished root when n is the root.
 */
static JsonbValue *
push_fnode(JsonbParseState **st, const bsp_fnode *n)
{
	JsonbValue	k,
				v;

	check_stack_depth();
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	k.type = jbvString;
	switch (n->kind)
	{
		case BSP_F_LEAF:
			k.val.string.val = "key";
			k.val.string.len = 3;
			pushJsonbValue(st, WJB_KEY, &k);
			v.type = jbvString;
			v.val.string.val = (char *) n->key.s;
			v.val.string.len = n->key.len;
			pushJsonbValue(st, WJB_VALUE, &v);
			if (n->has_values)
			{
				k.val.string.val = "values";
				k.val.string.len = 6;
				pushJsonbValue(st, WJB_KEY, &k);
				pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
				for (int i = 0; i < n->nvalues; i++)
				{
					v.val.string.val = (char *) n->values[i].s;
					v.val.string.len = n->values[i].len;
					pushJsonbValue(st, WJB_ELEM, &v);
				}
				pushJsonbValue(st, WJB_END_ARRAY, NULL);
			}
			break;
		case BSP_F_NOT:
			k.val.string.val = "not";
			k.val.string.len = 3;
			pushJsonbValue(st, WJB_KEY, &k);
			push_fnode(st, n->children[0]);
			break;
		case BSP_F_ALL:
		case BSP_F_ANY:
			k.val.string.val = n->kind == BSP_F_ALL ? "allOf" : "anyOf";
			k.val.string.len = 5;
			pushJsonbValue(st, WJB_KEY, &k);
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			for (int i = 0; i < n->nchildren; i++)
				push_fnode(st, n->children[i]);
			pushJsonbValue(st, WJB_END_ARRAY, NULL);
			break;
	}
	return pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* The EntityFilter of a compiled filter, built as jsonb (no text form). */
static Jsonb *
filter_jsonb(const bsp_filter *f)
{
	JsonbParseState *st = NULL;

	return JsonbValueToJsonb(push_fnode(&st, f->root));
}

void
bsperm_rls_decide(const char *permission, bool want_filter, RlsDecision *out)
{
	BspUser    *user = bsperm_policy_user();
	BspPermission perm;
	BspDecision d;

	memset(out, 0, sizeof(*out));
	if (!bsperm_lookup_permission(permission, &perm))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("permission \"%s\" does not exist", permission),
				 errhint("Row-level security needs a permission registered in bsperm.permissions.")));
	bsperm_decide(user, &perm, &d);
	switch (d.result)
	{
		case BSP_ALLOW:
			out->outcome = RLS_ALLOW;
			return;
		case BSP_DENY:
			out->outcome = RLS_DENY;
			return;
		case BSP_CONDITIONAL:
			break;
	}
	if (d.plugin_id == NULL || d.resource_type == NULL || d.conditions == NULL ||
		strcmp(d.plugin_id, CATALOG_PLUGIN) != 0 || strcmp(d.resource_type, CATALOG_RESOURCE) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("conditional decision for permission \"%s\" cannot filter catalog entities",
						permission),
				 errdetail("The conditions are for plugin \"%s\" and resource type \"%s\".",
						   d.plugin_id ? d.plugin_id : "", d.resource_type ? d.resource_type : "")));
	out->outcome = RLS_FILTER;
	out->fingerprint = hash_bytes((const unsigned char *) d.conditions, VARSIZE(d.conditions));
	if (want_filter)
	{
		/* the conditions compiled once per decision, memoized with it */
		const bsp_filter *f = bsperm_decision_filter(&d)->filter;

		if (f->nleaves == 0)
		{
			/* criteria that test nothing (they cannot today; be exact anyway) */
			out->outcome = bsp_filter_true_on_empty(f) ? RLS_ALLOW : RLS_DENY;
			return;
		}
		out->filter = filter_jsonb(f);
		{
			bsp_limits	limits;

			/* the scan finds it compiled (pg_filter_cache.c) */
			bsperm_current_limits(&limits);
			bsperm_filter_cache_put(out->filter, &limits, f);
		}
	}
}

char *
bsperm_rls_token(const char *permission, const RlsDecision *d)
{
	return psprintf("%c:%08x:%s", (char) d->outcome,
					d->outcome == RLS_FILTER ? d->fingerprint : 0, permission);
}

/*
 * The decision of a call site, made once per statement (and again after
 * an identity or policy invalidation, or a change of user).
 */
typedef struct SiteCache
{
	uint64		statement;
	uint64		generation;
	Oid			user;
	char	   *permission;
	RlsOutcome	outcome;
	Jsonb	   *filter;			/* RLS_FILTER */
	FmgrInfo	matches;		/* bsperm_filter_matches, with its own cache */
} SiteCache;

static SiteCache *
site_decision(FunctionCallInfo fcinfo, text *permission)
{
	SiteCache  *c = (SiteCache *) fcinfo->flinfo->fn_extra;
	char	   *perm;
	RlsDecision d;
	MemoryContext old;

	/* per row: compare, do not copy */
	if (c && c->statement == bsperm_rls_statement && c->generation == bsperm_rls_generation &&
		c->user == GetUserId() && c->permission != NULL &&
		strlen(c->permission) == VARSIZE_ANY_EXHDR(permission) &&
		memcmp(c->permission, VARDATA_ANY(permission), VARSIZE_ANY_EXHDR(permission)) == 0)
		return c;
	perm = text_to_cstring(permission);
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SiteCache));
		c->matches.fn_addr = bsperm_filter_matches;
		c->matches.fn_oid = InvalidOid;
		c->matches.fn_nargs = 2;
		c->matches.fn_strict = true;
		c->matches.fn_mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = c;
	}
	if (c->permission)
		pfree(c->permission);
	if (c->filter)
		pfree(c->filter);
	c->permission = NULL;
	c->filter = NULL;
	bsperm_rls_decide(perm, true, &d);
	/* the audit log: once per call site and statement, not per row (pg_audit.c) */
	bsperm_audit_note_current(perm, d.outcome == RLS_ALLOW ? BSP_ALLOW :
							  d.outcome == RLS_FILTER ? BSP_CONDITIONAL : BSP_DENY, "rls unfolded");
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c->permission = pstrdup(perm);
	if (d.outcome == RLS_FILTER)
	{
		c->filter = palloc(VARSIZE(d.filter));
		memcpy(c->filter, d.filter, VARSIZE(d.filter));
	}
	MemoryContextSwitchTo(old);
	c->outcome = d.outcome;
	c->statement = bsperm_rls_statement;
	c->generation = bsperm_rls_generation;
	c->user = GetUserId();
	return c;
}

/* ---- bsperm_rls_filter(permission) ---- */

PG_FUNCTION_INFO_V1(bsperm_rls_filter);
Datum
bsperm_rls_filter(PG_FUNCTION_ARGS)
{
	SiteCache  *c = site_decision(fcinfo, PG_GETARG_TEXT_PP(0));

	switch (c->outcome)
	{
		case RLS_ALLOW:
			PG_RETURN_JSONB_P(jsonb_from_cstring("{\"allOf\": []}"));
		case RLS_DENY:
			PG_RETURN_JSONB_P(jsonb_from_cstring("{\"anyOf\": []}"));
		case RLS_FILTER:
			break;
	}
	PG_RETURN_DATUM(datumCopy(JsonbPGetDatum(c->filter), false, -1));
}

/* ---- bsperm_rls_check(entity, permission) ---- */

PG_FUNCTION_INFO_V1(bsperm_rls_check);
Datum
bsperm_rls_check(PG_FUNCTION_ARGS)
{
	SiteCache  *c = site_decision(fcinfo, PG_GETARG_TEXT_PP(1));

	switch (c->outcome)
	{
		case RLS_ALLOW:
			PG_RETURN_BOOL(true);
		case RLS_DENY:
			PG_RETURN_BOOL(false);
		case RLS_FILTER:
			break;
	}
	return FunctionCall2Coll(&c->matches, InvalidOid, PG_GETARG_DATUM(0),
							 JsonbPGetDatum(c->filter));
}

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

/* Is expr a column of a base relation of this query declared NOT NULL? */
static bool
expr_not_null(PlannerInfo *root, Node *expr)
{
	Var		   *var;
	RangeTblEntry *rte;

	if (!IsA(expr, Var))
		return false;
	var = (Var *) expr;
	if (var->varlevelsup != 0 || var->varattno <= 0 ||
		var->varno <= 0 || var->varno > list_length(root->parse->rtable))
		return false;
	rte = rt_fetch(var->varno, root->parse->rtable);
	return rte->rtekind == RTE_RELATION && column_not_null(rte->relid, var->varattno);
}

static Node *
allow_node(PlannerInfo *root, Node *entity)
{
	NullTest   *nt;

	if (expr_not_null(root, entity))
		return (Node *) makeBoolConst(true, false);
	nt = makeNode(NullTest);
	nt->arg = (Expr *) entity;
	nt->nulltesttype = IS_NOT_NULL;
	nt->argisrow = false;
	nt->location = -1;
	return (Node *) nt;
}

/* entity @~ rhs, with bsperm's operator */
static Node *
matches_node(Node *entity, Expr *rhs)
{
	Oid			opno = OpernameGetOprid(list_make2(makeString(bsperm_extschema_name()),
													makeString("@~")),
										JSONBOID, JSONBOID);
	OpExpr	   *op;

	if (!OidIsValid(opno))
		elog(ERROR, "operator @~(jsonb, jsonb) of extension bsperm does not exist");
	op = (OpExpr *) make_opclause(opno, BOOLOID, false, (Expr *) entity, rhs,
								  InvalidOid, InvalidOid);
	op->opfuncid = get_opcode(opno);
	return (Node *) op;
}

/* entity @~ '<filter>': the decision folded in */
static Node *
filter_node(Node *entity, Jsonb *filter)
{
	return matches_node(entity, (Expr *) makeConst(JSONBOID, -1, InvalidOid, -1,
												   JsonbPGetDatum(filter), false, false));
}

/* entity @~ bsperm_rls_filter('<permission>'): the decision made when it runs. */
static Node *
runtime_filter_node(Node *entity, Const *perm)
{
	Oid			argtypes[1] = {TEXTOID};
	Oid			fn = LookupFuncName(list_make2(makeString("bsperm"), makeString("bsperm_rls_filter")),
									1, argtypes, false);

	return matches_node(entity, (Expr *) makeFuncExpr(fn, JSONBOID, list_make1(perm), InvalidOid,
													  InvalidOid, COERCE_EXPLICIT_CALL));
}

/*
 * The decision a plan folds in, and the plan's dependency on it.  Decided in
 * the newest snapshot the transaction may use: a plan is often made under an
 * older one than it runs with (a PL/pgSQL statement is planned before its own
 * snapshot is taken), and the executor-start check compares with the
 * snapshot it runs with.
 */
static void
decide_for_plan(const char *permission, RlsDecision *d)
{
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		bsperm_rls_decide(permission, true, d);
	}
	PG_FINALLY();
	{
		PopActiveSnapshot();
	}
	PG_END_TRY();
	bsperm_rls_plan_depends(permission, d);
}

/* Folds bsperm_rls_check(entity, '<permission>') while a query is planned. */
PG_FUNCTION_INFO_V1(bsperm_rls_check_support);
Datum
bsperm_rls_check_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	Node	   *entity;
	Const	   *perm;
	char	   *permission;
	RlsDecision d;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	if (req->root == NULL || list_length(req->fcall->args) != 2 ||
		!IsA(lsecond(req->fcall->args), Const))
		PG_RETURN_POINTER(NULL);
	perm = (Const *) lsecond(req->fcall->args);
	if (perm->constisnull || !bsperm_rls_planning())
		PG_RETURN_POINTER(NULL);
	entity = (Node *) linitial(req->fcall->args);
	if (bsperm_rls_planning_runtime_only())
		PG_RETURN_POINTER(runtime_filter_node(entity, perm));
	permission = TextDatumGetCString(perm->constvalue);
	decide_for_plan(permission, &d);
	switch (d.outcome)
	{
		case RLS_ALLOW:
			PG_RETURN_POINTER(allow_node(req->root, entity));
		case RLS_DENY:
			PG_RETURN_POINTER(makeBoolConst(false, false));
		case RLS_FILTER:
			break;
	}
	PG_RETURN_POINTER(filter_node(entity, d.filter));
}

/* ---- bsperm_rls_allows(permission) ---- */

/*
 * True when the current identity's decision for the permission is ALLOW.
 * For policies that have no entity column of their own to test (those of
 * bsperm_protect_backstage, which ask a subquery whether the row's entity is
 * visible): "bsperm_rls_allows(p) OR <subquery>" folds, while a query is
 * planned, to true under ALLOW (no subquery, nothing per row) and to the
 * subquery otherwise, with the same plan dependency as bsperm_rls_check.
 */
PG_FUNCTION_INFO_V1(bsperm_rls_allows);
Datum
bsperm_rls_allows(PG_FUNCTION_ARGS)
{
	SiteCache  *c = site_decision(fcinfo, PG_GETARG_TEXT_PP(0));

	PG_RETURN_BOOL(c->outcome == RLS_ALLOW);
}

PG_FUNCTION_INFO_V1(bsperm_rls_allows_support);
Datum
bsperm_rls_allows_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSimplify *req;
	Const	   *perm;
	RlsDecision d;

	if (!IsA(rawreq, SupportRequestSimplify))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSimplify *) rawreq;
	if (req->root == NULL || list_length(req->fcall->args) != 1 ||
		!IsA(linitial(req->fcall->args), Const))
		PG_RETURN_POINTER(NULL);
	perm = (Const *) linitial(req->fcall->args);
	/* plans outside the plan cache evaluate it when they run */
	if (perm->constisnull || !bsperm_rls_planning() || bsperm_rls_planning_runtime_only())
		PG_RETURN_POINTER(NULL);
	decide_for_plan(TextDatumGetCString(perm->constvalue), &d);
	PG_RETURN_POINTER(makeBoolConst(d.outcome == RLS_ALLOW, false));
}

/* ---- selectivity of @~ ---- */

/*
 * May the estimate of a user's filter on this variable look at sampled
 * rows?  Only for a column of a base table whose row security does not
 * apply to the user.
 */
static bool
samples_visible(PlannerInfo *root, VariableStatData *vardata)
{
	RangeTblEntry *rte;

	if (vardata->rel == NULL || vardata->rel->reloptkind != RELOPT_BASEREL ||
		vardata->var == NULL || !IsA(vardata->var, Var))
		return false;
	rte = planner_rt_fetch(vardata->rel->relid, root);
	if (rte->rtekind != RTE_RELATION)
		return false;
	return check_enable_rls(rte->relid, InvalidOid, true) != RLS_ENABLED;
}

/*
 * How many index entries match filter, counted with the bsperm GIN index
 * of the variable's column (a bitmap scan of the index alone, run while
 * planning); -1 when there is no such index.  Used only for filters the
 * sample finds selective, so the scan is short (but every scan also reads
 * the index's pending list, long after a bulk load until VACUUM: the count
 * is remembered with the sample).
 */
/* the smallest sample the joint estimate is worth reading for */
#define SAMPLE_ROWS_MIN 100

static double
index_count(PlannerInfo *root, VariableStatData *vardata, Oid operator, Datum filter)
{
	Var		   *var = (Var *) vardata->var;
	ListCell   *lc;

	if (var == NULL || !IsA(var, Var) || vardata->rel->reloptkind != RELOPT_BASEREL)
		return -1;
	foreach(lc, vardata->rel->indexlist)
	{
		IndexOptInfo *ix = (IndexOptInfo *) lfirst(lc);
		Relation	irel;
		IndexScanDesc scan;
		ScanKeyData key;
		TIDBitmap  *tbm;
		int64		n;

		if (ix->relam != GIN_AM_OID || ix->ncolumns < 1 || ix->indexkeys[0] != var->varattno ||
			ix->indpred != NIL || !op_in_opfamily(operator, ix->opfamily[0]))
			continue;
		irel = index_open(ix->indexoid, AccessShareLock);
		scan = index_beginscan_bitmap(irel, GetActiveSnapshot(), 1);
		ScanKeyEntryInitialize(&key, 0, 1, get_op_opfamily_strategy(operator, ix->opfamily[0]),
							   InvalidOid, InvalidOid, get_opcode(operator), filter);
		index_rescan(scan, &key, 1, NULL, 0);
		tbm = tbm_create(64 * 1024L, NULL);
		n = index_getbitmap(scan, tbm);
		tbm_free(tbm);
		index_endscan(scan);
		index_close(irel, AccessShareLock);
		return (double) n;
	}
	return -1;
}

/* Does the expression hold a parameter or a subplan (unknown while planning)? */
static bool
has_runtime_values(Node *node, void *ctx)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) || IsA(node, SubLink) || IsA(node, SubPlan) ||
		IsA(node, AlternativeSubPlan))
		return true;
	return expression_tree_walker(node, has_runtime_values, ctx);
}

/*
 * The other conditions of the filter's table whose joint selectivity with
 * it the sample may measure: leakproof, stable, of this table alone, known
 * while planning.  NIL unless the filter is the table's only @~ condition
 * and, when row security applies (all_visible false), its only security
 * condition: the others are then the user's own conditions, evaluated only
 * on sampled rows the policy lets through.
 */
static List *
joint_clauses(RelOptInfo *rel, Oid operator, Node *filter, bool all_visible)
{
	RestrictInfo *mine = NULL;
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);

		if (is_opclause(ri->clause) && ((OpExpr *) ri->clause)->opno == operator)
		{
			if (mine != NULL || list_length(((OpExpr *) ri->clause)->args) != 2 ||
				!equal(lsecond(((OpExpr *) ri->clause)->args), filter))
				return NIL;
			mine = ri;
		}
	}
	if (mine == NULL)
		return NIL;
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = (RestrictInfo *) lfirst(lc);

		if (ri == mine)
			continue;
		if (!all_visible && ri->security_level <= mine->security_level)
			return NIL;			/* another security condition */
		if (ri->pseudoconstant || bms_membership(ri->clause_relids) != BMS_SINGLETON ||
			contain_volatile_functions((Node *) ri->clause) ||
			contain_leaked_vars((Node *) ri->clause) ||
			has_runtime_values((Node *) ri->clause, NULL))
			continue;
		out = lappend(out, ri);
	}
	return out;
}

/*
 * The estimate of a filter whose rows may be looked at (a policy's own
 * filter, or any filter where no row security applies): its fraction of a
 * sample of the table's rows (pg_rls_sample.c), and for filters the sample
 * finds selective (under 2%, where a few hundred rows cannot tell 0.01%
 * from 1%) the count of matching index entries, when the column has a
 * bsperm index.  Compound filters are evaluated as a whole.  Where the
 * sample can measure it, the result is the joint selectivity with the
 * table's other simple conditions divided by theirs, so that the product
 * the planner forms is the joint one (a keyset position after every row
 * the policy shows is then estimated as what it is: nothing).
 */
static bool in_joint_estimate = false;

static double
filter_selectivity(FunctionCallInfo fcinfo, PlannerInfo *root, VariableStatData *vardata,
				   Oid operator, Node *other, bool all_visible)
{
	RelOptInfo *rel = vardata->rel;
	Var		   *var = (Var *) vardata->var;
	Jsonb	   *filter;
	List	   *others;
	List	   *exprs = NIL;
	ListCell   *lc;
	double		sel,
				joint = 0,
				n;
	int			nrows;
	double		matched;
	double		so = 1;
	bool		partial = false;
	Oid			relid;

	if (!IsA(other, Const) || ((Const *) other)->constisnull || rel == NULL ||
		rel->reloptkind != RELOPT_BASEREL || rel->tuples < 1 || var == NULL || !IsA(var, Var))
		return DatumGetFloat8(matchingsel(fcinfo));
	filter = DatumGetJsonbP(((Const *) other)->constvalue);
	relid = planner_rt_fetch(rel->relid, root)->relid;
	/*
	 * The others' own estimate may come back here: an @~ inside them with
	 * this very filter (e.g. "a AND (b OR a)") finds this clause as its own
	 * and would measure jointly again, without end.  Inside that estimate
	 * filters are measured alone.
	 */
	others = in_joint_estimate ? NIL : joint_clauses(rel, operator, other, all_visible);
	if (others != NIL)
	{
		/* only where the sample can resolve the others' share (not a point read) */
		in_joint_estimate = true;
		PG_TRY();
		{
			so = clauselist_selectivity(root, others, 0, JOIN_INNER, NULL);
		}
		PG_FINALLY();
		{
			in_joint_estimate = false;
		}
		PG_END_TRY();
		if (so * SAMPLE_ROWS_MIN < 10)
			others = NIL;
	}
	foreach(lc, others)
		exprs = lappend(exprs, ((RestrictInfo *) lfirst(lc))->clause);
	/* with other conditions to measure jointly, the whole sample is needed */
	if (!bsperm_sample_selectivity(relid, var->varattno, get_opcode(operator), filter, exprs,
								   &sel, &joint, exprs != NIL ? NULL : &partial))
		return DatumGetFloat8(matchingsel(fcinfo));
	nrows = bsperm_sample_rows(relid);
	matched = sel * nrows;
	if (sel < 0.02 || partial)
	{
		n = bsperm_sample_count(relid, var->varattno, filter);
		if (n < 0)
		{
			n = index_count(root, vardata, operator, ((Const *) other)->constvalue);
			if (n >= 0)
				bsperm_sample_set_count(relid, var->varattno, filter, n);
		}
		if (n >= 0)
		{
			/* the index's count, and the sample's share of it the others keep */
			if (others != NIL && !partial && matched >= 3)
				joint = (n / rel->tuples) * (joint / sel);
			else
				others = NIL;
			sel = n / rel->tuples;
		}
		else if (partial &&
				 !bsperm_sample_selectivity(relid, var->varattno, get_opcode(operator), filter,
											exprs, &sel, &joint, NULL))
			return DatumGetFloat8(matchingsel(fcinfo));
		else if (partial)
			matched = sel * nrows;
	}
	if (others != NIL && so * nrows >= 10 && matched >= 3)
		sel = joint / so;
	CLAMP_PROBABILITY(sel);
	return Max(sel, 1.0 / rel->tuples);
}

PG_FUNCTION_INFO_V1(bsperm_filter_sel);
Datum
bsperm_filter_sel(PG_FUNCTION_ARGS)
{
	PlannerInfo *root = (PlannerInfo *) PG_GETARG_POINTER(0);
	List	   *args = (List *) PG_GETARG_POINTER(2);
	int			varRelid = PG_GETARG_INT32(3);
	VariableStatData vardata;
	Node	   *other;
	bool		varonleft;
	bool		sample;
	double		sel = DEFAULT_MATCHING_SEL;

	if (!get_restriction_variable(root, args, varRelid, &vardata, &other, &varonleft))
		PG_RETURN_FLOAT8(DEFAULT_MATCHING_SEL);
	sample = samples_visible(root, &vardata);
	if (!sample && IsA(other, Const) && !((Const *) other)->constisnull &&
		bsperm_rls_is_policy_filter(DatumGetJsonbP(((Const *) other)->constvalue)))
		sample = true;
	if (sample)
		sel = filter_selectivity(fcinfo, root, &vardata, PG_GETARG_OID(1), other,
								 samples_visible(root, &vardata));
	ReleaseVariableStats(vardata);
	PG_RETURN_FLOAT8(sel);
}
