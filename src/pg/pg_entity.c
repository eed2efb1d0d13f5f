/*-------------------------------------------------------------------------
 * pg_entity.c
 *	  Flattens a jsonb entity in the server: the walk over jsonb's layout
 *	  (pg_jsonb_walk.c) with the server's numeric conversion, stack check
 *	  and interrupt handling.
 *
 * Numbers become doubles, which is what JavaScript holds after
 * JSON.parse; the core prints them as JS does.  The core never raises:
 * it stops (out of memory, cancellation, too deep) and this file raises
 * the matching error once the walk has returned.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "bsperm.h"
#include "pg_jsonb_walk.h"

static double
numeric_to_double(const void *numeric)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
											  PointerGetDatum(numeric)));
}

/*
 * The flattener's cancellation poll: true when CHECK_FOR_INTERRUPTS would
 * raise (a query cancel, a statement timeout, a termination).  It never
 * raises itself; bsperm_flatten_jsonb does once the core has returned.
 */
bool
bsperm_cancel_requested(void *ctx)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending) &&
		INTERRUPTS_CAN_BE_PROCESSED();
}

/* Raises the interrupt the core stopped for (see bsperm_cancel_requested). */
void
bsperm_raise_cancel(void)
{
	CHECK_FOR_INTERRUPTS();
	/* not reached: the poll only answers true for interrupts that raise */
	ereport(ERROR,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("canceling statement due to an interrupt")));
}

void
bsperm_flatten_jsonb(bsp_flat *f, Jsonb *entity)
{
	BspJsonbWalker w;

	memset(&w, 0, sizeof(w));
	w.numeric_to_double = numeric_to_double;
	w.stack_too_deep = stack_is_too_deep;
	f->cancel_requested = bsperm_cancel_requested;
	bsp_jsonb_flatten(f, &entity->root, &w);
	if (f->cancelled)
		bsperm_raise_cancel();
	if (w.too_deep)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded"),
				 errdetail("The entity is nested too deeply to be flattened."),
				 errhint("Increase the configuration parameter \"max_stack_depth\" (currently %dkB), after ensuring the platform's stack depth limit is adequate.",
						 max_stack_depth)));
}
