/*-------------------------------------------------------------------------
 * bsp_common.h
 *	  Allocation, string buffers and error reporting for the bsperm core.
 *
 * The core (everything under src/core) never includes PostgreSQL headers
 * and never calls anything that may longjmp.  Memory comes from a
 * bsp_arena: an allocation function supplied by the caller that returns
 * NULL on failure.  Nothing is freed piecemeal; the owner of the arena
 * releases everything at once (a memory context reset in the server, a
 * block list in the unit tests).  Errors are returned as a bsp_error that
 * carries a category, the path inside the input document and a message.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_COMMON_H
#define BSPERM_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void *(*bsp_alloc_fn) (void *ctx, size_t size);

typedef struct bsp_arena
{
	bsp_alloc_fn alloc;			/* returns NULL when out of memory */
	void	   *ctx;
} bsp_arena;

/* Zeroed allocation; NULL when out of memory or size overflows. */
extern void *bsp_alloc(bsp_arena *arena, size_t size);
extern void *bsp_alloc_array(bsp_arena *arena, size_t n, size_t elsize);
extern char *bsp_strndup(bsp_arena *arena, const char *s, size_t len);

/* Growable byte buffer; always NUL-terminated when not failed. */
typedef struct bsp_sbuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bsp_arena  *arena;
	bool		failed;			/* an allocation failed; contents invalid */
} bsp_sbuf;

extern void bsp_sbuf_init(bsp_sbuf *b, bsp_arena *arena);
extern void bsp_sbuf_reset(bsp_sbuf *b);
extern bool bsp_sbuf_reserve(bsp_sbuf *b, size_t extra);
extern bool bsp_sbuf_append(bsp_sbuf *b, const char *s, size_t n);
extern bool bsp_sbuf_appends(bsp_sbuf *b, const char *s);
extern bool bsp_sbuf_putc(bsp_sbuf *b, char c);
extern bool bsp_sbuf_printf(bsp_sbuf *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (with quotes). */
extern bool bsp_sbuf_json_string(bsp_sbuf *b, const char *s, size_t n);

/*
 * A document path in a buffer ("criteria.anyOf[1].params"): push ".name"
 * or "[i]", getting the old length back; pop restores it.
 */
extern size_t bsp_path_push_key(bsp_sbuf *path, const char *name);
extern size_t bsp_path_push_index(bsp_sbuf *path, size_t i);
extern void bsp_path_pop(bsp_sbuf *path, size_t old);

typedef enum bsp_errkind
{
	BSP_OK = 0,
	BSP_ERR_OOM,				/* out of memory */
	BSP_ERR_SYNTAX,				/* not JSON / wrong JSON shape */
	BSP_ERR_INVALID,			/* fails a schema (structure or params) */
	BSP_ERR_UNKNOWN_RULE,		/* a rule that is not registered */
	BSP_ERR_LIMIT,				/* depth, node count or array length */
	BSP_ERR_CANCELED,			/* the caller's cancel_requested said so */
	BSP_ERR_NEED_RULES,			/* a declared rule is used: load them, compile again */
	BSP_ERR_NEED_WALK			/* claims to expand: walk the groups, compile again */
} bsp_errkind;

/* Which limit a BSP_ERR_LIMIT hit; the caller knows what sets each one */
typedef enum bsp_limit_kind
{
	BSP_LIMIT_NONE = 0,
	BSP_LIMIT_DEPTH,			/* bsp_limits.max_depth (also JSON nesting) */
	BSP_LIMIT_NODES,			/* bsp_limits.max_nodes */
	BSP_LIMIT_ARRAY,			/* bsp_limits.max_array */
	BSP_LIMIT_SIZE				/* the document's size (no setting) */
} bsp_limit_kind;

#define BSP_PATH_MAX 512
#define BSP_MSG_MAX 512

typedef struct bsp_error
{
	bsp_errkind kind;
	bsp_limit_kind limit;		/* for BSP_ERR_LIMIT */
	char		path[BSP_PATH_MAX]; /* e.g. criteria.allOf[2].params.claims */
	char		message[BSP_MSG_MAX];	/* lower case, no final period */
} bsp_error;

extern void bsp_error_clear(bsp_error *err);
/* Sets err (first error wins) and returns false, for "return bsp_fail(...)". */
extern bool bsp_fail(bsp_error *err, bsp_errkind kind, const char *path,
					 const char *fmt,...) __attribute__((format(printf, 4, 5)));
/* The same for BSP_ERR_LIMIT, saying which limit. */
extern bool bsp_fail_limit(bsp_error *err, bsp_limit_kind limit, const char *path,
						   const char *fmt,...) __attribute__((format(printf, 4, 5)));

#endif							/* BSPERM_COMMON_H */
