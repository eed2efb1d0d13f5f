/*-------------------------------------------------------------------------
 * pg_explain.c
 *	  Why a decision is what it is (doc/explain.md).
 *
 *	 bsperm_explain(permission, resource_ref)	 for the current identity
 *	 bsperm_explain_for(user_ref, ownership_refs, permission, resource_ref)
 *												 for a named user (EXECUTE
 *												 revoked from PUBLIC)
 *	 bsperm_explain_row(tbl, entity_ref)		 why a row of a protected
 *												 table is or is not seen
 *	 bsperm_test_policy(cases jsonb)			 expected decisions, checked
 *
 * One code path.  An explanation is the decision made again with the RBAC
 * core's trace sink (bsp_rbac_resolve_traced, bsp_rbac_decide_traced): the
 * identity is resolved by the same function as for a decision
 * (bsperm_resolve_user_traced), decided by the same function
 * (bsperm_decide_traced: the core, then the same combination of
 * conditions and placeholders), and a resource is judged by the same
 * compiled filter (bsperm_decision_filter, bsperm_entity_matches).  Only
 * the memo is skipped: the memo holds the result of that same computation.
 * The criteria leaf values are each subtree compiled and matched by the
 * same engine.
 *
 * What an untrusted caller learns.  Its own roles, the lines and
 * conditional policies its decision considered, the rule: all of it about
 * itself, as bsperm_authorize_conditional already shows its conditions.
 * About a resource it learns the criteria values only when it can see the
 * entity (its own SELECT, under row-level security, returns it); otherwise
 * the "resource" member is {"ref": ..., "shown": false}, the same for a
 * hidden entity and a missing one.  Callers that may execute
 * bsperm_explain_for (superusers, the owner and roles it grants) see
 * everything.
 *
 * Memory: everything in CurrentMemoryContext; the identity is resolved
 * into a child of it, not cached.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "pg_explain.h"
#include "pg_policy_int.h"
#include "pg_rls.h"

#define P bsperm_policy

/* ---------------------------------------------------------------------
 * The trace sink: events recorded as the decision emits them
 * ---------------------------------------------------------------------
 */
typedef struct Trace
{
	int			n;
	int			cap;
	bsp_rbac_event *ev;
} Trace;

static void
trace_emit(void *arg, const bsp_rbac_event *ev)
{
	Trace	   *t = arg;

	if (t->n == t->cap)
	{
		t->cap *= 2;
		t->ev = repalloc(t->ev, sizeof(bsp_rbac_event) * t->cap);
	}
	t->ev[t->n++] = *ev;
}

typedef struct Resolve
{
	const BspIdentity *id;
	bool		transitive;
	MemoryContext cxt;
	const bsp_rbac_trace *trace;
	BspUser    *user;
	int		   *dist;
} Resolve;

static void
resolve_as_owner(void *arg)
{
	Resolve    *r = arg;

	r->user = bsperm_resolve_user_traced(r->id, r->transitive, r->cxt, r->trace, &r->dist);
}

static const char *
result_name(BspResult r)
{
	return r == BSP_ALLOW ? "ALLOW" : r == BSP_CONDITIONAL ? "CONDITIONAL" : "DENY";
}

static void
json_str(StringInfo b, const char *s)
{
	if (s)
		escape_json(b, s);
	else
		appendStringInfoString(b, "null");
}

static void
json_jsonb(StringInfo b, Jsonb *j)
{
	appendStringInfoString(b, JsonbToCString(NULL, &j->root, VARSIZE(j)));
}


/* ---------------------------------------------------------------------
 * Criteria, annotated with each node's value on the entity
 * ---------------------------------------------------------------------
 */
/* nodev: a jbvBinary object with its length (as the jsonb accessors give it) */
static void
annotate(StringInfo b, JsonbValue *nodev, Jsonb *entity)
{
	static const char *const lists[] = {"allOf", "anyOf"};
	JsonbContainer *node = nodev->val.binary.data;
	JsonbValue	v;
	bool		value;
	int			k;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	value = bsperm_entity_matches(bsperm_compile_conditions(JsonbValueToJsonb(nodev)), entity);
	for (k = 0; k < 2; k++)
		if (getKeyJsonValueFromContainer(node, lists[k], 5, &v) && v.type == jbvBinary &&
			JsonContainerIsArray(v.val.binary.data))
		{
			int			n = JsonContainerSize(v.val.binary.data),
						i;

			appendStringInfo(b, "{\"%s\":[", lists[k]);
			for (i = 0; i < n; i++)
			{
				JsonbValue *el = getIthJsonbValueFromContainer(v.val.binary.data, i);

				if (i > 0)
					appendStringInfoChar(b, ',');
				if (el->type == jbvBinary && JsonContainerIsObject(el->val.binary.data))
					annotate(b, el, entity);
				else
					appendStringInfoString(b, "null");
			}
			appendStringInfo(b, "],\"value\":%s}", value ? "true" : "false");
			return;
		}
	if (getKeyJsonValueFromContainer(node, "not", 3, &v) && v.type == jbvBinary &&
		JsonContainerIsObject(v.val.binary.data))
	{
		appendStringInfoString(b, "{\"not\":");
		annotate(b, &v, entity);
		appendStringInfo(b, ",\"value\":%s}", value ? "true" : "false");
		return;
	}
	/* a leaf: its members, then its value */
	{
		char	   *text = JsonbToCString(NULL, node, -1);
		size_t		len = strlen(text);

		if (JsonContainerSize(node) == 0 || len < 2 || text[len - 1] != '}')
			appendStringInfo(b, "{\"value\":%s}", value ? "true" : "false");
		else
		{
			appendBinaryStringInfo(b, text, (int) len - 1);
			appendStringInfo(b, ",\"value\":%s}", value ? "true" : "false");
		}
	}
}

/* ---------------------------------------------------------------------
 * Who may see what
 * ---------------------------------------------------------------------
 */

/* The schema of the user-facing functions: the one this call's function is in. */
static Oid
function_schema(FunctionCallInfo fcinfo)
{
	return get_func_namespace(fcinfo->flinfo->fn_oid);
}

/* May the current role execute bsperm_explain_for (superuser, owner, granted)? */
bool
bsperm_explain_trusted(Oid schema)
{
	Oid			argtypes[4] = {TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID};
	List	   *name = list_make2(makeString(get_namespace_name(schema)),
								  makeString("bsperm_explain_for"));
	Oid			fn = LookupFuncName(name, 4, argtypes, true);

	if (superuser())
		return true;
	return OidIsValid(fn) && pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE) == ACLCHECK_OK;
}

/*
 * Does the caller's own SELECT (its privileges, row-level security) return
 * the row of relid whose entity has this ref?  where is the SQL condition
 * on $1, built by the caller from names it quoted.
 */
static bool
caller_sees(Oid relid, const char *where, const char *ref)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	char	   *sql;
	bool		seen;
	int			rc;

	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		return false;
	args[0] = CStringGetTextDatum(ref);
	sql = psprintf("SELECT 1 FROM %s.%s t WHERE %s LIMIT 1",
				   quote_identifier(get_namespace_name(get_rel_namespace(relid))),
				   quote_identifier(get_rel_name(relid)), where);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql, SPI_result_code_string(rc));
	seen = SPI_processed > 0;
	SPI_finish();
	return seen;
}

/* ---------------------------------------------------------------------
 * The explanation
 * ---------------------------------------------------------------------
 */
static const char *
via_name(bsp_rbac_via v, int subject)
{
	switch (v)
	{
		case BSP_RBAC_VIA_SUBJECT:
			return subject == 0 ? "user" : "group";
		case BSP_RBAC_VIA_OWNERSHIP:
			return "ownership ref";
		case BSP_RBAC_VIA_DEFAULT:
			return "default role";
	}
	return "unknown";
}

static void
roles_json(StringInfo b, const Trace *t, const int *dist)
{
	int			i,
				n = 0;

	appendStringInfoString(b, ",\"roles\":[");
	for (i = 0; i < t->n; i++)
	{
		const bsp_rbac_event *e = &t->ev[i];

		if (e->kind != BSP_RBAC_EV_ROLE)
			continue;
		if (n++ > 0)
			appendStringInfoChar(b, ',');
		appendStringInfoString(b, "{\"role\":");
		json_str(b, e->role);
		appendStringInfoString(b, ",\"via\":");
		json_str(b, via_name(e->via, e->subject));
		if (e->ref)
		{
			appendStringInfoString(b, ",\"ref\":");
			json_str(b, e->ref);
		}
		if (e->via == BSP_RBAC_VIA_SUBJECT && e->subject > 0 && dist)
			appendStringInfo(b, ",\"distance\":%d", dist[e->subject]);
		appendStringInfoChar(b, '}');
	}
	appendStringInfoChar(b, ']');
}

/* Why a line was or was not counted (step 4 and 6 of doc/policy.md). */
static const char *
line_reason(const bsp_rbac_event *e, const BspPermission *perm)
{
	bsp_rbac_action want = perm->action == BSP_ACT_NONE ? BSP_RBAC_ACT_USE :
		(bsp_rbac_action) perm->action;

	if (e->counted)
		return strcmp(e->object, perm->name) == 0 ? "names the permission" :
			"on the resource type";
	if (e->action != want)
		return "another action";
	return "the permission is named by a line, so resource-type lines do not count";
}

static void
lines_json(StringInfo b, const Trace *t, const BspPermission *perm)
{
	int			i,
				n = 0;

	appendStringInfoString(b, ",\"lines\":[");
	for (i = 0; i < t->n; i++)
	{
		const bsp_rbac_event *e = &t->ev[i];

		if (e->kind != BSP_RBAC_EV_LINE)
			continue;
		if (n++ > 0)
			appendStringInfoChar(b, ',');
		if (e->role)
		{
			appendStringInfoString(b, "{\"role\":");
			json_str(b, e->role);
		}
		else
		{
			appendStringInfoString(b, "{\"member\":");
			json_str(b, e->ref);
		}
		appendStringInfoString(b, ",\"object\":");
		json_str(b, e->object);
		appendStringInfoString(b, ",\"action\":");
		json_str(b, bsperm_action_name((BspAction) (e->action == BSP_RBAC_ACT_NONE ?
													BSP_RBAC_ACT_USE : e->action)));
		appendStringInfo(b, ",\"effect\":\"%s\",\"counted\":%s,\"why\":",
						 e->deny ? "deny" : "allow", e->counted ? "true" : "false");
		json_str(b, line_reason(e, perm));
		appendStringInfoChar(b, '}');
	}
	appendStringInfoChar(b, ']');
}

static void
conds_json(StringInfo b, const Trace *t)
{
	int			i,
				n = 0;

	appendStringInfoString(b, ",\"conditionalPolicies\":[");
	for (i = 0; i < t->n; i++)
	{
		const bsp_rbac_event *e = &t->ev[i];
		const bsp_rbac_cond_row *c = e->cond;
		int			a,
					k,
					na = 0;

		if (e->kind != BSP_RBAC_EV_COND)
			continue;
		if (n++ > 0)
			appendStringInfoChar(b, ',');
		appendStringInfoString(b, "{\"role\":");
		json_str(b, e->role);
		appendStringInfoString(b, ",\"pluginId\":");
		json_str(b, c->plugin_id);
		appendStringInfoString(b, ",\"resourceType\":");
		json_str(b, c->resource_type);
		appendStringInfoString(b, ",\"actions\":[");
		for (a = BSP_RBAC_ACT_CREATE; a <= BSP_RBAC_ACT_USE; a++)
			if (c->actions & (1u << a))
			{
				if (na++ > 0)
					appendStringInfoChar(b, ',');
				json_str(b, bsperm_action_name((BspAction) a));
			}
		appendStringInfoString(b, "],\"permissions\":[");
		for (k = 0; k < c->nnames; k++)
		{
			if (k > 0)
				appendStringInfoChar(b, ',');
			json_str(b, c->names[k]);
		}
		appendStringInfoString(b, "],\"conditions\":");
		json_jsonb(b, (Jsonb *) c->conditions);
		appendStringInfo(b, ",\"matches\":%s}", e->matches ? "true" : "false");
	}
	appendStringInfoChar(b, ']');
}

static const char *
mode_name(void)
{
	switch (P.mode)
	{
		case POLICY_ALLOW_ALL:
			return "allow-all";
		case POLICY_FUNCTION:
			return "function";
		default:
			return "rbac";
	}
}

/*
 * The explanation of perm for identity id, into b; the result (what
 * bsperm_authorize answers) is returned.  With a resource (ref, or an
 * entity given inline as policy tests do), CONDITIONAL is applied to it.
 * show_resource: criteria values on the entity may be shown.
 */
BspResult
bsperm_explain_decision(const BspIdentity *id, bool transitive, const BspPermission *perm,
						const char *ref, Jsonb *given_entity, bool show_resource,
						StringInfo b, const char **rule_out)
{
	Trace		t;
	bsp_rbac_trace tr = {trace_emit, &t};
	Resolve		r;
	BspDecision d;
	BspResult	result;
	const bsp_rbac_event *dec = NULL;
	const char *rule;
	int			i;
	bool		has_resource = given_entity != NULL || (ref != NULL && ref[0] != '\0');


	t.n = 0;
	t.cap = 32;
	t.ev = palloc(sizeof(bsp_rbac_event) * t.cap);
	r.id = id;
	r.transitive = transitive;
	r.cxt = CurrentMemoryContext;
	r.trace = &tr;
	r.user = NULL;
	r.dist = NULL;
	bsperm_as_owner(resolve_as_owner, &r);
	bsperm_decide_traced(r.user, perm, &d, &tr);
	for (i = 0; i < t.n; i++)
		if (t.ev[i].kind == BSP_RBAC_EV_DECIDED)
			dec = &t.ev[i];
	rule = P.mode == POLICY_ALLOW_ALL ? "allow-all policy" :
		P.mode == POLICY_FUNCTION ? "policy function" :
		dec ? bsp_rbac_rule_name(dec->rule) : "unknown";
	if (rule_out)
		*rule_out = rule;

	appendStringInfoString(b, "{\"permission\":");
	bsperm_permission_json(b, perm);
	appendStringInfoString(b, ",\"identity\":{\"userEntityRef\":");
	json_str(b, r.user->id.user_ref);
	appendStringInfoString(b, ",\"ownershipEntityRefs\":[");
	for (i = 0; i < r.user->nrefs; i++)
	{
		if (i > 0)
			appendStringInfoChar(b, ',');
		json_str(b, r.user->refs[i]);
	}
	appendStringInfoString(b, "],\"groups\":[");
	for (i = 1; i < r.user->rbac.nsubjects; i++)
	{
		if (i > 1)
			appendStringInfoChar(b, ',');
		appendStringInfoString(b, "{\"ref\":");
		json_str(b, r.user->rbac.subjects[i]);
		appendStringInfo(b, ",\"distance\":%d}", r.dist ? r.dist[i] : 0);
	}
	appendStringInfoString(b, "]},\"policy\":");
	json_str(b, mode_name());
	if (P.mode == POLICY_RBAC)
	{
		const bsp_rbac_settings *s = bsp_rbac_settings_of(P.rbac);

		appendStringInfoString(b, ",\"superuser\":");
		json_str(b, NULL);
		for (i = 0; i < t.n; i++)
			if (t.ev[i].kind == BSP_RBAC_EV_SUPERUSER)
			{
				b->len -= 4;	/* replace the null */
				b->data[b->len] = '\0';
				json_str(b, t.ev[i].ref);
				break;
			}
		roles_json(b, &t, r.dist);
		lines_json(b, &t, perm);
		conds_json(b, &t);
		appendStringInfo(b, ",\"settings\":{\"decisionPrecedence\":\"%s\",\"maxDepth\":",
						 s->basic_precedence ? "basic" : "conditional");
		if (s->max_depth < 0)
			appendStringInfoString(b, "null");
		else
			appendStringInfo(b, "%d", s->max_depth);
		appendStringInfoString(b, ",\"defaultRole\":");
		json_str(b, s->default_role);
		appendStringInfo(b, ",\"useOwnershipEntityRefs\":%s}", s->use_ownership ? "true" : "false");
		if (dec)
			appendStringInfo(b, ",\"namedPermission\":%s,\"directLines\":%s,\"basicOverConditions\":%s",
							 dec->named ? "true" : "false", dec->direct ? "true" : "false",
							 dec->basic_over_conditions ? "true" : "false");
	}
	else if (d.raw)
	{
		appendStringInfoString(b, ",\"policyDecision\":");
		json_jsonb(b, d.raw);
	}
	appendStringInfoString(b, ",\"rule\":");
	json_str(b, rule);
	appendStringInfoString(b, ",\"decision\":");
	json_str(b, result_name(d.result));
	if (d.result == BSP_CONDITIONAL)
	{
		appendStringInfoString(b, ",\"pluginId\":");
		json_str(b, d.plugin_id);
		appendStringInfoString(b, ",\"conditions\":");
		json_jsonb(b, d.conditions);
	}

	result = d.result;
	if (perm->resource && (has_resource || ref != NULL))
	{
		Jsonb	   *entity = given_entity;

		if (entity == NULL && has_resource)
			bsperm_load_entities(1, &ref, &entity);
		if (d.result == BSP_CONDITIONAL && has_resource)
		{
			BspermCachedFilter *c;

			bsperm_check_appliable(&d);
			c = bsperm_decision_filter(&d);
			result = (entity != NULL && bsperm_entity_matches(c, entity)) ? BSP_ALLOW : BSP_DENY;
		}
		appendStringInfoString(b, ",\"resource\":{\"ref\":");
		json_str(b, ref ? ref : "(given)");
		if (!show_resource)
			appendStringInfoString(b, ",\"shown\":false}");
		else
		{
			appendStringInfo(b, ",\"shown\":true,\"found\":%s", entity ? "true" : "false");
			if (entity != NULL && d.result == BSP_CONDITIONAL)
			{
				JsonbValue	root;

				root.type = jbvBinary;
				root.val.binary.data = &d.conditions->root;
				root.val.binary.len = VARSIZE(d.conditions) - VARHDRSZ;
				appendStringInfoString(b, ",\"criteria\":");
				annotate(b, &root, entity);
			}
			appendStringInfoChar(b, '}');
		}
	}
	appendStringInfoString(b, ",\"result\":");
	json_str(b, result_name(result));
	appendStringInfoChar(b, '}');
	return result;
}

static Datum
jsonb_from_buf(StringInfo b)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(b->data));
}

static void
lookup_permission(const char *name, BspPermission *perm)
{
	if (!bsperm_lookup_permission(name, perm))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("permission \"%s\" does not exist", name),
				 errhint("Add it to bsperm.permissions.")));
}

static void
check_resource_arg(const BspPermission *perm, const char *ref)
{
	if (ref != NULL && !perm->resource)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a resource ref cannot be given for basic permission \"%s\"", perm->name)));
}

/* The transitive_ownership setting, as decisions read it. */
static bool
transitive_setting(void)
{
	const char *v = GetConfigOption("bsperm.transitive_ownership", true, false);

	return v != NULL && strcmp(v, "on") == 0;
}

/* May the caller see the entity with this ref in bsperm.entities? */
static bool
entity_visible(Oid schema, const char *ref, bool trusted)
{
	Oid			entities = get_relname_relid("entities", get_namespace_oid("bsperm", false));

	if (trusted || ref == NULL || ref[0] == '\0')
		return trusted;
	return caller_sees(entities, "t.entity_ref OPERATOR(pg_catalog.=) $1", ref);
}

PG_FUNCTION_INFO_V1(bsperm_explain);
Datum
bsperm_explain(PG_FUNCTION_ARGS)
{
	BspUser    *user;
	BspPermission perm;
	char	   *ref = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	StringInfoData b;
	bool		trusted;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	user = bsperm_policy_user();
	lookup_permission(text_to_cstring(PG_GETARG_TEXT_PP(0)), &perm);
	check_resource_arg(&perm, ref);
	trusted = bsperm_explain_trusted(function_schema(fcinfo));
	initStringInfo(&b);
	(void) bsperm_explain_decision(&user->id, user->transitive, &perm, ref, NULL,
								   entity_visible(function_schema(fcinfo), ref, trusted),
								   &b, NULL);
	PG_RETURN_DATUM(jsonb_from_buf(&b));
}

/* A named identity: user ref (NULL: anonymous), ownership refs (NULL: computed). */
static void
named_identity(BspIdentity *id, text *user, ArrayType *refs)
{
	memset(id, 0, sizeof(*id));
	id->source = BSP_IDENT_TRANSACTION;
	id->user_ref = user ? text_to_cstring(user) : NULL;
	if (refs != NULL && id->user_ref != NULL)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n,
					i;

		deconstruct_array(refs, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
		id->refs_given = true;
		id->refs = palloc(sizeof(char *) * Max(n, 1));
		for (i = 0; i < n; i++)
		{
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("ownership refs must not contain NULL")));
			id->refs[id->nrefs++] = TextDatumGetCString(elems[i]);
		}
	}
}

PG_FUNCTION_INFO_V1(bsperm_explain_for);
Datum
bsperm_explain_for(PG_FUNCTION_ARGS)
{
	BspIdentity id;
	BspPermission perm;
	char	   *ref = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	StringInfoData b;

	if (PG_ARGISNULL(2))
		PG_RETURN_NULL();
	(void) bsperm_policy_user();
	named_identity(&id, PG_ARGISNULL(0) ? NULL : PG_GETARG_TEXT_PP(0),
				   PG_ARGISNULL(1) ? NULL : PG_GETARG_ARRAYTYPE_P(1));
	lookup_permission(text_to_cstring(PG_GETARG_TEXT_PP(2)), &perm);
	check_resource_arg(&perm, ref);
	initStringInfo(&b);
	(void) bsperm_explain_decision(&id, transitive_setting(), &perm, ref, NULL, true, &b, NULL);
	PG_RETURN_DATUM(jsonb_from_buf(&b));
}

/* ---------------------------------------------------------------------
 * bsperm_explain_row(tbl, entity_ref): why a row is or is not seen
 * ---------------------------------------------------------------------
 */
typedef struct RowLookup
{
	Oid			relid;
	const char *column;
	const char *permission;
	const char *where;
	const char *ref;
	MemoryContext cxt;
	bool		is_protected;
	Jsonb	   *entity;
} RowLookup;

static void
row_lookup_as_owner(void *arg)
{
	RowLookup  *a = arg;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(a->relid)};
	bool		isnull;
	int			rc;

	rc = SPI_execute_with_args("SELECT p.entity_column::pg_catalog.text, p.select_permission "
							   "FROM bsperm.protected_tables p "
							   "WHERE p.relid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return;
	a->is_protected = true;
	a->column = MemoryContextStrdup(a->cxt, TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																			  SPI_tuptable->tupdesc, 1, &isnull)));
	a->permission = MemoryContextStrdup(a->cxt, TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0],
																				  SPI_tuptable->tupdesc, 2, &isnull)));
}

static void
row_entity_as_owner(void *arg)
{
	RowLookup  *a = arg;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(a->ref)};
	bool		isnull;
	Datum		d;
	int			rc;
	char	   *sql = psprintf("SELECT t.%s FROM %s.%s t WHERE %s LIMIT 1",
							   quote_identifier(a->column),
							   quote_identifier(get_namespace_name(get_rel_namespace(a->relid))),
							   quote_identifier(get_rel_name(a->relid)), a->where);

	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql, SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
	{
		Jsonb	   *j = DatumGetJsonbP(d);

		a->entity = MemoryContextAlloc(a->cxt, VARSIZE(j));
		memcpy(a->entity, j, VARSIZE(j));
	}
}

PG_FUNCTION_INFO_V1(bsperm_explain_row);
Datum
bsperm_explain_row(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			schema = function_schema(fcinfo);
	RowLookup	a;
	BspUser    *user;
	BspPermission perm;
	StringInfoData b;
	bool		trusted,
				visible;

	memset(&a, 0, sizeof(a));
	a.relid = relid;
	a.ref = text_to_cstring(PG_GETARG_TEXT_PP(1));
	a.cxt = CurrentMemoryContext;
	user = bsperm_policy_user();
	bsperm_as_owner(row_lookup_as_owner, &a);
	if (!a.is_protected)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" is not protected by bsperm", get_rel_name(relid)),
				 errhint("Protect it with bsperm_protect, or ask about a table listed in bsperm.protected_tables.")));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid))));
	/* the row by its entity's ref: the stored column of bsperm.entities, else computed */
	if (get_rel_namespace(relid) == get_namespace_oid("bsperm", false) &&
		strcmp(get_rel_name(relid), "entities") == 0)
		a.where = "t.entity_ref OPERATOR(pg_catalog.=) $1";
	else
		a.where = psprintf("%s.bsperm_entity_ref(t.%s) OPERATOR(pg_catalog.=) $1",
						   quote_identifier(get_namespace_name(schema)),
						   quote_identifier(a.column));
	lookup_permission(a.permission, &perm);
	trusted = bsperm_explain_trusted(schema);
	visible = caller_sees(relid, a.where, a.ref);

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"table\":");
	json_str(&b, format_type_be(get_rel_type_id(relid)));
	appendStringInfoString(&b, ",\"ref\":");
	json_str(&b, a.ref);
	appendStringInfoString(&b, ",\"permission\":");
	json_str(&b, a.permission);
	appendStringInfo(&b, ",\"visible\":%s", visible ? "true" : "false");
	if (trusted || visible)
	{
		bsperm_as_owner(row_entity_as_owner, &a);
		appendStringInfo(&b, ",\"found\":%s", a.entity ? "true" : "false");
		if (a.entity)
		{
			BspResult	r;

			appendStringInfoString(&b, ",\"explanation\":");
			r = bsperm_explain_decision(&user->id, user->transitive, &perm, a.ref, a.entity,
										true, &b, NULL);
			appendStringInfoString(&b, ",\"result\":");
			json_str(&b, result_name(r));
		}
	}
	else
	{
		/* nothing about the row: the same for a hidden row and a missing one */
		appendStringInfoString(&b, ",\"row\":\"not visible to you: there is no such row, or a policy hides it\"");
		appendStringInfoString(&b, ",\"explanation\":");
		(void) bsperm_explain_decision(&user->id, user->transitive, &perm, NULL, NULL,
									   false, &b, NULL);
	}
	appendStringInfoChar(&b, '}');
	PG_RETURN_DATUM(jsonb_from_buf(&b));
}
