/*-------------------------------------------------------------------------
 * bsp_rules.c
 *	  Declared permission rules: reading declarations (json-c), and
 *	  substituting a rule's parameters into its filter.
 *
 * A declaration is checked completely when read, so a rule that was
 * stored can always be used: every "${p}" names a property of the right
 * type, a key names only required parameters, and the schema uses only
 * what the criteria reader enforces (see bsp_rules.h).  Everything read
 * is copied into the caller's arena; the json-c tree is released before
 * returning.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_criteria.h"
#include "bsp_rules.h"

#define MAX_PARAMS 32
#define MAX_TEMPLATE_NODES 256
#define MAX_TEMPLATE_DEPTH 16

typedef struct tpart
{
	int			param;			/* -1: literal text */
	const char *s;
	size_t		len;
} tpart;

typedef struct tstr
{
	int			nparts;
	tpart	   *parts;
} tstr;

typedef enum tvalues
{
	TV_NONE,					/* existence test */
	TV_LIST,					/* an array of template strings */
	TV_PARAM					/* a string-array parameter */
} tvalues;

typedef struct tnode
{
	bsp_fkind	kind;
	int			nchildren;
	struct tnode **children;
	tstr		key;
	tvalues		vmode;
	int			nvalues;
	tstr	   *values;
	int			vparam;
} tnode;

typedef struct rparam
{
	const char *name;
	bool		list;
	bool		required;
} rparam;

struct bsp_rule
{
	const char *name;
	const char *resource_type;
	int			nparams;
	rparam	   *params;
	tnode	   *root;
};

struct bsp_ruleset
{
	int			n;
	bsp_rule  **rules;			/* sorted by name */
};

/* The core's own rules (bsp_criteria.c) */
static const char *const core_rules[] = {
	"HAS_ANNOTATION", "HAS_LABEL", "HAS_METADATA", "HAS_SPEC",
	"IS_ENTITY_KIND", "IS_ENTITY_OWNER",
};

const char *const bsp_builtin_rules_json =
"[{\"name\": \"IS_FROM_CLUSTER\", \"resourceType\": \"catalog-entity\","
" \"description\": \"Allow entities discovered in one of the given Kubernetes clusters (the backstage.io/kubernetes-cluster annotation)\","
" \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"clusters\": {\"type\": \"array\", \"items\": {\"type\": \"string\"},"
" \"description\": \"Names of the clusters\"}}, \"required\": [\"clusters\"], \"additionalProperties\": false,"
" \"$schema\": \"http://json-schema.org/draft-07/schema#\"},"
" \"filter\": {\"key\": \"metadata.annotations.backstage.io/kubernetes-cluster\", \"values\": \"${clusters}\"}},"
" {\"name\": \"IN_NAMESPACE\", \"resourceType\": \"catalog-entity\","
" \"description\": \"Allow entities in one of the given namespaces (an entity without a namespace is in default)\","
" \"paramsSchema\": {\"type\": \"object\", \"properties\": {\"namespaces\": {\"type\": \"array\", \"items\": {\"type\": \"string\"},"
" \"description\": \"Names of the namespaces\"}}, \"required\": [\"namespaces\"], \"additionalProperties\": false,"
" \"$schema\": \"http://json-schema.org/draft-07/schema#\"},"
" \"filter\": {\"key\": \"metadata.namespace\", \"values\": \"${namespaces}\"}}]";

typedef struct rreader
{
	bsp_arena  *arena;
	bsp_error  *err;
	bsp_sbuf	path;
	bsp_rule   *rule;
	int			nodes;
} rreader;

#define rpush(r, name) bsp_path_push_key(&(r)->path, (name))
#define rpush_index(r, i) bsp_path_push_index(&(r)->path, (i))
#define rpop(r, old) bsp_path_pop(&(r)->path, (old))

static bool
rfail(rreader *r, const char *fmt, const char *arg)
{
	return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data, fmt, arg);
}

static bool
rfail_type(rreader *r, const char *expected, json_object *got)
{
	return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
					"expected %s, received %s", expected, bsp_json_type_name(got));
}

static bool
room(rreader *r)
{
	return bsp_fail(r->err, BSP_ERR_OOM, r->path.data, "out of memory");
}

/* Only the listed members may appear in o. */
static bool
only_members(rreader *r, json_object *o, const char *const *allowed, int nallowed,
			 const char *what)
{
	json_object_object_foreach(o, k, v)
	{
		int			i;
		bool		ok = false;

		(void) v;
		for (i = 0; i < nallowed; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = true;
		if (!ok)
		{
			size_t		old = rpush(r, k);

			bsp_fail(r->err, BSP_ERR_INVALID, r->path.data, "%s \"%s\" is not supported", what, k);
			rpop(r, old);
			return false;
		}
	}
	return true;
}

/* A required (or optional) string member copied into the arena. */
static bool
rstring(rreader *r, json_object *o, const char *name, bool required, bool nonempty,
		const char **out)
{
	json_object *v;
	size_t		old = rpush(r, name);

	*out = NULL;
	if (!json_object_object_get_ex(o, name, &v))
	{
		if (required)
			return rfail(r, "required%s", "");
		rpop(r, old);
		return true;
	}
	if (!json_object_is_type(v, json_type_string))
		return rfail_type(r, "string", v);
	if (nonempty && json_object_get_string_len(v) == 0)
		return rfail(r, "must not be empty%s", "");
	*out = bsp_strndup(r->arena, json_object_get_string(v),
					   (size_t) json_object_get_string_len(v));
	if (!*out)
		return room(r);
	rpop(r, old);
	return true;
}

static int
find_param(const bsp_rule *rule, const char *name, size_t len)
{
	int			i;

	for (i = 0; i < rule->nparams; i++)
		if (strlen(rule->params[i].name) == len &&
			memcmp(rule->params[i].name, name, len) == 0)
			return i;
	return -1;
}

/* ---- the parameter schema ---- */

static bool
read_property(rreader *r, const char *name, json_object *prop, rparam *p)
{
	static const char *const allowed[] = {"type", "items", "description"};
	const char *type = NULL,
			   *desc = NULL;

	if (!json_object_is_type(prop, json_type_object))
		return rfail_type(r, "object", prop);
	if (!only_members(r, prop, allowed, 3, "JSON Schema keyword") ||
		!rstring(r, prop, "type", true, false, &type) ||
		!rstring(r, prop, "description", false, false, &desc))
		return false;
	p->name = bsp_strndup(r->arena, name, strlen(name));
	if (!p->name)
		return room(r);
	if (strcmp(type, "string") == 0)
	{
		if (json_object_object_get_ex(prop, "items", NULL))
		{
			size_t		old = rpush(r, "items");

			(void) old;
			return rfail(r, "only an array property has items%s", "");
		}
		p->list = false;
		return true;
	}
	if (strcmp(type, "array") == 0)
	{
		json_object *items,
				   *it;
		size_t		old = rpush(r, "items");

		if (!json_object_object_get_ex(prop, "items", &items))
			return rfail(r, "required%s", "");
		if (!json_object_is_type(items, json_type_object))
			return rfail_type(r, "object", items);
		{
			static const char *const iallowed[] = {"type"};

			if (!only_members(r, items, iallowed, 1, "JSON Schema keyword"))
				return false;
		}
		{
			size_t		o2 = rpush(r, "type");

			if (!json_object_object_get_ex(items, "type", &it))
				return rfail(r, "required%s", "");
			if (!json_object_is_type(it, json_type_string) ||
				strcmp(json_object_get_string(it), "string") != 0)
				return rfail(r, "items must be of type \"string\"%s", "");
			rpop(r, o2);
		}
		rpop(r, old);
		p->list = true;
		return true;
	}
	{
		size_t		old = rpush(r, "type");

		(void) old;
		return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
						"unsupported type \"%s\": a parameter is a \"string\" or an \"array\" of strings",
						type);
	}
}

static bool
read_schema(rreader *r, json_object *schema)
{
	static const char *const allowed[] = {"type", "properties", "required",
	"additionalProperties", "$schema", "description"};
	bsp_rule   *rule = r->rule;
	json_object *props,
			   *req,
			   *v;
	const char *type = NULL;
	size_t		old;

	if (!json_object_is_type(schema, json_type_object))
		return rfail_type(r, "object", schema);
	if (!only_members(r, schema, allowed, 6, "JSON Schema keyword") ||
		!rstring(r, schema, "type", true, false, &type))
		return false;
	if (strcmp(type, "object") != 0)
	{
		old = rpush(r, "type");
		return rfail(r, "the parameter schema must be of type \"object\"%s", "");
	}
	if (json_object_object_get_ex(schema, "additionalProperties", &v) &&
		!json_object_is_type(v, json_type_boolean))
	{
		old = rpush(r, "additionalProperties");
		return rfail_type(r, "boolean", v);
	}
	if (json_object_object_get_ex(schema, "$schema", &v) &&
		!json_object_is_type(v, json_type_string))
	{
		old = rpush(r, "$schema");
		return rfail_type(r, "string", v);
	}
	rule->params = bsp_alloc_array(r->arena, MAX_PARAMS, sizeof(rparam));
	if (!rule->params)
		return room(r);
	if (json_object_object_get_ex(schema, "properties", &props))
	{
		old = rpush(r, "properties");
		if (!json_object_is_type(props, json_type_object))
			return rfail_type(r, "object", props);
		{
			json_object_object_foreach(props, k, p)
			{
				size_t		o2 = rpush(r, k);

				if (rule->nparams == MAX_PARAMS)
					return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
									"a rule has at most %d parameters", MAX_PARAMS);
				if (!read_property(r, k, p, &rule->params[rule->nparams]))
					return false;
				rule->nparams++;
				rpop(r, o2);
			}
		}
		rpop(r, old);
	}
	if (json_object_object_get_ex(schema, "required", &req))
	{
		size_t		i,
					n;

		old = rpush(r, "required");
		if (!json_object_is_type(req, json_type_array))
			return rfail_type(r, "array", req);
		n = json_object_array_length(req);
		for (i = 0; i < n; i++)
		{
			json_object *el = json_object_array_get_idx(req, i);
			size_t		o2 = rpush_index(r, i);
			int			pi;

			if (!json_object_is_type(el, json_type_string))
				return rfail_type(r, "string", el);
			pi = find_param(rule, json_object_get_string(el),
							(size_t) json_object_get_string_len(el));
			if (pi < 0)
				return rfail(r, "\"%s\" is not a property of the schema",
							 json_object_get_string(el));
			rule->params[pi].required = true;
			rpop(r, o2);
		}
		rpop(r, old);
	}
	return true;
}

/* ---- the filter template ---- */

/* Splits "a${p}b" into parts; want_list: the parameters must be lists. */
static bool
read_tstr(rreader *r, const char *s, size_t len, bool want_list, bool want_required,
		  tstr *out)
{
	size_t		i = 0,
				start = 0;
	bsp_sbuf	lit;
	tpart		parts[64];
	int			n = 0;

	bsp_sbuf_init(&lit, r->arena);
	while (i <= len)
	{
		bool		end = (i == len);

		if (!end && s[i] != '$')
		{
			i++;
			continue;
		}
		bsp_sbuf_append(&lit, s + start, i - start);
		if (end)
			break;
		if (i + 1 < len && s[i + 1] == '$')
		{
			bsp_sbuf_putc(&lit, '$');
			i += 2;
			start = i;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '{')
		{
			const char *close = memchr(s + i + 2, '}', len - i - 2);
			int			pi;

			if (close == NULL)
				return rfail(r, "\"${\" without a closing \"}\"%s", "");
			pi = find_param(r->rule, s + i + 2, (size_t) (close - (s + i + 2)));
			if (pi < 0)
			{
				char		name[128];
				size_t		nl = (size_t) (close - (s + i + 2));

				if (nl >= sizeof(name))
					nl = sizeof(name) - 1;
				memcpy(name, s + i + 2, nl);
				name[nl] = '\0';
				return rfail(r, "parameter \"%s\" is not a property of paramsSchema", name);
			}
			if (r->rule->params[pi].list != want_list)
				return rfail(r, want_list ?
							 "parameter \"%s\" is a string: \"values\": \"${...}\" takes an array parameter" :
							 "parameter \"%s\" is an array: only \"values\": \"${...}\" takes it whole",
							 r->rule->params[pi].name);
			if (want_required && !r->rule->params[pi].required)
				return rfail(r, "parameter \"%s\" is optional: a key may use only required parameters",
							 r->rule->params[pi].name);
			if (n + 2 > (int) (sizeof(parts) / sizeof(parts[0])))
				return rfail(r, "too many parameters in one string%s", "");
			if (lit.len > 0)
			{
				parts[n].param = -1;
				parts[n].s = bsp_strndup(r->arena, lit.data, lit.len);
				parts[n].len = lit.len;
				if (!parts[n].s)
					return room(r);
				n++;
				bsp_sbuf_reset(&lit);
			}
			parts[n].param = pi;
			parts[n].s = NULL;
			parts[n].len = 0;
			n++;
			i = (size_t) (close - s) + 1;
			start = i;
			continue;
		}
		return rfail(r, "\"$\" starts \"${parameter}\" or \"$$\"%s", "");
	}
	if (lit.failed)
		return room(r);
	if (lit.len > 0 || n == 0)
	{
		if (n + 1 > (int) (sizeof(parts) / sizeof(parts[0])))
			return rfail(r, "too many parameters in one string%s", "");
		parts[n].param = -1;
		parts[n].s = bsp_strndup(r->arena, lit.data ? lit.data : "", lit.len);
		parts[n].len = lit.len;
		if (!parts[n].s)
			return room(r);
		n++;
	}
	out->nparts = n;
	out->parts = bsp_alloc_array(r->arena, (size_t) n, sizeof(tpart));
	if (!out->parts)
		return room(r);
	memcpy(out->parts, parts, sizeof(tpart) * (size_t) n);
	return true;
}

static tnode *read_tnode(rreader *r, json_object *o, int depth);

static tnode *
read_tleaf(rreader *r, json_object *o, tnode *n)
{
	static const char *const allowed[] = {"key", "values"};
	json_object *k,
			   *v;
	size_t		old;

	if (!only_members(r, o, allowed, 2, "member"))
		return NULL;
	n->kind = BSP_F_LEAF;
	old = rpush(r, "key");
	json_object_object_get_ex(o, "key", &k);
	if (!json_object_is_type(k, json_type_string))
		return rfail_type(r, "string", k), NULL;
	if (json_object_get_string_len(k) == 0)
		return rfail(r, "must not be empty%s", ""), NULL;
	if (!read_tstr(r, json_object_get_string(k), (size_t) json_object_get_string_len(k),
				   false, true, &n->key))
		return NULL;
	rpop(r, old);
	n->vmode = TV_NONE;
	if (!json_object_object_get_ex(o, "values", &v))
		return n;
	old = rpush(r, "values");
	if (json_object_is_type(v, json_type_string))
	{
		tstr		t;

		if (!read_tstr(r, json_object_get_string(v), (size_t) json_object_get_string_len(v),
					   true, false, &t))
			return NULL;
		if (t.nparts != 1 || t.parts[0].param < 0)
			return rfail(r, "a string here must be exactly \"${parameter}\", an array parameter%s", ""), NULL;
		n->vmode = TV_PARAM;
		n->vparam = t.parts[0].param;
	}
	else if (json_object_is_type(v, json_type_array))
	{
		size_t		i,
					len = json_object_array_length(v);

		if (len > 1000)
			return rfail(r, "at most 1000 values%s", ""), NULL;
		n->vmode = TV_LIST;
		n->nvalues = (int) len;
		n->values = bsp_alloc_array(r->arena, len ? len : 1, sizeof(tstr));
		if (!n->values)
			return room(r), NULL;
		for (i = 0; i < len; i++)
		{
			json_object *el = json_object_array_get_idx(v, i);
			size_t		o2 = rpush_index(r, i);

			if (!json_object_is_type(el, json_type_string))
				return rfail_type(r, "string", el), NULL;
			if (!read_tstr(r, json_object_get_string(el), (size_t) json_object_get_string_len(el),
						   false, false, &n->values[i]))
				return NULL;
			rpop(r, o2);
		}
	}
	else
		return rfail_type(r, "array or \"${parameter}\"", v), NULL;
	rpop(r, old);
	return n;
}

static tnode *
read_tnode(rreader *r, json_object *o, int depth)
{
	static const char *const kinds[] = {"allOf", "anyOf", "not", "key"};
	const char *found = NULL;
	size_t		i;
	tnode	   *n;
	json_object *child;

	if (++r->nodes > MAX_TEMPLATE_NODES)
		return rfail(r, "a rule's filter has at most 256 nodes%s", ""), NULL;
	if (depth > MAX_TEMPLATE_DEPTH)
		return rfail(r, "a rule's filter is nested at most 16 levels deep%s", ""), NULL;
	if (!json_object_is_type(o, json_type_object))
		return rfail_type(r, "object", o), NULL;
	for (i = 0; i < 4; i++)
		if (json_object_object_get_ex(o, kinds[i], NULL))
		{
			if (found)
				return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
								"ambiguous filter node: \"%s\" and \"%s\" cannot be combined",
								found, kinds[i]), NULL;
			found = kinds[i];
		}
	if (!found)
		return rfail(r, "expected an object with one of \"allOf\", \"anyOf\", \"not\" or \"key\"%s", ""), NULL;
	n = bsp_alloc(r->arena, sizeof(tnode));
	if (!n)
		return room(r), NULL;
	if (strcmp(found, "key") == 0)
		return read_tleaf(r, o, n);
	if (json_object_object_length(o) != 1)
	{
		json_object_object_foreach(o, k, v)
		{
			(void) v;
			if (strcmp(k, found) != 0)
			{
				size_t		old = rpush(r, k);

				(void) old;
				return bsp_fail(r->err, BSP_ERR_INVALID, r->path.data,
								"member \"%s\" is not supported", k), NULL;
			}
		}
	}
	json_object_object_get_ex(o, found, &child);
	if (strcmp(found, "not") == 0)
	{
		size_t		old = rpush(r, "not");

		n->kind = BSP_F_NOT;
		n->nchildren = 1;
		n->children = bsp_alloc_array(r->arena, 1, sizeof(tnode *));
		if (!n->children)
			return room(r), NULL;
		if (!(n->children[0] = read_tnode(r, child, depth + 1)))
			return NULL;
		rpop(r, old);
		return n;
	}
	{
		size_t		old = rpush(r, found),
					len;

		if (!json_object_is_type(child, json_type_array))
			return rfail_type(r, "array", child), NULL;
		len = json_object_array_length(child);
		if (len > MAX_TEMPLATE_NODES)
			return rfail(r, "a rule's filter has at most 256 nodes%s", ""), NULL;
		n->kind = found[1] == 'l' ? BSP_F_ALL : BSP_F_ANY;
		n->nchildren = (int) len;
		n->children = bsp_alloc_array(r->arena, len ? len : 1, sizeof(tnode *));
		if (!n->children)
			return room(r), NULL;
		for (i = 0; i < len; i++)
		{
			size_t		o2 = rpush_index(r, i);

			if (!(n->children[i] = read_tnode(r, json_object_array_get_idx(child, i), depth + 1)))
				return NULL;
			rpop(r, o2);
		}
		rpop(r, old);
	}
	return n;
}

bool
bsp_rule_is_core(const char *name)
{
	size_t		i;

	for (i = 0; i < sizeof(core_rules) / sizeof(core_rules[0]); i++)
		if (strcmp(core_rules[i], name) == 0)
			return true;
	return false;
}

static bool
read_rule(rreader *r, json_object *o, bsp_rule **out)
{
	static const char *const allowed[] = {"name", "resourceType", "description",
	"paramsSchema", "filter"};
	const char *desc;
	json_object *v;
	size_t		old;

	if (!json_object_is_type(o, json_type_object))
		return rfail_type(r, "object", o);
	r->rule = bsp_alloc(r->arena, sizeof(bsp_rule));
	if (!r->rule)
		return room(r);
	r->nodes = 0;
	if (!only_members(r, o, allowed, 5, "member") ||
		!rstring(r, o, "name", true, true, &r->rule->name) ||
		!rstring(r, o, "resourceType", true, true, &r->rule->resource_type) ||
		!rstring(r, o, "description", true, false, &desc))
		return false;
	if (bsp_rule_is_core(r->rule->name))
	{
		old = rpush(r, "name");
		return rfail(r, "\"%s\" is one of the catalog's own rules and cannot be declared",
					 r->rule->name);
	}
	if (strcmp(r->rule->resource_type, BSP_CATALOG_RESOURCE_TYPE) != 0)
	{
		old = rpush(r, "resourceType");
		return rfail(r, "rules are declared for \"catalog-entity\", not \"%s\"",
					 r->rule->resource_type);
	}
	old = rpush(r, "paramsSchema");
	if (!json_object_object_get_ex(o, "paramsSchema", &v))
		return rfail(r, "required%s", "");
	if (!read_schema(r, v))
		return false;
	rpop(r, old);
	old = rpush(r, "filter");
	if (!json_object_object_get_ex(o, "filter", &v))
		return rfail(r, "required%s", "");
	if (!(r->rule->root = read_tnode(r, v, 1)))
		return false;
	rpop(r, old);
	*out = r->rule;
	return true;
}

static json_object *
parse_root(const char *text, size_t len, const char *root, bsp_error *err)
{
	return bsp_json_parse(text, len, 64, root, err);
}

static bool
reader_init(rreader *r, bsp_arena *a, bsp_error *err, const char *root)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->err = err;
	bsp_sbuf_init(&r->path, a);
	bsp_sbuf_appends(&r->path, root);
	return !r->path.failed;
}

bool
bsp_rule_parse_text(bsp_arena *a, const char *text, size_t len, bsp_rule **out,
					bsp_error *err)
{
	rreader		r;
	json_object *doc;
	bool		ok;

	if (!reader_init(&r, a, err, "rule"))
		return bsp_fail(err, BSP_ERR_OOM, "rule", "out of memory");
	doc = parse_root(text, len, "rule", err);
	if (!doc)
		return err->kind != BSP_OK ? false : bsp_fail(err, BSP_ERR_INVALID, "rule",
													  "expected object, received null");
	ok = read_rule(&r, doc, out);
	json_object_put(doc);
	return ok;
}

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp((*(bsp_rule *const *) a)->name, (*(bsp_rule *const *) b)->name);
}

bool
bsp_ruleset_parse_text(bsp_arena *a, const char *text, size_t len, bsp_ruleset **out,
					   bsp_error *err)
{
	rreader		r;
	json_object *doc;
	bsp_ruleset *rs;
	size_t		i,
				n;
	bool		ok = true;

	if (!reader_init(&r, a, err, "rules"))
		return bsp_fail(err, BSP_ERR_OOM, "rules", "out of memory");
	doc = parse_root(text, len, "rules", err);
	if (!doc && err->kind != BSP_OK)
		return false;
	rs = bsp_alloc(a, sizeof(bsp_ruleset));
	if (!rs)
	{
		json_object_put(doc);
		return bsp_fail(err, BSP_ERR_OOM, "rules", "out of memory");
	}
	if (doc == NULL)
	{
		*out = rs;				/* JSON null: no rules */
		return true;
	}
	if (!json_object_is_type(doc, json_type_array))
	{
		ok = rfail_type(&r, "array", doc);
		json_object_put(doc);
		return ok;
	}
	n = json_object_array_length(doc);
	rs->rules = bsp_alloc_array(a, n ? n : 1, sizeof(bsp_rule *));
	if (!rs->rules)
		ok = room(&r);
	for (i = 0; ok && i < n; i++)
	{
		size_t		old = rpush_index(&r, i);

		ok = read_rule(&r, json_object_array_get_idx(doc, i), &rs->rules[i]);
		rpop(&r, old);
	}
	json_object_put(doc);
	if (!ok)
		return false;
	rs->n = (int) n;
	qsort(rs->rules, n, sizeof(bsp_rule *), rule_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(rs->rules[i]->name, rs->rules[i - 1]->name) == 0)
			return bsp_fail(err, BSP_ERR_INVALID, "rules",
							"rule \"%s\" is declared twice", rs->rules[i]->name);
	*out = rs;
	return true;
}

int
bsp_ruleset_count(const bsp_ruleset *rs)
{
	return rs ? rs->n : 0;
}

const bsp_rule *
bsp_ruleset_find(const bsp_ruleset *rs, const char *name)
{
	int			lo = 0,
				hi;

	if (rs == NULL)
		return NULL;
	hi = rs->n - 1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = strcmp(rs->rules[mid]->name, name);

		if (c == 0)
			return rs->rules[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

const char *
bsp_rule_name(const bsp_rule *r)
{
	return r->name;
}

const char *
bsp_rule_resource_type(const bsp_rule *r)
{
	return r->resource_type;
}

int
bsp_rule_nparams(const bsp_rule *r)
{
	return r->nparams;
}

const char *
bsp_rule_param_name(const bsp_rule *r, int i)
{
	return r->params[i].name;
}

bool
bsp_rule_param_is_list(const bsp_rule *r, int i)
{
	return r->params[i].list;
}

bool
bsp_rule_param_required(const bsp_rule *r, int i)
{
	return r->params[i].required;
}

/* ---- substitution ---- */

/* false: a part names an absent parameter (*absent set) or out of memory */
static bool
expand_tstr(bsp_sbuf *b, const tstr *t, const bsp_rule_arg *args, bool *absent)
{
	int			i;

	bsp_sbuf_reset(b);
	bsp_sbuf_append(b, "", 0);
	for (i = 0; i < t->nparts; i++)
	{
		const tpart *p = &t->parts[i];

		if (p->param < 0)
			bsp_sbuf_append(b, p->s, p->len);
		else if (!args[p->param].present)
		{
			*absent = true;
			return false;
		}
		else
			bsp_sbuf_append(b, args[p->param].s, args[p->param].len);
	}
	return !b->failed;
}

static bsp_fnode *
instantiate(bsp_arena *a, const tnode *t, const bsp_rule_arg *args)
{
	bsp_fnode  *n;
	int			i;

	if (t->kind != BSP_F_LEAF)
	{
		n = bsp_fnode_new(a, t->kind, t->nchildren);
		if (!n)
			return NULL;
		for (i = 0; i < t->nchildren; i++)
			if (!(n->children[i] = instantiate(a, t->children[i], args)))
				return NULL;
		return n;
	}
	{
		bsp_sbuf	key;
		bool		absent = false;

		bsp_sbuf_init(&key, a);
		if (!expand_tstr(&key, &t->key, args, &absent))
			return NULL;		/* key parameters are required: only OOM */
		if (t->vmode == TV_NONE ||
			(t->vmode == TV_PARAM && !args[t->vparam].present))
			return bsp_fnode_leaf(a, key.data, key.len, false, 0, NULL, NULL);
		if (t->vmode == TV_PARAM)
			return bsp_fnode_leaf(a, key.data, key.len, true, args[t->vparam].n,
								  args[t->vparam].vals, args[t->vparam].lens);
		{
			const char **vals = bsp_alloc_array(a, (size_t) (t->nvalues ? t->nvalues : 1),
												sizeof(char *));
			size_t	   *lens = bsp_alloc_array(a, (size_t) (t->nvalues ? t->nvalues : 1),
											   sizeof(size_t));

			if (!vals || !lens)
				return NULL;
			for (i = 0; i < t->nvalues; i++)
			{
				bsp_sbuf	v;

				bsp_sbuf_init(&v, a);
				if (!expand_tstr(&v, &t->values[i], args, &absent))
				{
					if (absent)
						return bsp_fnode_leaf(a, key.data, key.len, false, 0, NULL, NULL);
					return NULL;
				}
				vals[i] = v.data;
				lens[i] = v.len;
			}
			return bsp_fnode_leaf(a, key.data, key.len, true, t->nvalues, vals, lens);
		}
	}
}

bsp_fnode *
bsp_rule_instantiate(bsp_arena *a, const bsp_rule *r, const bsp_rule_arg *args)
{
	return instantiate(a, r->root, args);
}

/* ---- the compile environment ---- */

void
bsp_compile_env_init(bsp_compile_env *env, bsp_arena *arena, const bsp_ruleset *rules)
{
	memset(env, 0, sizeof(*env));
	env->arena = arena;
	env->rules = rules;
}

bool
bsp_owner_walk_answer(bsp_compile_env *env, bsp_owner_walk *w, int nrefs,
					  const char *const *refs)
{
	int			i;

	w->refs = bsp_alloc_array(env->arena, (size_t) (nrefs ? nrefs : 1), sizeof(char *));
	w->reflens = bsp_alloc_array(env->arena, (size_t) (nrefs ? nrefs : 1), sizeof(size_t));
	if (!w->refs || !w->reflens)
		return false;
	for (i = 0; i < nrefs; i++)
	{
		w->reflens[i] = strlen(refs[i]);
		w->refs[i] = bsp_strndup(env->arena, refs[i], w->reflens[i]);
		if (!w->refs[i])
			return false;
	}
	w->nrefs = nrefs;
	w->done = true;
	return true;
}
