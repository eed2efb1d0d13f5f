/*
 * unit_jsonb.c - encodes a json-c tree in jsonb's binary format and checks
 * that the server's jsonb walk (src/pg/pg_jsonb_walk.c) gives the
 * flattener exactly the rows the reference json-c walk gives it
 * (unit_walk.h, in jsonb's key order).  Used by the property test in
 * test_core.c and by the fuzzer (test/fuzz).
 *
 * The encoder follows jsonb_util.c's convertToJsonb: a varlena header,
 * then per container a header word (count | JB_FOBJECT / JB_FARRAY, plus
 * JB_FSCALAR for a raw scalar at the root), one JEntry per element (keys
 * first, then values, for objects) holding the length, or the end offset
 * with JENTRY_HAS_OFF every JB_OFFSET_STRIDE entries, then the data;
 * containers and numerics are int-aligned.  Object keys are sorted by
 * length, then bytes (json-c's keys are unique already).  A numeric is a
 * varlena holding a double, which the walker's numeric_to_double stub
 * reads back: the walk's numeric handling (alignment, lengths) is the
 * server's, only the digits format differs.
 *
 * This file includes server headers for the layout macros only and links
 * no server code.
 */
#include "postgres.h"

#include <json-c/json.h>

#include "utils/jsonb.h"

/* port.h routes these to libpgport, which is not linked here */
#undef qsort
#undef printf
#undef fprintf
#undef snprintf
#undef vsnprintf
#undef sprintf

#include "bsp_criteria.h"
#include "bsp_filter.h"
#include "bsp_flatten.h"
#include "pg_jsonb_walk.h"
#include "unit.h"
#include "unit_walk.h"

#include "unit_jsonb.h"

typedef struct jbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} jbuf;

static size_t
jb_reserve(jbuf *b, size_t n)
{
	size_t		at = b->len;

	if (b->len + n > b->cap)
	{
		size_t		ncap = b->cap ? b->cap : 256;

		while (ncap < b->len + n)
			ncap *= 2;
		b->data = realloc(b->data, ncap);
		if (!b->data)
			abort();
		b->cap = ncap;
	}
	memset(b->data + b->len, 0, n);
	b->len += n;
	return at;
}

static void
jb_append(jbuf *b, const void *p, size_t n)
{
	size_t		at = jb_reserve(b, n);

	if (n)
		memcpy(b->data + at, p, n);
}

static uint32
jb_pad(jbuf *b)
{
	size_t		pad = INTALIGN(b->len) - b->len;

	jb_reserve(b, pad);
	return (uint32) pad;
}

static void
jb_put_uint32(jbuf *b, size_t at, uint32 v)
{
	memcpy(b->data + at, &v, sizeof(v));
}

static void encode_value(jbuf *b, json_object *o, JEntry *header, bool raw_scalar_root);

static void
encode_scalar(jbuf *b, json_object *o, JEntry *header)
{
	bsp_scalar	s;

	unit_to_scalar(o, &s);
	switch (s.type)
	{
		case BSP_J_NULL:
			*header = JENTRY_ISNULL;
			break;
		case BSP_J_BOOL:
			*header = s.boolean ? JENTRY_ISBOOL_TRUE : JENTRY_ISBOOL_FALSE;
			break;
		case BSP_J_STRING:
			jb_append(b, s.str, s.len);
			*header = JENTRY_ISSTRING | (uint32) s.len;
			break;
		case BSP_J_NUMBER:
			{
				uint32		pad = jb_pad(b);
				size_t		at = jb_reserve(b, VARHDRSZ + sizeof(double));

				SET_VARSIZE(b->data + at, VARHDRSZ + sizeof(double));
				memcpy(b->data + at + VARHDRSZ, &s.num, sizeof(double));
				*header = JENTRY_ISNUMERIC | (pad + VARHDRSZ + (uint32) sizeof(double));
				break;
			}
	}
}

/* stores entry i's JEntry, turning every JB_OFFSET_STRIDE-th into an offset */
static void
store_entry(jbuf *b, size_t entries_at, int i, JEntry meta, uint32 *totallen)
{
	*totallen += meta & JENTRY_OFFLENMASK;
	if ((i % JB_OFFSET_STRIDE) == 0)
		meta = (meta & JENTRY_TYPEMASK) | *totallen | JENTRY_HAS_OFF;
	jb_put_uint32(b, entries_at + sizeof(JEntry) * i, meta);
}

static void
encode_value(jbuf *b, json_object *o, JEntry *header, bool raw_scalar_root)
{
	size_t		base_offset = b->len;
	uint32		totallen = 0;
	size_t		at,
				entries;
	JEntry		meta;
	int			i,
				n;

	if (json_object_is_type(o, json_type_object))
	{
		size_t		nk;
		const char **keys = unit_sorted_keys(o, &nk);

		n = (int) nk;
		jb_pad(b);
		at = jb_reserve(b, sizeof(uint32));
		jb_put_uint32(b, at, (uint32) n | JB_FOBJECT);
		entries = jb_reserve(b, sizeof(JEntry) * 2 * n);
		for (i = 0; i < n; i++)
		{
			size_t		klen = strlen(keys[i]);

			jb_append(b, keys[i], klen);
			store_entry(b, entries, i, JENTRY_ISSTRING | (uint32) klen, &totallen);
		}
		for (i = 0; i < n; i++)
		{
			encode_value(b, json_object_object_get(o, keys[i]), &meta, false);
			store_entry(b, entries, i + n, meta, &totallen);
		}
		free(keys);
	}
	else if (json_object_is_type(o, json_type_array) || raw_scalar_root)
	{
		bool		raw = !json_object_is_type(o, json_type_array);

		n = raw ? 1 : (int) json_object_array_length(o);
		jb_pad(b);
		at = jb_reserve(b, sizeof(uint32));
		jb_put_uint32(b, at, (uint32) n | JB_FARRAY | (raw ? JB_FSCALAR : 0));
		entries = jb_reserve(b, sizeof(JEntry) * n);
		for (i = 0; i < n; i++)
		{
			json_object *el = raw ? o : json_object_array_get_idx(o, i);

			if (raw)
				encode_scalar(b, el, &meta);
			else
				encode_value(b, el, &meta, false);
			store_entry(b, entries, i, meta, &totallen);
		}
	}
	else
	{
		encode_scalar(b, o, header);
		return;
	}
	*header = JENTRY_ISCONTAINER | (uint32) (b->len - base_offset);
}

/* A palloc-free Jsonb: VARHDRSZ then the root container (malloc'd). */
static Jsonb *
encode_jsonb(json_object *o)
{
	jbuf		b = {NULL, 0, 0};
	JEntry		header;

	jb_reserve(&b, VARHDRSZ);
	encode_value(&b, o, &header, true);
	SET_VARSIZE(b.data, b.len);
	return (Jsonb *) b.data;
}

static double
stub_numeric_to_double(const void *numeric)
{
	double		d;

	if (VARSIZE(numeric) != VARHDRSZ + sizeof(double))
		abort();				/* the walk found a numeric where none is */
	memcpy(&d, (const char *) numeric + VARHDRSZ, sizeof(double));
	return d;
}

/* rows as a byte sequence: key NUL (value NUL | "\1" NUL) */
static bool
collect_seq(void *ctx, const char *k, size_t kl, const char *v, size_t vl)
{
	bsp_sbuf   *b = ctx;

	bsp_sbuf_append(b, k, kl);
	bsp_sbuf_putc(b, '\0');
	if (v)
		bsp_sbuf_append(b, v, vl);
	else
		bsp_sbuf_putc(b, '\1');
	return bsp_sbuf_putc(b, '\0');
}

static bool
compare_rows(bsp_arena *a, const bsp_filter *interest, json_object *e,
			 const Jsonb *jb)
{
	bsp_sbuf	s1,
				s2;
	bsp_flat	f1,
				f2;
	BspJsonbWalker w;

	memset(&w, 0, sizeof(w));
	w.numeric_to_double = stub_numeric_to_double;
	bsp_sbuf_init(&s1, a);
	bsp_sbuf_init(&s2, a);
	bsp_flat_init(&f1, a, interest, collect_seq, &s1);
	bsp_flat_init(&f2, a, interest, collect_seq, &s2);
	bsp_jsonb_flatten(&f1, &jb->root, &w);
	bsp_flatten_json_sorted(&f2, e);
	/* does the server's walk agree with the reference? */
	return f1.failed == f2.failed && !s1.failed && !s2.failed && s1.len == s2.len &&
		(s1.len == 0 || memcmp(s1.data, s2.data, s1.len) == 0);
}

static bool
compare_match(bsp_arena *a, const bsp_filter *f, json_object *e, const Jsonb *jb)
{
	bsp_match	m1,
				m2;
	bsp_flat	f1,
				f2;
	BspJsonbWalker w;

	memset(&w, 0, sizeof(w));
	w.numeric_to_double = stub_numeric_to_double;
	/* pruned through jsonb (the server's path), every row through json-c */
	bsp_match_init(&m1, a, f);
	bsp_match_init(&m2, a, f);
	bsp_match_reset(&m1);
	bsp_match_reset(&m2);
	bsp_flat_init(&f1, a, f, bsp_match_row, &m1);
	bsp_flat_init(&f2, a, NULL, bsp_match_row, &m2);
	bsp_jsonb_flatten(&f1, &jb->root, &w);
	bsp_flatten_json_sorted(&f2, e);
	return bsp_filter_eval(f, m1.hit) == bsp_filter_eval(f, m2.hit);
}

bool
unit_jsonb_agrees(json_object *e, const bsp_filter *const *filters, int nfilters)
{
	unit_arena	ua;
	Jsonb	   *jb = encode_jsonb(e);
	bool		ok;
	int			i;

	unit_arena_init(&ua);
	ok = compare_rows(&ua.arena, NULL, e, jb);
	for (i = 0; i < nfilters && ok; i++)
		ok = compare_rows(&ua.arena, filters[i], e, jb) &&
			compare_match(&ua.arena, filters[i], e, jb);
	unit_arena_free(&ua);
	free(jb);
	return ok;
}
