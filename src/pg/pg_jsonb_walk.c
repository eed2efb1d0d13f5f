/*-------------------------------------------------------------------------
 * pg_jsonb_walk.c
 *	  Drives the core flattener over a jsonb container, reading the binary
 *	  layout directly.
 *
 * The walk reads each container's entries (the layout in utils/jsonb.h:
 * a header, one JEntry per element, or per key then per value for an
 * object, then the data; a JEntry holds its length, or every
 * JB_OFFSET_STRIDE entries its end offset), so a member the flattener
 * declines (a special path, or a subtree the filter cannot be interested
 * in) is skipped without being decoded.  Nothing is converted to text.
 *
 * Only macros of the server headers are used, no server function: see
 * pg_jsonb_walk.h.  The input must be a valid jsonb container (the
 * server's are; the fuzzer encodes its own as jsonb_util.c does).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "pg_jsonb_walk.h"

/* end offset of entry i, given the end offset of entry i - 1 */
#define ENTRY_END(jc, i, prevend) \
	(JBE_HAS_OFF((jc)->children[i]) ? JBE_OFFLENFLD((jc)->children[i]) : \
	 (prevend) + JBE_OFFLENFLD((jc)->children[i]))

/* A decoded entry: a scalar, or a nested container */
typedef struct WalkValue
{
	bool		is_container;
	const JsonbContainer *container;
	bool		is_numeric;
	const void *numeric;
	bsp_scalar	scalar;			/* when neither */
} WalkValue;

static void walk_container(bsp_flat *f, const JsonbContainer *jc, bool item,
						   BspJsonbWalker *w);

/*
 * Decodes entry "index" of a container whose data starts at base; the
 * entry's data is [offset, offset + len), as jsonb_util.c's fillJsonbValue
 * reads it.
 */
static void
fill_value(const JsonbContainer *jc, int index, const char *base, uint32 offset,
		   uint32 len, WalkValue *v)
{
	JEntry		entry = jc->children[index];

	memset(v, 0, sizeof(*v));
	if (JBE_ISNULL(entry))
		v->scalar.type = BSP_J_NULL;
	else if (JBE_ISSTRING(entry))
	{
		v->scalar.type = BSP_J_STRING;
		v->scalar.str = base + offset;
		v->scalar.len = len;
	}
	else if (JBE_ISNUMERIC(entry))
	{
		v->is_numeric = true;
		v->numeric = base + INTALIGN(offset);
	}
	else if (JBE_ISBOOL_TRUE(entry) || JBE_ISBOOL_FALSE(entry))
	{
		v->scalar.type = BSP_J_BOOL;
		v->scalar.boolean = JBE_ISBOOL_TRUE(entry);
	}
	else
	{
		v->is_container = true;
		v->container = (const JsonbContainer *) (base + INTALIGN(offset));
	}
}

/* The scalar of a non-container value (numbers converted by the walker) */
static const bsp_scalar *
value_scalar(WalkValue *v, BspJsonbWalker *w)
{
	if (v->is_container)
		return NULL;
	if (v->is_numeric)
	{
		v->scalar.type = BSP_J_NUMBER;
		v->scalar.num = w->numeric_to_double(v->numeric);
	}
	return &v->scalar;
}

static void
visit_value(bsp_flat *f, WalkValue *v, bool item, BspJsonbWalker *w)
{
	if (v->is_container)
		walk_container(f, v->container, item, w);
	else
		bsp_flat_scalar(f, value_scalar(v, w), item);
}

static void
walk_container(bsp_flat *f, const JsonbContainer *jc, bool item, BspJsonbWalker *w)
{
	uint32		count = JsonContainerSize(jc);
	WalkValue	v;
	uint32		i;

	if (w->stack_too_deep && w->stack_too_deep())
	{
		w->too_deep = true;
		f->failed = true;
		return;
	}
	if (JsonContainerIsObject(jc))
	{
		/*
		 * Keys are entries 0..count-1, values count..2*count-1.  Two running
		 * cursors give every offset in one pass.
		 */
		const char *base = (const char *) &jc->children[count * 2];
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
				visit_value(f, &v, false, w);
				bsp_flat_pop(f);
			}
		}
	}
	else
	{
		/* an array, or a raw scalar stored as a one-element array */
		const char *base = (const char *) &jc->children[count];
		uint32		end = 0;

		for (i = 0; i < count && bsp_flat_tick(f); i++)
		{
			uint32		start = end;

			end = ENTRY_END(jc, i, end);
			fill_value(jc, i, base, start, end - start, &v);
			visit_value(f, &v, JsonContainerIsScalar(jc) ? item : true, w);
		}
	}
}

/* Start offset of entry index: jsonb_util.c's getJsonbOffset */
static uint32
entry_offset(const JsonbContainer *jc, int index)
{
	uint32		offset = 0;
	int			i;

	for (i = index - 1; i >= 0; i--)
	{
		offset += JBE_OFFLENFLD(jc->children[i]);
		if (JBE_HAS_OFF(jc->children[i]))
			break;
	}
	return offset;
}

static void
entry_value(const JsonbContainer *jc, int index, const char *base, WalkValue *v)
{
	uint32		start = entry_offset(jc, index);
	uint32		end = ENTRY_END(jc, index, start);

	fill_value(jc, index, base, start, end - start, v);
}

/*
 * Looks up a member of an object container by binary search (keys are
 * sorted by length, then bytes); false when absent or jc is no object.
 */
static bool
member(const JsonbContainer *jc, const char *name, WalkValue *out)
{
	uint32		count;
	const char *base;
	size_t		len = strlen(name);
	uint32		lo = 0,
				hi;

	if (jc == NULL || !JsonContainerIsObject(jc))
		return false;
	count = JsonContainerSize(jc);
	base = (const char *) &jc->children[count * 2];
	hi = count;
	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;
		uint32		kstart = entry_offset(jc, (int) mid);
		uint32		klen = ENTRY_END(jc, mid, kstart) - kstart;
		int			c;

		if (klen != len)
			c = klen < len ? -1 : 1;
		else
			c = memcmp(base + kstart, name, len);
		if (c == 0)
		{
			entry_value(jc, (int) (mid + count), base, out);
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static const bsp_scalar *
member_scalar(const JsonbContainer *jc, const char *name, WalkValue *buf,
			  BspJsonbWalker *w)
{
	if (!member(jc, name, buf))
		return NULL;
	return value_scalar(buf, w);
}

void
bsp_jsonb_flatten(bsp_flat *f, const JsonbContainer *root, BspJsonbWalker *w)
{
	const JsonbContainer *meta = NULL;
	WalkValue	v,
				b1,
				b2,
				b3;

	w->too_deep = false;
	walk_container(f, root, false, w);

	if (f->wants_fixed && !f->failed)
	{
		if (member(root, "metadata", &v) && v.is_container)
			meta = v.container;
		bsp_flat_fixed_rows(f, member_scalar(meta, "name", &b1, w),
							member_scalar(meta, "namespace", &b2, w),
							member_scalar(meta, "uid", &b3, w));
	}

	if (f->wants_relations && !f->failed && member(root, "relations", &v) &&
		v.is_container && JsonContainerIsArray(v.container) &&
		!JsonContainerIsScalar(v.container))
	{
		const JsonbContainer *rels = v.container;
		uint32		count = JsonContainerSize(rels);
		const char *base = (const char *) &rels->children[count];
		uint32		end = 0;
		uint32		i;

		for (i = 0; i < count && bsp_flat_tick(f); i++)
		{
			uint32		start = end;
			WalkValue	el;

			end = ENTRY_END(rels, i, end);
			fill_value(rels, (int) i, base, start, end - start, &el);
			if (!el.is_container || !JsonContainerIsObject(el.container))
				continue;
			bsp_flat_relation(f, member_scalar(el.container, "type", &b1, w),
							  member_scalar(el.container, "targetRef", &b2, w));
		}
	}
}
