/*
 * unit.h - a minimal test harness for the PostgreSQL-free core.
 *
 * Each test binary prints one TAP-style line per check ("ok N - what" or
 * "not ok N - what") and ends with "# unit <binary>: N passed, N failed".
 * test/unit/run sums the binaries.  The malloc arena below records every
 * block so a test frees everything at the end (valgrind/LSan see no leak).
 */
#ifndef BSPERM_UNIT_H
#define BSPERM_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_common.h"

static int	unit_passed = 0;
static int	unit_failed = 0;

#define CHECK(cond, ...) \
	do { \
		int unit_n_ = unit_passed + unit_failed + 1; \
		int unit_ok_ = (cond) ? 1 : 0; \
		if (unit_ok_) { unit_passed++; printf("ok %d - ", unit_n_); } \
		else { unit_failed++; printf("not ok %d - ", unit_n_); } \
		printf(__VA_ARGS__); \
		if (!unit_ok_) printf("  [%s:%d: %s]", __FILE__, __LINE__, #cond); \
		printf("\n"); \
	} while (0)

#define CHECK_STR(got, want, ...) \
	do { \
		const char *g_ = (got); const char *w_ = (want); \
		int ok_ = (g_ && w_ && strcmp(g_, w_) == 0); \
		CHECK(ok_, __VA_ARGS__); \
		if (!ok_) printf("#   got:  %s\n#   want: %s\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

static inline int
unit_done(const char *name)
{
	printf("# unit %s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

/* malloc-backed arena that frees all its blocks at once */
typedef struct unit_block
{
	struct unit_block *next;
} unit_block;

static void *
unit_alloc(void *ctx, size_t size)
{
	unit_block **head = (unit_block **) ctx;
	unit_block *b = malloc(sizeof(unit_block) + size + 16);

	if (!b)
		return NULL;
	b->next = *head;
	*head = b;
	return (char *) b + sizeof(unit_block) + (16 - sizeof(unit_block) % 16) % 16;
}

typedef struct unit_arena
{
	bsp_arena	arena;
	unit_block *head;
} unit_arena;

static inline void
unit_arena_init(unit_arena *ua)
{
	ua->head = NULL;
	ua->arena.alloc = unit_alloc;
	ua->arena.ctx = &ua->head;
}

static inline void
unit_arena_free(unit_arena *ua)
{
	while (ua->head)
	{
		unit_block *n = ua->head->next;

		free(ua->head);
		ua->head = n;
	}
}

#endif
