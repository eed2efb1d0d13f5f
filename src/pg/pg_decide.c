/*-------------------------------------------------------------------------
 * pg_decide.c
 *	  SQL-callable decisions, with Backstage's wire formats.
 *
 *	 bsperm_authorize(permission, resource_ref)	'ALLOW' | 'DENY' | 'CONDITIONAL'
 *	 bsperm_authorize(request jsonb)			POST /api/permission/authorize
 *	 bsperm_authorize_conditional(permission)	the PolicyDecision a plugin gets
 *	 bsperm_apply_conditions(request jsonb)		.../permissions/apply-conditions
 *	 bsperm_current_user(), bsperm_current_identity()
 *
 * A request is decided once per distinct permission in it; conditional
 * decisions with resource refs are applied to entities loaded in one query
 * (exact canonical entity_ref, as the extension owner, so row-level
 * security on bsperm.entities does not hide resources from the check), with
 * each distinct conditions document compiled once.
 *
 * Errors are in PostgreSQL's style (lower-case message, values in double
 * quotes); the detail names the HTTP status Backstage would answer and
 * carries Backstage's own error.message (for an invalid body, the zod
 * issues Backstage returns).  SQLSTATEs: 22023 for a request Backstage
 * answers 400, 42501 for 403, 42704 for 404 and unknown rules, 39000 for an
 * invalid policy decision (Backstage's 500).
 *
 * Memory: everything per call in CurrentMemoryContext, except what the
 * decision memo keeps (compiled conditions, the decision JSON) in the
 * decision's memo_cxt, which belongs to the identity (pg_policy.c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "pg_audit.h"
#include "pg_policy.h"
#include "pg_rls.h"

#define CATALOG_PLUGIN "catalog"
#define CATALOG_RESOURCE "catalog-entity"

#define DETAIL_400 "Backstage answers HTTP 400 (InputError)."

/* ---------------------------------------------------------------------
 * zod-style issues for invalid request bodies
 * ---------------------------------------------------------------------
 */

/* A path like ["items",0,"permission","type"]: prefix index and rest. */
typedef struct ZPath
{
	const char *top;			/* "items" */
	int			index;			/* -1: none */
	const char *k1;
	const char *k2;
} ZPath;

static void
zpath_json(StringInfo b, const ZPath *p)
{
	appendStringInfoString(b, "\"path\":[");
	escape_json(b, p->top);
	if (p->index >= 0)
		appendStringInfo(b, ",%d", p->index);
	if (p->k1)
	{
		appendStringInfoChar(b, ',');
		escape_json(b, p->k1);
	}
	if (p->k2)
	{
		appendStringInfoChar(b, ',');
		escape_json(b, p->k2);
	}
	appendStringInfoChar(b, ']');
}

static const char *
zod_type(const JsonbValue *v)
{
	if (v == NULL)
		return "undefined";
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "string";
		case jbvNumeric:
			return "number";
		case jbvBool:
			return "boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "array" : "object";
		case jbvArray:
			return "array";
		case jbvObject:
			return "object";
		default:
			return "unknown";
	}
}

static void
zod_fail(const char *issue) pg_attribute_noreturn();

/* The path of a zod issue as items[0].permission.type ("" for the root). */
static void
issue_path(StringInfo b, Jsonb *issue)
{
	JsonbValue	v;
	JsonbIterator *it;
	JsonbValue	el;
	JsonbIteratorToken tok;

	if (getKeyJsonValueFromContainer(&issue->root, "path", 4, &v) == NULL ||
		v.type != jbvBinary)
		return;
	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &el, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (el.type == jbvString)
		{
			if (b->len > 0)
				appendStringInfoChar(b, '.');
			appendBinaryStringInfo(b, el.val.string.val, el.val.string.len);
		}
		else if (el.type == jbvNumeric)
			appendStringInfo(b, "[%s]", DatumGetCString(DirectFunctionCall1(numeric_out,
																		   NumericGetDatum(el.val.numeric))));
	}
}

/*
 * An invalid request body, as Backstage's schema (zod) reports it: the
 * issue's message and path in the detail, and the issue itself, which
 * Backstage returns to clients, after them.
 */
static void
zod_fail(const char *issue)
{
	Jsonb	   *j = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(issue)));
	JsonbValue	m;
	StringInfoData path;
	char	   *message = "Invalid input";

	if (getKeyJsonValueFromContainer(&j->root, "message", 7, &m) != NULL && m.type == jbvString)
		message = pnstrdup(m.val.string.val, m.val.string.len);
	initStringInfo(&path);
	issue_path(&path, j);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 path.len > 0 ?
			 errmsg("invalid request body at \"%s\"", path.data) :
			 errmsg("invalid request body"),
			 errdetail("%s. Backstage answers HTTP 400 (InputError) with the issues [%s].",
					   message, issue)));
}

static void
zod_type_fail(const ZPath *p, const char *expected, const JsonbValue *got)
{
	StringInfoData b;
	const char *received = zod_type(got);

	initStringInfo(&b);
	appendStringInfo(&b, "{\"code\":\"invalid_type\",\"expected\":\"%s\",\"received\":\"%s\",",
					 expected, received);
	zpath_json(&b, p);
	if (got == NULL)
		appendStringInfoString(&b, ",\"message\":\"Required\"}");
	else
		appendStringInfo(&b, ",\"message\":\"Expected %s, received %s\"}", expected, received);
	zod_fail(b.data);
}

static void
zod_too_small(const ZPath *p)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"code\":\"too_small\",\"minimum\":1,\"inclusive\":true,\"exact\":false,\"type\":\"array\",");
	zpath_json(&b, p);
	appendStringInfoString(&b, ",\"message\":\"Array must contain at least 1 element(s)\"}");
	zod_fail(b.data);
}

/* ---------------------------------------------------------------------
 * Reading jsonb
 * ---------------------------------------------------------------------
 */
static bool
get_member(JsonbContainer *jc, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(jc, key, strlen(key), out) != NULL;
}

static char *
jstr(const JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static bool
is_object(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
}

static bool
is_array(const JsonbValue *v)
{
	return v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data);
}

/* The elements of an array container. */
static int
array_elems(JsonbContainer *jc, JsonbValue **out)
{
	int			n = JsonContainerSize(jc);
	int			i;

	*out = palloc(sizeof(JsonbValue) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(jc, i);

		(*out)[i] = *v;
	}
	return n;
}

/* The items array of a request body ({"items":[...]}). */
static int
request_items(Jsonb *body, JsonbValue **items)
{
	JsonbValue	v;
	ZPath		p = {"items", -1, NULL, NULL};

	if (!JB_ROOT_IS_OBJECT(body))
	{
		JsonbValue	root;

		root.type = JB_ROOT_IS_ARRAY(body) && !JB_ROOT_IS_SCALAR(body) ? jbvArray : jbvString;
		zod_fail(psprintf("{\"code\":\"invalid_type\",\"expected\":\"object\",\"received\":\"%s\",\"path\":[],\"message\":\"Expected object, received %s\"}",
						  JB_ROOT_IS_SCALAR(body) ? "scalar" : zod_type(&root),
						  JB_ROOT_IS_SCALAR(body) ? "scalar" : zod_type(&root)));
	}
	if (!get_member(&body->root, "items", &v))
		zod_type_fail(&p, "array", NULL);
	if (!is_array(&v))
		zod_type_fail(&p, "array", &v);
	return array_elems(v.val.binary.data, items);
}

/* resourceRef: absent, a string or a non-empty array of strings. */
typedef struct RefArg
{
	bool		present;
	bool		is_array;
	int			n;
	char	  **refs;			/* n strings (1 for a string) */
} RefArg;

static void
read_resource_ref(JsonbContainer *item, int index, RefArg *out)
{
	JsonbValue	v;
	ZPath		p = {"items", index, "resourceRef", NULL};

	memset(out, 0, sizeof(*out));
	if (!get_member(item, "resourceRef", &v))
		return;
	out->present = true;
	if (v.type == jbvString)
	{
		out->n = 1;
		out->refs = palloc(sizeof(char *));
		out->refs[0] = jstr(&v);
		return;
	}
	if (!is_array(&v))
		zod_type_fail(&p, "string", &v);
	{
		JsonbValue *els;
		int			n = array_elems(v.val.binary.data, &els);
		int			i;

		if (n == 0)
			zod_too_small(&p);
		out->is_array = true;
		out->n = n;
		out->refs = palloc(sizeof(char *) * n);
		for (i = 0; i < n; i++)
		{
			if (els[i].type != jbvString)
			{
				StringInfoData b;

				initStringInfo(&b);
				appendStringInfo(&b, "{\"code\":\"invalid_type\",\"expected\":\"string\",\"received\":\"%s\",\"path\":[\"items\",%d,\"resourceRef\",%d],\"message\":\"Expected string, received %s\"}",
								 zod_type(&els[i]), index, i, zod_type(&els[i]));
				zod_fail(b.data);
			}
			out->refs[i] = jstr(&els[i]);
		}
	}
}

static char *
read_id(JsonbContainer *item, int index)
{
	JsonbValue	v;
	ZPath		p = {"items", index, "id", NULL};
	bool		has = get_member(item, "id", &v);

	if (!has || v.type != jbvString)
		zod_type_fail(&p, "string", has ? &v : NULL);
	return jstr(&v);
}

/* The permission of an authorize item, validated as Backstage's schema does. */
static void
read_permission(JsonbContainer *item, int index, BspPermission *perm)
{
	JsonbValue	pv,
				v,
				attrs;
	ZPath		p = {"items", index, "permission", NULL};
	JsonbContainer *pc;

	memset(perm, 0, sizeof(*perm));
	if (!get_member(item, "permission", &pv) || !is_object(&pv))
		zod_type_fail(&p, "object", get_member(item, "permission", &pv) ? &pv : NULL);
	pc = pv.val.binary.data;

	p.k2 = "type";
	if (!get_member(pc, "type", &v) || v.type != jbvString ||
		!((v.val.string.len == 5 && memcmp(v.val.string.val, "basic", 5) == 0) ||
		  (v.val.string.len == 8 && memcmp(v.val.string.val, "resource", 8) == 0)))
	{
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoString(&b, "{\"code\":\"invalid_union_discriminator\",\"options\":[\"basic\",\"resource\"],");
		zpath_json(&b, &p);
		appendStringInfoString(&b, ",\"message\":\"Invalid discriminator value. Expected 'basic' | 'resource'\"}");
		zod_fail(b.data);
	}
	perm->resource = (v.val.string.len == 8);

	p.k2 = "name";
	if (!get_member(pc, "name", &v) || v.type != jbvString)
		zod_type_fail(&p, "string", get_member(pc, "name", &v) ? &v : NULL);
	perm->name = jstr(&v);

	p.k2 = "attributes";
	if (!get_member(pc, "attributes", &attrs) || !is_object(&attrs))
		zod_type_fail(&p, "object", get_member(pc, "attributes", &attrs) ? &attrs : NULL);
	if (get_member(attrs.val.binary.data, "action", &v))
	{
		BspAction	a = v.type == jbvString ?
			bsperm_parse_action(v.val.string.val, v.val.string.len) : BSP_ACT_NONE;

		if (a == BSP_ACT_NONE || a == BSP_ACT_USE)
		{
			StringInfoData b;
			StringInfoData got;

			initStringInfo(&got);
			if (v.type == jbvString)
				appendBinaryStringInfo(&got, v.val.string.val, v.val.string.len);
			else
				appendStringInfoString(&got, zod_type(&v));
			initStringInfo(&b);
			appendStringInfo(&b, "{\"received\":");
			escape_json(&b, got.data);
			appendStringInfo(&b, ",\"code\":\"invalid_enum_value\",\"options\":[\"create\",\"read\",\"update\",\"delete\"],\"path\":[\"items\",%d,\"permission\",\"attributes\",\"action\"],\"message\":",
							 index);
			resetStringInfo(&got);
			appendStringInfoString(&got, "Invalid enum value. Expected 'create' | 'read' | 'update' | 'delete', received '");
			if (v.type == jbvString)
				appendBinaryStringInfo(&got, v.val.string.val, v.val.string.len);
			else
				appendStringInfoString(&got, zod_type(&v));
			appendStringInfoChar(&got, '\'');
			escape_json(&b, got.data);
			appendStringInfoChar(&b, '}');
			zod_fail(b.data);
		}
		perm->action = a;
	}

	if (perm->resource)
	{
		p.k2 = "resourceType";
		if (!get_member(pc, "resourceType", &v) || v.type != jbvString)
			zod_type_fail(&p, "string", get_member(pc, "resourceType", &v) ? &v : NULL);
		perm->resource_type = jstr(&v);
	}
}

/* ---------------------------------------------------------------------
 * Applying conditions
 * ---------------------------------------------------------------------
 */

/*
 * Compiles criteria for evaluation against many entities.  Errors get the
 * HTTP status Backstage would answer in their detail.
 */
BspermCachedFilter *
bsperm_compile_conditions(Jsonb *conditions)
{
	BspermCachedFilter *c = palloc0(sizeof(BspermCachedFilter));
	MemoryContext cxt = CurrentMemoryContext;

	c->cxt = cxt;
	c->rowcxt = AllocSetContextCreate(cxt, "bsperm apply row", ALLOCSET_DEFAULT_SIZES);
	c->kind = BSPERM_DOC_CRITERIA;
	bsperm_arena_init(&c->arena, c->cxt);
	PG_TRY();
	{
		c->filter = bsperm_compile_policy(conditions, &c->arena);
	}
	PG_CATCH();
	{
		ErrorData  *ed;

		MemoryContextSwitchTo(cxt);
		ed = CopyErrorData();
		FlushErrorState();
		if (ed->detail == NULL)
			ed->detail = pstrdup(ed->sqlerrcode == ERRCODE_UNDEFINED_OBJECT ?
								 "Backstage answers HTTP 500 (ResponseError: Request failed with 500 Internal Server Error)." :
								 "Backstage answers HTTP 400 (ResponseError: Request failed with 400 Bad Request).");
		ReThrowError(ed);
	}
	PG_END_TRY();
	if (!bsp_match_init(&c->match, &c->arena, c->filter))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	bsp_flat_init(&c->flat, &c->arena, c->filter, bsp_match_row, &c->match);
	return c;
}

/*
 * The compiled conditions of a decision, memoized with it when possible:
 * the one compiled form that applying conditions, bsperm_authorize with a
 * resource and row-level security (pg_rls.c) all use.
 */
BspermCachedFilter *
bsperm_decision_filter(BspDecision *d)
{
	BspermCachedFilter *c;
	MemoryContext old;

	if (d->filter_slot && *d->filter_slot)
		return (BspermCachedFilter *) *d->filter_slot;
	old = MemoryContextSwitchTo(d->memo_cxt ? d->memo_cxt : CurrentMemoryContext);
	c = bsperm_compile_conditions(d->conditions);
	MemoryContextSwitchTo(old);
	if (d->filter_slot)
		*d->filter_slot = c;
	return c;
}

/* A missing resource is DENY whatever the conditions say. */
static bool
apply_one(BspermCachedFilter *c, Jsonb *entity)
{
	if (entity == NULL)
		return false;
	return bsperm_entity_matches(c, entity);
}

/*
 * Appends ,"result": with the conditions applied to each resource of ref
 * (entities holds them in ref order): "ALLOW"/"DENY", or an array of them
 * for an array resourceRef.
 */
static void
append_applied_result(StringInfo out, BspermCachedFilter *c, const RefArg *ref,
					  Jsonb **entities)
{
	int			k;

	appendStringInfoString(out, ",\"result\":");
	if (ref->is_array)
		appendStringInfoChar(out, '[');
	for (k = 0; k < ref->n; k++)
	{
		if (k > 0)
			appendStringInfoChar(out, ',');
		appendStringInfoString(out, apply_one(c, entities[k]) ? "\"ALLOW\"" : "\"DENY\"");
	}
	if (ref->is_array)
		appendStringInfoChar(out, ']');
}

/* The catalog is the only plugin whose conditions bsperm can apply. */
void
bsperm_check_appliable(const BspDecision *d)
{
	if (strcmp(d->plugin_id, CATALOG_PLUGIN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("cannot apply conditions of plugin \"%s\"", d->plugin_id),
				 errdetail("Only the catalog's conditions can be applied here. Backstage answers HTTP 404 (ResponseError: Request failed with 404 Not Found).")));
	if (strcmp(d->resource_type, CATALOG_RESOURCE) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected resource type \"%s\"", d->resource_type),
				 errdetail("Backstage answers HTTP 400 (ResponseError: Request failed with 400 Bad Request; Unexpected resource types: %s.).",
						   d->resource_type)));
}

/* ---------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------
 */
static const char *
result_name(BspResult r)
{
	switch (r)
	{
		case BSP_ALLOW:
			return "ALLOW";
		case BSP_CONDITIONAL:
			return "CONDITIONAL";
		default:
			return "DENY";
	}
}

/* The fields of a decision, without braces (",\"result\":..."). */
static void
decision_fields(StringInfo b, const BspDecision *d, bool keep_extra)
{
	if (keep_extra && d->raw != NULL)
	{
		/* a policy function's object is spread verbatim, as Backstage does */
		char	   *s = JsonbToCString(NULL, &d->raw->root, VARSIZE(d->raw));
		size_t		len = strlen(s);

		Assert(len >= 2 && s[0] == '{' && s[len - 1] == '}');
		if (len > 2)
		{
			appendStringInfoChar(b, ',');
			appendBinaryStringInfo(b, s + 1, len - 2);
		}
		return;
	}
	appendStringInfoString(b, ",\"result\":");
	escape_json(b, result_name(d->result));
	if (d->result == BSP_CONDITIONAL)
	{
		appendStringInfoString(b, ",\"pluginId\":");
		escape_json(b, d->plugin_id);
		appendStringInfoString(b, ",\"resourceType\":");
		escape_json(b, d->resource_type);
		appendStringInfoString(b, ",\"conditions\":");
		(void) JsonbToCString(b, &d->conditions->root, VARSIZE(d->conditions));
	}
}

static Datum
jsonb_from_buf(StringInfo b)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(b->data));
}

/* ---------------------------------------------------------------------
 * bsperm_authorize(request jsonb)
 * ---------------------------------------------------------------------
 */
typedef struct DistinctPerm
{
	BspPermission perm;
	BspDecision decision;
	BspermCachedFilter *filter; /* compiled conditions, when applied */
} DistinctPerm;

typedef struct AuthItem
{
	char	   *id;
	RefArg		ref;
	int			perm;			/* index into the distinct permissions */
	int			first_ref;		/* position of its refs in the load list */
	bool		apply;
} AuthItem;

/* ---------------------------------------------------------------------
 * De-duplicating by value in linear time: a hash of byte strings to the
 * position where each was first seen (requests have up to hundreds of
 * thousands of items).  Allocated in CurrentMemoryContext.
 * ---------------------------------------------------------------------
 */
typedef struct ByteKey
{
	const char *data;
	Size		len;
} ByteKey;

typedef struct ByteEntry
{
	ByteKey		key;
	int			index;
} ByteEntry;

static uint32
bytekey_hash(const void *key, Size keysize)
{
	const ByteKey *k = (const ByteKey *) key;

	return hash_bytes((const unsigned char *) k->data, (int) k->len);
}

static int
bytekey_match(const void *a, const void *b, Size keysize)
{
	const ByteKey *ka = (const ByteKey *) a;
	const ByteKey *kb = (const ByteKey *) b;

	return (ka->len == kb->len && memcmp(ka->data, kb->data, ka->len) == 0) ? 0 : 1;
}

static HTAB *
bytemap_create(const char *name, int nelem)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ByteKey);
	ctl.entrysize = sizeof(ByteEntry);
	ctl.hash = bytekey_hash;
	ctl.match = bytekey_match;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, Max(nelem, 16), &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * The position first recorded for these bytes; when they are new, records
 * next and sets *is_new.  data must live as long as the map.
 */
static int
bytemap_index(HTAB *map, const char *data, Size len, int next, bool *is_new)
{
	ByteKey		key;
	ByteEntry  *e;
	bool		found;

	key.data = data;
	key.len = len;
	e = (ByteEntry *) hash_search(map, &key, HASH_ENTER, &found);
	if (!found)
		e->index = next;
	*is_new = !found;
	return e->index;
}

/* The bytes that identify a permission: kind, action, resource type, name. */
static void
permission_key(StringInfo buf, const BspPermission *perm)
{
	appendStringInfoChar(buf, perm->resource ? 'r' : 'b');
	appendStringInfoChar(buf, (char) ('0' + (int) perm->action));
	if (perm->resource)
		appendBinaryStringInfo(buf, perm->resource_type, strlen(perm->resource_type) + 1);
	appendStringInfoString(buf, perm->name);
}

/* A request being answered: its items and their distinct permissions. */
typedef struct AuthRequest
{
	int			nitems;
	AuthItem   *items;
	int			nperms;
	DistinctPerm *perms;
	int			nload;			/* resources to load, all items together */
	Jsonb	  **entities;		/* nload, in item order */
} AuthRequest;

/* 1. the body, as Backstage's schema checks it, before any decision */
static void
read_authorize_items(Jsonb *body, AuthRequest *r)
{
	JsonbValue *items;
	HTAB	   *distinct;
	int			i;

	r->nitems = request_items(body, &items);
	r->items = palloc0(sizeof(AuthItem) * Max(r->nitems, 1));
	r->perms = palloc0(sizeof(DistinctPerm) * Max(r->nitems, 1));
	distinct = bytemap_create("bsperm authorize permissions", r->nitems);
	for (i = 0; i < r->nitems; i++)
	{
		JsonbContainer *item;
		BspPermission perm;
		JsonbValue	v;
		ZPath		p = {"items", i, NULL, NULL};
		StringInfoData key;
		bool		is_new;

		CHECK_FOR_INTERRUPTS();
		if (!is_object(&items[i]))
			zod_type_fail(&p, "object", &items[i]);
		item = items[i].val.binary.data;
		r->items[i].id = read_id(item, i);
		read_permission(item, i, &perm);
		if (!perm.resource && get_member(item, "resourceRef", &v))
			zod_fail(psprintf("{\"code\":\"invalid_type\",\"expected\":\"undefined\",\"received\":\"%s\",\"path\":[\"items\",%d,\"resourceRef\"],\"message\":\"Expected undefined, received %s\"}",
							  zod_type(&v), i, zod_type(&v)));
		read_resource_ref(item, i, &r->items[i].ref);
		initStringInfo(&key);
		permission_key(&key, &perm);
		r->items[i].perm = bytemap_index(distinct, key.data, key.len, r->nperms, &is_new);
		if (is_new)
			r->perms[r->nperms++].perm = perm;
		else
			pfree(key.data);
	}
	hash_destroy(distinct);
}

/* 2. a user asking for itself must name the resource (W3) */
static void
check_direct_user(BspUser *user, const AuthRequest *r)
{
	int			i;

	if (bsperm_user_source(user) == BSP_IDENT_TRANSACTION)
		return;
	for (i = 0; i < r->nitems; i++)
		if (r->perms[r->items[i].perm].perm.resource && !r->items[i].ref.present)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("resource permission \"%s\" requires a resourceRef in a direct user request",
							r->perms[r->items[i].perm].perm.name),
					 errdetail("Backstage answers HTTP 400 (InputError: Resource permissions require a resourceRef to be set. Direct user requests without a resourceRef are not allowed.)."),
					 errhint("Only an identity set with bsperm_set_user acts on behalf of a user and may receive conditional decisions.")));
}

/* 4. conditional decisions with resource refs: load the resources once */
static void
load_applied_resources(AuthRequest *r)
{
	const char **load_refs;
	int			i,
				k;

	r->nload = 0;
	for (i = 0; i < r->nitems; i++)
	{
		AuthItem   *it = &r->items[i];
		DistinctPerm *dp = &r->perms[it->perm];

		CHECK_FOR_INTERRUPTS();
		if (dp->decision.result == BSP_CONDITIONAL && it->ref.present &&
			(it->ref.is_array || it->ref.refs[0][0] != '\0'))
		{
			bsperm_check_appliable(&dp->decision);
			it->apply = true;
			it->first_ref = r->nload;
			r->nload += it->ref.n;
		}
	}
	load_refs = palloc(sizeof(char *) * Max(r->nload, 1));
	r->entities = palloc(sizeof(Jsonb *) * Max(r->nload, 1));
	for (i = 0; i < r->nitems; i++)
		if (r->items[i].apply)
			for (k = 0; k < r->items[i].ref.n; k++)
				load_refs[r->items[i].first_ref + k] = r->items[i].ref.refs[k];
	if (r->nload > 0)
		bsperm_load_entities(r->nload, load_refs, r->entities);
}

/* 5. the response, in request order */
static Datum
authorize_response(AuthRequest *r)
{
	StringInfoData out;
	int			i;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"items\":[");
	for (i = 0; i < r->nitems; i++)
	{
		AuthItem   *it = &r->items[i];
		DistinctPerm *dp = &r->perms[it->perm];

		CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoChar(&out, ',');
		appendStringInfoString(&out, "{\"id\":");
		escape_json(&out, it->id);
		if (!it->apply)
			decision_fields(&out, &dp->decision, true);
		else
		{
			if (dp->filter == NULL)
				dp->filter = bsperm_decision_filter(&dp->decision);
			append_applied_result(&out, dp->filter, &it->ref, r->entities + it->first_ref);
		}
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoString(&out, "]}");
	return jsonb_from_buf(&out);
}

/* The audit log (pg_audit.c): one row per item and resource */
static void
audit_items(const AuthRequest *r, const BspUser *user)
{
	int			i,
				k;

	for (i = 0; i < r->nitems; i++)
	{
		const AuthItem *it = &r->items[i];
		const DistinctPerm *dp = &r->perms[it->perm];

		if (!it->apply)
			bsperm_audit_note(bsperm_user_ref(user), dp->perm.name,
							  it->ref.present ? it->ref.refs[0] : NULL, dp->decision.result,
							  "authorize");
		else
			for (k = 0; k < it->ref.n; k++)
				bsperm_audit_note(bsperm_user_ref(user), dp->perm.name, it->ref.refs[k],
								  apply_one(dp->filter, r->entities[it->first_ref + k]) ?
								  BSP_ALLOW : BSP_DENY, "authorize");
	}
}

PG_FUNCTION_INFO_V1(bsperm_authorize_json);
Datum
bsperm_authorize_json(PG_FUNCTION_ARGS)
{
	AuthRequest r;
	BspUser    *user;
	int			k;

	memset(&r, 0, sizeof(r));
	read_authorize_items(PG_GETARG_JSONB_P(0), &r);
	user = bsperm_policy_user();
	check_direct_user(user, &r);
	/* 3. one decision per distinct permission */
	for (k = 0; k < r.nperms; k++)
	{
		CHECK_FOR_INTERRUPTS();
		bsperm_decide(user, &r.perms[k].perm, &r.perms[k].decision);
	}
	load_applied_resources(&r);
	{
		Datum		res = authorize_response(&r);

		if (bsperm_audit_on())
			audit_items(&r, user);
		PG_RETURN_DATUM(res);
	}
}

/* ---------------------------------------------------------------------
 * The text forms
 * ---------------------------------------------------------------------
 */
static void
registered_permission(text *name, BspPermission *perm)
{
	char	   *s = text_to_cstring(name);

	if (!bsperm_lookup_permission(s, perm))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("permission \"%s\" does not exist", s),
				 errhint("Add it to bsperm.permissions, or ask with the JSON form bsperm_authorize(jsonb), which carries the whole permission.")));
}

PG_FUNCTION_INFO_V1(bsperm_authorize_text);
Datum
bsperm_authorize_text(PG_FUNCTION_ARGS)
{
	BspUser    *user;
	BspPermission perm;
	BspDecision d;
	char	   *ref = NULL;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	user = bsperm_policy_user();
	registered_permission(PG_GETARG_TEXT_PP(0), &perm);
	if (!PG_ARGISNULL(1))
	{
		ref = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (!perm.resource)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a resource ref cannot be given for basic permission \"%s\"", perm.name),
					 errdetail(DETAIL_400)));
	}
	bsperm_decide(user, &perm, &d);
	if (d.result == BSP_CONDITIONAL && ref != NULL && ref[0] != '\0')
	{
		Jsonb	   *entity;
		BspermCachedFilter *c;

		bsperm_check_appliable(&d);
		bsperm_load_entities(1, (const char *const *) &ref, &entity);
		c = bsperm_decision_filter(&d);
		d.result = apply_one(c, entity) ? BSP_ALLOW : BSP_DENY;
	}
	bsperm_audit_note(bsperm_user_ref(user), perm.name, ref, d.result, "authorize");
	PG_RETURN_TEXT_P(cstring_to_text(result_name(d.result)));
}

PG_FUNCTION_INFO_V1(bsperm_authorize_conditional);
Datum
bsperm_authorize_conditional(PG_FUNCTION_ARGS)
{
	BspUser    *user = bsperm_policy_user();
	BspPermission perm;
	BspDecision d;
	StringInfoData out;
	Jsonb	   *result;

	registered_permission(PG_GETARG_TEXT_PP(0), &perm);
	bsperm_decide(user, &perm, &d);
	bsperm_audit_note(bsperm_user_ref(user), perm.name, NULL, d.result, "authorize_conditional");
	/* a copy: the memo goes with its identity when the identity is evicted */
	if (d.json_slot && *d.json_slot)
	{
		Jsonb	   *copy = palloc(VARSIZE(*d.json_slot));

		memcpy(copy, *d.json_slot, VARSIZE(*d.json_slot));
		PG_RETURN_JSONB_P(copy);
	}
	initStringInfo(&out);
	decision_fields(&out, &d, false);
	out.data[0] = '{';			/* the fields start with a comma */
	appendStringInfoChar(&out, '}');
	result = DatumGetJsonbP(jsonb_from_buf(&out));
	if (d.json_slot)
	{
		Jsonb	   *copy = MemoryContextAlloc(d.memo_cxt, VARSIZE(result));

		memcpy(copy, result, VARSIZE(result));
		*d.json_slot = copy;
	}
	PG_RETURN_JSONB_P(result);
}

/* ---------------------------------------------------------------------
 * bsperm_apply_conditions(request jsonb)
 * ---------------------------------------------------------------------
 */
typedef struct ApplyItem
{
	char	   *id;
	RefArg		ref;
	char	   *resource_type;
	Jsonb	   *conditions;
	int			first_ref;
} ApplyItem;

/* 1. the schema */
static ApplyItem *
read_apply_items(Jsonb *body, int *nitems)
{
	JsonbValue *items;
	ApplyItem  *ai;
	int			i;

	*nitems = request_items(body, &items);
	ai = palloc0(sizeof(ApplyItem) * Max(*nitems, 1));
	for (i = 0; i < *nitems; i++)
	{
		JsonbContainer *item;
		JsonbValue	v;
		ZPath		p = {"items", i, NULL, NULL};

		CHECK_FOR_INTERRUPTS();
		if (!is_object(&items[i]))
			zod_type_fail(&p, "object", &items[i]);
		item = items[i].val.binary.data;
		ai[i].id = read_id(item, i);
		read_resource_ref(item, i, &ai[i].ref);
		if (!ai[i].ref.present)
		{
			p.k1 = "resourceRef";
			zod_type_fail(&p, "string", NULL);
		}
		p.k1 = "resourceType";
		if (!get_member(item, "resourceType", &v) || v.type != jbvString)
			zod_type_fail(&p, "string", get_member(item, "resourceType", &v) ? &v : NULL);
		ai[i].resource_type = jstr(&v);
		p.k1 = "conditions";
		if (!get_member(item, "conditions", &v) || !is_object(&v))
			zod_type_fail(&p, "object", get_member(item, "conditions", &v) ? &v : NULL);
		ai[i].conditions = JsonbValueToJsonb(&v);
	}
	return ai;
}

/* 2. resource types this plugin (the catalog) does not have */
static void
check_resource_types(const ApplyItem *ai, int nitems)
{
	StringInfoData unexpected;
	StringInfoData quoted;
	HTAB	   *seen = bytemap_create("bsperm unexpected resource types", 16);
	int			i;

	initStringInfo(&unexpected);
	initStringInfo(&quoted);
	for (i = 0; i < nitems; i++)
	{
		bool		is_new;

		CHECK_FOR_INTERRUPTS();
		if (strcmp(ai[i].resource_type, CATALOG_RESOURCE) == 0)
			continue;
		(void) bytemap_index(seen, ai[i].resource_type, strlen(ai[i].resource_type), i, &is_new);
		if (!is_new)
			continue;
		if (unexpected.len > 0)
		{
			appendStringInfoString(&unexpected, ", ");
			appendStringInfoString(&quoted, ", ");
		}
		appendStringInfoString(&unexpected, ai[i].resource_type);
		appendStringInfo(&quoted, "\"%s\"", ai[i].resource_type);
	}
	if (unexpected.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected resource types %s", quoted.data),
				 errdetail("Backstage's catalog answers HTTP 400 (InputError: Unexpected resource types: %s.).",
						   unexpected.data)));
	hash_destroy(seen);
}

/* 3. the resources of every item, in one query */
static Jsonb **
load_apply_resources(ApplyItem *ai, int nitems)
{
	const char **load_refs;
	Jsonb	  **entities;
	int			nload = 0;
	int			i,
				k;

	for (i = 0; i < nitems; i++)
	{
		ai[i].first_ref = nload;
		nload += ai[i].ref.n;
	}
	load_refs = palloc(sizeof(char *) * Max(nload, 1));
	entities = palloc(sizeof(Jsonb *) * Max(nload, 1));
	for (i = 0; i < nitems; i++)
		for (k = 0; k < ai[i].ref.n; k++)
			load_refs[ai[i].first_ref + k] = ai[i].ref.refs[k];
	if (nload > 0)
		bsperm_load_entities(nload, load_refs, entities);
	return entities;
}

PG_FUNCTION_INFO_V1(bsperm_apply_conditions);
Datum
bsperm_apply_conditions(PG_FUNCTION_ARGS)
{
	int			nitems;
	ApplyItem  *ai;
	Jsonb	  **entities;
	BspermCachedFilter **filters;
	HTAB	   *seen;
	StringInfoData out;
	int			i;

	bsperm_require_trusted("apply permission conditions");
	ai = read_apply_items(PG_GETARG_JSONB_P(0), &nitems);
	check_resource_types(ai, nitems);
	entities = load_apply_resources(ai, nitems);

	/* 4. evaluate, compiling each distinct conditions document once */
	filters = palloc0(sizeof(BspermCachedFilter *) * Max(nitems, 1));
	seen = bytemap_create("bsperm apply conditions", nitems);
	initStringInfo(&out);
	appendStringInfoString(&out, "{\"items\":[");
	for (i = 0; i < nitems; i++)
	{
		bool		is_new;
		int			k;

		CHECK_FOR_INTERRUPTS();
		k = bytemap_index(seen, (const char *) ai[i].conditions,
						  VARSIZE(ai[i].conditions), i, &is_new);
		filters[i] = is_new ? bsperm_compile_conditions(ai[i].conditions) : filters[k];
		if (i > 0)
			appendStringInfoChar(&out, ',');
		appendStringInfoString(&out, "{\"id\":");
		escape_json(&out, ai[i].id);
		append_applied_result(&out, filters[i], &ai[i].ref, entities + ai[i].first_ref);
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoString(&out, "]}");
	PG_RETURN_DATUM(jsonb_from_buf(&out));
}

/* ---------------------------------------------------------------------
 * Inspecting the identity
 * ---------------------------------------------------------------------
 */
PG_FUNCTION_INFO_V1(bsperm_current_user);
Datum
bsperm_current_user(PG_FUNCTION_ARGS)
{
	BspUser    *user = bsperm_policy_user();
	const char *ref = bsperm_user_ref(user);

	if (ref == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(ref));
}

PG_FUNCTION_INFO_V1(bsperm_current_identity);
Datum
bsperm_current_identity(PG_FUNCTION_ARGS)
{
	BspUser    *user = bsperm_policy_user();
	const char *ref = bsperm_user_ref(user);
	const char *const *refs;
	int			n = bsperm_user_ownership_refs(user, &refs);
	int			i;
	StringInfoData out;
	const char *source;

	switch (bsperm_user_source(user))
	{
		case BSP_IDENT_TRANSACTION:
			source = "transaction";
			break;
		case BSP_IDENT_ROLE_MAPPING:
			source = "role_users";
			break;
		default:
			source = "none";
			break;
	}
	initStringInfo(&out);
	appendStringInfoString(&out, "{\"userEntityRef\":");
	if (ref)
		escape_json(&out, ref);
	else
		appendStringInfoString(&out, "null");
	appendStringInfoString(&out, ",\"ownershipEntityRefs\":[");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&out, ',');
		escape_json(&out, refs[i]);
	}
	appendStringInfoString(&out, "],\"source\":");
	escape_json(&out, source);
	appendStringInfoChar(&out, '}');
	PG_RETURN_DATUM(jsonb_from_buf(&out));
}
