/*-------------------------------------------------------------------------
 * bsp_yaml.h
 *	  Multi-document YAML to JSON text, with libyaml (Debian's libyaml-dev).
 *
 * For the RBAC plugin's conditional-policies file, which the plugin reads
 * with js-yaml's loadAll: every document of the stream becomes one JSON
 * text; plain scalars are resolved as js-yaml's default schema resolves
 * them (null, booleans, integers, floats; anything else a string); quoted
 * scalars are strings; aliases are followed.  Refused, as js-yaml refuses
 * them: a duplicate mapping key; a mapping key that is not a scalar.
 * Refused by bsperm (js-yaml would accept): explicit tags other than the
 * core ones, and documents that expand past the output limit (an alias
 * bomb).  The first syntax error ends the stream: documents before it are
 * returned, with the error.
 *
 * PostgreSQL-free; memory from the arena (libyaml's own is freed here).
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_YAML_H
#define BSPERM_YAML_H

#include "bsp_common.h"

typedef struct bsp_yaml_doc
{
	int			index;			/* 1-based position in the stream */
	int			line;			/* 1-based line where it starts */
	const char *json;			/* the document as JSON text ("null" when empty) */
} bsp_yaml_doc;

typedef struct bsp_yaml_result
{
	int			ndocs;
	bsp_yaml_doc *docs;
	const char *error;			/* NULL, or why the stream stopped */
	int			error_line;		/* 1-based, 0 when unknown */
	int			error_doc;		/* the document the error is in (1-based) */
} bsp_yaml_result;

/* Limit on the JSON text of one document (aliases expanded). */
#define BSP_YAML_MAX_JSON (16 * 1024 * 1024)

/* False only when an allocation failed. */
extern bool bsp_yaml_to_json(bsp_arena *arena, const char *text, size_t len,
							 bsp_yaml_result *out);

#endif							/* BSPERM_YAML_H */
