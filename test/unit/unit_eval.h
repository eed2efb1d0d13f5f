/*
 * unit_eval.h - evaluating a filter on a json-c entity both ways, for the
 * unit tests and the fuzzer: with the flattener pruned by the filter (as
 * bsperm_matches and the @~ operator run it) and over every search row.
 * The two must always agree.
 */
#ifndef BSPERM_UNIT_EVAL_H
#define BSPERM_UNIT_EVAL_H

#include "bsp_criteria.h"
#include "bsp_filter.h"
#include "bsp_flatten.h"
#include "unit_walk.h"

static void
unit_eval_both(bsp_arena *a, const bsp_filter *f, json_object *e,
			   bool *pruned_result, bool *full_result)
{
	bsp_match	m1,
				m2;
	bsp_flat	pruned,
				full;

	bsp_match_init(&m1, a, f);
	bsp_match_init(&m2, a, f);
	bsp_match_reset(&m1);
	bsp_match_reset(&m2);
	bsp_flat_init(&pruned, a, f, bsp_match_row, &m1);
	bsp_flat_init(&full, a, NULL, bsp_match_row, &m2);
	bsp_flatten_json(&pruned, e);
	bsp_flatten_json(&full, e);
	*pruned_result = bsp_filter_eval(f, m1.hit);
	*full_result = bsp_filter_eval(f, m2.hit);
}

#endif
