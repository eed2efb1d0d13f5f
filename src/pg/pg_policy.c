/*-------------------------------------------------------------------------
 * pg_policy.c
 *	  bsperm_decide: the policy's decision for an identity and a permission.
 *
 * Three policies (policy_config.policy): allow-all; a custom policy
 * function (pg_policy_function.c); and the RBAC plugin's algorithm, which
 * is the core's (src/core/bsp_rbac.c, doc/policy.md).  For RBAC this file
 * only turns the core's answer into a BspDecision: the conditional
 * policies the core returns are combined as {"anyOf": [...]} (one role's
 * too, as the RBAC plugin does) and their placeholders filled in (pg_placeholders.c), as jsonb,
 * without a text round trip.
 *
 * Memory and invalidation.  An RBAC decision depends on nothing but the
 * cached policy, the identity and the permission, so it is memoized in the
 * identity (up to MAX_MEMOS permissions), in the identity's memory context
 * (pg_policy_cache.c).  BspDecision.memo_cxt is that context, and callers
 * (pg_decide.c) may keep derived data there through filter_slot and
 * json_slot: it is freed with the identity, when the identity is evicted or
 * the policy reloaded, never earlier than the next bsperm_policy_user call.
 * Decisions that are not memoized are allocated in CurrentMemoryContext.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "pg_policy_int.h"

#define P bsperm_policy

/* {"anyOf": [c1, c2, ...]} built from the conditions documents. */
static Jsonb *
any_of(int n, const bsp_rbac_cond_row *const *conds)
{
	JsonbParseState *st = NULL;
	JsonbValue	key;
	JsonbValue *res;
	int			i;

	key.type = jbvString;
	key.val.string.val = "anyOf";
	key.val.string.len = 5;
	(void) pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	(void) pushJsonbValue(&st, WJB_KEY, &key);
	(void) pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		Jsonb	   *c = (Jsonb *) conds[i]->conditions;
		JsonbValue	v;

		v.type = jbvBinary;
		v.val.binary.data = &c->root;
		v.val.binary.len = VARSIZE(c) - VARHDRSZ;
		(void) pushJsonbValue(&st, WJB_ELEM, &v);
	}
	(void) pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

static void
decide_rbac(BspUser *u, const BspPermission *perm, BspDecision *out,
			const bsp_rbac_trace *trace)
{
	bsp_arena	arena;
	bsp_rbac_perm p;
	bsp_rbac_decision d;
	Jsonb	   *combined;

	p.name = perm->name;
	p.resource = perm->resource;
	p.resource_type = perm->resource_type;
	p.action = (bsp_rbac_action) perm->action;
	bsperm_arena_init(&arena, CurrentMemoryContext);
	if (!bsp_rbac_decide_traced(&arena, P.rbac, &u->rbac, &p, &d, trace))
		bsperm_core_oom();
	out->result = (BspResult) d.result;
	if (d.result != BSP_RBAC_CONDITIONAL)
		return;
	/* always {"anyOf": [...]}, one role's conditions too, as the RBAC plugin (8.1.3) */
	combined = any_of(d.nconds, d.conds);
	out->plugin_id = d.conds[0]->plugin_id;
	out->resource_type = perm->resource_type;
	out->conditions = bsperm_fill_placeholders(combined, u->id.user_ref, u->nrefs, u->refs);
}

static bool
same_permission(const BspPermission *a, const BspPermission *b)
{
	return a->resource == b->resource && a->action == b->action &&
		strcmp(a->name, b->name) == 0 &&
		(!a->resource || strcmp(a->resource_type, b->resource_type) == 0);
}

static char *
memo_strdup(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

static Jsonb *
memo_jsonb(MemoryContext cxt, const Jsonb *j)
{
	Jsonb	   *copy;

	if (j == NULL)
		return NULL;
	copy = MemoryContextAlloc(cxt, VARSIZE(j));
	memcpy(copy, j, VARSIZE(j));
	return copy;
}

/* Stores d as the next memo of u; NULL when the memo is full. */
static DecisionMemo *
memo_add(BspUser *u, const BspPermission *perm, const BspDecision *d)
{
	DecisionMemo *m;

	if (u->nmemos >= MAX_MEMOS)
		return NULL;
	if (u->memos == NULL)
		u->memos = MemoryContextAllocZero(u->cxt, sizeof(DecisionMemo) * MAX_MEMOS);
	m = &u->memos[u->nmemos++];
	m->perm.name = memo_strdup(u->cxt, perm->name);
	m->perm.resource = perm->resource;
	m->perm.resource_type = memo_strdup(u->cxt, perm->resource_type);
	m->perm.action = perm->action;
	m->decision.result = d->result;
	m->decision.plugin_id = memo_strdup(u->cxt, d->plugin_id);
	m->decision.resource_type = memo_strdup(u->cxt, d->resource_type);
	m->decision.conditions = memo_jsonb(u->cxt, d->conditions);
	return m;
}

static void
decide_rbac_memo(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	DecisionMemo *m = NULL;
	int			i;

	for (i = 0; i < u->nmemos && m == NULL; i++)
		if (same_permission(&u->memos[i].perm, perm))
			m = &u->memos[i];
	if (m == NULL)
	{
		BspDecision d;

		memset(&d, 0, sizeof(d));
		decide_rbac(u, perm, &d, NULL);
		m = memo_add(u, perm, &d);
		if (m == NULL)
		{
			*out = d;
			return;
		}
	}
	*out = m->decision;
	out->memo_cxt = u->cxt;
	out->filter_slot = &m->filter;
	out->json_slot = &m->json;
}

void
bsperm_decide(BspUser *u, const BspPermission *perm, BspDecision *out)
{
	memset(out, 0, sizeof(*out));
	Assert(P.valid);
	switch (P.mode)
	{
		case POLICY_ALLOW_ALL:
			out->result = BSP_ALLOW;
			break;
		case POLICY_FUNCTION:
			bsperm_decide_function(u, perm, out);
			break;
		case POLICY_RBAC:
			decide_rbac_memo(u, perm, out);
			break;
	}
}

void
bsperm_decide_traced(BspUser *u, const BspPermission *perm, BspDecision *out,
					 const bsp_rbac_trace *trace)
{
	memset(out, 0, sizeof(*out));
	Assert(P.valid);
	if (P.mode == POLICY_RBAC)
		decide_rbac(u, perm, out, trace);
	else
		bsperm_decide(u, perm, out);
}
