/*
 * fuzz_jsonb.h - the jsonb half of the fuzzer (fuzz_jsonb.c), callable
 * without server headers.
 */
#ifndef BSPERM_FUZZ_JSONB_H
#define BSPERM_FUZZ_JSONB_H

#include <json-c/json.h>

#include "bsp_filter.h"

/*
 * Encodes e as jsonb and aborts unless the server's jsonb walk and the
 * reference json-c walk agree: the same rows without a filter and with
 * each filter as interest, and the same answer for each filter.
 */
extern void fuzz_jsonb_compare(json_object *e, const bsp_filter *const *filters,
							   int nfilters);

#endif
