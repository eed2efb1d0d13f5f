/*-------------------------------------------------------------------------
 * bsp_doc.h
 *	  Text entry points to the criteria and filter readers.
 *
 * These parse JSON text with json-c, compile it and release the json-c
 * tree before returning, whatever the outcome.  The core never longjmps
 * (its arena returns NULL instead of raising), so the tree cannot leak.
 * This header exposes no json-c types, so the server glue can include it
 * next to PostgreSQL headers (fmgrprotos.h declares its own json_object).
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_DOC_H
#define BSPERM_DOC_H

#include "bsp_common.h"
#include "bsp_filter.h"

extern bool bsp_criteria_compile_text(bsp_arena *a, const char *text, size_t len,
									  const bsp_limits *limits,
									  bsp_filter **out, bsp_sbuf *normalized,
									  bsp_error *err);
struct bsp_compile_env;
extern bool bsp_criteria_compile_text_env(bsp_arena *a, const char *text, size_t len,
										  const bsp_limits *limits,
										  struct bsp_compile_env *env,
										  bsp_filter **out, bsp_sbuf *normalized,
										  bsp_error *err);
extern bool bsp_filter_parse_text(bsp_arena *a, const char *text, size_t len,
								  const bsp_limits *limits,
								  bsp_filter **out, bsp_error *err);

#endif							/* BSPERM_DOC_H */
