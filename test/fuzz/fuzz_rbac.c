/*
 * fuzz_rbac.c - libFuzzer target for the RBAC decision core.
 *
 * The input bytes drive the scenario generator of rbac_ref.h (policy rows,
 * settings, a user and a permission; then a group graph).  The core must
 * never crash, leak or read out of bounds (ASan/UBSan/LSan), and must agree
 * with the reference implementation written from doc/policy.md: a
 * disagreement aborts, so libFuzzer keeps the input as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bsp_rbac.h"
#include "../unit/unit.h"
#include "../unit/rbac_ref.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	ref_generate_graph(&src, &g);
	if (!ref_compare_walk(&ua.arena, &g, &what))
	{
		fprintf(stderr, "group walk disagrees: %s\n", what);
		abort();
	}
	unit_arena_free(&ua);
	return 0;
}
