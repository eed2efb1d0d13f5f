/*-------------------------------------------------------------------------
 * pg_entity.c
 *	  Drives the core flattener over a jsonb entity.
 *
 * The walk reads each container's entries directly (the layout in
 * utils/jsonb.h), so a member the flattener declines (a special path, or
 * a subtree the filter cannot be interested in) is skipped without being
 * decoded.
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

/*
 * Decodes entry "index" of a container whose data starts at base, at
 * offset, as jsonb_util.c's fillJsonbValue does.  Reading the entries
 * directly (rather than with JsonbIterator) lets the walk skip a member
 * the flattener declines without decoding its key's neighbours or value.
 */
/* end offset of entry i, given the end offset of entry i - 1 */
#define ENTRY_END(jc, i, prevend) \
	(JBE_HAS_OFF((jc)->children[i]) ? JBE_OFFLENFLD((jc)->children[i]) : \
	 (prevend) + JBE_OFFLENFLD((jc)->children[i]))

static void
fill_value(JsonbContainer *jc, int index, char *base, uint32 offset, uint32 len,
		   JsonbValue *v)
{
	JEntry		entry = jc->children[index];

	if (JBE_ISNULL(entry))
		v->type = jbvNull;
	else if (JBE_ISSTRING(entry))
	{
		v->type = jbvString;
		v->val.string.val = base + offset;
		v->val.string.len = len;
	}
	else if (JBE_ISNUMERIC(entry))
	{
		v->type = jbvNumeric;
		v->val.numeric = (Numeric) (base + INTALIGN(offset));
	}
	else if (JBE_ISBOOL_TRUE(entry))
	{
		v->type = jbvBool;
		v->val.boolean = true;
	}
	else if (JBE_ISBOOL_FALSE(entry))
	{
		v->type = jbvBool;
		v->val.boolean = false;
	}
	else
	{
		Assert(JBE_ISCONTAINER(entry));
		v->type = jbvBinary;
		v->val.binary.data = (JsonbContainer *) (base + INTALIGN(offset));
		v->val.binary.len = len - (INTALIGN(offset) - offset);
	}
}

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
	uint32		count = JsonContainerSize(jc);
	JsonbValue	v;
	uint32		i;

	check_stack_depth();
	if (JsonContainerIsObject(jc))
	{
		/*
		 * Keys are entries 0..count-1, values count..2*count-1.  An entry
		 * holds either its length or (every JB_OFFSET_STRIDE entries) its end
		 * offset; two running cursors give every offset in one pass.
		 */
		char	   *base = (char *) &jc->children[count * 2];
		uint32		kend = 0,
					vend = 0;

		for (i = 0; i < count; i++)
			vend = ENTRY_END(jc, i, vend);
		for (i = 0; i < count && bsp_flat_tick(f); i++)
		{
			uint32		kstart = kend;
			uint32		vstart = vend;

			kend = ENTRY_END(jc, i, kend);
			vend = ENTRY_END(jc, i + count, vend);
			if (bsp_flat_may_enter(f, base + kstart, kend - kstart) &&
				bsp_flat_push_key(f, base + kstart, kend - kstart))
			{
				fill_value(jc, i + count, base, vstart, vend - vstart, &v);
				visit_value(f, &v, false);
				bsp_flat_pop(f);
			}
		}
	}
	else
	{
		/* an array, or a raw scalar stored as a one-element array */
		char	   *base = (char *) &jc->children[count];
		uint32		end = 0;

		for (i = 0; i < count && bsp_flat_tick(f); i++)
		{
			uint32		start = end;

			end = ENTRY_END(jc, i, end);
			fill_value(jc, i, base, start, end - start, &v);
			visit_value(f, &v, JsonContainerIsScalar(jc) ? item : true);
		}
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

/*
 * The flattener's cancellation poll: true when CHECK_FOR_INTERRUPTS would
 * raise (a query cancel, a statement timeout, a termination).  It never
 * raises itself; bsperm_flatten_jsonb does once the core has returned.
 */
bool
bsperm_cancel_requested(void *ctx)
{
	return InterruptPending && (QueryCancelPending || ProcDiePending) &&
		INTERRUPTS_CAN_BE_PROCESSED();
}

/* Raises the interrupt the core stopped for (see bsperm_cancel_requested). */
void
bsperm_raise_cancel(void)
{
	CHECK_FOR_INTERRUPTS();
	/* not reached: the poll only answers true for interrupts that raise */
	ereport(ERROR,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("canceling statement due to an interrupt")));
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

	f->cancel_requested = bsperm_cancel_requested;
	walk_container(f, root, false);

	if (f->wants_fixed)
	{
		if (member(root, "metadata", &v) && v.type == jbvBinary)
			meta = v.val.binary.data;
		bsp_flat_fixed_rows(f, member_scalar(meta, "name", &b1),
							member_scalar(meta, "namespace", &b2),
							member_scalar(meta, "uid", &b3));
	}

	if (f->wants_relations && member(root, "relations", &v) && v.type == jbvBinary &&
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
			if (f->failed)
				break;
		}
	}
	if (f->cancelled)
		bsperm_raise_cancel();
}
