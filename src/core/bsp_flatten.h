/*-------------------------------------------------------------------------
 * bsp_flatten.h
 *	  Backstage's search flattening of an entity, driven by events.
 *
 * Backstage's catalog turns every entity into (key, value) "search rows"
 * (buildEntitySearch, spec section 4.3) and answers every list filter from
 * those rows.  bsperm gives both of its paths (bsperm_matches and the
 * indexed operator) exactly these rows, so the flattening lives here once.
 *
 * The flattener does not parse JSON.  A driver walks a document (a json-c
 * tree in the unit tests, a jsonb container in the server) and reports:
 *
 *	 bsp_flat_push_key(f, key)	 entering an object member; false = skip it
 *	 bsp_flat_scalar(f, v, item) a scalar at the current path (item: it is
 *								 an element of an array)
 *	 bsp_flat_pop(f)			 leaving the member pushed last
 *
 * Arrays do not change the path: the driver reports each element at the
 * same path (nested arrays too).  After the walk the driver reports the
 * fixed rows with bsp_flat_fixed_rows() and then one bsp_flat_relation()
 * per element of "relations".
 *
 * Rows come out through a callback with the key JS-lowercased and the
 * value JS-lowercased (or NULL), after the 200-unit limits and the
 * PostgreSQL U+0001 rule, i.e. exactly the rows Backstage stores in its
 * "search" table.  When an interest filter is given, rows whose key the
 * filter never looks at are skipped before their value is formatted, and
 * subtrees that cannot produce such a key are not entered at all.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_FLATTEN_H
#define BSPERM_FLATTEN_H

#include "bsp_common.h"
#include "bsp_filter.h"

/* Backstage's limits on search keys and values (UTF-16 units) */
#define BSP_SEARCH_MAX_LEN 200

typedef enum bsp_jtype
{
	BSP_J_NULL,
	BSP_J_STRING,
	BSP_J_NUMBER,
	BSP_J_BOOL
} bsp_jtype;

typedef struct bsp_scalar
{
	bsp_jtype	type;
	const char *str;			/* BSP_J_STRING: UTF-8, not NUL-terminated */
	size_t		len;
	double		num;			/* BSP_J_NUMBER */
	bool		boolean;		/* BSP_J_BOOL */
} bsp_scalar;

/*
 * Receives one search row.  key is lowered and NUL-terminated; value is
 * lowered and NUL-terminated, or NULL for a NULL row.  Return false to
 * stop the walk (the flattener then reports failure with no error set).
 */
typedef bool (*bsp_row_fn) (void *ctx, const char *key, size_t keylen,
							const char *value, size_t valuelen);

struct bsp_filter;
struct bsp_fkey;

typedef struct bsp_flat
{
	bsp_arena  *arena;			/* set-up: lives as long as the flattener */
	bsp_arena  *row_arena;		/* every per-entity allocation (see reset) */
	const struct bsp_filter *interest;	/* NULL: emit every row */
	bsp_row_fn	emit;
	void	   *emit_ctx;

	bsp_sbuf	path;			/* raw dotted path */
	bsp_sbuf	lpath;			/* lowered path, valid while !sigma */
	size_t	   *stack;			/* saved (path, lpath, klo, khi) per level */
	int			depth;
	int			stackcap;
	int			sigma_depth;	/* depth at which a U+03A3 entered, or 0 */
	int			klo;			/* interest keys [klo, khi) extend lpath */
	int			khi;

	bsp_sbuf	key;			/* scratch */
	bsp_sbuf	raw;
	bsp_sbuf	val;
	bsp_sbuf	built;			/* keys built from parts (array items, relations) */

	/* keys that already had a NULL/U+0001 row: an open-addressing set */
	struct bsp_nullkey *nulltab;
	size_t		nnullkeys;
	size_t		nullcap;		/* 0 or a power of two */
	uint64_t	hash_seed;

	bool		failed;

	/*
	 * Optional cancellation, set by the caller after bsp_flat_init: every
	 * few thousand events the flattener asks cancel_requested(cancel_ctx);
	 * on true it stops, with failed and cancelled set.  The callback must
	 * return, never longjmp; the caller then raises its own error.
	 */
	bool		(*cancel_requested) (void *ctx);
	void	   *cancel_ctx;
	unsigned int ticks;
	bool		cancelled;

	/* computed once from the interest filter: may Step B rows matter? */
	bool		wants_fixed;	/* metadata.name / namespace / uid */
	bool		wants_relations;	/* relations.* */

	/*
	 * Optional fast path: with an interest filter, rows go to emit_key with
	 * the filter's key entry already looked up (instead of emit).
	 */
	bool		(*emit_key) (void *ctx, const struct bsp_fkey *fk,
							 const char *value, size_t valuelen);
} bsp_flat;

extern void bsp_flat_init(bsp_flat *f, bsp_arena *arena,
						  const struct bsp_filter *interest,
						  bsp_row_fn emit, void *emit_ctx);
/*
 * Cheap rejection before any copying, for drivers and bsp_flat_push_key:
 * with an interest filter and an ASCII first byte, some interest key must
 * continue the lowered path with that byte (lowered).  False means
 * bsp_flat_push_key would decline the member; true decides nothing.
 */
static inline bool
bsp_flat_may_enter(const bsp_flat *f, const char *key, size_t len)
{
	size_t		llen,
				at;
	unsigned char c0;
	int			i;

	if (f->interest == NULL || f->sigma_depth != 0 || len == 0 ||
		(unsigned char) key[0] >= 0x80)
		return true;
	llen = f->lpath.len;
	at = llen + (llen > 0 ? 1 : 0);
	c0 = (unsigned char) key[0];
	if (c0 >= 'A' && c0 <= 'Z')
		c0 += 'a' - 'A';
	for (i = f->klo; i < f->khi; i++)
	{
		const char *k = f->interest->keys[i].key.s;
		size_t		klen = f->interest->keys[i].key.len;

		if (klen > at && (unsigned char) k[at] == c0 && (llen == 0 || k[llen] == '.'))
			return true;
	}
	return false;
}

/* Counts one unit of work and polls cancel_requested; false once failed. */
extern bool bsp_flat_poll(bsp_flat *f);
static inline bool
bsp_flat_tick(bsp_flat *f)
{
	if ((++f->ticks & 1023) == 0 && f->cancel_requested)
		return bsp_flat_poll(f);
	return !f->failed;
}

/*
 * Forget the previous entity, for one flattener per scan.  With row_arena
 * NULL the buffers are kept (they live in the row arena in use, which must
 * then outlive the flattener).  Otherwise every buffer is dropped and the
 * next entity allocates from row_arena only: the caller resets that arena
 * between entities, so a scan's memory is bounded by its largest entity
 * and nothing per entity reaches the set-up arena.
 */
extern void bsp_flat_reset(bsp_flat *f, bsp_arena *row_arena);
extern bool bsp_flat_push_key(bsp_flat *f, const char *key, size_t len);
extern void bsp_flat_pop(bsp_flat *f);
extern bool bsp_flat_scalar(bsp_flat *f, const bsp_scalar *v, bool array_item);

/*
 * Step B of buildEntitySearch.  Each argument is the value of
 * metadata.name / metadata.namespace / metadata.uid, or NULL when the
 * property is undefined (absent, or not a scalar).
 */
extern bool bsp_flat_fixed_rows(bsp_flat *f, const bsp_scalar *name,
								const bsp_scalar *ns, const bsp_scalar *uid);
/* One element of "relations": its type and targetRef (NULL = undefined). */
extern bool bsp_flat_relation(bsp_flat *f, const bsp_scalar *type,
							  const bsp_scalar *target);

/*
 * May rows under this lowered key prefix (the key itself or key + ".")
 * matter?  Always true without an interest filter.  Drivers use the
 * precomputed f->wants_fixed and f->wants_relations.
 */
extern bool bsp_flat_wants(const bsp_flat *f, const char *prefix);

/* JS ToString of a scalar appended to out ("null" for null). */
extern bool bsp_scalar_to_js_string(bsp_sbuf *out, const bsp_scalar *v);

#endif							/* BSPERM_FLATTEN_H */
