/*-------------------------------------------------------------------------
 * bsp_flatten.c
 *	  Event-driven implementation of Backstage's buildEntitySearch.
 *
 * Steps (spec section 4.3):
 *	A. traversal: special paths skipped, scalars emit (path, value), string
 *	   array items also emit (path.item, true), objects recurse, arrays keep
 *	   the path;
 *	B. fixed rows: metadata.name, metadata.namespace, metadata.uid, the
 *	   "default" namespace when the namespace is falsy, relations.<type>;
 *	D. keys and values JS-lowercased; a key over 200 UTF-16 units drops the
 *	   row, a value over 200 units becomes NULL;
 *	E. de-duplication by (key, value) with NULL spelled as U+0001, first
 *	   row wins, then PostgreSQL drops rows whose value is U+0001.
 *
 * Only E can change what a filter sees: the first of a NULL row and a
 * U+0001 row for the same key decides whether the key exists.  Everything
 * else in E is set semantics, which the consumers have anyway, so the
 * only state kept is the list of keys that already had a NULL-class row.
 *
 * Step C (keys that collide after lowercasing make Backstage refuse the
 * entity) is not reproduced: such rows are simply merged.  See
 * doc/compatibility.md.
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "bsp_flatten.h"
#include "bsp_filter.h"
#include "bsp_js.h"

struct bsp_nullkey
{
	const char *s;				/* NULL: empty slot */
	size_t		len;
	uint64_t	hash;
};
typedef struct bsp_nullkey bsp_nullkey;

typedef struct special_path
{
	const char *s;
	size_t		len;
} special_path;

#define SP(x) {x, sizeof(x) - 1}
static const special_path special_paths[] = {
	SP("attachments"), SP("relations"), SP("status"), SP("metadata.name"),
	SP("metadata.namespace"), SP("metadata.uid"), SP("metadata.etag")
};

void
bsp_flat_init(bsp_flat *f, bsp_arena *arena, const struct bsp_filter *interest,
			  bsp_row_fn emit, void *emit_ctx)
{
	memset(f, 0, sizeof(*f));
	f->arena = arena;
	f->row_arena = arena;
	f->interest = interest;
	f->emit = emit;
	f->emit_ctx = emit_ctx;
	bsp_sbuf_init(&f->path, arena);
	bsp_sbuf_init(&f->lpath, arena);
	bsp_sbuf_init(&f->key, arena);
	bsp_sbuf_init(&f->raw, arena);
	bsp_sbuf_init(&f->val, arena);
	bsp_sbuf_init(&f->built, arena);
	bsp_sbuf_reserve(&f->path, 64);
	bsp_sbuf_reserve(&f->lpath, 64);
	f->klo = 0;
	f->khi = interest ? interest->nkeys : 0;
	f->wants_fixed = bsp_flat_wants(f, "metadata.name") ||
		bsp_flat_wants(f, "metadata.namespace") || bsp_flat_wants(f, "metadata.uid");
	f->wants_relations = bsp_flat_wants(f, "relations");
	if (interest && emit == bsp_match_row)
		f->emit_key = bsp_match_key_row;
	/* a per-flattener seed makes crafted colliding keys hard to find */
	f->hash_seed = 0x9e3779b97f4a7c15ULL ^ (uint64_t) (uintptr_t) f ^
		((uint64_t) (uintptr_t) arena << 17);
}

bool
bsp_flat_poll(bsp_flat *f)
{
	if (!f->failed && f->cancel_requested && f->cancel_requested(f->cancel_ctx))
	{
		f->cancelled = true;
		f->failed = true;
	}
	return !f->failed;
}

void
bsp_flat_reset(bsp_flat *f, bsp_arena *row_arena)
{
	if (row_arena)
	{
		/* the old buffers belong to an arena the caller has reset */
		f->row_arena = row_arena;
		bsp_sbuf_init(&f->path, row_arena);
		bsp_sbuf_init(&f->lpath, row_arena);
		bsp_sbuf_init(&f->key, row_arena);
		bsp_sbuf_init(&f->raw, row_arena);
		bsp_sbuf_init(&f->val, row_arena);
		bsp_sbuf_init(&f->built, row_arena);
		f->stack = NULL;
		f->stackcap = 0;
		f->nulltab = NULL;
		f->nullcap = 0;
	}
	else if (f->nnullkeys > 0)
		memset(f->nulltab, 0, sizeof(bsp_nullkey) * f->nullcap);
	bsp_sbuf_reset(&f->path);
	bsp_sbuf_reset(&f->lpath);
	f->depth = 0;
	f->sigma_depth = 0;
	f->nnullkeys = 0;
	f->failed = false;
	f->cancelled = false;
	f->klo = 0;
	f->khi = f->interest ? f->interest->nkeys : 0;
}

/*
 * Narrow [klo, khi) to the interest keys that equal the lowered path or
 * continue it with ".".  Keys in the old range share the first "from"
 * bytes with the path already, and sorted keys sharing a prefix are
 * contiguous.  Returns false when none is left.
 */
static bool
narrow_interest(bsp_flat *f, size_t from)
{
	const bsp_fkey *keys = f->interest->keys;
	const char *p = f->lpath.data;
	size_t		len = f->lpath.len;
	int			i,
				lo = -1,
				hi = -1;

	/* an empty path (a root key "") continues with no separator */
	if (len == 0)
		return f->klo < f->khi;
	for (i = f->klo; i < f->khi; i++)
	{
		const bsp_str *k = &keys[i].key;
		bool		ok = k->len >= len &&
			memcmp(k->s + from, p + from, len - from) == 0 &&
			(k->len == len || k->s[len] == '.');

		if (ok)
		{
			if (lo < 0)
				lo = i;
			hi = i + 1;
		}
		else if (lo >= 0 && (k->len < len || memcmp(k->s + from, p + from, len - from) != 0))
			break;
	}
	if (lo < 0)
		return false;
	f->klo = lo;
	f->khi = hi;
	return true;
}

bool
bsp_flat_wants(const bsp_flat *f, const char *prefix)
{
	return f->interest == NULL ||
		bsp_filter_wants_prefix(f->interest, prefix, strlen(prefix));
}

static bool
is_special_path(const char *p, size_t len)
{
	size_t		i;

	/* every special path starts with a, r, s or m and is 6..18 bytes */
	if (len < 6 || len > 18 || (p[0] != 'a' && p[0] != 'r' && p[0] != 's' && p[0] != 'm'))
		return false;
	for (i = 0; i < sizeof(special_paths) / sizeof(special_paths[0]); i++)
	{
		if (special_paths[i].len == len &&
			memcmp(special_paths[i].s, p, len) == 0)
			return true;
	}
	return false;
}

/* Does s contain U+03A3 GREEK CAPITAL LETTER SIGMA (UTF-8 CE A3)? */
static bool
has_capital_sigma(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i + 1 < len; i++)
		if ((unsigned char) s[i] == 0xCE && (unsigned char) s[i + 1] == 0xA3)
			return true;
	return false;
}

bool
bsp_flat_push_key(bsp_flat *f, const char *key, size_t len)
{
	size_t		plen = f->path.len;
	size_t		llen = f->lpath.len;
	int			klo = f->klo;
	int			khi = f->khi;

	if (!bsp_flat_tick(f))
		return false;

	if (!bsp_flat_may_enter(f, key, len))
		return false;

	if (f->depth == f->stackcap)
	{
		int			ncap = f->stackcap ? f->stackcap * 2 : 16;
		size_t	   *ns = bsp_alloc_array(f->row_arena, (size_t) ncap * 4, sizeof(size_t));

		if (!ns)
		{
			f->failed = true;
			return false;
		}
		if (f->depth)
			memcpy(ns, f->stack, sizeof(size_t) * 4 * f->depth);
		f->stack = ns;
		f->stackcap = ncap;
	}

	if (!bsp_sbuf_reserve(&f->path, len + 1))
	{
		f->failed = true;
		return false;
	}
	if (plen > 0)
		f->path.data[f->path.len++] = '.';
	memcpy(f->path.data + f->path.len, key, len);
	f->path.len += len;
	f->path.data[f->path.len] = '\0';

	if (is_special_path(f->path.data, f->path.len))
	{
		f->path.len = plen;
		f->path.data[plen] = '\0';
		return false;
	}

	/* keep the lowered path while the raw path holds no capital sigma */
	if (f->sigma_depth == 0 && has_capital_sigma(key, len))
		f->sigma_depth = f->depth + 1;
	if (f->sigma_depth == 0)
	{
		if (llen > 0 && !bsp_sbuf_putc(&f->lpath, '.'))
		{
			f->failed = true;
			return false;
		}
		bsp_js_lower(&f->lpath, key, len);
		if (f->lpath.failed)
		{
			f->failed = true;
			return false;
		}
		if (f->interest && !narrow_interest(f, llen))
		{
			f->path.len = plen;
			f->path.data[plen] = '\0';
			f->lpath.len = llen;
			f->lpath.data[llen] = '\0';
			return false;
		}
	}

	f->stack[f->depth * 4] = plen;
	f->stack[f->depth * 4 + 1] = llen;
	f->stack[f->depth * 4 + 2] = (size_t) klo;
	f->stack[f->depth * 4 + 3] = (size_t) khi;
	f->depth++;
	return true;
}

void
bsp_flat_pop(bsp_flat *f)
{
	if (f->depth == 0)
		return;
	f->depth--;
	f->path.len = f->stack[f->depth * 4];
	if (f->path.data)
		f->path.data[f->path.len] = '\0';
	if (f->sigma_depth > f->depth)
		f->sigma_depth = 0;
	f->klo = (int) f->stack[f->depth * 4 + 2];
	f->khi = (int) f->stack[f->depth * 4 + 3];
	if (f->sigma_depth == 0)
	{
		f->lpath.len = f->stack[f->depth * 4 + 1];
		if (f->lpath.data)
			f->lpath.data[f->lpath.len] = '\0';
	}
}

bool
bsp_scalar_to_js_string(bsp_sbuf *out, const bsp_scalar *v)
{
	char		nbuf[BSP_JSNUM_BUFLEN];
	int			n;

	switch (v->type)
	{
		case BSP_J_STRING:
			return bsp_sbuf_append(out, v->str, v->len);
		case BSP_J_NUMBER:
			n = bsp_js_number(v->num, nbuf);
			return bsp_sbuf_append(out, nbuf, (size_t) n);
		case BSP_J_BOOL:
			return bsp_sbuf_appends(out, v->boolean ? "true" : "false");
		case BSP_J_NULL:
			return bsp_sbuf_appends(out, "null");
	}
	return false;
}

static uint64_t
key_hash(uint64_t seed, const char *s, size_t len)
{
	uint64_t	h = seed ^ (len * 0xff51afd7ed558ccdULL);
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 0x100000001b3ULL;
	}
	/* murmur3's finalizer: every input bit reaches the low bits */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* Doubles the NULL-key set (the old table stays in the row arena). */
static bool
grow_null_set(bsp_flat *f)
{
	size_t		ncap = f->nullcap ? f->nullcap * 2 : 16;
	bsp_nullkey *nt = bsp_alloc_array(f->row_arena, ncap, sizeof(bsp_nullkey));
	size_t		i;

	if (!nt)
		return false;
	for (i = 0; i < f->nullcap; i++)
	{
		size_t		j;

		if (f->nulltab[i].s == NULL)
			continue;
		for (j = f->nulltab[i].hash & (ncap - 1); nt[j].s; j = (j + 1) & (ncap - 1))
			;
		nt[j] = f->nulltab[i];
	}
	f->nulltab = nt;
	f->nullcap = ncap;
	return true;
}

/*
 * Remember that key had a NULL-class row; returns false when it had one
 * already (the new row is then a duplicate under Backstage's dedup).
 * A hash set: an entity with n NULL members costs O(n), not O(n^2).
 */
static bool
first_null_class_row(bsp_flat *f, const char *key, size_t keylen)
{
	uint64_t	h = key_hash(f->hash_seed, key, keylen);
	size_t		i;

	if (f->nnullkeys * 2 >= f->nullcap && !grow_null_set(f))
	{
		f->failed = true;
		return false;
	}
	for (i = h & (f->nullcap - 1); f->nulltab[i].s; i = (i + 1) & (f->nullcap - 1))
		if (f->nulltab[i].hash == h && f->nulltab[i].len == keylen &&
			memcmp(f->nulltab[i].s, key, keylen) == 0)
			return false;
	f->nulltab[i].s = bsp_strndup(f->row_arena, key, keylen);
	if (!f->nulltab[i].s)
	{
		f->failed = true;
		return false;
	}
	f->nulltab[i].len = keylen;
	f->nulltab[i].hash = h;
	f->nnullkeys++;
	return true;
}

/*
 * Steps D and E for one raw pair.  rawkey is the dotted path as built
 * (lowered already when lowered is true); v NULL means undefined.
 */
static bool
emit_pair(bsp_flat *f, const char *rawkey, size_t rawlen, bool lowered,
		  const bsp_scalar *v)
{
	const char *key;
	size_t		keylen;
	bool		is_null;
	const bsp_fkey *fk = NULL;

	if (f->failed)
		return false;

	/*
	 * A key of more than 3 * 200 bytes has more than 200 UTF-16 units (a
	 * code point takes at most 3 UTF-8 bytes per unit), and lowercasing
	 * never shortens a string in UTF-16 units: the row is dropped.  Checked
	 * before lowering, so deep paths do not cost their length per scalar.
	 */
	if (rawlen > 3 * BSP_SEARCH_MAX_LEN)
		return true;

	if (lowered)
	{
		key = rawkey;
		keylen = rawlen;
	}
	else
	{
		bsp_sbuf_reset(&f->key);
		if (!bsp_js_lower(&f->key, rawkey, rawlen))
		{
			f->failed = true;
			return false;
		}
		key = f->key.data ? f->key.data : "";
		keylen = f->key.len;
	}
	if (keylen > BSP_SEARCH_MAX_LEN &&
		bsp_utf16_len(key, keylen) > BSP_SEARCH_MAX_LEN)
		return true;
	if (f->interest && (fk = bsp_filter_find_key(f->interest, key, keylen)) == NULL)
		return true;

	/* JSON.stringify writes non-finite numbers as null */
	is_null = (v == NULL || v->type == BSP_J_NULL ||
			   (v->type == BSP_J_NUMBER && !isfinite(v->num)));
	if (!is_null)
	{
		bsp_sbuf_reset(&f->raw);
		bsp_sbuf_reset(&f->val);
		if (v->type == BSP_J_STRING)
		{
			if (!bsp_js_lower(&f->val, v->str, v->len))
				f->failed = true;
		}
		else if (!bsp_scalar_to_js_string(&f->raw, v) ||
				 !bsp_js_lower(&f->val, f->raw.data, f->raw.len))
			f->failed = true;
		if (f->failed)
			return false;
		if (f->val.len > BSP_SEARCH_MAX_LEN &&
			bsp_utf16_len(f->val.data, f->val.len) > BSP_SEARCH_MAX_LEN)
			is_null = true;
		else if (f->val.len == 1 && f->val.data[0] == '\x01')
		{
			/* the U+0001 sentinel: dedups with NULL rows, never stored */
			first_null_class_row(f, key, keylen);
			return !f->failed;
		}
	}

	if (is_null)
	{
		if (!first_null_class_row(f, key, keylen))
			return !f->failed;
		if (fk && f->emit_key ? !f->emit_key(f->emit_ctx, fk, NULL, 0)
			: !f->emit(f->emit_ctx, key, keylen, NULL, 0))
			f->failed = true;
	}
	else if (fk && f->emit_key ?
			 !f->emit_key(f->emit_ctx, fk, f->val.data ? f->val.data : "", f->val.len) :
			 !f->emit(f->emit_ctx, key, keylen, f->val.data ? f->val.data : "", f->val.len))
		f->failed = true;
	return !f->failed;
}

bool
bsp_flat_scalar(bsp_flat *f, const bsp_scalar *v, bool array_item)
{
	bool		lowered = (f->sigma_depth == 0);
	const char *p = lowered ? f->lpath.data : f->path.data;
	size_t		plen = lowered ? f->lpath.len : f->path.len;
	bsp_scalar	t;

	if (!bsp_flat_tick(f))
		return false;
	if (!emit_pair(f, p ? p : "", plen, lowered, v))
		return false;
	if (array_item && v->type == BSP_J_STRING &&
		f->path.len + 1 + v->len <= 3 * BSP_SEARCH_MAX_LEN)
	{
		/*
		 * The array-item row (path.item, true); always lowered afresh.  A
		 * longer key would be dropped anyway (see emit_pair).
		 */
		bsp_sbuf   *k = &f->built;

		bsp_sbuf_reset(k);
		bsp_sbuf_append(k, f->path.data ? f->path.data : "", f->path.len);
		bsp_sbuf_putc(k, '.');
		bsp_sbuf_append(k, v->str, v->len);
		if (k->failed)
		{
			f->failed = true;
			return false;
		}
		t.type = BSP_J_BOOL;
		t.boolean = true;
		return emit_pair(f, k->data, k->len, false, &t);
	}
	return true;
}

static bool
js_falsy(const bsp_scalar *v)
{
	if (v == NULL)
		return true;
	switch (v->type)
	{
		case BSP_J_NULL:
			return true;
		case BSP_J_STRING:
			return v->len == 0;
		case BSP_J_NUMBER:
			return v->num == 0 || v->num != v->num;
		case BSP_J_BOOL:
			return !v->boolean;
	}
	return true;
}

bool
bsp_flat_fixed_rows(bsp_flat *f, const bsp_scalar *name, const bsp_scalar *ns,
					const bsp_scalar *uid)
{
	bsp_scalar	def;

	emit_pair(f, "metadata.name", 13, true, name);
	emit_pair(f, "metadata.namespace", 18, true, ns);
	emit_pair(f, "metadata.uid", 12, true, uid);
	if (js_falsy(ns))
	{
		def.type = BSP_J_STRING;
		def.str = "default";
		def.len = 7;
		emit_pair(f, "metadata.namespace", 18, true, &def);
	}
	return !f->failed;
}

bool
bsp_flat_relation(bsp_flat *f, const bsp_scalar *type, const bsp_scalar *target)
{
	bsp_sbuf   *k = &f->built;

	if (!bsp_flat_tick(f))
		return false;
	bsp_sbuf_reset(k);
	bsp_sbuf_appends(k, "relations.");
	if (type == NULL)
		bsp_sbuf_appends(k, "undefined");
	else if (type->type == BSP_J_STRING && !has_capital_sigma(type->str, type->len))
	{
		/* lower the type alone: without a sigma, no context crosses the "." */
		if (!bsp_js_lower(k, type->str, type->len))
		{
			f->failed = true;
			return false;
		}
		return emit_pair(f, k->data, k->len, true, target);
	}
	else
		bsp_scalar_to_js_string(k, type);
	if (k->failed)
	{
		f->failed = true;
		return false;
	}
	return emit_pair(f, k->data, k->len, false, target);
}
