/*-------------------------------------------------------------------------
 * pg_members.c
 *	  Resolving an identity against the catalog: its groups (memberOf, then
 *	  childOf up the hierarchy), its ownership refs, its roles.
 *
 * Entities are read from the entity source (pg_entity_source.c) as the
 * extension owner (callers are inside an owner section, pg_owner.c), by
 * exact entity_ref, one query per level of the group hierarchy.
 * The walk itself, de-duplication and the roles are the RBAC core's
 * (bsp_rbac_walk, bsp_rbac_resolve).
 *
 * Memory.  A resolved identity (BspUser) lives in its own memory context,
 * created under the parent the cache gives (the policy cache, or the
 * caller's context for an identity that is not cached); everything it
 * points to is in that context, so deleting it frees the identity and its
 * memos at once.  Entities loaded to walk a level are freed with the level.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "pg_policy_int.h"

#define P bsperm_policy

/* Adds the group targets of the entity's relations of the given type. */
static void
add_relations(Jsonb *entity, const char *type, bsp_rbac_walk *w)
{
	JsonbValue	v;
	JsonbIterator *it;
	JsonbValue	el;
	JsonbIteratorToken tok;
	size_t		typelen = strlen(type);

	if (entity == NULL || !JsonContainerIsObject(&entity->root) ||
		getKeyJsonValueFromContainer(&entity->root, "relations", 9, &v) == NULL ||
		v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		return;
	it = JsonbIteratorInit(v.val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &el, true)) != WJB_DONE)
	{
		JsonbValue	t,
					r;
		JsonbContainer *rel;

		CHECK_FOR_INTERRUPTS();
		if (tok != WJB_ELEM || el.type != jbvBinary || !JsonContainerIsObject(el.val.binary.data))
			continue;
		rel = el.val.binary.data;
		if (getKeyJsonValueFromContainer(rel, "type", 4, &t) == NULL || t.type != jbvString ||
			t.val.string.len != typelen || memcmp(t.val.string.val, type, typelen) != 0)
			continue;
		if (getKeyJsonValueFromContainer(rel, "targetRef", 9, &r) == NULL || r.type != jbvString ||
			r.val.string.len < 6 || memcmp(r.val.string.val, "group:", 6) != 0)
			continue;
		if (memchr(r.val.string.val, '\0', r.val.string.len) != NULL)
			continue;
		if (!bsp_rbac_walk_add(w, r.val.string.val, r.val.string.len))
			bsperm_core_oom();
	}
}

/*
 * The user's groups: memberOf (distance 0), then parents through childOf,
 * one query per level, as far as depth_limit (-1: all); the core marks
 * which are within max_depth.
 */
static void
walk_groups(const char *user_ref, int depth_limit, bsp_arena *arena, bsp_rbac_walk *w,
			int **dist)
{
	Jsonb	   *user;
	const char *const *level;
	int			n,
				distance = 0;
	const bsp_rbac_settings *s = bsp_rbac_settings_of(P.rbac);

	if (!bsp_rbac_walk_init(w, arena, depth_limit, s->max_depth))
		bsperm_core_oom();
	bsperm_load_entities_spi(1, &user_ref, &user, CurrentMemoryContext);
	add_relations(user, "memberOf", w);
	if (user)
		pfree(user);
	if (dist)
		*dist = palloc0(sizeof(int) * Max(w->n, 1));
	while ((n = bsp_rbac_walk_next(w, &level)) > 0)
	{
		Jsonb	  **ents = palloc(sizeof(Jsonb *) * n);
		int			i,
					before = w->n;

		CHECK_FOR_INTERRUPTS();
		bsperm_load_entities_spi(n, level, ents, CurrentMemoryContext);
		for (i = 0; i < n; i++)
		{
			add_relations(ents[i], "childOf", w);
			if (ents[i])
				pfree(ents[i]);
		}
		pfree(ents);
		distance++;
		/* explain: the groups this level added are one further up */
		if (dist)
		{
			*dist = repalloc(*dist, sizeof(int) * Max(w->n, 1));
			for (i = before; i < w->n; i++)
				(*dist)[i] = distance;
		}
	}
}

/* A deep copy of the identity: the cache key. */
static void
copy_identity(BspIdentity *dst, const BspIdentity *src)
{
	int			i;

	dst->source = src->source;
	dst->user_ref = src->user_ref ? pstrdup(src->user_ref) : NULL;
	dst->refs_given = src->refs_given;
	dst->nrefs = src->nrefs;
	dst->refs = palloc0(sizeof(char *) * Max(src->nrefs, 1));
	for (i = 0; i < src->nrefs; i++)
		dst->refs[i] = pstrdup(src->refs[i]);
}

/*
 * Ownership refs: the ones given, else the user ref and its groups (all of
 * them when transitive, else the direct ones); duplicates removed.
 */
static void
ownership_refs(BspUser *u, const bsp_rbac_walk *w, bool transitive, bsp_arena *arena)
{
	const char **all;
	int			n = 0,
				i;

	if (u->id.refs_given)
	{
		all = (const char **) u->id.refs;
		n = u->id.nrefs;
	}
	else
	{
		int			ngroups = transitive ? w->n : w->ndirect;

		all = palloc(sizeof(char *) * (ngroups + 1));
		all[n++] = u->id.user_ref;
		for (i = 0; i < ngroups; i++)
			all[n++] = w->items[i];
	}
	if (!bsp_rbac_distinct(arena, n, all, &u->nrefs, &u->refs))
		bsperm_core_oom();
}

/*
 * Resolves an identity (inside SPI, as the owner) into a new context under
 * parent: groups, ownership refs, superuser, roles and subjects.
 */
BspUser *
bsperm_resolve_user(const BspIdentity *id, bool transitive, MemoryContext parent)
{
	return bsperm_resolve_user_traced(id, transitive, parent, NULL, NULL);
}

/*
 * The same, reporting to trace (pg_explain.c); *subject_dist (when not
 * NULL) gets each subject's distance: -1 for the user, 0 for memberOf
 * groups, d for a group d childOf steps above them.
 */
BspUser *
bsperm_resolve_user_traced(const BspIdentity *id, bool transitive, MemoryContext parent,
						   const bsp_rbac_trace *trace, int **subject_dist)
{
	MemoryContext ucxt = AllocSetContextCreate(parent, "bsperm identity",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ucxt);
	BspUser    *u = palloc0(sizeof(BspUser));
	bsp_arena	arena;
	bsp_rbac_walk w;
	const char **subjects;
	int		   *dist = NULL;
	int			i;

	u->cxt = ucxt;
	copy_identity(&u->id, id);
	u->transitive = transitive;
	u->refs = palloc0(sizeof(char *));
	if (id->user_ref == NULL)
	{
		MemoryContextSwitchTo(old);
		return u;
	}
	bsperm_arena_init(&arena, ucxt);

	/* how far up: max_depth for roles, everything for transitive claims */
	memset(&w, 0, sizeof(w));
	if (P.mode == POLICY_RBAC || !id->refs_given)
	{
		int			depth_limit = P.mode == POLICY_RBAC ?
			bsp_rbac_settings_of(P.rbac)->max_depth : 0;

		if (transitive && !id->refs_given)
			depth_limit = -1;
		walk_groups(u->id.user_ref, depth_limit, &arena, &w, subject_dist ? &dist : NULL);
	}
	ownership_refs(u, &w, transitive, &arena);

	/* subjects: the user and its groups within max_depth */
	subjects = palloc(sizeof(char *) * (w.nwithin + 1));
	subjects[0] = u->id.user_ref;
	for (i = 0; i < w.nwithin; i++)
		subjects[i + 1] = w.items[i];
	if (subject_dist)
	{
		*subject_dist = palloc(sizeof(int) * (w.nwithin + 1));
		(*subject_dist)[0] = -1;
		for (i = 0; i < w.nwithin; i++)
			(*subject_dist)[i + 1] = dist[i];
	}
	if (!bsp_rbac_resolve_traced(&arena, P.rbac, u->id.user_ref, w.nwithin + 1, subjects,
								 u->nrefs, u->refs, &u->rbac, trace))
		bsperm_core_oom();
	MemoryContextSwitchTo(old);
	return u;
}

/* The same for other callers: transitive claims walk childOf or parentOf (pg_rules.c). */
void
bsperm_add_group_relations(Jsonb *entity, const char *type, bsp_rbac_walk *w)
{
	add_relations(entity, type, w);
}
