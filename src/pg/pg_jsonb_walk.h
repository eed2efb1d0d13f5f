/*-------------------------------------------------------------------------
 * pg_jsonb_walk.h
 *	  The flattener's driver over jsonb's binary layout.
 *
 * This walk is the one the server runs for every entity (bsperm_matches,
 * @~, the GIN operator class, bsperm_search_rows).  It reads a
 * JsonbContainer through the layout macros of utils/jsonb.h only and calls
 * no server function, so the fuzzer and the unit tests build it outside
 * the server and drive exactly this code.  The two things that would need
 * the server (numeric to double, the stack depth check) come in through
 * BspJsonbWalker.  Nothing here allocates; the flattener allocates in its
 * own arenas.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_PG_JSONB_WALK_H
#define BSPERM_PG_JSONB_WALK_H

#include "utils/jsonb.h"

#include "bsp_flatten.h"

typedef struct BspJsonbWalker
{
	/* the value of a jsonb numeric (a Numeric varlena), as JavaScript holds it */
	double		(*numeric_to_double) (const void *numeric);
	/* optional: true when recursing deeper would exhaust the stack */
	bool		(*stack_too_deep) (void);
	bool		too_deep;		/* out: the walk stopped for the stack */
} BspJsonbWalker;

/*
 * Drives f over the document rooted at root: the traversal, then the
 * fixed rows and the relations (see bsp_flatten.h).  On return f->failed
 * says whether the walk stopped early (out of memory, cancellation, or
 * w->too_deep).
 */
extern void bsp_jsonb_flatten(bsp_flat *f, const JsonbContainer *root,
							  BspJsonbWalker *w);

#endif							/* BSPERM_PG_JSONB_WALK_H */
