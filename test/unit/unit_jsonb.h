/*
 * unit_jsonb.h - the server's jsonb walk against the reference json-c walk
 * (unit_jsonb.c), callable without server headers.
 */
#ifndef BSPERM_UNIT_JSONB_H
#define BSPERM_UNIT_JSONB_H

#include <stdbool.h>

#include <json-c/json.h>

#include "bsp_filter.h"

/*
 * Encodes e as jsonb and tells whether the server's jsonb walk and the
 * reference json-c walk agree: the same rows without a filter and with
 * each filter as interest, and the same answer for each filter.
 */
extern bool unit_jsonb_agrees(json_object *e, const bsp_filter *const *filters,
							  int nfilters);

#endif
