/*
 * rbac_ref.h - a reference implementation of the RBAC decision, written
 * from doc/policy.md ("The decision, in order") without looking at
 * src/core/bsp_rbac.c: plain loops over the input rows, no sorting, no
 * indexes.  Also a random scenario generator driven by a byte source, so
 * the property test (seeded PRNG) and the fuzzer (libFuzzer's bytes) share
 * it.  Used by test_rbac.c and test/fuzz/fuzz_rbac.c.
 */
#ifndef BSPERM_RBAC_REF_H
#define BSPERM_RBAC_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bsp_rbac.h"

/* ---- the reference ---- */

static bool
ref_in(const char *s, int n, const char *const *arr)
{
	int			i;

	if (s == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (arr[i] != NULL && strcmp(arr[i], s) == 0)
			return true;
	return false;
}

static bool
ref_role_exists(const bsp_rbac_input *in, const char *name)
{
	return ref_in(name, in->nroles, in->roles);
}

/* Is role r one of the user's roles (step 3)? */
static bool
ref_has_role(const bsp_rbac_input *in, const char *r, int nsubjects,
			 const char *const *subjects, int nrefs, const char *const *refs)
{
	int			i;

	if (in->settings.default_role && strcmp(in->settings.default_role, r) == 0)
		return true;
	for (i = 0; i < in->nmembers; i++)
	{
		if (strcmp(in->members[i].role, r) != 0)
			continue;
		if (ref_in(in->members[i].member, nsubjects, subjects))
			return true;
		if (in->settings.use_ownership && ref_in(in->members[i].member, nrefs, refs))
			return true;
	}
	return false;
}

#define REF_MAX_ROLES 64

typedef struct ref_decision
{
	bsp_rbac_result result;
	int			nconds;
	const bsp_rbac_cond_row *conds[REF_MAX_ROLES];
} ref_decision;

static void
ref_decide(const bsp_rbac_input *in, const char *user_ref,
		   int nsubjects, const char *const *subjects,
		   int nrefs, const char *const *refs,
		   const bsp_rbac_perm *perm, ref_decision *out)
{
	const char *roles[REF_MAX_ROLES];
	int			nroles = 0;
	bsp_rbac_action act = perm->action == BSP_RBAC_ACT_NONE ? BSP_RBAC_ACT_USE : perm->action;
	bool		named = false;
	int			nallow = 0,
				ndeny = 0;
	int			i,
				j,
				k;

	memset(out, 0, sizeof(*out));
	out->result = BSP_RBAC_DENY;
	/* 1. anonymous */
	if (user_ref == NULL)
		return;
	/* 2. superuser: the user ref or any ownership ref */
	if (ref_in(user_ref, in->nsupers, in->supers))
	{
		out->result = BSP_RBAC_ALLOW;
		return;
	}
	for (i = 0; i < nrefs; i++)
		if (ref_in(refs[i], in->nsupers, in->supers))
		{
			out->result = BSP_RBAC_ALLOW;
			return;
		}
	/* 3. roles, as a set in role-name order (insertion sort) */
	for (i = 0; i < in->nroles; i++)
	{
		const char *r = in->roles[i];

		if (ref_in(r, nroles, roles) ||
			!ref_has_role(in, r, nsubjects, subjects, nrefs, refs))
			continue;
		for (j = nroles; j > 0 && strcmp(roles[j - 1], r) > 0; j--)
			roles[j] = roles[j - 1];
		roles[j] = r;
		nroles++;
	}
	/* 4, 6, 7: which lines count */
	for (k = 0; k < 2; k++)
		for (i = 0; i < in->nlines; i++)
		{
			const bsp_rbac_line_row *l = &in->lines[i];
			bool		applies;

			if (nroles > 0)
				applies = l->role != NULL && ref_in(l->role, nroles, roles);
			else				/* no role: resource permissions by type, never basic precedence */
				applies = l->role == NULL && ref_in(l->member, nsubjects, subjects) &&
					!(perm->resource && in->settings.basic_precedence);
			if (!applies || l->action != act)
				continue;
			if (k == 0 && nroles == 0 && perm->resource)
				continue;
			if (k == 0)
			{
				if (strcmp(l->object, perm->name) == 0)
					named = true;
				continue;
			}
			if (named ? strcmp(l->object, perm->name) == 0 :
				(perm->resource && strcmp(l->object, perm->resource_type) == 0))
			{
				if (l->deny)
					ndeny++;
				else
					nallow++;
			}
		}
	/* 5. conditions */
	if (perm->resource && nroles > 0)
	{
		for (j = 0; j < nroles; j++)
		{
			const bsp_rbac_cond_row *found = NULL;

			for (i = 0; i < in->nconds; i++)
			{
				const bsp_rbac_cond_row *c = &in->conds[i];
				bool		match;

				if (strcmp(c->role, roles[j]) != 0 ||
					strcmp(c->resource_type, perm->resource_type) != 0)
					continue;
				match = (c->actions & (1u << act)) != 0;
				for (k = 0; k < c->nnames && !match; k++)
					match = strcmp(c->names[k], perm->name) == 0 &&
						(c->name_actions == NULL || c->name_actions[k] == act);
				if (!match)
					continue;
				if (found)
				{
					out->nconds = 0;
					return;		/* two in one role: DENY */
				}
				found = c;
			}
			if (!found)
				continue;
			if (out->nconds > 0 && strcmp(out->conds[0]->plugin_id, found->plugin_id) != 0)
			{
				out->nconds = 0;
				return;			/* plugins disagree: DENY */
			}
			out->conds[out->nconds++] = found;
		}
		if (out->nconds > 0 && (!in->settings.basic_precedence || nallow + ndeny == 0))
		{
			out->result = BSP_RBAC_CONDITIONAL;
			return;
		}
		out->nconds = 0;
	}
	if (nallow > 0 && ndeny == 0)
		out->result = BSP_RBAC_ALLOW;
}

/* ---- random scenarios ---- */

/* A source of choices: a seeded PRNG or the fuzzer's bytes. */
typedef struct ref_src
{
	const uint8_t *data;		/* NULL: PRNG */
	size_t		size;
	size_t		pos;
	uint64_t	state;
} ref_src;

static unsigned
ref_pick(ref_src *s, unsigned n)
{
	if (n <= 1)
		return 0;
	if (s->data)
		return s->pos < s->size ? s->data[s->pos++] % n : 0;
	s->state = s->state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned) ((s->state >> 33) % n);
}

static const char *const ref_role_names[] = {
	"role:default/a", "role:default/B", "role:default/c", "role:default/D",
	"role:x/a", "role:default/aa"
};
static const char *const ref_refs[] = {
	"user:default/u1", "user:default/u2", "group:default/g1", "group:default/G2",
	"group:default/g3", "group:default/g4"
};
static const char *const ref_objects[] = {
	"catalog.entity.read", "catalog.entity.delete", "x.basic", "catalog-entity",
	"other-type", "catalog.entity.create"
};
static const char *const ref_plugins[] = {"catalog", "other"};
static const char *const ref_types[] = {"catalog-entity", "other-type"};
static const bsp_rbac_perm ref_perms[] = {
	{"catalog.entity.read", true, "catalog-entity", BSP_RBAC_ACT_READ},
	{"catalog.entity.delete", true, "catalog-entity", BSP_RBAC_ACT_DELETE},
	{"x.basic", false, NULL, BSP_RBAC_ACT_NONE},
	{"catalog.entity.create", false, NULL, BSP_RBAC_ACT_CREATE},
	{"other.perm", true, "other-type", BSP_RBAC_ACT_UPDATE},
	{"catalog.entity.read", true, "other-type", BSP_RBAC_ACT_READ},
};

#define REF_N(a) ((unsigned) (sizeof(a) / sizeof((a)[0])))
#define REF_MAX_ROWS 24

typedef struct ref_scenario
{
	const char *roles[REF_MAX_ROWS];
	bsp_rbac_member_row members[REF_MAX_ROWS];
	bsp_rbac_line_row lines[REF_MAX_ROWS];
	bsp_rbac_cond_row conds[REF_MAX_ROWS];
	const char *cond_names[REF_MAX_ROWS][3];
	bsp_rbac_action cond_name_actions[REF_MAX_ROWS][3];
	int			cond_ids[REF_MAX_ROWS];
	const char *supers[4];
	bsp_rbac_input in;
	const char *user_ref;
	const char *subjects[8];
	int			nsubjects;
	const char *refs[8];
	int			nrefs;
	bsp_rbac_perm perm;
} ref_scenario;

static void
ref_generate(ref_src *s, ref_scenario *sc)
{
	int			i,
				k;
	int			nroles = (int) ref_pick(s, 7);
	int			nmembers = (int) ref_pick(s, 10);
	int			nlines = (int) ref_pick(s, 14);
	int			nconds = (int) ref_pick(s, 6);
	int			nsupers = ref_pick(s, 5) == 0 ? 1 : 0;

	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < nroles; i++)
		sc->roles[i] = ref_role_names[ref_pick(s, REF_N(ref_role_names))];
	for (i = 0; i < nmembers; i++)
	{
		sc->members[i].role = ref_role_names[ref_pick(s, REF_N(ref_role_names))];
		sc->members[i].member = ref_refs[ref_pick(s, REF_N(ref_refs))];
	}
	for (i = 0; i < nlines; i++)
	{
		bsp_rbac_line_row *l = &sc->lines[i];

		if (ref_pick(s, 4) == 0)
			l->member = ref_refs[ref_pick(s, REF_N(ref_refs))];
		else
			l->role = ref_role_names[ref_pick(s, REF_N(ref_role_names))];
		l->object = ref_objects[ref_pick(s, REF_N(ref_objects))];
		l->action = (bsp_rbac_action) (1 + ref_pick(s, 5));
		l->deny = ref_pick(s, 3) == 0;
	}
	for (i = 0; i < nconds; i++)
	{
		bsp_rbac_cond_row *c = &sc->conds[i];
		int			nn = (int) ref_pick(s, 3);

		c->role = ref_role_names[ref_pick(s, REF_N(ref_role_names))];
		c->plugin_id = ref_plugins[ref_pick(s, 4) == 0 ? 1 : 0];
		c->resource_type = ref_types[ref_pick(s, 3) == 0 ? 1 : 0];
		c->actions = 0;
		for (k = BSP_RBAC_ACT_CREATE; k <= BSP_RBAC_ACT_USE; k++)
			if (ref_pick(s, 3) == 0)
				c->actions |= 1u << k;
		for (k = 0; k < nn; k++)
			sc->cond_names[i][k] = ref_objects[ref_pick(s, 3) == 0 ? 1 : ref_pick(s, REF_N(ref_objects))];
		c->nnames = nn;
		c->names = sc->cond_names[i];
		/* half the policies give each name an action (the plugin's {name, action}) */
		c->name_actions = NULL;
		if (ref_pick(s, 2) == 0)
		{
			for (k = 0; k < nn; k++)
				sc->cond_name_actions[i][k] = (bsp_rbac_action) (1 + ref_pick(s, 5));
			c->name_actions = sc->cond_name_actions[i];
		}
		sc->cond_ids[i] = i;
		c->conditions = &sc->cond_ids[i];
	}
	for (i = 0; i < nsupers; i++)
		sc->supers[i] = ref_refs[ref_pick(s, REF_N(ref_refs))];

	sc->in.nroles = nroles;
	sc->in.roles = sc->roles;
	sc->in.nmembers = nmembers;
	sc->in.members = sc->members;
	sc->in.nlines = nlines;
	sc->in.lines = sc->lines;
	sc->in.nconds = nconds;
	sc->in.conds = sc->conds;
	sc->in.nsupers = nsupers;
	sc->in.supers = sc->supers;
	sc->in.settings.max_depth = -1;
	sc->in.settings.basic_precedence = ref_pick(s, 2) == 0;
	sc->in.settings.default_role = ref_pick(s, 3) == 0 ?
		ref_role_names[ref_pick(s, REF_N(ref_role_names))] : NULL;
	sc->in.settings.use_ownership = ref_pick(s, 2) == 0;

	/* the user: subjects are the user and some groups; refs some refs */
	sc->user_ref = ref_pick(s, 8) == 0 ? NULL : ref_refs[ref_pick(s, 2)];
	if (sc->user_ref)
	{
		sc->subjects[sc->nsubjects++] = sc->user_ref;
		for (i = 2; i < (int) REF_N(ref_refs); i++)
			if (ref_pick(s, 3) == 0)
				sc->subjects[sc->nsubjects++] = ref_refs[i];
		for (i = 0; i < (int) REF_N(ref_refs); i++)
			if (ref_pick(s, 3) == 0)
				sc->refs[sc->nrefs++] = ref_refs[i];
	}
	sc->perm = ref_perms[ref_pick(s, REF_N(ref_perms))];
}

/*
 * Builds, resolves and decides with the core and with the reference;
 * true when they agree.  *what says where they differ.
 */
static bool
ref_compare(bsp_arena *arena, const ref_scenario *sc, const char **what)
{
	bsp_rbac_policy *p;
	bsp_rbac_user u;
	bsp_rbac_decision d;
	ref_decision r;
	int			i;

	*what = "allocation";
	if (!bsp_rbac_build(arena, &sc->in, &p) ||
		!bsp_rbac_resolve(arena, p, sc->user_ref, sc->nsubjects, sc->subjects,
						  sc->nrefs, sc->refs, &u) ||
		!bsp_rbac_decide(arena, p, &u, &sc->perm, &d))
		return false;
	ref_decide(&sc->in, sc->user_ref, sc->nsubjects, sc->subjects, sc->nrefs, sc->refs,
			   &sc->perm, &r);
	*what = "result";
	if (d.result != r.result)
		return false;
	*what = "conditions";
	if (d.result == BSP_RBAC_CONDITIONAL)
	{
		if (d.nconds != r.nconds)
			return false;
		for (i = 0; i < d.nconds; i++)
			if (d.conds[i] != r.conds[i])
				return false;
	}
	*what = NULL;
	return true;
}

/* ---- group walks ---- */

/* A random group graph: memberOf of the user and childOf of each group. */
typedef struct ref_graph
{
	int			nmember;
	int			member[6];
	int			nparents[8];
	int			parents[8][4];
	int			depth_limit;
	int			role_depth;
} ref_graph;

static const char *const ref_groups[] = {
	"group:default/a", "group:default/b", "group:default/c", "group:default/d",
	"group:default/e", "group:default/f", "group:default/g", "group:default/h"
};

static void
ref_generate_graph(ref_src *s, ref_graph *g)
{
	int			i,
				k;

	memset(g, 0, sizeof(*g));
	g->nmember = (int) ref_pick(s, 5);
	for (i = 0; i < g->nmember; i++)
		g->member[i] = (int) ref_pick(s, 8);
	for (i = 0; i < 8; i++)
	{
		g->nparents[i] = (int) ref_pick(s, 4);
		for (k = 0; k < g->nparents[i]; k++)
			g->parents[i][k] = (int) ref_pick(s, 8);
	}
	g->depth_limit = (int) ref_pick(s, 6) - 1;
	g->role_depth = (int) ref_pick(s, 6) - 1;
}

/* Distance of each group from the user (-1: unreachable), by relaxation. */
static void
ref_distances(const ref_graph *g, int dist[8])
{
	int			i,
				k,
				changed = 1;

	for (i = 0; i < 8; i++)
		dist[i] = -1;
	for (i = 0; i < g->nmember; i++)
		dist[g->member[i]] = 0;
	while (changed)
	{
		changed = 0;
		for (i = 0; i < 8; i++)
			if (dist[i] >= 0)
				for (k = 0; k < g->nparents[i]; k++)
				{
					int			p = g->parents[i][k];

					if (dist[p] < 0 || dist[p] > dist[i] + 1)
					{
						dist[p] = dist[i] + 1;
						changed = 1;
					}
				}
	}
}

static int
ref_group_index(const char *name)
{
	int			i;

	for (i = 0; i < 8; i++)
		if (strcmp(ref_groups[i], name) == 0)
			return i;
	return -1;
}

/*
 * Walks with the core; the groups found must be exactly those within
 * depth_limit of the user, the "within" prefix those within role_depth
 * too, the direct ones those at distance 0, each found once.
 */
static bool
ref_compare_walk(bsp_arena *arena, const ref_graph *g, const char **what)
{
	bsp_rbac_walk w;
	const char *const *level;
	int			n,
				i,
				k,
				dist[8];
	int			seen[8] = {0};

	*what = "allocation";
	if (!bsp_rbac_walk_init(&w, arena, g->depth_limit, g->role_depth))
		return false;
	for (i = 0; i < g->nmember; i++)
		if (!bsp_rbac_walk_add(&w, ref_groups[g->member[i]], strlen(ref_groups[g->member[i]])))
			return false;
	while ((n = bsp_rbac_walk_next(&w, &level)) > 0)
		for (i = 0; i < n; i++)
		{
			int			gi = ref_group_index(level[i]);

			for (k = 0; k < g->nparents[gi]; k++)
				if (!bsp_rbac_walk_add(&w, ref_groups[g->parents[gi][k]],
									   strlen(ref_groups[g->parents[gi][k]])))
					return false;
		}
	ref_distances(g, dist);
	*what = "each group once";
	for (i = 0; i < w.n; i++)
	{
		int			gi = ref_group_index(w.items[i]);

		if (gi < 0 || seen[gi]++)
			return false;
	}
	for (i = 0; i < 8; i++)
	{
		bool		found = seen[i] > 0;
		bool		want = dist[i] >= 0 && (g->depth_limit < 0 || dist[i] <= g->depth_limit);

		*what = "groups found";
		if (found != want)
			return false;
	}
	for (i = 0; i < w.n; i++)
	{
		int			d = dist[ref_group_index(w.items[i])];
		bool		within = i < w.nwithin;
		bool		direct = i < w.ndirect;

		*what = "groups within max_depth";
		if (within != (g->role_depth < 0 || d <= g->role_depth))
			return false;
		*what = "direct groups";
		if (direct != (d == 0))
			return false;
	}
	*what = NULL;
	return true;
}

#endif							/* BSPERM_RBAC_REF_H */
