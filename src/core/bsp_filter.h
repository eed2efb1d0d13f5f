/*-------------------------------------------------------------------------
 * bsp_filter.h
 *	  Compiled entity filters: Backstage's EntityFilter, evaluated over
 *	  search rows and turned into GIN index terms (the server glue renders
 *	  them as SQL: src/pg/pg_sql_render.c).
 *
 * An EntityFilter is what a catalog rule's toQuery() returns and what the
 * catalog turns into SQL (spec section 4.6):
 *
 *	 {"allOf": [f, ...]}  {"anyOf": [f, ...]}  {"not": f}
 *	 {"key": "relations.ownedBy", "values": ["group:default/team-a"]}
 *
 * A leaf is true when the entity has a search row with that key (and,
 * when "values" is given, with a value equal to one of them); keys and
 * values are compared after JS-lowercasing, exactly as the catalog's SQL
 * does.  Compilation lowercases, sorts and de-duplicates once, and builds
 * a sorted key table that the flattener uses to skip what no leaf reads.
 *
 * Index terms (stored by the GIN operator class) are byte strings:
 *	 'K' key			  the key exists
 *	 'V' key '\0' value	  the key exists with this value
 * Keys never contain NUL (neither jsonb nor the parser admits it), so the
 * encoding is injective.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_FILTER_H
#define BSPERM_FILTER_H

#include "bsp_common.h"

typedef enum bsp_fkind
{
	BSP_F_ALL,
	BSP_F_ANY,
	BSP_F_NOT,
	BSP_F_LEAF
} bsp_fkind;

typedef struct bsp_str
{
	const char *s;				/* NUL-terminated */
	size_t		len;
} bsp_str;

typedef struct bsp_fnode
{
	bsp_fkind	kind;
	int			nchildren;		/* ALL, ANY; NOT has exactly one */
	struct bsp_fnode **children;
	/* LEAF */
	int			leaf;			/* index into bsp_filter.leaves */
	bsp_str		key;			/* lowered */
	bool		has_values;		/* false: existence test */
	int			nvalues;
	bsp_str    *values;			/* lowered, sorted, unique */
} bsp_fnode;

typedef struct bsp_fkey
{
	bsp_str		key;
	int			nleaves;
	int		   *leaves;
} bsp_fkey;

typedef struct bsp_filter
{
	bsp_fnode  *root;
	int			nleaves;
	bsp_fnode **leaves;
	int			nkeys;
	bsp_fkey   *keys;			/* sorted by bytes, unique */
	int			nnodes;
} bsp_filter;

typedef struct bsp_limits
{
	int			max_depth;		/* nesting of allOf/anyOf/not */
	int			max_nodes;		/* nodes in the whole tree */
	int			max_array;		/* elements of any one array */

	/*
	 * Optional: polled every so often by the readers; true stops them
	 * with BSP_ERR_CANCELED (after releasing their json-c tree).  Must
	 * return, never longjmp.
	 */
	bool		(*cancel_requested) (void *ctx);
	void	   *cancel_ctx;
} bsp_limits;

/* Construction (used by the JSON readers) */
extern bsp_fnode *bsp_fnode_new(bsp_arena *a, bsp_fkind kind, int nchildren);
/* Makes a leaf: lowercases key and values (raw, UTF-8), sorts, dedups. */
extern bsp_fnode *bsp_fnode_leaf(bsp_arena *a, const char *key, size_t keylen,
								 bool has_values, int nvalues,
								 const char *const *values, const size_t *lens);
/* Indexes leaves and keys; call once on the finished tree. */
extern bsp_filter *bsp_filter_finish(bsp_arena *a, bsp_fnode *root);

/* Key table lookups */
extern const bsp_fkey *bsp_filter_find_key(const bsp_filter *f,
										   const char *key, size_t len);
/* Could a row key equal p or start with p + "." ? (p lowered) */
extern bool bsp_filter_wants_prefix(const bsp_filter *f,
									const char *p, size_t len);

/* Evaluation over search rows */
typedef struct bsp_match
{
	const bsp_filter *filter;
	bool	   *hit;			/* one per leaf */
} bsp_match;

extern bool bsp_match_init(bsp_match *m, bsp_arena *a, const bsp_filter *f);
extern void bsp_match_reset(bsp_match *m);
/* a bsp_row_fn; ctx is a bsp_match */
extern bool bsp_match_row(void *ctx, const char *key, size_t keylen,
						  const char *value, size_t valuelen);
/* the same, with the key already looked up (bsp_flat.emit_key) */
extern bool bsp_match_key_row(void *ctx, const bsp_fkey *fk,
							  const char *value, size_t valuelen);
/* Evaluates the tree with the leaves given in hit[] */
extern bool bsp_filter_eval(const bsp_filter *f, const bool *hit);
/*
 * Three-valued evaluation for lossy index terms: each leaf is
 * BSP_NO (certainly false), BSP_MAYBE or BSP_YES; returns BSP_NO only when
 * the filter is false for every entity consistent with the leaves.
 */
typedef enum bsp_tri
{
	BSP_NO = 0,
	BSP_MAYBE = 1,
	BSP_YES = 2
} bsp_tri;
extern bsp_tri bsp_filter_eval3(const bsp_filter *f, const uint8_t *leaf);

/* A deep copy of a compiled filter into another arena; NULL when out of memory. */
extern bsp_filter *bsp_filter_copy(bsp_arena *a, const bsp_filter *f);

/* Would the filter be true for an entity with no rows at all? */
extern bool bsp_filter_true_on_empty(const bsp_filter *f);

/* Index terms */
extern bool bsp_term_exists(bsp_sbuf *out, const char *key, size_t keylen);
extern bool bsp_term_value(bsp_sbuf *out, const char *key, size_t keylen,
						   const char *value, size_t valuelen);

/* Rendering as EntityFilter JSON */
extern bool bsp_filter_to_json(bsp_sbuf *out, const bsp_fnode *n);

#endif							/* BSPERM_FILTER_H */
