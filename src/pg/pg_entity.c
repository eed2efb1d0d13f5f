/*-------------------------------------------------------------------------
 * pg_entity.c
 *	  Drives the core flattener over a jsonb entity.
 *
 * The walk uses JsonbIterator with skipNested, one container at a time,
 * so a member the flattener declines (a special path, or a subtree the
 * filter cannot be interested in) is skipped without being decoded.
 * Nothing is converted to text.  Numbers become doubles, which is what
 * JavaScript holds after JSON.parse; the core prints them as JS does.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "bsperm.h"

static bool
to_scalar(JsonbValue *v, bsp_scalar *s)
{
	memset(s, 0, sizeof(*s));
	switch (v->type)
	{
		case jbvNull:
			s->type = BSP_J_NULL;
			return true;
		case jbvBool:
			s->type = BSP_J_BOOL;
			s->boolean = v->val.boolean;
			return true;
		case jbvString:
			s->type = BSP_J_STRING;
			s->str = v->val.string.val;
			s->len = v->val.string.len;
			return true;
		case jbvNumeric:
			s->type = BSP_J_NUMBER;
			s->num = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
														NumericGetDatum(v->val.numeric)));
			return true;
		default:
			return false;
	}
}

static void walk_container(bsp_flat *f, JsonbContainer *jc, bool item);

static void
visit_value(bsp_flat *f, JsonbValue *v, bool item)
{
	bsp_scalar	s;

	if (v->type == jbvBinary)
		walk_container(f, v->val.binary.data, item);
	else if (to_scalar(v, &s))
		bsp_flat_scalar(f, &s, item);
}

static void
walk_container(bsp_flat *f, JsonbContainer *jc, bool item)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	check_stack_depth();
	it = JsonbIteratorInit(jc);
	tok = JsonbIteratorNext(&it, &v, true);
	if (tok == WJB_BEGIN_ARRAY && v.val.array.rawScalar)
	{
		tok = JsonbIteratorNext(&it, &v, true);
		if (tok == WJB_ELEM)
			visit_value(f, &v, item);
		return;
	}
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (f->failed)
			return;
		if (tok == WJB_KEY)
		{
			bool		enter = bsp_flat_push_key(f, v.val.string.val,
												  v.val.string.len);

			tok = JsonbIteratorNext(&it, &v, true);
			Assert(tok == WJB_VALUE);
			if (enter)
			{
				visit_value(f, &v, false);
				bsp_flat_pop(f);
			}
		}
		else if (tok == WJB_ELEM)
			visit_value(f, &v, true);
	}
}

/* Looks up a member of an object container; false when absent. */
static bool
member(JsonbContainer *jc, const char *name, JsonbValue *out)
{
	if (jc == NULL || !JsonContainerIsObject(jc))
		return false;
	return getKeyJsonValueFromContainer(jc, name, strlen(name), out) != NULL;
}

static const bsp_scalar *
member_scalar(JsonbContainer *jc, const char *name, bsp_scalar *buf)
{
	JsonbValue	v;

	if (!member(jc, name, &v))
		return NULL;
	return to_scalar(&v, buf) ? buf : NULL;
}

void
bsperm_flatten_jsonb(bsp_flat *f, Jsonb *entity)
{
	JsonbContainer *root = &entity->root;
	JsonbContainer *meta = NULL;
	JsonbValue	v;
	bsp_scalar	b1,
				b2,
				b3;

	walk_container(f, root, false);

	if (bsp_flat_wants(f, "metadata.name") || bsp_flat_wants(f, "metadata.namespace") ||
		bsp_flat_wants(f, "metadata.uid"))
	{
		if (member(root, "metadata", &v) && v.type == jbvBinary)
			meta = v.val.binary.data;
		bsp_flat_fixed_rows(f, member_scalar(meta, "name", &b1),
							member_scalar(meta, "namespace", &b2),
							member_scalar(meta, "uid", &b3));
	}

	if (bsp_flat_wants(f, "relations") && member(root, "relations", &v) && v.type == jbvBinary &&
		JsonContainerIsArray(v.val.binary.data))
	{
		JsonbIterator *it = JsonbIteratorInit(v.val.binary.data);
		JsonbValue	el;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &el, true)) != WJB_DONE)
		{
			JsonbContainer *rel;

			if (tok != WJB_ELEM || el.type != jbvBinary ||
				!JsonContainerIsObject(el.val.binary.data))
				continue;
			rel = el.val.binary.data;
			bsp_flat_relation(f, member_scalar(rel, "type", &b1),
							  member_scalar(rel, "targetRef", &b2));
		}
	}
}
