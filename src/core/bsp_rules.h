/*-------------------------------------------------------------------------
 * bsp_rules.h
 *	  Declared permission rules: rules as data, and the environment a
 *	  criteria compile runs in (declared rules, group-hierarchy walks).
 *
 * A declared rule is one JSON document:
 *
 *	 {"name": "IS_FROM_CLUSTER", "resourceType": "catalog-entity",
 *	  "description": "...",
 *	  "paramsSchema": {"type": "object",
 *					   "properties": {"clusters": {"type": "array",
 *												   "items": {"type": "string"}}},
 *					   "required": ["clusters"]},
 *	  "filter": {"key": "metadata.annotations.backstage.io/kubernetes-cluster",
 *				 "values": "${clusters}"}}
 *
 * "filter" is an EntityFilter (bsp_filter.h) whose strings may name
 * parameters: "${p}" inside a key or a value is the string parameter p;
 * "values": "${p}" is the whole string-array parameter p; "$$" is a "$".
 * A leaf whose values name an optional parameter that the criteria leave
 * out tests the key's existence only (as HAS_ANNOTATION without "value").
 * The parameter schema is the JSON Schema subset Backstage's metadata
 * endpoint publishes for such rules: an object of string and string-array
 * properties, each with an optional description, and "required".
 *
 * From that one declaration the criteria reader derives validation (the
 * schema, with zod's messages and paths), the compiled filter and so the
 * per-entity check, the SQL predicate and the index terms: there is no
 * second definition.
 *
 * Transitive ownership.  IS_ENTITY_OWNER takes "transitive" ("ancestors"
 * or "descendants") and "maxDepth"; its claims are then expanded through
 * the group hierarchy.  The core does not read entities: the compile
 * records each expansion it needs in the environment and fails with
 * BSP_ERR_NEED_WALK; the caller walks the hierarchy (bsp_rbac_walk, its
 * own entity lookup), fills the answers in, and compiles again.  Likewise
 * a rule name the core does not know fails with BSP_ERR_NEED_RULES while
 * env->rules is NULL, so a caller loads declared rules only when used.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_RULES_H
#define BSPERM_RULES_H

#include "bsp_common.h"

typedef struct bsp_rule bsp_rule;

/* Declared rules, sorted by name (opaque). */
typedef struct bsp_ruleset bsp_ruleset;

typedef enum bsp_transitive
{
	BSP_TRANS_NONE = 0,
	BSP_TRANS_ANCESTORS,		/* follow childOf: the groups' parents */
	BSP_TRANS_DESCENDANTS		/* follow parentOf: the groups' children */
} bsp_transitive;

/* One expansion of claims through the hierarchy. */
typedef struct bsp_owner_walk
{
	/* the request: lowered, sorted, unique claims */
	bsp_transitive dir;
	int			max_depth;		/* levels to follow; -1: all */
	int			nclaims;
	const char **claims;
	size_t	   *claimlens;
	/* the answer, set by the caller: the claims and every group reached */
	bool		done;
	int			nrefs;
	const char **refs;
	size_t	   *reflens;
} bsp_owner_walk;

typedef struct bsp_compile_env
{
	const bsp_ruleset *rules;	/* NULL: not loaded (BSP_ERR_NEED_RULES) */
	bsp_arena  *arena;			/* holds the walks; outlives the compiles */
	int			nwalks;
	int			walkcap;
	bsp_owner_walk *walks;
	int			pending;		/* walks recorded by the last compile, not done */
} bsp_compile_env;

extern void bsp_compile_env_init(bsp_compile_env *env, bsp_arena *arena,
								 const bsp_ruleset *rules);
/* Sets a walk's answer (copies refs; the claims need not be among them). */
extern bool bsp_owner_walk_answer(bsp_compile_env *env, bsp_owner_walk *w,
								  int nrefs, const char *const *refs);

/*
 * Reads one declaration (JSON text) into a rule, checking everything with
 * path-precise errors rooted at "rule".
 */
extern bool bsp_rule_parse_text(bsp_arena *a, const char *text, size_t len,
								bsp_rule **out, bsp_error *err);
/* A JSON array of declarations (paths "rules[i]..."); names must be unique. */
extern bool bsp_ruleset_parse_text(bsp_arena *a, const char *text, size_t len,
								   bsp_ruleset **out, bsp_error *err);
extern int	bsp_ruleset_count(const bsp_ruleset *rs);
extern const bsp_rule *bsp_ruleset_find(const bsp_ruleset *rs, const char *name);
extern const char *bsp_rule_name(const bsp_rule *r);

/* Is the name one of the core's own catalog rules (never declared)? */
extern bool bsp_rule_is_core(const char *name);

/*
 * The built-in declared rules (IS_FROM_CLUSTER, IN_NAMESPACE) as a JSON
 * array of declarations: the install script stores them as rows, the unit
 * tests load them from here.
 */
extern const char *const bsp_builtin_rules_json;

/* ---- for the criteria reader (bsp_criteria.c) ---- */

/* A parameter's value as the criteria give it. */
typedef struct bsp_rule_arg
{
	bool		present;
	const char *s;				/* string parameter */
	size_t		len;
	int			n;				/* string-array parameter */
	const char **vals;
	size_t	   *lens;
} bsp_rule_arg;

extern int	bsp_rule_nparams(const bsp_rule *r);
extern const char *bsp_rule_param_name(const bsp_rule *r, int i);
extern bool bsp_rule_param_is_list(const bsp_rule *r, int i);
extern bool bsp_rule_param_required(const bsp_rule *r, int i);
extern const char *bsp_rule_resource_type(const bsp_rule *r);

struct bsp_fnode;

/* The rule's filter with the arguments substituted (NULL: out of memory). */
extern struct bsp_fnode *bsp_rule_instantiate(bsp_arena *a, const bsp_rule *r,
											  const bsp_rule_arg *args);

#endif							/* BSPERM_RULES_H */
