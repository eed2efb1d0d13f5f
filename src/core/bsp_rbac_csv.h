/*-------------------------------------------------------------------------
 * bsp_rbac_csv.h
 *	  The RBAC plugin's policy CSV, read line by line as the plugin reads it.
 *
 * The RBAC backend plugin (@backstage-community/plugin-rbac-backend 8.1.3)
 * loads its policies-csv-file through Casbin's file adapter: each line is
 * trimmed (JavaScript's String.prototype.trim), blank lines and lines
 * starting with "#" are skipped, the member field of a "g" line is
 * lower-cased (toLocaleLowerCase("en-US")) before the line is parsed,
 * the line is parsed by csv-parse 5 (delimiter ",", trim, relax_quotes;
 * only its first record is used), tokens are re-joined while parentheses
 * are open (Casbin's BracketAwareCsvParser), surrounding quotes are
 * removed from each value, "" becomes ", and each value is trimmed.  The
 * plugin then validates each "p" and "g" line (entity references, actions,
 * effects) and refuses the ones that fail.  bsp_rbac_csv_parse does all of
 * that and reports, for every line that is not blank or a comment, either
 * the values the plugin would store or why it refuses the line.
 *
 * The plugin's handling of repeated lines (every copy of a duplicate and
 * both of an allow/deny pair dropped) is not reproduced here: that is a
 * property of the file, not of a line, and bsperm deliberately differs
 * (doc/policy.md).
 *
 * PostgreSQL-free; all memory from the arena.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_RBAC_CSV_H
#define BSPERM_RBAC_CSV_H

#include "bsp_common.h"

typedef struct bsp_rbac_csv_line
{
	int			lineno;			/* 1-based, counting every line of the text */
	const char *text;			/* the line, trimmed */
	char		type;			/* 'p' or 'g' when accepted, else 0 */
	int			nvalues;		/* accepted: p 4 (subject, object, action,
								 * effect), g 2 (member, role) */
	const char **values;
	const char *error;			/* refused: why (NULL when accepted) */
} bsp_rbac_csv_line;

/*
 * Reads text (UTF-8, len bytes) into *lines, one entry per line that is not
 * blank or a comment, in order.  False only when an allocation failed.
 */
extern bool bsp_rbac_csv_parse(bsp_arena *arena, const char *text, size_t len,
							   int *nlines, bsp_rbac_csv_line **lines);

/*
 * The plugin's validateEntityReference for a full ref: kind user, group or
 * role (or, when kinds is not NULL, one of the NULL-terminated kinds),
 * namespace [a-z0-9]+(-[a-z0-9]+)*, name [a-zA-Z0-9]+([._-][a-zA-Z0-9]+)*,
 * each at most 63 characters.  NULL when valid, else why not.
 */
extern const char *bsp_rbac_check_ref(const char *ref, const char *const *kinds);

/* JavaScript's String.prototype.trim over UTF-8: [*s, *s + *len) narrowed. */
extern void bsp_js_trim(const char **s, size_t *len);

#endif							/* BSPERM_RBAC_CSV_H */
