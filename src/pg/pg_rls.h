/*-------------------------------------------------------------------------
 * pg_rls.h
 *	  Row-level security: decisions for policies (pg_rls.c) and keeping the
 *	  plans that fold them in honest (pg_rls_plans.c).
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_RLS_H
#define BSPERM_RLS_H

#include "access/attnum.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"

#include "bsp_filter.h"
#include "bsperm.h"
#include "pg_policy.h"

/* A decision's compiled conditions, memoized with it (pg_decide.c). */
extern BspermCachedFilter *bsperm_decision_filter(BspDecision *d);
/* pg_decide.c: criteria compiled for many entities; catalog conditions only */
extern BspermCachedFilter *bsperm_compile_conditions(Jsonb *conditions);
extern void bsperm_check_appliable(const BspDecision *d);

/* What row-level security does with one permission for the current identity. */
typedef enum RlsOutcome
{
	RLS_DENY = 'D',				/* no row */
	RLS_ALLOW = 'A',			/* every row */
	RLS_FILTER = 'C'			/* the rows that match filter */
} RlsOutcome;

typedef struct RlsDecision
{
	RlsOutcome	outcome;
	uint32		fingerprint;	/* of the conditions (RLS_FILTER only) */
	Jsonb	   *filter;			/* RLS_FILTER: the EntityFilter, in CurrentMemoryContext */
} RlsDecision;

/*
 * The decision of the current identity for permission, made with the
 * active snapshot (pg_rls.c).  want_filter: build the EntityFilter too.
 * Raises an ERROR when the permission is unknown or the conditions cannot
 * be applied to catalog entities (fail closed).
 */
extern void bsperm_rls_decide(const char *permission, bool want_filter, RlsDecision *out);

/* The guard token that names a decision folded into a plan. */
extern char *bsperm_rls_token(const char *permission, const RlsDecision *d);

/* ---- pg_rls_plans.c ---- */

/*
 * True while a query is being planned by the planner hook: only then may a
 * decision be folded (the hook then makes the plan depend on it).
 */
extern bool bsperm_rls_planning(void);

/* True while planning a statement nothing re-plans (an SQL function's). */
extern bool bsperm_rls_planning_runtime_only(void);

/* Records that the plan being made folds decision d of permission. */
extern void bsperm_rls_plan_depends(const char *permission, const RlsDecision *d);

/* Is this EntityFilter a policy's own, folded into the plan being made? */
extern bool bsperm_rls_is_policy_filter(Jsonb *filter);

/*
 * Counts statements (executor starts and utility commands) and every
 * invalidation that can change a decision; a value cached under one
 * (statement, generation, user) triple is valid while all three stay.
 */
extern uint64 bsperm_rls_statement;
extern uint64 bsperm_rls_generation;

/*
 * A setting that decisions read changed: resets every plan of this backend
 * (callable from a GUC assign hook: no catalog access).
 */
extern void bsperm_rls_setting_changed(void);

/* The marker table's OID, InvalidOid while unknown (pg_rls_plans.c). */
extern Oid	bsperm_policy_marker(void);

/* pg_rls_sample.c: a per-backend sample of a table's rows for estimates */
extern bool bsperm_sample_selectivity(Oid relid, AttrNumber attno, Oid opfunc, Jsonb *filter,
									  List *others, double *sel, double *joint);
extern int	bsperm_sample_rows(Oid relid);

#endif							/* BSPERM_RLS_H */
