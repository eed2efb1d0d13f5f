/*-------------------------------------------------------------------------
 * bsp_rbac.c
 *	  The RBAC plugin's decision algorithm over plain structs.
 *
 * See bsp_rbac.h for the interface and doc/policy.md for the algorithm
 * (the numbered steps below are that document's).  Every array that is
 * searched is sorted here, byte-wise with strcmp: no collation is involved,
 * so no caller setting can change which entries a search finds.  Nothing
 * here longjmps; all memory comes from the arena.
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "bsp_rbac.h"

typedef struct rline
{
	const char *object;
	bsp_rbac_action action;
	bool		deny;
} rline;

typedef struct rrole
{
	const char *name;
	int			nlines;
	rline	   *lines;
	int			nconds;
	const bsp_rbac_cond_row **conds;	/* in input (id) order */
} rrole;

/* (ref, index) pairs sorted by ref, then index */
typedef bsp_refpos binding;

struct bsp_rbac_policy
{
	bsp_rbac_settings settings;
	int			default_role;	/* -1: none */
	int			nroles;
	rrole	   *roles;			/* sorted by name */
	int			nmembers;
	binding    *members;		/* member ref -> role */
	int			ndirect;
	binding    *direct;			/* member ref -> direct_lines */
	rline	   *direct_lines;
	int			nsupers;
	const char **supers;		/* sorted */
};

/* ---------------------------------------------------------------------
 * Sorted arrays
 * ---------------------------------------------------------------------
 */
static int
cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int
bsp_first_name_cmp(const void *a, const void *b)
{
	return cstring_cmp(a, b);
}

static int
refpos_cmp(const void *a, const void *b)
{
	const bsp_refpos *x = a;
	const bsp_refpos *y = b;
	int			c = strcmp(x->ref, y->ref);

	if (c != 0)
		return c;
	return (x->pos > y->pos) - (x->pos < y->pos);
}

void
bsp_refpos_sort(bsp_refpos *arr, int n)
{
	qsort(arr, (size_t) n, sizeof(bsp_refpos), refpos_cmp);
}

int
bsp_refpos_find(const bsp_refpos *arr, int n, const char *ref)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(arr[mid].ref, ref) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < n && strcmp(arr[lo].ref, ref) == 0) ? lo : -1;
}

int
bsp_name_find(const void *base, int n, size_t size, const char *name)
{
	int			lo = 0,
				hi = n - 1;

	if (name == NULL)
		return -1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		const char *midname = *(const char *const *) ((const char *) base + (size_t) mid * size);
		int			c = strcmp(midname, name);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static bool
sorted_contains(const char *const *arr, int n, const char *s)
{
	return s != NULL && n > 0 &&
		bsearch(&s, arr, (size_t) n, sizeof(char *), cstring_cmp) != NULL;
}

static int
role_find(const bsp_rbac_policy *p, const char *name)
{
	return bsp_name_find(p->roles, p->nroles, sizeof(rrole), name);
}

/* ---------------------------------------------------------------------
 * Building the policy
 * ---------------------------------------------------------------------
 */
static bool
build_roles(bsp_arena *a, const bsp_rbac_input *in, bsp_rbac_policy *p)
{
	const char **names = bsp_alloc_array(a, (size_t) in->nroles + 1, sizeof(char *));
	int			i;

	if (names == NULL)
		return false;
	for (i = 0; i < in->nroles; i++)
		names[i] = in->roles[i];
	qsort(names, (size_t) in->nroles, sizeof(char *), cstring_cmp);
	p->roles = bsp_alloc_array(a, (size_t) in->nroles + 1, sizeof(rrole));
	if (p->roles == NULL)
		return false;
	p->nroles = 0;
	for (i = 0; i < in->nroles; i++)
		if (p->nroles == 0 || strcmp(p->roles[p->nroles - 1].name, names[i]) != 0)
			p->roles[p->nroles++].name = names[i];
	return true;
}

static bool
build_members(bsp_arena *a, const bsp_rbac_input *in, bsp_rbac_policy *p)
{
	int			i;

	p->members = bsp_alloc_array(a, (size_t) in->nmembers + 1, sizeof(binding));
	if (p->members == NULL)
		return false;
	for (i = 0; i < in->nmembers; i++)
	{
		int			r = role_find(p, in->members[i].role);

		if (r < 0 || in->members[i].member == NULL)
			continue;
		p->members[p->nmembers].ref = in->members[i].member;
		p->members[p->nmembers].pos = r;
		p->nmembers++;
	}
	bsp_refpos_sort(p->members, p->nmembers);
	return true;
}

/* Lines of roles (counted, then filled) and lines bound directly. */
static bool
build_lines(bsp_arena *a, const bsp_rbac_input *in, bsp_rbac_policy *p)
{
	int		   *roleof = bsp_alloc_array(a, (size_t) in->nlines + 1, sizeof(int));
	int			i;

	p->direct = bsp_alloc_array(a, (size_t) in->nlines + 1, sizeof(binding));
	p->direct_lines = bsp_alloc_array(a, (size_t) in->nlines + 1, sizeof(rline));
	if (roleof == NULL || p->direct == NULL || p->direct_lines == NULL)
		return false;
	for (i = 0; i < in->nlines; i++)
	{
		const bsp_rbac_line_row *l = &in->lines[i];

		roleof[i] = l->role ? role_find(p, l->role) : -1;
		if (roleof[i] >= 0)
			p->roles[roleof[i]].nlines++;
		else if (l->role == NULL && l->member != NULL)
		{
			rline	   *d = &p->direct_lines[p->ndirect];

			d->object = l->object;
			d->action = l->action;
			d->deny = l->deny;
			p->direct[p->ndirect].ref = l->member;
			p->direct[p->ndirect].pos = p->ndirect;
			p->ndirect++;
		}
	}
	bsp_refpos_sort(p->direct, p->ndirect);
	for (i = 0; i < p->nroles; i++)
	{
		p->roles[i].lines = bsp_alloc_array(a, (size_t) p->roles[i].nlines + 1, sizeof(rline));
		if (p->roles[i].lines == NULL)
			return false;
		p->roles[i].nlines = 0;
	}
	for (i = 0; i < in->nlines; i++)
		if (roleof[i] >= 0)
		{
			rrole	   *r = &p->roles[roleof[i]];
			rline	   *l = &r->lines[r->nlines++];

			l->object = in->lines[i].object;
			l->action = in->lines[i].action;
			l->deny = in->lines[i].deny;
		}
	return true;
}

static bool
build_conds(bsp_arena *a, const bsp_rbac_input *in, bsp_rbac_policy *p)
{
	int		   *roleof = bsp_alloc_array(a, (size_t) in->nconds + 1, sizeof(int));
	int			i;

	if (roleof == NULL)
		return false;
	for (i = 0; i < in->nconds; i++)
	{
		roleof[i] = role_find(p, in->conds[i].role);
		if (roleof[i] >= 0)
			p->roles[roleof[i]].nconds++;
	}
	for (i = 0; i < p->nroles; i++)
	{
		p->roles[i].conds = bsp_alloc_array(a, (size_t) p->roles[i].nconds + 1,
											sizeof(bsp_rbac_cond_row *));
		if (p->roles[i].conds == NULL)
			return false;
		p->roles[i].nconds = 0;
	}
	for (i = 0; i < in->nconds; i++)
		if (roleof[i] >= 0)
		{
			rrole	   *r = &p->roles[roleof[i]];

			r->conds[r->nconds++] = &in->conds[i];
		}
	return true;
}

bool
bsp_rbac_build(bsp_arena *arena, const bsp_rbac_input *in, bsp_rbac_policy **out)
{
	bsp_rbac_policy *p = bsp_alloc(arena, sizeof(bsp_rbac_policy));
	int			i;

	*out = NULL;
	if (p == NULL)
		return false;
	p->settings = in->settings;
	if (!build_roles(arena, in, p) || !build_members(arena, in, p) ||
		!build_lines(arena, in, p) || !build_conds(arena, in, p))
		return false;
	p->supers = bsp_alloc_array(arena, (size_t) in->nsupers + 1, sizeof(char *));
	if (p->supers == NULL)
		return false;
	for (i = 0; i < in->nsupers; i++)
		if (in->supers[i] != NULL)
			p->supers[p->nsupers++] = in->supers[i];
	qsort(p->supers, (size_t) p->nsupers, sizeof(char *), cstring_cmp);
	p->default_role = role_find(p, in->settings.default_role);
	*out = p;
	return true;
}

const bsp_rbac_settings *
bsp_rbac_settings_of(const bsp_rbac_policy *p)
{
	return &p->settings;
}

/* ---------------------------------------------------------------------
 * A set of strings (open addressing, FNV-1a), for linear de-duplication
 * ---------------------------------------------------------------------
 */
struct bsp_rbac_strset
{
	size_t		cap;			/* power of two */
	size_t		n;
	const char **slots;
};

static uint32_t
str_hash(const char *s, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 16777619u;
	}
	return h;
}

static bsp_rbac_strset *
strset_new(bsp_arena *a, size_t expected)
{
	bsp_rbac_strset *s = bsp_alloc(a, sizeof(bsp_rbac_strset));
	size_t		cap = 16;

	if (s == NULL)
		return NULL;
	while (cap < expected * 2)
		cap *= 2;
	s->cap = cap;
	s->slots = bsp_alloc_array(a, cap, sizeof(char *));
	return s->slots ? s : NULL;
}

/* Slot of s (NUL-terminated, length len): where it is or would go. */
static size_t
strset_slot(const bsp_rbac_strset *s, const char *str, size_t len)
{
	size_t		i = str_hash(str, len) & (s->cap - 1);

	while (s->slots[i] != NULL &&
		   !(strlen(s->slots[i]) == len && memcmp(s->slots[i], str, len) == 0))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool
strset_grow(bsp_arena *a, bsp_rbac_strset *s)
{
	const char **old = s->slots;
	size_t		oldcap = s->cap;
	size_t		i;

	s->cap *= 2;
	s->slots = bsp_alloc_array(a, s->cap, sizeof(char *));
	if (s->slots == NULL)
		return false;
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			s->slots[strset_slot(s, old[i], strlen(old[i]))] = old[i];
	return true;
}

/*
 * Adds str (already NUL-terminated at len, kept by pointer) unless present;
 * *added says which.  False on allocation failure.
 */
static bool
strset_add(bsp_arena *a, bsp_rbac_strset *s, const char *str, size_t len, bool *added)
{
	size_t		i;

	if ((s->n + 1) * 2 > s->cap && !strset_grow(a, s))
		return false;
	i = strset_slot(s, str, len);
	*added = (s->slots[i] == NULL);
	if (*added)
	{
		s->slots[i] = str;
		s->n++;
	}
	return true;
}

static bool
strset_contains(const bsp_rbac_strset *s, const char *str, size_t len)
{
	return s->slots[strset_slot(s, str, len)] != NULL;
}

bool
bsp_rbac_distinct(bsp_arena *arena, int n, const char *const *in,
				  int *nout, const char ***out)
{
	bsp_rbac_strset *set = strset_new(arena, (size_t) n);
	int			i;

	*nout = 0;
	*out = bsp_alloc_array(arena, (size_t) n + 1, sizeof(char *));
	if (set == NULL || *out == NULL)
		return false;
	for (i = 0; i < n; i++)
	{
		bool		added;

		if (!strset_add(arena, set, in[i], strlen(in[i]), &added))
			return false;
		if (added)
			(*out)[(*nout)++] = in[i];
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Groups, level by level (step 3)
 * ---------------------------------------------------------------------
 */
bool
bsp_rbac_walk_init(bsp_rbac_walk *w, bsp_arena *arena, int depth_limit, int role_depth)
{
	memset(w, 0, sizeof(*w));
	w->arena = arena;
	w->depth_limit = depth_limit;
	w->role_depth = role_depth;
	w->level_end = -1;
	w->seen = strset_new(arena, 16);
	return w->seen != NULL;
}

bool
bsp_rbac_walk_add(bsp_rbac_walk *w, const char *group, size_t len)
{
	char	   *copy;
	bool		added;

	if (strset_contains(w->seen, group, len))
		return true;
	copy = bsp_strndup(w->arena, group, len);
	if (copy == NULL || !strset_add(w->arena, w->seen, copy, len, &added))
		return false;
	if (w->n == w->cap)
	{
		int			cap = w->cap ? w->cap * 2 : 16;
		const char **items = bsp_alloc_array(w->arena, (size_t) cap, sizeof(char *));

		if (items == NULL)
			return false;
		if (w->n > 0)
			memcpy(items, w->items, sizeof(char *) * (size_t) w->n);
		w->items = items;
		w->cap = cap;
	}
	w->items[w->n++] = copy;
	return true;
}

int
bsp_rbac_walk_next(bsp_rbac_walk *w, const char *const **groups)
{
	if (!w->started)
	{
		/* the memberOf groups are distance 0 */
		w->started = true;
		w->ndirect = w->n;
		w->nwithin = w->n;
	}
	else if (w->level_end >= 0)
	{
		/* the level handed out has had its parents added */
		w->level++;
		if (w->role_depth < 0 || w->level <= w->role_depth)
			w->nwithin = w->n;
		w->level_start = w->level_end;
		w->level_end = -1;
	}
	if (w->level_start < w->n && (w->depth_limit < 0 || w->level < w->depth_limit))
	{
		w->level_end = w->n;
		*groups = w->items + w->level_start;
		return w->level_end - w->level_start;
	}
	*groups = NULL;
	return 0;
}

/* ---------------------------------------------------------------------
 * Resolving a user (steps 2 and 3)
 * ---------------------------------------------------------------------
 */
/* trace: a role of the user and where it came from (role NULL: superuser) */
static void
trace_role(const bsp_rbac_trace *tr, const char *role, bsp_rbac_via via,
		   const char *ref, int subject)
{
	bsp_rbac_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = role ? BSP_RBAC_EV_ROLE : BSP_RBAC_EV_SUPERUSER;
	ev.role = role;
	ev.via = via;
	ev.ref = ref;
	ev.subject = subject;
	tr->emit(tr->arg, &ev);
}

static void
add_member_roles(const bsp_rbac_policy *p, const char *ref, bool *has,
				 const bsp_rbac_trace *tr, bsp_rbac_via via, int subject)
{
	int			pos = bsp_refpos_find(p->members, p->nmembers, ref);

	if (pos < 0)
		return;
	for (; pos < p->nmembers && strcmp(p->members[pos].ref, ref) == 0; pos++)
	{
		has[p->members[pos].pos] = true;
		if (tr)
			trace_role(tr, p->roles[p->members[pos].pos].name, via, ref, subject);
	}
}

bool
bsp_rbac_resolve(bsp_arena *arena, const bsp_rbac_policy *p, const char *user_ref,
				 int nsubjects, const char *const *subjects,
				 int nrefs, const char *const *refs, bsp_rbac_user *out)
{
	return bsp_rbac_resolve_traced(arena, p, user_ref, nsubjects, subjects,
								   nrefs, refs, out, NULL);
}

bool
bsp_rbac_resolve_traced(bsp_arena *arena, const bsp_rbac_policy *p, const char *user_ref,
						int nsubjects, const char *const *subjects,
						int nrefs, const char *const *refs, bsp_rbac_user *out,
						const bsp_rbac_trace *tr)
{
	bool	   *has;
	int			i;

	memset(out, 0, sizeof(*out));
	out->user_ref = user_ref;
	if (user_ref == NULL)
		return true;
	out->nsubjects = nsubjects;
	out->subjects = subjects;

	out->super = sorted_contains(p->supers, p->nsupers, user_ref);
	if (tr && out->super)
		trace_role(tr, NULL, BSP_RBAC_VIA_SUBJECT, user_ref, 0);
	for (i = 0; i < nrefs && !out->super; i++)
	{
		out->super = sorted_contains(p->supers, p->nsupers, refs[i]);
		if (tr && out->super)
			trace_role(tr, NULL, BSP_RBAC_VIA_OWNERSHIP, refs[i], -1);
	}

	has = bsp_alloc_array(arena, (size_t) p->nroles + 1, sizeof(bool));
	out->roles = bsp_alloc_array(arena, (size_t) p->nroles + 1, sizeof(int));
	if (has == NULL || out->roles == NULL)
		return false;
	for (i = 0; i < nsubjects; i++)
		add_member_roles(p, subjects[i], has, tr, BSP_RBAC_VIA_SUBJECT, i);
	if (p->settings.use_ownership)
		for (i = 0; i < nrefs; i++)
			add_member_roles(p, refs[i], has, tr, BSP_RBAC_VIA_OWNERSHIP, -1);
	if (p->default_role >= 0)
	{
		has[p->default_role] = true;
		if (tr)
			trace_role(tr, p->roles[p->default_role].name, BSP_RBAC_VIA_DEFAULT, NULL, -1);
	}
	for (i = 0; i < p->nroles; i++)
		if (has[i])
			out->roles[out->nroles++] = i;
	return true;
}

/* ---------------------------------------------------------------------
 * The decision (steps 1 to 7)
 * ---------------------------------------------------------------------
 */
typedef struct tally
{
	bool		named;			/* a line names the permission (step 4) */
	int			nallow;
	int			ndeny;
} tally;

static bool
line_is(const rline *l, const char *object, bsp_rbac_action act)
{
	return l->action == act && strcmp(l->object, object) == 0;
}

static void
count_line(const rline *l, const bsp_rbac_perm *perm, bsp_rbac_action act, tally *t,
		   const bsp_rbac_trace *tr, const char *role, const char *subject)
{
	bool		counted = false;

	if ((t->named && line_is(l, perm->name, act)) ||
		(!t->named && perm->resource && line_is(l, perm->resource_type, act)))
	{
		counted = true;
		if (l->deny)
			t->ndeny++;
		else
			t->nallow++;
	}
	/* trace: every line on the permission or its resource type */
	if (tr && (strcmp(l->object, perm->name) == 0 ||
			   (perm->resource && strcmp(l->object, perm->resource_type) == 0)))
	{
		bsp_rbac_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = BSP_RBAC_EV_LINE;
		ev.role = role;
		ev.ref = subject;
		ev.subject = -1;
		ev.object = l->object;
		ev.action = l->action;
		ev.deny = l->deny;
		ev.counted = counted;
		tr->emit(tr->arg, &ev);
	}
}

/* Steps 4 and 6 over the lines of the user's roles. */
static void
tally_roles(const bsp_rbac_policy *p, const bsp_rbac_user *u,
			const bsp_rbac_perm *perm, bsp_rbac_action act, tally *t,
			const bsp_rbac_trace *tr)
{
	int			i,
				k;

	for (i = 0; i < u->nroles && !t->named; i++)
	{
		const rrole *r = &p->roles[u->roles[i]];

		for (k = 0; k < r->nlines && !t->named; k++)
			t->named = line_is(&r->lines[k], perm->name, act);
	}
	for (i = 0; i < u->nroles; i++)
	{
		const rrole *r = &p->roles[u->roles[i]];

		for (k = 0; k < r->nlines; k++)
			count_line(&r->lines[k], perm, act, t, tr, r->name, NULL);
	}
}

/*
 * Step 7: lines bound to the user or its groups, for users without roles.
 * As the RBAC plugin (8.1.3) does: a resource permission is decided on its
 * resource type only (a line naming the permission does not count), a basic
 * permission on its name; with basic precedence a resource permission is
 * DENY (bsp_rbac_decide).
 */
static void
tally_direct(const bsp_rbac_policy *p, const bsp_rbac_user *u,
			 const bsp_rbac_perm *perm, bsp_rbac_action act, tally *t,
			 const bsp_rbac_trace *tr)
{
	int			pass,
				i,
				pos;

	/* pass 0: is the permission named (basic permissions only)?  pass 1: count */
	for (pass = perm->resource ? 1 : 0; pass < 2; pass++)
		for (i = 0; i < u->nsubjects; i++)
		{
			pos = bsp_refpos_find(p->direct, p->ndirect, u->subjects[i]);
			for (; pos >= 0 && pos < p->ndirect &&
				 strcmp(p->direct[pos].ref, u->subjects[i]) == 0; pos++)
			{
				const rline *l = &p->direct_lines[p->direct[pos].pos];

				if (pass == 0)
					t->named = t->named || line_is(l, perm->name, act);
				else
					count_line(l, perm, act, t, tr, NULL, u->subjects[i]);
			}
		}
}

static bool
cond_matches(const bsp_rbac_cond_row *c, const bsp_rbac_perm *perm, bsp_rbac_action act)
{
	int			i;

	if (strcmp(c->resource_type, perm->resource_type) != 0)
		return false;
	if (c->actions & (1u << act))
		return true;
	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], perm->name) == 0 &&
			(c->name_actions == NULL || c->name_actions[i] == act)) /* plugin: action too */
			return true;
	return false;
}

/*
 * Step 5: each role's one matching conditional policy, in role-name order.
 * False (with *deny set) when a role has two, or plugins disagree.
 */
static bool
collect_conds(bsp_arena *arena, const bsp_rbac_policy *p, const bsp_rbac_user *u,
			  const bsp_rbac_perm *perm, bsp_rbac_action act,
			  bsp_rbac_decision *out, bool *deny, bsp_rbac_rule *deny_rule,
			  const bsp_rbac_trace *tr)
{
	int			i,
				k;

	*deny = false;
	out->conds = bsp_alloc_array(arena, (size_t) u->nroles + 1, sizeof(bsp_rbac_cond_row *));
	if (out->conds == NULL)
		return false;
	for (i = 0; i < u->nroles; i++)
	{
		const rrole *r = &p->roles[u->roles[i]];
		const bsp_rbac_cond_row *found = NULL;

		for (k = 0; k < r->nconds; k++)
		{
			bool		m = cond_matches(r->conds[k], perm, act);

			if (tr && strcmp(r->conds[k]->resource_type, perm->resource_type) == 0)
			{
				bsp_rbac_event ev;

				memset(&ev, 0, sizeof(ev));
				ev.kind = BSP_RBAC_EV_COND;
				ev.role = r->name;
				ev.subject = -1;
				ev.cond = r->conds[k];
				ev.matches = m;
				tr->emit(tr->arg, &ev);
			}
			if (m)
			{
				if (found != NULL)
				{
					*deny = true;	/* two in one role */
					*deny_rule = BSP_RBAC_RULE_TWO_CONDITIONS;
					return true;
				}
				found = r->conds[k];
			}
		}
		if (found == NULL)
			continue;
		/* one decision has one plugin: disagreeing policies DENY */
		if (out->nconds > 0 && strcmp(out->conds[0]->plugin_id, found->plugin_id) != 0)
		{
			*deny = true;
			*deny_rule = BSP_RBAC_RULE_PLUGINS_DIFFER;
			return true;
		}
		out->conds[out->nconds++] = found;
	}
	return true;
}

/* trace: the rule that decided */
static void
trace_decided(const bsp_rbac_trace *tr, bsp_rbac_rule rule, const tally *t,
			  bool direct, bool basic_over_conditions, bsp_rbac_result result)
{
	bsp_rbac_event ev;

	if (tr == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = BSP_RBAC_EV_DECIDED;
	ev.subject = -1;
	ev.rule = rule;
	ev.named = t->named;
	ev.direct = direct;
	ev.basic_over_conditions = basic_over_conditions;
	ev.nallow = t->nallow;
	ev.ndeny = t->ndeny;
	ev.result = result;
	tr->emit(tr->arg, &ev);
}

const char *
bsp_rbac_rule_name(bsp_rbac_rule rule)
{
	switch (rule)
	{
		case BSP_RBAC_RULE_ANONYMOUS:
			return "anonymous";
		case BSP_RBAC_RULE_SUPERUSER:
			return "superuser";
		case BSP_RBAC_RULE_TWO_CONDITIONS:
			return "two conditional policies in one role";
		case BSP_RBAC_RULE_PLUGINS_DIFFER:
			return "conditional policies of different plugins";
		case BSP_RBAC_RULE_CONDITIONAL:
			return "conditional precedence";
		case BSP_RBAC_RULE_CONDITIONAL_NO_BASIC:
			return "conditions, no basic line";
		case BSP_RBAC_RULE_ALLOW:
			return "allow, no deny";
		case BSP_RBAC_RULE_DENY_OVERRIDES:
			return "deny overrides allow";
		case BSP_RBAC_RULE_NO_LINE:
			return "no line";
		case BSP_RBAC_RULE_NO_ROLE_BASIC:
			return "no role, basic precedence";
	}
	return "unknown";
}

bool
bsp_rbac_decide(bsp_arena *arena, const bsp_rbac_policy *p, const bsp_rbac_user *u,
				const bsp_rbac_perm *perm, bsp_rbac_decision *out)
{
	return bsp_rbac_decide_traced(arena, p, u, perm, out, NULL);
}

bool
bsp_rbac_decide_traced(bsp_arena *arena, const bsp_rbac_policy *p, const bsp_rbac_user *u,
					   const bsp_rbac_perm *perm, bsp_rbac_decision *out,
					   const bsp_rbac_trace *tr)
{
	bsp_rbac_action act = perm->action == BSP_RBAC_ACT_NONE ? BSP_RBAC_ACT_USE : perm->action;
	tally		t = {false, 0, 0};
	bool		had_conds;

	memset(out, 0, sizeof(*out));
	out->result = BSP_RBAC_DENY;

	/* 1. anonymous: DENY; 2. superusers: ALLOW */
	if (u->user_ref == NULL)
	{
		trace_decided(tr, BSP_RBAC_RULE_ANONYMOUS, &t, false, false, out->result);
		return true;
	}
	if (u->super)
	{
		out->result = BSP_RBAC_ALLOW;
		trace_decided(tr, BSP_RBAC_RULE_SUPERUSER, &t, false, false, out->result);
		return true;
	}

	/* 4, 6, 7: the basic lines */
	if (u->nroles > 0)
		tally_roles(p, u, perm, act, &t, tr);
	else if (perm->resource && p->settings.basic_precedence)
	{
		/* plugin 8.1.3: no role, basic precedence: DENY */
		trace_decided(tr, BSP_RBAC_RULE_NO_ROLE_BASIC, &t, true, false, out->result);
		return true;
	}
	else
		tally_direct(p, u, perm, act, &t, tr);

	/* 5. conditions: at most one per role; several roles combine by anyOf */
	if (perm->resource && u->nroles > 0)
	{
		bool		deny;
		bsp_rbac_rule deny_rule = BSP_RBAC_RULE_TWO_CONDITIONS;

		if (!collect_conds(arena, p, u, perm, act, out, &deny, &deny_rule, tr))
			return false;
		if (deny)
		{
			out->nconds = 0;
			trace_decided(tr, deny_rule, &t, false, false, out->result);
			return true;
		}
	}
	if (out->nconds > 0 && (!p->settings.basic_precedence || t.nallow + t.ndeny == 0))
	{
		out->result = BSP_RBAC_CONDITIONAL;
		trace_decided(tr, p->settings.basic_precedence ? BSP_RBAC_RULE_CONDITIONAL_NO_BASIC :
					  BSP_RBAC_RULE_CONDITIONAL, &t, false, false, out->result);
		return true;
	}
	had_conds = out->nconds > 0;
	out->nconds = 0;

	/* 6. deny overrides allow; nothing said is DENY */
	if (t.nallow > 0 && t.ndeny == 0)
		out->result = BSP_RBAC_ALLOW;
	trace_decided(tr, t.ndeny > 0 ? BSP_RBAC_RULE_DENY_OVERRIDES :
				  t.nallow > 0 ? BSP_RBAC_RULE_ALLOW : BSP_RBAC_RULE_NO_LINE,
				  &t, u->nroles == 0, had_conds, out->result);
	return true;
}
