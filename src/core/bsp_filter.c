/*-------------------------------------------------------------------------
 * bsp_filter.c
 *	  Compiled EntityFilters: construction, evaluation, terms, rendering.
 *
 * See bsp_filter.h.  A compiled filter is immutable and lives in the
 * arena it was built in; evaluation state (bsp_match) is separate so one
 * filter can be cached for a whole statement.
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "bsp_filter.h"
#include "bsp_js.h"

/* byte-wise comparison; keys are short, so a plain loop beats memcmp */
static inline int
str_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t		n = alen < blen ? alen : blen;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (a[i] != b[i])
			return (unsigned char) a[i] < (unsigned char) b[i] ? -1 : 1;
	}
	return (alen > blen) - (alen < blen);
}

static int
bsp_str_qcmp(const void *a, const void *b)
{
	const bsp_str *x = a;
	const bsp_str *y = b;

	return str_cmp(x->s, x->len, y->s, y->len);
}

bsp_fnode *
bsp_fnode_new(bsp_arena *a, bsp_fkind kind, int nchildren)
{
	bsp_fnode  *n = bsp_alloc(a, sizeof(bsp_fnode));

	if (!n)
		return NULL;
	n->kind = kind;
	n->nchildren = nchildren;
	if (nchildren > 0)
	{
		n->children = bsp_alloc_array(a, (size_t) nchildren, sizeof(bsp_fnode *));
		if (!n->children)
			return NULL;
	}
	return n;
}

static bool
lower_into(bsp_arena *a, const char *s, size_t len, bsp_str *out)
{
	bsp_sbuf	b;

	bsp_sbuf_init(&b, a);
	if (!bsp_sbuf_reserve(&b, len) || !bsp_js_lower(&b, s, len))
		return false;
	out->s = b.data;
	out->len = b.len;
	return true;
}

bsp_fnode *
bsp_fnode_leaf(bsp_arena *a, const char *key, size_t keylen, bool has_values,
			   int nvalues, const char *const *values, const size_t *lens)
{
	bsp_fnode  *n = bsp_fnode_new(a, BSP_F_LEAF, 0);
	int			i,
				j;

	if (!n)
		return NULL;
	if (!lower_into(a, key, keylen, &n->key))
		return NULL;
	n->has_values = has_values;
	if (has_values && nvalues > 0)
	{
		n->values = bsp_alloc_array(a, (size_t) nvalues, sizeof(bsp_str));
		if (!n->values)
			return NULL;
		for (i = 0; i < nvalues; i++)
			if (!lower_into(a, values[i], lens[i], &n->values[i]))
				return NULL;
		qsort(n->values, (size_t) nvalues, sizeof(bsp_str), bsp_str_qcmp);
		for (i = 1, j = 1; i < nvalues; i++)
			if (bsp_str_qcmp(&n->values[i], &n->values[j - 1]) != 0)
				n->values[j++] = n->values[i];
		n->nvalues = j;
	}
	return n;
}

static int
count_nodes(bsp_fnode *n, int *nleaves)
{
	int			i,
				c = 1;

	if (n->kind == BSP_F_LEAF)
	{
		(*nleaves)++;
		return 1;
	}
	for (i = 0; i < n->nchildren; i++)
		c += count_nodes(n->children[i], nleaves);
	return c;
}

static void
collect_leaves(bsp_fnode *n, bsp_filter *f)
{
	int			i;

	if (n->kind == BSP_F_LEAF)
	{
		n->leaf = f->nleaves;
		f->leaves[f->nleaves++] = n;
		return;
	}
	for (i = 0; i < n->nchildren; i++)
		collect_leaves(n->children[i], f);
}

static int
leaf_key_qcmp(const void *a, const void *b)
{
	const bsp_fnode *x = *(const bsp_fnode *const *) a;
	const bsp_fnode *y = *(const bsp_fnode *const *) b;
	int			c = str_cmp(x->key.s, x->key.len, y->key.s, y->key.len);

	return c != 0 ? c : (x->leaf > y->leaf) - (x->leaf < y->leaf);
}

bsp_filter *
bsp_filter_finish(bsp_arena *a, bsp_fnode *root)
{
	bsp_filter *f = bsp_alloc(a, sizeof(bsp_filter));
	bsp_fnode **sorted;
	int			nleaves = 0;
	int			i,
				k;

	if (!f || !root)
		return NULL;
	f->root = root;
	f->nnodes = count_nodes(root, &nleaves);
	f->leaves = bsp_alloc_array(a, (size_t) nleaves, sizeof(bsp_fnode *));
	sorted = bsp_alloc_array(a, (size_t) nleaves, sizeof(bsp_fnode *));
	f->keys = bsp_alloc_array(a, (size_t) nleaves, sizeof(bsp_fkey));
	if (!f->leaves || !sorted || !f->keys)
		return NULL;
	collect_leaves(root, f);

	memcpy(sorted, f->leaves, sizeof(bsp_fnode *) * nleaves);
	qsort(sorted, (size_t) nleaves, sizeof(bsp_fnode *), leaf_key_qcmp);
	for (i = 0; i < nleaves; i = k)
	{
		bsp_fkey   *fk = &f->keys[f->nkeys++];
		int			j;

		for (k = i + 1; k < nleaves &&
			 str_cmp(sorted[k]->key.s, sorted[k]->key.len,
					 sorted[i]->key.s, sorted[i]->key.len) == 0; k++)
			;
		fk->key = sorted[i]->key;
		fk->nleaves = k - i;
		fk->leaves = bsp_alloc_array(a, (size_t) (k - i), sizeof(int));
		if (!fk->leaves)
			return NULL;
		for (j = i; j < k; j++)
			fk->leaves[j - i] = sorted[j]->leaf;
	}
	return f;
}

/* first index with keys[idx] >= (s, len) */
static int
key_lower_bound(const bsp_filter *f, const char *s, size_t len)
{
	int			lo = 0,
				hi = f->nkeys;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (str_cmp(f->keys[mid].key.s, f->keys[mid].key.len, s, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const bsp_fkey *
bsp_filter_find_key(const bsp_filter *f, const char *key, size_t len)
{
	int			i = key_lower_bound(f, key, len);

	if (i < f->nkeys &&
		str_cmp(f->keys[i].key.s, f->keys[i].key.len, key, len) == 0)
		return &f->keys[i];
	return NULL;
}

bool
bsp_filter_wants_prefix(const bsp_filter *f, const char *p, size_t len)
{
	int			i = key_lower_bound(f, p, len);

	/* keys >= p that start with p are contiguous from i */
	for (; i < f->nkeys; i++)
	{
		const bsp_str *k = &f->keys[i].key;

		if (k->len < len || memcmp(k->s, p, len) != 0)
			return false;
		if (k->len == len || k->s[len] == '.')
			return true;
		/* k starts with p but continues with a byte other than '.' */
		if ((unsigned char) k->s[len] > '.')
			return false;
	}
	return false;
}

bool
bsp_match_init(bsp_match *m, bsp_arena *a, const bsp_filter *f)
{
	m->filter = f;
	m->hit = bsp_alloc_array(a, (size_t) (f->nleaves ? f->nleaves : 1), sizeof(bool));
	return m->hit != NULL;
}

void
bsp_match_reset(bsp_match *m)
{
	memset(m->hit, 0, sizeof(bool) * (m->filter->nleaves ? m->filter->nleaves : 1));
}

static bool
value_in(const bsp_fnode *leaf, const char *v, size_t vlen)
{
	int			lo = 0,
				hi = leaf->nvalues;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = str_cmp(leaf->values[mid].s, leaf->values[mid].len, v, vlen);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
bsp_match_row(void *ctx, const char *key, size_t keylen,
			  const char *value, size_t valuelen)
{
	bsp_match  *m = ctx;
	const bsp_fkey *fk = bsp_filter_find_key(m->filter, key, keylen);

	if (!fk)
		return true;
	return bsp_match_key_row(ctx, fk, value, valuelen);
}

bool
bsp_match_key_row(void *ctx, const bsp_fkey *fk, const char *value, size_t valuelen)
{
	bsp_match  *m = ctx;
	int			i;

	for (i = 0; i < fk->nleaves; i++)
	{
		const bsp_fnode *leaf = m->filter->leaves[fk->leaves[i]];

		if (!leaf->has_values)
			m->hit[leaf->leaf] = true;
		else if (value != NULL && value_in(leaf, value, valuelen))
			m->hit[leaf->leaf] = true;
	}
	return true;
}

static bool
eval_node(const bsp_fnode *n, const bool *hit)
{
	int			i;

	switch (n->kind)
	{
		case BSP_F_LEAF:
			return hit[n->leaf];
		case BSP_F_NOT:
			return !eval_node(n->children[0], hit);
		case BSP_F_ALL:
			for (i = 0; i < n->nchildren; i++)
				if (!eval_node(n->children[i], hit))
					return false;
			return true;
		case BSP_F_ANY:
			for (i = 0; i < n->nchildren; i++)
				if (eval_node(n->children[i], hit))
					return true;
			return false;
	}
	return false;
}

bool
bsp_filter_eval(const bsp_filter *f, const bool *hit)
{
	return eval_node(f->root, hit);
}

static bsp_tri
eval3_node(const bsp_fnode *n, const uint8_t *leaf)
{
	int			i;
	bsp_tri		r,
				c;

	switch (n->kind)
	{
		case BSP_F_LEAF:
			return (bsp_tri) leaf[n->leaf];
		case BSP_F_NOT:
			return (bsp_tri) (BSP_YES - eval3_node(n->children[0], leaf));
		case BSP_F_ALL:
			r = BSP_YES;
			for (i = 0; i < n->nchildren && r != BSP_NO; i++)
			{
				c = eval3_node(n->children[i], leaf);
				if (c < r)
					r = c;
			}
			return r;
		case BSP_F_ANY:
			r = BSP_NO;
			for (i = 0; i < n->nchildren && r != BSP_YES; i++)
			{
				c = eval3_node(n->children[i], leaf);
				if (c > r)
					r = c;
			}
			return r;
	}
	return BSP_MAYBE;
}

bsp_tri
bsp_filter_eval3(const bsp_filter *f, const uint8_t *leaf)
{
	return eval3_node(f->root, leaf);
}

static bool
eval_empty(const bsp_fnode *n)
{
	int			i;

	switch (n->kind)
	{
		case BSP_F_LEAF:
			return false;
		case BSP_F_NOT:
			return !eval_empty(n->children[0]);
		case BSP_F_ALL:
			for (i = 0; i < n->nchildren; i++)
				if (!eval_empty(n->children[i]))
					return false;
			return true;
		case BSP_F_ANY:
			for (i = 0; i < n->nchildren; i++)
				if (eval_empty(n->children[i]))
					return true;
			return false;
	}
	return false;
}

bool
bsp_filter_true_on_empty(const bsp_filter *f)
{
	return eval_empty(f->root);
}

bool
bsp_term_exists(bsp_sbuf *out, const char *key, size_t keylen)
{
	bsp_sbuf_putc(out, 'K');
	return bsp_sbuf_append(out, key, keylen);
}

bool
bsp_term_value(bsp_sbuf *out, const char *key, size_t keylen,
			   const char *value, size_t valuelen)
{
	bsp_sbuf_putc(out, 'V');
	bsp_sbuf_append(out, key, keylen);
	bsp_sbuf_putc(out, '\0');
	return bsp_sbuf_append(out, value, valuelen);
}

bool
bsp_filter_to_json(bsp_sbuf *out, const bsp_fnode *n)
{
	int			i;

	switch (n->kind)
	{
		case BSP_F_LEAF:
			bsp_sbuf_appends(out, "{\"key\": ");
			bsp_sbuf_json_string(out, n->key.s, n->key.len);
			if (n->has_values)
			{
				bsp_sbuf_appends(out, ", \"values\": [");
				for (i = 0; i < n->nvalues; i++)
				{
					if (i)
						bsp_sbuf_appends(out, ", ");
					bsp_sbuf_json_string(out, n->values[i].s, n->values[i].len);
				}
				bsp_sbuf_putc(out, ']');
			}
			return bsp_sbuf_putc(out, '}');
		case BSP_F_NOT:
			bsp_sbuf_appends(out, "{\"not\": ");
			bsp_filter_to_json(out, n->children[0]);
			return bsp_sbuf_putc(out, '}');
		case BSP_F_ALL:
		case BSP_F_ANY:
			bsp_sbuf_appends(out, n->kind == BSP_F_ALL ? "{\"allOf\": [" : "{\"anyOf\": [");
			for (i = 0; i < n->nchildren; i++)
			{
				if (i)
					bsp_sbuf_appends(out, ", ");
				bsp_filter_to_json(out, n->children[i]);
			}
			return bsp_sbuf_appends(out, "]}");
	}
	return false;
}

/* ---- copying ---- */

static bool
copy_str(bsp_arena *a, bsp_str *dst, const bsp_str *src)
{
	dst->len = src->len;
	dst->s = bsp_strndup(a, src->s, src->len);
	return dst->s != NULL;
}

static bsp_fnode *
copy_fnode(bsp_arena *a, const bsp_fnode *n, bsp_fnode **leaves)
{
	bsp_fnode  *c = bsp_alloc(a, sizeof(bsp_fnode));
	int			i;

	if (c == NULL)
		return NULL;
	*c = *n;
	c->children = NULL;
	c->values = NULL;
	if (n->kind == BSP_F_LEAF)
	{
		if (!copy_str(a, &c->key, &n->key))
			return NULL;
		if (n->nvalues > 0)
		{
			c->values = bsp_alloc_array(a, n->nvalues, sizeof(bsp_str));
			if (c->values == NULL)
				return NULL;
			for (i = 0; i < n->nvalues; i++)
				if (!copy_str(a, &c->values[i], &n->values[i]))
					return NULL;
		}
		leaves[n->leaf] = c;
		return c;
	}
	if (n->nchildren > 0)
	{
		c->children = bsp_alloc_array(a, n->nchildren, sizeof(bsp_fnode *));
		if (c->children == NULL)
			return NULL;
		for (i = 0; i < n->nchildren; i++)
			if ((c->children[i] = copy_fnode(a, n->children[i], leaves)) == NULL)
				return NULL;
	}
	return c;
}

bsp_filter *
bsp_filter_copy(bsp_arena *a, const bsp_filter *f)
{
	bsp_filter *c = bsp_alloc(a, sizeof(bsp_filter));
	int			i;

	if (c == NULL)
		return NULL;
	*c = *f;
	c->leaves = NULL;
	c->keys = NULL;
	if (f->nleaves > 0)
	{
		c->leaves = bsp_alloc_array(a, f->nleaves, sizeof(bsp_fnode *));
		if (c->leaves == NULL)
			return NULL;
	}
	if ((c->root = copy_fnode(a, f->root, c->leaves)) == NULL)
		return NULL;
	if (f->nkeys > 0)
	{
		c->keys = bsp_alloc_array(a, f->nkeys, sizeof(bsp_fkey));
		if (c->keys == NULL)
			return NULL;
		for (i = 0; i < f->nkeys; i++)
		{
			c->keys[i].nleaves = f->keys[i].nleaves;
			if (!copy_str(a, &c->keys[i].key, &f->keys[i].key))
				return NULL;
			c->keys[i].leaves = bsp_alloc_array(a, f->keys[i].nleaves > 0 ? f->keys[i].nleaves : 1,
												sizeof(int));
			if (c->keys[i].leaves == NULL)
				return NULL;
			memcpy(c->keys[i].leaves, f->keys[i].leaves, sizeof(int) * f->keys[i].nleaves);
		}
	}
	return c;
}
