/*-------------------------------------------------------------------------
 * bsp_criteria.h
 *	  Backstage permission criteria and entity filters read with json-c.
 *
 * Criteria (PermissionCriteria, spec section 1.3) are validated eagerly
 * and completely, as the catalog's SQL path does: every node must be one
 * of {"allOf": [..]}, {"anyOf": [..]} (non-empty), {"not": c} or a rule
 * leaf {"rule", "resourceType", "params"}; an object carrying more than
 * one of allOf/anyOf/not/rule is rejected (Backstage's components read
 * such objects differently, spec section 5.6); rules are the six catalog
 * rules with their zod parameter schemas (no coercion, null is not a
 * string, extra keys accepted and dropped from the normalized form).
 *
 * A valid tree is compiled with the rules' toQuery() into an EntityFilter
 * (bsp_filter.h) and can be written back in normalized form.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_CRITERIA_H
#define BSPERM_CRITERIA_H

#include <json-c/json.h>

#include "bsp_common.h"
#include "bsp_filter.h"
#include "bsp_flatten.h"

#define BSP_CATALOG_RESOURCE_TYPE "catalog-entity"

/*
 * Validates criteria and compiles them.  On success *out is the compiled
 * filter and, when normalized is not NULL, the normalized criteria JSON is
 * appended to it.  On failure err says where ("criteria.anyOf[1].params")
 * and what.
 */
extern bool bsp_criteria_compile(bsp_arena *a, json_object *criteria,
								 const bsp_limits *limits,
								 bsp_filter **out, bsp_sbuf *normalized,
								 bsp_error *err);

struct bsp_compile_env;

/*
 * The same in an environment (bsp_rules.h): declared rules, and the
 * expansions of transitive claims.  With env NULL only the catalog's
 * rules are known and transitive claims cannot be expanded.
 */
extern bool bsp_criteria_compile_env(bsp_arena *a, json_object *criteria,
									 const bsp_limits *limits,
									 struct bsp_compile_env *env,
									 bsp_filter **out, bsp_sbuf *normalized,
									 bsp_error *err);

/* Reads an EntityFilter ({allOf|anyOf|not|key,values}); path root "filter". */
extern bool bsp_filter_parse(bsp_arena *a, json_object *filter,
							 const bsp_limits *limits,
							 bsp_filter **out, bsp_error *err);

/* zod's name for the JSON type of o ("string", "array", "null", ...) */
extern const char *bsp_json_type_name(json_object *o);

/*
 * Parses JSON text with json-c (NULL and err set on failure).  max_depth
 * bounds JSON nesting; deeper text fails with BSP_ERR_LIMIT at "root".
 */
extern json_object *bsp_json_parse(const char *text, size_t len, int max_depth,
								   const char *root, bsp_error *err);

#endif							/* BSPERM_CRITERIA_H */
