/*-------------------------------------------------------------------------
 * pg_policy_function.c
 *	  The custom policy function (policy_config.policy = 'function'):
 *	  (request jsonb, "user" jsonb) -> PolicyDecision jsonb.
 *
 * It runs with the privileges and settings of the role that asks, outside
 * any owner section.  Its result is checked as Backstage's permission
 * backend checks a policy's (SQLSTATE 39000, Backstage's own text in the
 * detail).  A decision asked for while it runs (it calls bsperm_authorize
 * or reads a table bsperm protects) is refused with SQLSTATE 42P19 instead
 * of recursing (bsperm_decide_depth).
 *
 * Memory and invalidation.  Decisions of a policy function are never
 * memoized (the function may depend on anything): everything is allocated
 * in CurrentMemoryContext.  The function's FmgrInfo lives in the policy
 * cache and goes with it; the cache refuses to reload while the function
 * decides.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/regproc.h"

#include "pg_policy_int.h"

#define DETAIL_500 "Backstage's permission backend answers HTTP 500 (Error: %s)."

int			bsperm_decide_depth = 0;

static void
invalid_decision(const BspPermission *perm) pg_attribute_noreturn();

static void
invalid_decision(const BspPermission *perm)
{
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
			 errmsg("permission policy returned an invalid decision for permission \"%s\"", perm->name),
			 errdetail("A PolicyDecision is an object with \"result\" ALLOW, DENY or CONDITIONAL.")));
}

static bool
jstring_is(const JsonbValue *v, const char *s)
{
	size_t		len = strlen(s);

	return v->type == jbvString && v->val.string.len == (int) len &&
		memcmp(v->val.string.val, s, len) == 0;
}

/* A CONDITIONAL decision: resource permission, its type, plugin and conditions. */
static void
conditional_from_json(Jsonb *j, const BspPermission *perm, BspDecision *out)
{
	JsonbValue	p,
				rt,
				c;

	out->result = BSP_CONDITIONAL;
	if (!perm->resource)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned a conditional decision for basic permission \"%s\"",
						perm->name),
				 errdetail(DETAIL_500,
						   psprintf("Conditional decision returned from permission policy for non-resource permission %s",
									perm->name))));
	if (getKeyJsonValueFromContainer(&j->root, "resourceType", 12, &rt) == NULL ||
		!jstring_is(&rt, perm->resource_type))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned conditions for another resource type for permission \"%s\"",
						perm->name),
				 errdetail(DETAIL_500,
						   psprintf("Invalid resource conditions returned from permission policy for permission %s",
									perm->name))));
	if (getKeyJsonValueFromContainer(&j->root, "pluginId", 8, &p) == NULL ||
		p.type != jbvString ||
		getKeyJsonValueFromContainer(&j->root, "conditions", 10, &c) == NULL ||
		c.type != jbvBinary || !JsonContainerIsObject(c.val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned an invalid conditional decision for permission \"%s\"",
						perm->name),
				 errdetail("A CONDITIONAL decision has a string \"pluginId\" and an object \"conditions\".")));
	out->plugin_id = pnstrdup(p.val.string.val, p.val.string.len);
	out->resource_type = perm->resource_type;
	out->conditions = JsonbValueToJsonb(&c);
}

/* Checks a policy function's result and turns it into a decision. */
static void
decision_from_json(Jsonb *j, const BspPermission *perm, BspDecision *out)
{
	JsonbValue	v;

	out->raw = j;
	if (!JB_ROOT_IS_OBJECT(j) ||
		getKeyJsonValueFromContainer(&j->root, "result", 6, &v) == NULL)
		invalid_decision(perm);
	if (jstring_is(&v, "ALLOW"))
		out->result = BSP_ALLOW;
	else if (jstring_is(&v, "DENY"))
		out->result = BSP_DENY;
	else if (jstring_is(&v, "CONDITIONAL"))
		conditional_from_json(j, perm, out);
	else
		invalid_decision(perm);
}

static void
call_policy_function(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	StringInfoData req;
	Jsonb	   *user = bsperm_user_json(u);
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	initStringInfo(&req);
	appendStringInfoString(&req, "{\"permission\":");
	bsperm_permission_json(&req, perm);
	appendStringInfoChar(&req, '}');

	InitFunctionCallInfoData(*fcinfo, &bsperm_policy.func_finfo, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = DirectFunctionCall1(jsonb_in, CStringGetDatum(req.data));
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = user ? JsonbPGetDatum(user) : (Datum) 0;
	fcinfo->args[1].isnull = (user == NULL);
	if (bsperm_policy.func_finfo.fn_strict && user == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned null for permission \"%s\"", perm->name),
				 errdetail("The policy function is STRICT and the user is anonymous (null).")));
	result = FunctionCallInvoke(fcinfo);
	if (fcinfo->isnull)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION),
				 errmsg("permission policy returned null for permission \"%s\"", perm->name)));
	decision_from_json(DatumGetJsonbP(result), perm, out);
}

void
bsperm_decide_function(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	/*
	 * The policy function asked for a decision itself (it called
	 * bsperm_authorize, or read a table that bsperm protects, whose
	 * row-level security asks for one while planning): that would recurse
	 * until the stack is exhausted.  Fail closed, clearly.
	 */
	if (bsperm_decide_depth > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_RECURSION),
				 errmsg("permission policy function %s asked for a permission decision while deciding",
						format_procedure(bsperm_policy.func)),
				 errdetail("The nested request is for permission \"%s\". A policy function that reads a table protected by bsperm, or calls bsperm_authorize, would decide recursively.",
						   perm->name),
				 errhint("Read what the policy function needs from tables bsperm does not protect, or through a SECURITY DEFINER function owned by a role that bypasses row-level security.")));
	bsperm_decide_depth++;
	PG_TRY();
	{
		call_policy_function(u, perm, out);
	}
	PG_FINALLY();
	{
		bsperm_decide_depth--;
	}
	PG_END_TRY();
}
