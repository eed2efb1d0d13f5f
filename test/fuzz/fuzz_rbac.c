/*
 * fuzz_rbac.c - libFuzzer target for the RBAC decision core.
 *
 * The input bytes drive the scenario generator of rbac_ref.h (policy rows,
 * settings, a user and a permission; then a group graph).  The core must
 * never crash, leak or read out of bounds (ASan/UBSan/LSan), and must agree
 * with the reference implementation written from doc/policy.md: a
 * disagreement aborts, so libFuzzer keeps the input as a crash.  The
 * traced decision (bsperm_explain's) must equal the untraced one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bsp_rbac.h"
#include "../unit/unit.h"
#include "../unit/rbac_ref.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_event(void *arg, const bsp_rbac_event *ev)
{
	(*(int *) arg)++;
}

/* The traced resolve and decision give what the plain ones give. */
static bool
traced_agrees(bsp_arena *arena, const ref_scenario *sc)
{
	bsp_rbac_policy *p;
	bsp_rbac_user u,
				ut;
	bsp_rbac_decision d,
				dt;
	int			events = 0,
				i;
	bsp_rbac_trace tr = {count_event, &events};

	if (!bsp_rbac_build(arena, &sc->in, &p) ||
		!bsp_rbac_resolve(arena, p, sc->user_ref, sc->nsubjects, sc->subjects, sc->nrefs, sc->refs, &u) ||
		!bsp_rbac_decide(arena, p, &u, &sc->perm, &d) ||
		!bsp_rbac_resolve_traced(arena, p, sc->user_ref, sc->nsubjects, sc->subjects, sc->nrefs,
								 sc->refs, &ut, &tr) ||
		!bsp_rbac_decide_traced(arena, p, &ut, &sc->perm, &dt, &tr))
		return false;
	if (d.result != dt.result || d.nconds != dt.nconds || events == 0)
		return false;
	for (i = 0; i < d.nconds; i++)
		if (d.conds[i] != dt.conds[i])
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unit_arena ua;
	ref_src		src = {data, size, 0, 0};
	ref_scenario sc;
	ref_graph	g;
	const char *what;

	unit_arena_init(&ua);
	ref_generate(&src, &sc);
	if (!ref_compare(&ua.arena, &sc, &what))
	{
		fprintf(stderr, "core and reference disagree: %s\n", what);
		abort();
	}
	if (!traced_agrees(&ua.arena, &sc))
	{
		fprintf(stderr, "traced and untraced decisions disagree\n");
		abort();
	}
	ref_generate_graph(&src, &g);
	if (!ref_compare_walk(&ua.arena, &g, &what))
	{
		fprintf(stderr, "group walk disagrees: %s\n", what);
		abort();
	}
	unit_arena_free(&ua);
	return 0;
}
