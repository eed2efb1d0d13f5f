/*-------------------------------------------------------------------------
 * bsp_criteria.c
 *	  Reading criteria, entity filters and entities from json-c trees.
 *
 * Validation follows the zod schemas Backstage uses (spec sections 3 and
 * 6) and reports the first problem with its path in the document.  The
 * json-c tree is only read here; the caller owns and releases it.  All
 * output lives in the caller's arena.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include <math.h>

#include "bsp_criteria.h"
#include "bsp_doc.h"
#include "bsp_rules.h"

typedef enum rule_shape
{
	SHAPE_LIST,					/* {<param>: string[]} */
	SHAPE_PROPERTY				/* {<param>: string, value?: string} */
} rule_shape;

typedef struct rule_def
{
	const char *name;
	rule_shape	shape;
	const char *param;			/* claims, kinds, annotation, label, key */
	const char *key_prefix;		/* toQuery key (LIST) or key prefix */
} rule_def;

/* The six rules of @backstage/plugin-catalog-backend 4.0.0 (spec section 3) */
static const rule_def catalog_rules[] = {
	{"HAS_ANNOTATION", SHAPE_PROPERTY, "annotation", "metadata.annotations."},
	{"HAS_LABEL", SHAPE_PROPERTY, "label", "metadata.labels."},
	{"HAS_METADATA", SHAPE_PROPERTY, "key", "metadata."},
	{"HAS_SPEC", SHAPE_PROPERTY, "key", "spec."},
	{"IS_ENTITY_KIND", SHAPE_LIST, "kinds", "kind"},
	{"IS_ENTITY_OWNER", SHAPE_LIST, "claims", "relations.ownedBy"},
};

typedef struct reader
{
	bsp_arena  *arena;
	const bsp_limits *limits;
	bsp_error  *err;
	bsp_sbuf   *norm;			/* NULL: no normalized output */
	bsp_sbuf	path;
	int			nodes;
	bool		filter_syntax;	/* reading an EntityFilter, not criteria */
	bsp_compile_env *env;		/* declared rules and walks; may be NULL */
} reader;

const char *
bsp_json_type_name(json_object *o)
{
	switch (json_object_get_type(o))
	{
		case json_type_null:
			return "null";
		case json_type_boolean:
			return "boolean";
		case json_type_double:
		case json_type_int:
			return "number";
		case json_type_string:
			return "string";
		case json_type_array:
			return "array";
		case json_type_object:
			return "object";
	}
	return "unknown";
}

json_object *
bsp_json_parse(const char *text, size_t len, int max_depth, const char *root,
			   bsp_error *err)
{
	json_tokener *tok;
	json_object *o;
	enum json_tokener_error jerr;

	if (len > (size_t) INT32_MAX)
	{
		bsp_fail_limit(err, BSP_LIMIT_SIZE, root, "document is larger than 2 GB");
		return NULL;
	}
	tok = json_tokener_new_ex(max_depth);
	if (!tok)
	{
		bsp_fail(err, BSP_ERR_OOM, root, "out of memory");
		return NULL;
	}
	o = json_tokener_parse_ex(tok, text, (int) len);
	jerr = json_tokener_get_error(tok);
	/* one JSON value and nothing after it but white space */
	if (o != NULL && jerr == json_tokener_success)
	{
		size_t		end = json_tokener_get_parse_end(tok);

		while (end < len && (text[end] == ' ' || text[end] == '\t' ||
							 text[end] == '\n' || text[end] == '\r'))
			end++;
		if (end < len)
		{
			bsp_fail(err, BSP_ERR_SYNTAX, root,
					 "unexpected data after the JSON value, at byte %zu", end);
			json_object_put(o);
			json_tokener_free(tok);
			return NULL;
		}
	}
	/* a bare number or literal is complete only at the end of the input */
	if (jerr == json_tokener_continue && o == NULL)
	{
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	if (jerr == json_tokener_error_depth)
	{
		bsp_fail_limit(err, BSP_LIMIT_DEPTH, root,
					   "document is nested more than %d JSON levels deep", max_depth);
		if (o)
			json_object_put(o);
		o = NULL;
	}
	else if (jerr != json_tokener_success)
	{
		bsp_fail(err, BSP_ERR_SYNTAX, root, "%s", json_tokener_error_desc(jerr));
		if (o)
			json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static bool
fail_type(reader *r, const char *expected, json_object *got)
{
	return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
					"expected %s, received %s", expected, bsp_json_type_name(got));
}

/* push ".name" or "[i]" onto the path; returns the old length */
#define path_push_key(r, name) bsp_path_push_key(&(r)->path, (name))
#define path_push_index(r, i) bsp_path_push_index(&(r)->path, (i))
#define path_pop(r, old) bsp_path_pop(&(r)->path, (old))

/* polls the caller's cancellation every 1024 units of work */
static bool
poll_cancel(reader *r, size_t work)
{
	if ((work & 1023) == 0 && r->limits->cancel_requested &&
		r->limits->cancel_requested(r->limits->cancel_ctx))
		return bsp_fail(r->err, BSP_ERR_CANCELED, r->path.data, "canceled");
	return true;
}

static bool
count_node(reader *r)
{
	if (!poll_cancel(r, (size_t) r->nodes + 1))
		return false;
	if (++r->nodes > r->limits->max_nodes)
		return bsp_fail_limit(r->err, BSP_LIMIT_NODES, r->path.data,
							  "criteria have more than %d nodes", r->limits->max_nodes);
	return true;
}

static bool
check_array_len(reader *r, size_t n)
{
	if (n > (size_t) r->limits->max_array)
		return bsp_fail_limit(r->err, BSP_LIMIT_ARRAY, r->path.data,
							  "array has %zu elements, more than the limit of %d",
							  n, r->limits->max_array);
	return true;
}

/*
 * Reads a string array at member "name" of params into values/lens.
 * Missing -> "required"; wrong types -> zod-like messages.
 */
static bool
read_string_array(reader *r, json_object *params, const char *name,
				  const char ***values, size_t **lens, int *n)
{
	json_object *arr;
	size_t		old = path_push_key(r, name);
	size_t		i,
				len;

	if (!json_object_object_get_ex(params, name, &arr))
		return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data, "required");
	if (!json_object_is_type(arr, json_type_array))
		return fail_type(r, "array", arr);
	len = json_object_array_length(arr);
	if (!check_array_len(r, len))
		return false;
	*values = bsp_alloc_array(r->arena, len ? len : 1, sizeof(char *));
	*lens = bsp_alloc_array(r->arena, len ? len : 1, sizeof(size_t));
	if (!*values || !*lens)
		return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory");
	for (i = 0; i < len; i++)
	{
		json_object *el = json_object_array_get_idx(arr, i);

		if (!poll_cancel(r, i + 1))
			return false;
		if (!json_object_is_type(el, json_type_string))
		{
			path_push_index(r, i);
			return fail_type(r, "string", el);
		}
		(*values)[i] = json_object_get_string(el);
		(*lens)[i] = (size_t) json_object_get_string_len(el);
	}
	*n = (int) len;
	path_pop(r, old);
	return true;
}

/* Reads an optional/required string member; *present tells which. */
static bool
read_string(reader *r, json_object *params, const char *name, bool required,
			const char **s, size_t *len, bool *present)
{
	json_object *v;
	size_t		old = path_push_key(r, name);

	*present = json_object_object_get_ex(params, name, &v);
	if (!*present)
	{
		if (required)
			return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data, "required");
		path_pop(r, old);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return fail_type(r, "string", v);
	*s = json_object_get_string(v);
	*len = (size_t) json_object_get_string_len(v);
	path_pop(r, old);
	return true;
}

static void
norm_string_array(bsp_sbuf *b, const char *const *values, const size_t *lens, int n)
{
	int			i;

	bsp_sbuf_putc(b, '[');
	for (i = 0; i < n; i++)
	{
		if (i)
			bsp_sbuf_appends(b, ", ");
		bsp_sbuf_json_string(b, values[i], lens[i]);
	}
	bsp_sbuf_putc(b, ']');
}

/* A declared rule's leaf: its parameters read as its schema says, then substituted. */
static bsp_fnode *
read_declared_leaf(reader *r, const bsp_rule *rule, json_object *params)
{
	int			np = bsp_rule_nparams(rule),
				i;
	bsp_rule_arg *args = bsp_alloc_array(r->arena, (size_t) (np ? np : 1), sizeof(bsp_rule_arg));
	bsp_fnode  *leaf;
	bool		first = true;

	if (!args)
		return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
	for (i = 0; i < np; i++)
	{
		const char *name = bsp_rule_param_name(rule, i);
		bool		required = bsp_rule_param_required(rule, i);
		bsp_rule_arg *arg = &args[i];

		if (bsp_rule_param_is_list(rule, i))
		{
			arg->present = json_object_object_get_ex(params, name, NULL);
			if ((arg->present || required) &&
				!read_string_array(r, params, name, &arg->vals, &arg->lens, &arg->n))
				return NULL;
			if (r->norm && arg->present)
			{
				bsp_sbuf_appends(r->norm, first ? "" : ", ");
				bsp_sbuf_json_string(r->norm, name, strlen(name));
				bsp_sbuf_appends(r->norm, ": ");
				norm_string_array(r->norm, arg->vals, arg->lens, arg->n);
				first = false;
			}
		}
		else
		{
			if (!read_string(r, params, name, required, &arg->s, &arg->len, &arg->present))
				return NULL;
			if (r->norm && arg->present)
			{
				bsp_sbuf_appends(r->norm, first ? "" : ", ");
				bsp_sbuf_json_string(r->norm, name, strlen(name));
				bsp_sbuf_appends(r->norm, ": ");
				bsp_sbuf_json_string(r->norm, arg->s, arg->len);
				first = false;
			}
		}
	}
	leaf = bsp_rule_instantiate(r->arena, rule, args);
	if (!leaf)
		bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory");
	return leaf;
}

static bool
same_strs(int n, const bsp_str *a, int m, const char *const *b, const size_t *blens)
{
	int			i;

	if (n != m)
		return false;
	for (i = 0; i < n; i++)
		if (a[i].len != blens[i] || memcmp(a[i].s, b[i], blens[i]) != 0)
			return false;
	return true;
}

/*
 * IS_ENTITY_OWNER's "transitive" and "maxDepth" (bsperm's extension): the
 * claims of leaf expanded through the hierarchy when the environment has
 * the walk's answer, else the walk recorded for the caller.
 */
static bsp_fnode *
read_transitive(reader *r, json_object *params, bsp_fnode *leaf)
{
	json_object *jt,
			   *jd;
	bsp_transitive dir = BSP_TRANS_NONE;
	int			depth = -1;
	size_t		old;
	int			i;
	bsp_owner_walk *w = NULL;
	bsp_compile_env *env = r->env;

	if (json_object_object_get_ex(params, "transitive", &jt))
	{
		const char *t;

		old = path_push_key(r, "transitive");
		if (!json_object_is_type(jt, json_type_string))
			return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
							"expected \"ancestors\" | \"descendants\", received %s",
							bsp_json_type_name(jt)), NULL;
		t = json_object_get_string(jt);
		if (strcmp(t, "ancestors") == 0)
			dir = BSP_TRANS_ANCESTORS;
		else if (strcmp(t, "descendants") == 0)
			dir = BSP_TRANS_DESCENDANTS;
		else
			return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
							"invalid enum value: expected \"ancestors\" | \"descendants\", received \"%s\"",
							t), NULL;
		path_pop(r, old);
	}
	if (json_object_object_get_ex(params, "maxDepth", &jd))
	{
		double		d;

		old = path_push_key(r, "maxDepth");
		if (!json_object_is_type(jd, json_type_int) && !json_object_is_type(jd, json_type_double))
			return fail_type(r, "number", jd), NULL;
		d = json_object_get_double(jd);
		if (json_object_is_type(jd, json_type_double) && (d != floor(d) || !isfinite(d)))
			return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
							"expected integer, received float"), NULL;
		if (d < 1)
			return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
							"number must be greater than or equal to 1"), NULL;
		if (dir == BSP_TRANS_NONE)
			return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
							"maxDepth needs \"transitive\": \"ancestors\" or \"descendants\""), NULL;
		depth = d > 1000000 ? 1000000 : (int) d;
		path_pop(r, old);
	}
	if (r->norm && dir != BSP_TRANS_NONE)
	{
		bsp_sbuf_appends(r->norm, dir == BSP_TRANS_ANCESTORS ?
						 ", \"transitive\": \"ancestors\"" : ", \"transitive\": \"descendants\"");
		if (depth > 0)
			bsp_sbuf_printf(r->norm, ", \"maxDepth\": %d", depth);
	}
	if (dir == BSP_TRANS_NONE || leaf->nvalues == 0)
		return leaf;
	if (env == NULL)
		return bsp_fail(r->err, BSP_ERR_NEED_WALK, r->path.data,
						"transitive ownership needs the catalog's group hierarchy"), NULL;
	for (i = 0; i < env->nwalks && w == NULL; i++)
	{
		bsp_owner_walk *c = &env->walks[i];

		if (c->dir == dir && c->max_depth == depth &&
			same_strs(leaf->nvalues, leaf->values, c->nclaims, c->claims, c->claimlens))
			w = c;
	}
	if (w == NULL)
	{
		if (env->nwalks == env->walkcap)
		{
			int			cap = env->walkcap ? env->walkcap * 2 : 4;
			bsp_owner_walk *nw = bsp_alloc_array(env->arena, (size_t) cap, sizeof(bsp_owner_walk));

			if (!nw)
				return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
			if (env->nwalks)
				memcpy(nw, env->walks, sizeof(bsp_owner_walk) * (size_t) env->nwalks);
			env->walks = nw;
			env->walkcap = cap;
		}
		w = &env->walks[env->nwalks++];
		memset(w, 0, sizeof(*w));
		w->dir = dir;
		w->max_depth = depth;
		w->nclaims = leaf->nvalues;
		w->claims = bsp_alloc_array(env->arena, (size_t) leaf->nvalues, sizeof(char *));
		w->claimlens = bsp_alloc_array(env->arena, (size_t) leaf->nvalues, sizeof(size_t));
		if (!w->claims || !w->claimlens)
			return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
		for (i = 0; i < leaf->nvalues; i++)
		{
			w->claims[i] = bsp_strndup(env->arena, leaf->values[i].s, leaf->values[i].len);
			w->claimlens[i] = leaf->values[i].len;
			if (!w->claims[i])
				return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
		}
	}
	if (!w->done)
	{
		env->pending++;
		return leaf;			/* a stand-in: this compile's result is not used */
	}
	leaf = bsp_fnode_leaf(r->arena, leaf->key.s, leaf->key.len, true, w->nrefs,
						  w->refs, w->reflens);
	if (!leaf)
		bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory");
	return leaf;
}

static bsp_fnode *
read_leaf(reader *r, json_object *o)
{
	json_object *jrule,
			   *jrt,
			   *params;
	const rule_def *def = NULL;
	const bsp_rule *declared = NULL;
	const char *rule;
	size_t		old,
				i;
	bsp_fnode  *leaf = NULL;

	old = path_push_key(r, "rule");
	json_object_object_get_ex(o, "rule", &jrule);
	if (!json_object_is_type(jrule, json_type_string))
		return fail_type(r, "string", jrule), NULL;
	rule = json_object_get_string(jrule);
	for (i = 0; i < sizeof(catalog_rules) / sizeof(catalog_rules[0]); i++)
		if (strcmp(catalog_rules[i].name, rule) == 0)
			def = &catalog_rules[i];
	path_pop(r, old);

	old = path_push_key(r, "resourceType");
	if (!json_object_object_get_ex(o, "resourceType", &jrt))
		return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data, "required"), NULL;
	if (!json_object_is_type(jrt, json_type_string))
		return fail_type(r, "string", jrt), NULL;
	path_pop(r, old);

	if (!def && r->env && r->env->rules == NULL)
	{
		old = path_push_key(r, "rule");
		bsp_fail(r->err, BSP_ERR_NEED_RULES, r->path.data, "declared rules are needed");
		return NULL;
	}
	if (!def && r->env)
		declared = bsp_ruleset_find(r->env->rules, rule);
	if (!def && !declared)
	{
		old = path_push_key(r, "rule");
		bsp_fail(r->err, BSP_ERR_UNKNOWN_RULE, r->path.data,
				 "permission rule \"%s\" does not exist for resource type \"%s\"",
				 rule, BSP_CATALOG_RESOURCE_TYPE);
		return NULL;
	}

	old = path_push_key(r, "params");
	if (!json_object_object_get_ex(o, "params", &params))
		return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data, "required"), NULL;
	if (!json_object_is_type(params, json_type_object))
		return fail_type(r, "object", params), NULL;

	if (r->norm)
	{
		bsp_sbuf_appends(r->norm, "{\"rule\": ");
		bsp_sbuf_json_string(r->norm, rule, strlen(rule));
		bsp_sbuf_appends(r->norm, ", \"resourceType\": ");
		bsp_sbuf_json_string(r->norm, json_object_get_string(jrt),
							 (size_t) json_object_get_string_len(jrt));
		bsp_sbuf_appends(r->norm, ", \"params\": {");
	}

	if (declared)
	{
		if (!(leaf = read_declared_leaf(r, declared, params)))
			return NULL;
	}
	else if (def->shape == SHAPE_LIST)
	{
		const char **values;
		size_t	   *lens;
		int			n;

		if (!read_string_array(r, params, def->param, &values, &lens, &n))
			return NULL;
		leaf = bsp_fnode_leaf(r->arena, def->key_prefix, strlen(def->key_prefix),
							  true, n, values, lens);
		if (r->norm)
		{
			bsp_sbuf_printf(r->norm, "\"%s\": ", def->param);
			norm_string_array(r->norm, values, lens, n);
		}
		if (leaf && strcmp(def->name, "IS_ENTITY_OWNER") == 0 &&
			!(leaf = read_transitive(r, params, leaf)))
			return NULL;
	}
	else
	{
		const char *name = NULL,
				   *value = NULL;
		size_t		namelen = 0,
					valuelen = 0;
		bool		has_name,
					has_value;
		bsp_sbuf	key;

		if (!read_string(r, params, def->param, true, &name, &namelen, &has_name) ||
			!read_string(r, params, "value", false, &value, &valuelen, &has_value))
			return NULL;
		bsp_sbuf_init(&key, r->arena);
		bsp_sbuf_appends(&key, def->key_prefix);
		bsp_sbuf_append(&key, name, namelen);
		if (key.failed)
			return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
		leaf = bsp_fnode_leaf(r->arena, key.data, key.len, has_value,
							  has_value ? 1 : 0, &value, &valuelen);
		if (r->norm)
		{
			bsp_sbuf_printf(r->norm, "\"%s\": ", def->param);
			bsp_sbuf_json_string(r->norm, name, namelen);
			if (has_value)
			{
				bsp_sbuf_appends(r->norm, ", \"value\": ");
				bsp_sbuf_json_string(r->norm, value, valuelen);
			}
		}
	}
	if (r->norm)
		bsp_sbuf_appends(r->norm, "}}");
	path_pop(r, old);
	if (!leaf)
		bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory");
	return leaf;
}

/* EntityFilter leaf: {"key": string, "values"?: string[]} */
static bsp_fnode *
read_filter_leaf(reader *r, json_object *o)
{
	const char *key = NULL;
	size_t		keylen = 0;
	bool		present;
	json_object *jv;
	const char **values = NULL;
	size_t	   *lens = NULL;
	int			n = 0;
	bsp_fnode  *leaf;

	if (!read_string(r, o, "key", true, &key, &keylen, &present))
		return NULL;
	if (json_object_object_get_ex(o, "values", &jv))
	{
		if (!read_string_array(r, o, "values", &values, &lens, &n))
			return NULL;
	}
	leaf = bsp_fnode_leaf(r->arena, key, keylen, values != NULL, n, values, lens);
	if (!leaf)
		bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory");
	return leaf;
}

static bsp_fnode *
read_node(reader *r, json_object *o, int depth)
{
	static const char *const kinds[] = {"allOf", "anyOf", "not", "rule", "key"};
	const char *leafname = r->filter_syntax ? "key" : "rule";
	const char *found[2] = {NULL, NULL};
	int			nfound = 0;
	size_t		i;
	json_object *child;
	bsp_fnode  *n;

	if (!count_node(r))
		return NULL;
	if (depth > r->limits->max_depth)
	{
		bsp_fail_limit(r->err, BSP_LIMIT_DEPTH, r->path.data,
					   "criteria are nested deeper than %d levels", r->limits->max_depth);
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object))
		return fail_type(r, "object", o), NULL;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
	{
		if (i >= 3 && strcmp(kinds[i], leafname) != 0)
			continue;
		if (json_object_object_get_ex(o, kinds[i], NULL))
		{
			if (nfound < 2)
				found[nfound] = kinds[i];
			nfound++;
		}
	}
	if (nfound == 0)
	{
		bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
				 "expected an object with one of \"allOf\", \"anyOf\", \"not\" or \"%s\"",
				 leafname);
		return NULL;
	}
	if (nfound > 1)
	{
		bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
				 "ambiguous criteria node: \"%s\" and \"%s\" cannot be combined",
				 found[0], found[1]);
		return NULL;
	}

	if (strcmp(found[0], "allOf") == 0 || strcmp(found[0], "anyOf") == 0)
	{
		bool		all = (found[0][0] == 'a' && found[0][1] == 'l');
		size_t		old = path_push_key(r, found[0]);
		size_t		len;

		json_object_object_get_ex(o, found[0], &child);
		if (!json_object_is_type(child, json_type_array))
			return fail_type(r, "array", child), NULL;
		len = json_object_array_length(child);
		if (len == 0 && !r->filter_syntax)
		{
			bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
					 "array must contain at least 1 element");
			return NULL;
		}
		if (!check_array_len(r, len))
			return NULL;
		n = bsp_fnode_new(r->arena, all ? BSP_F_ALL : BSP_F_ANY, (int) len);
		if (!n)
			return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
		if (r->norm)
			bsp_sbuf_printf(r->norm, "{\"%s\": [", found[0]);
		for (i = 0; i < len; i++)
		{
			size_t		o2 = path_push_index(r, i);

			if (r->norm && i)
				bsp_sbuf_appends(r->norm, ", ");
			n->children[i] = read_node(r, json_object_array_get_idx(child, i), depth + 1);
			if (!n->children[i])
				return NULL;
			path_pop(r, o2);
		}
		if (r->norm)
			bsp_sbuf_appends(r->norm, "]}");
		path_pop(r, old);
		return n;
	}
	if (strcmp(found[0], "not") == 0)
	{
		size_t		old = path_push_key(r, "not");

		json_object_object_get_ex(o, "not", &child);
		n = bsp_fnode_new(r->arena, BSP_F_NOT, 1);
		if (!n)
			return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory"), NULL;
		if (r->norm)
			bsp_sbuf_appends(r->norm, "{\"not\": ");
		n->children[0] = read_node(r, child, depth + 1);
		if (!n->children[0])
			return NULL;
		if (r->norm)
			bsp_sbuf_putc(r->norm, '}');
		path_pop(r, old);
		return n;
	}
	return r->filter_syntax ? read_filter_leaf(r, o) : read_leaf(r, o);
}

static bool
read_tree(bsp_arena *a, json_object *doc, const bsp_limits *limits,
		  const char *root, bool filter_syntax, bsp_compile_env *env,
		  bsp_filter **out, bsp_sbuf *normalized, bsp_error *err)
{
	reader		r;
	bsp_fnode  *n;

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.limits = limits;
	r.err = err;
	r.norm = normalized;
	r.filter_syntax = filter_syntax;
	r.env = env;
	if (env)
		env->pending = 0;
	bsp_sbuf_init(&r.path, a);
	bsp_sbuf_appends(&r.path, root);
	if (r.path.failed)
		return bsp_fail(err, BSP_ERR_OOM, root, "out of memory");

	n = read_node(&r, doc, 1);
	if (!n)
	{
		if (err->kind == BSP_OK)
			bsp_fail(err, BSP_ERR_OOM, root, "out of memory");
		return false;
	}
	if (normalized && normalized->failed)
		return bsp_fail(err, BSP_ERR_OOM, root, "out of memory");
	if (env && env->pending > 0)
		return bsp_fail(err, BSP_ERR_NEED_WALK, root,
						"%d expansions of claims through the group hierarchy are needed",
						env->pending);
	*out = bsp_filter_finish(a, n);
	if (!*out)
		return bsp_fail(err, BSP_ERR_OOM, root, "out of memory");
	return true;
}

bool
bsp_criteria_compile(bsp_arena *a, json_object *criteria, const bsp_limits *limits,
					 bsp_filter **out, bsp_sbuf *normalized, bsp_error *err)
{
	return read_tree(a, criteria, limits, "criteria", false, NULL, out, normalized, err);
}

bool
bsp_criteria_compile_env(bsp_arena *a, json_object *criteria, const bsp_limits *limits,
						 bsp_compile_env *env, bsp_filter **out,
						 bsp_sbuf *normalized, bsp_error *err)
{
	return read_tree(a, criteria, limits, "criteria", false, env, out, normalized, err);
}

bool
bsp_filter_parse(bsp_arena *a, json_object *filter, const bsp_limits *limits,
				 bsp_filter **out, bsp_error *err)
{
	return read_tree(a, filter, limits, "filter", true, NULL, out, NULL, err);
}

/* ---- text entry points (bsp_doc.h) ---- */

/*
 * JSON nesting that criteria of max_depth levels can need: allOf/anyOf
 * take two JSON levels (object and array), params two more; anything
 * deeper is over the criteria limit anyway and is refused while parsing,
 * before the tree exists.
 */
static int
json_depth(const bsp_limits *limits)
{
	long		d = 2L * limits->max_depth + 8;

	return d > 100000 ? 100000 : (int) d;
}

bool
bsp_criteria_compile_text(bsp_arena *a, const char *text, size_t len,
						  const bsp_limits *limits, bsp_filter **out,
						  bsp_sbuf *normalized, bsp_error *err)
{
	return bsp_criteria_compile_text_env(a, text, len, limits, NULL, out, normalized, err);
}

bool
bsp_criteria_compile_text_env(bsp_arena *a, const char *text, size_t len,
							  const bsp_limits *limits, bsp_compile_env *env,
							  bsp_filter **out, bsp_sbuf *normalized, bsp_error *err)
{
	json_object *doc = bsp_json_parse(text, len, json_depth(limits), "criteria", err);
	bool		ok;

	if (!doc && err->kind != BSP_OK)
		return false;
	ok = bsp_criteria_compile_env(a, doc, limits, env, out, normalized, err);
	json_object_put(doc);
	return ok;
}

bool
bsp_filter_parse_text(bsp_arena *a, const char *text, size_t len,
					  const bsp_limits *limits, bsp_filter **out, bsp_error *err)
{
	json_object *doc = bsp_json_parse(text, len, json_depth(limits), "filter", err);
	bool		ok;

	if (!doc && err->kind != BSP_OK)
		return false;
	ok = bsp_filter_parse(a, doc, limits, out, err);
	json_object_put(doc);
	return ok;
}
