/*-------------------------------------------------------------------------
 * bsp_rbac.h
 *	  The RBAC plugin's decision algorithm over plain structs (doc/policy.md).
 *
 * PostgreSQL-free, like the rest of src/core: no server headers, nothing
 * that longjmps, all memory from a bsp_arena (nothing is freed piecemeal).
 *
 * Use:
 *	 1. Fill a bsp_rbac_input with the rows of the policy tables, as they
 *		are (any order, names as strings), and build a policy from it:
 *		bsp_rbac_build.  The policy keeps pointers to the input's strings
 *		and conditions, which must live as long as the policy.
 *	 2. Resolve an identity: walk its groups level by level with a
 *		bsp_rbac_walk (the caller loads each level's entities and adds
 *		their childOf parents), then bsp_rbac_resolve computes superuser,
 *		roles and subjects.
 *	 3. bsp_rbac_decide gives the result and, for CONDITIONAL, the
 *		conditional policies to combine (in role-name order); combining the
 *		conditions documents and filling in placeholders is the caller's
 *		(the core does not know their representation).
 *
 * Every function returns false only when an allocation failed.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_RBAC_H
#define BSPERM_RBAC_H

#include "bsp_common.h"

/* Actions; NONE is "the permission has no action", decided as USE. */
typedef enum bsp_rbac_action
{
	BSP_RBAC_ACT_NONE = 0,
	BSP_RBAC_ACT_CREATE,
	BSP_RBAC_ACT_READ,
	BSP_RBAC_ACT_UPDATE,
	BSP_RBAC_ACT_DELETE,
	BSP_RBAC_ACT_USE
} bsp_rbac_action;

typedef enum bsp_rbac_result
{
	BSP_RBAC_DENY = 0,
	BSP_RBAC_ALLOW,
	BSP_RBAC_CONDITIONAL
} bsp_rbac_result;

/* bsperm.role_members */
typedef struct bsp_rbac_member_row
{
	const char *role;
	const char *member;
} bsp_rbac_member_row;

/* bsperm.permission_policies: role, or (role NULL) a member */
typedef struct bsp_rbac_line_row
{
	const char *role;
	const char *member;
	const char *object;			/* permission name or resource type */
	bsp_rbac_action action;
	bool		deny;
} bsp_rbac_line_row;

/* bsperm.conditional_policies, given in id order */
typedef struct bsp_rbac_cond_row
{
	const char *role;
	const char *plugin_id;
	const char *resource_type;
	unsigned	actions;		/* bit (1 << bsp_rbac_action) per action */
	int			nnames;
	const char *const *names;	/* permission names */
	const void *conditions;		/* the caller's representation */
	/*
	 * The action of each name ({name, action} in the plugin's mapping), or
	 * NULL: a name then matches whatever the request's action (rows written
	 * before mappings carried actions).  As the RBAC plugin (8.1.3) does, a
	 * {name, action} entry matches only a request with that action.
	 */
	const bsp_rbac_action *name_actions;
} bsp_rbac_cond_row;

typedef struct bsp_rbac_settings
{
	int			max_depth;		/* -1: unlimited */
	bool		basic_precedence;
	const char *default_role;	/* NULL: none */
	bool		use_ownership;
} bsp_rbac_settings;

typedef struct bsp_rbac_input
{
	int			nroles;
	const char *const *roles;
	int			nmembers;
	const bsp_rbac_member_row *members;
	int			nlines;
	const bsp_rbac_line_row *lines;
	int			nconds;
	const bsp_rbac_cond_row *conds;
	int			nsupers;
	const char *const *supers;
	bsp_rbac_settings settings;
} bsp_rbac_input;

/* The built policy (opaque). */
typedef struct bsp_rbac_policy bsp_rbac_policy;

extern bool bsp_rbac_build(bsp_arena *arena, const bsp_rbac_input *in,
						   bsp_rbac_policy **out);
extern const bsp_rbac_settings *bsp_rbac_settings_of(const bsp_rbac_policy *p);

/* ---- groups of a user, level by level ---- */
typedef struct bsp_rbac_strset bsp_rbac_strset;

typedef struct bsp_rbac_walk
{
	bsp_arena  *arena;
	bsp_rbac_strset *seen;
	int			n;				/* groups found so far, in discovery order */
	int			cap;
	const char **items;
	int			ndirect;		/* memberOf groups (distance 0) */
	int			nwithin;		/* groups within role_depth */
	int			depth_limit;	/* how many levels to expand; -1: all */
	int			role_depth;		/* max_depth for roles; -1: unlimited */
	int			level;
	int			level_start;
	int			level_end;		/* -1: no level handed out */
	bool		started;
} bsp_rbac_walk;

extern bool bsp_rbac_walk_init(bsp_rbac_walk *w, bsp_arena *arena,
							   int depth_limit, int role_depth);
/* Adds a group (copied) unless already found; memberOf first, then parents. */
extern bool bsp_rbac_walk_add(bsp_rbac_walk *w, const char *group, size_t len);

/*
 * The next level to expand (the caller adds their childOf parents), or 0
 * when the walk is done.  The first call ends the memberOf groups.
 */
extern int	bsp_rbac_walk_next(bsp_rbac_walk *w, const char *const **groups);

/* ---- a resolved user ---- */
typedef struct bsp_rbac_user
{
	const char *user_ref;		/* NULL: anonymous */
	bool		super;
	int			nroles;			/* role indexes, ascending (role-name order) */
	int		   *roles;
	int			nsubjects;		/* user ref and groups within max_depth */
	const char *const *subjects;
} bsp_rbac_user;

/*
 * Resolves a user: subjects are the user ref and its groups within
 * max_depth; refs its ownership refs.  Strings are not copied.
 */
extern bool bsp_rbac_resolve(bsp_arena *arena, const bsp_rbac_policy *p,
							 const char *user_ref,
							 int nsubjects, const char *const *subjects,
							 int nrefs, const char *const *refs,
							 bsp_rbac_user *out);

/* Removes duplicates, keeping the first of each (order kept). */
extern bool bsp_rbac_distinct(bsp_arena *arena, int n, const char *const *in,
							  int *nout, const char ***out);

/* ---- sorted arrays (byte order, strcmp), also for the glue ---- */

/* (ref, pos) pairs, sorted by ref then pos, searched for the first of a ref */
typedef struct bsp_refpos
{
	const char *ref;
	int			pos;
} bsp_refpos;

extern void bsp_refpos_sort(bsp_refpos *arr, int n);
/* First index of ref in a sorted array, -1 when absent. */
extern int	bsp_refpos_find(const bsp_refpos *arr, int n, const char *ref);

/* qsort comparator for structs whose first member is a "const char *". */
extern int	bsp_first_name_cmp(const void *a, const void *b);
/* Index of name among n such structs of the given size sorted by it; -1 when absent. */
extern int	bsp_name_find(const void *base, int n, size_t size, const char *name);

/* ---- the decision ---- */
typedef struct bsp_rbac_perm
{
	const char *name;
	bool		resource;
	const char *resource_type;	/* resource permissions only */
	bsp_rbac_action action;
} bsp_rbac_perm;

typedef struct bsp_rbac_decision
{
	bsp_rbac_result result;
	int			nconds;			/* CONDITIONAL: one per contributing role */
	const bsp_rbac_cond_row **conds;
} bsp_rbac_decision;

extern bool bsp_rbac_decide(bsp_arena *arena, const bsp_rbac_policy *p,
							const bsp_rbac_user *u, const bsp_rbac_perm *perm,
							bsp_rbac_decision *out);

/* ---- tracing a decision (bsperm_explain) ----
 *
 * The _traced variants of bsp_rbac_resolve and bsp_rbac_decide are the
 * same functions (the plain ones call them with a NULL trace, which costs
 * a test per event site): they report, through trace->emit, what the
 * decision itself looked at, in the order it looked.  Event strings point
 * into the policy and the user; nothing is allocated for the trace.
 */
typedef enum bsp_rbac_rule
{
	BSP_RBAC_RULE_ANONYMOUS = 0,	/* step 1 */
	BSP_RBAC_RULE_SUPERUSER,	/* step 2 */
	BSP_RBAC_RULE_TWO_CONDITIONS,	/* step 5: two in one role, DENY */
	BSP_RBAC_RULE_PLUGINS_DIFFER,	/* roles' conditions for two plugins, DENY */
	BSP_RBAC_RULE_CONDITIONAL,	/* step 5, conditional precedence */
	BSP_RBAC_RULE_CONDITIONAL_NO_BASIC, /* step 5, basic precedence, no line */
	BSP_RBAC_RULE_ALLOW,		/* step 6: an allow and no deny */
	BSP_RBAC_RULE_DENY_OVERRIDES,	/* step 6: a deny */
	BSP_RBAC_RULE_NO_LINE,		/* step 6: nothing said */
	BSP_RBAC_RULE_NO_ROLE_BASIC	/* no role, basic precedence, resource permission: DENY */
} bsp_rbac_rule;

typedef enum bsp_rbac_via
{
	BSP_RBAC_VIA_SUBJECT = 0,	/* a member: the user ref or one of its groups */
	BSP_RBAC_VIA_OWNERSHIP,		/* use_ownership: an ownership ref */
	BSP_RBAC_VIA_DEFAULT		/* the default role */
} bsp_rbac_via;

typedef enum bsp_rbac_event_kind
{
	BSP_RBAC_EV_SUPERUSER = 0,	/* ref: the ref found in supers */
	BSP_RBAC_EV_ROLE,			/* role came via ref (subject index) */
	BSP_RBAC_EV_LINE,			/* a line on the permission or its resource type */
	BSP_RBAC_EV_COND,			/* a conditional policy on the resource type */
	BSP_RBAC_EV_DECIDED			/* the rule that decided; last event */
} bsp_rbac_event_kind;

typedef struct bsp_rbac_event
{
	bsp_rbac_event_kind kind;
	const char *role;			/* ROLE, LINE (NULL: bound directly), COND */
	const char *ref;			/* SUPERUSER, ROLE (not default), LINE bound directly */
	int			subject;		/* ROLE via a subject: its index; else -1 */
	bsp_rbac_via via;			/* ROLE */
	const char *object;			/* LINE */
	bsp_rbac_action action;		/* LINE */
	bool		deny;			/* LINE */
	bool		counted;		/* LINE: counted by step 6 */
	const bsp_rbac_cond_row *cond;	/* COND */
	bool		matches;		/* COND: the permission's action or name */
	bsp_rbac_rule rule;			/* DECIDED */
	bool		named;			/* DECIDED: a line names the permission (step 4) */
	bool		direct;			/* DECIDED: lines bound directly (step 7) */
	bool		basic_over_conditions;	/* DECIDED: basic precedence set conditions aside */
	int			nallow;			/* DECIDED: lines counted */
	int			ndeny;
	bsp_rbac_result result;		/* DECIDED */
} bsp_rbac_event;

typedef struct bsp_rbac_trace
{
	void		(*emit) (void *arg, const bsp_rbac_event *ev);
	void	   *arg;
} bsp_rbac_trace;

extern bool bsp_rbac_resolve_traced(bsp_arena *arena, const bsp_rbac_policy *p,
									const char *user_ref,
									int nsubjects, const char *const *subjects,
									int nrefs, const char *const *refs,
									bsp_rbac_user *out, const bsp_rbac_trace *trace);
extern bool bsp_rbac_decide_traced(bsp_arena *arena, const bsp_rbac_policy *p,
								   const bsp_rbac_user *u, const bsp_rbac_perm *perm,
								   bsp_rbac_decision *out, const bsp_rbac_trace *trace);
extern const char *bsp_rbac_rule_name(bsp_rbac_rule rule);

#endif							/* BSPERM_RBAC_H */
