/*
 * test_rbac.c - unit tests of the RBAC decision core (src/core/bsp_rbac.c).
 *
 * Fixed cases, one or more per step of doc/policy.md, then property tests:
 * thousands of seeded random scenarios decided by the core and by the
 * reference in rbac_ref.h (written from doc/policy.md), and random group
 * graphs walked level by level against their distances.
 */
#include "bsp_rbac.h"
#include "unit.h"
#include "rbac_ref.h"

static unit_arena ua;

static const bsp_rbac_perm READ = {"catalog.entity.read", true, "catalog-entity", BSP_RBAC_ACT_READ};
static const bsp_rbac_perm DELETE = {"catalog.entity.delete", true, "catalog-entity", BSP_RBAC_ACT_DELETE};
static const bsp_rbac_perm LOC = {"catalog.location.read", false, NULL, BSP_RBAC_ACT_READ};
static const bsp_rbac_perm VALIDATE = {"catalog.entity.validate", false, NULL, BSP_RBAC_ACT_NONE};

static int	cond_a = 1,
			cond_b = 2,
			cond_c = 3;

/* Decides for user (groups as further subjects, refs = subjects) in in. */
static bsp_rbac_decision
decide(const bsp_rbac_input *in, const char *user, const char *group,
	   const bsp_rbac_perm *perm)
{
	bsp_rbac_policy *p;
	bsp_rbac_user u;
	bsp_rbac_decision d;
	const char *subjects[2] = {user, group};
	int			n = group ? 2 : 1;

	memset(&d, 0, sizeof(d));
	d.result = (bsp_rbac_result) -1;
	if (bsp_rbac_build(&ua.arena, in, &p) &&
		bsp_rbac_resolve(&ua.arena, p, user, user ? n : 0, subjects, user ? n : 0, subjects, &u))
		(void) bsp_rbac_decide(&ua.arena, p, &u, perm, &d);
	return d;
}

static void
test_steps(void)
{
	const char *roles[] = {"role:default/dev", "role:default/Admin", "role:default/deny",
	"role:default/cond", "role:default/cond2", "role:default/other"};
	bsp_rbac_member_row members[] = {
		{"role:default/dev", "group:default/team-a"},
		{"role:default/Admin", "user:default/root"},
		{"role:default/dev", "user:default/dan"},
		{"role:default/deny", "user:default/dan"},
		{"role:default/cond", "user:default/carl"},
		{"role:default/cond2", "user:default/carl"},
		{"role:default/other", "user:default/olga"},
		{"role:default/cond", "user:default/olga"},
		{"role:default/missing", "user:default/erin"},
	};
	bsp_rbac_line_row lines[] = {
		{"role:default/dev", NULL, "catalog-entity", BSP_RBAC_ACT_READ, false},
		{"role:default/dev", NULL, "catalog.location.read", BSP_RBAC_ACT_READ, false},
		{"role:default/deny", NULL, "catalog-entity", BSP_RBAC_ACT_READ, true},
		{"role:default/Admin", NULL, "catalog.entity.read", BSP_RBAC_ACT_READ, false},
		{"role:default/Admin", NULL, "catalog-entity", BSP_RBAC_ACT_READ, true},
		{"role:default/cond", NULL, "catalog-entity", BSP_RBAC_ACT_DELETE, true},
		{NULL, "user:default/erin", "catalog.entity.validate", BSP_RBAC_ACT_USE, false},
		{NULL, "user:default/dan", "catalog.entity.validate", BSP_RBAC_ACT_USE, false},
	};
	const char *names_delete[] = {"catalog.entity.delete"};
	bsp_rbac_cond_row conds[] = {
		{"role:default/cond", "catalog", "catalog-entity", 1u << BSP_RBAC_ACT_READ, 0, NULL, &cond_a, NULL},
		{"role:default/cond2", "catalog", "catalog-entity", 1u << BSP_RBAC_ACT_READ, 0, NULL, &cond_b, NULL},
		{"role:default/cond", "catalog", "catalog-entity", 0, 1, names_delete, &cond_c, NULL},
		{"role:default/other", "other", "catalog-entity", 1u << BSP_RBAC_ACT_READ, 0, NULL, &cond_b, NULL},
	};
	const char *supers[] = {"group:default/admins"};
	bsp_rbac_input in = {6, roles, 9, members, 8, lines, 4, conds, 1, supers,
	{-1, false, NULL, false}};
	bsp_rbac_decision d;

	/* 1. anonymous */
	CHECK(decide(&in, NULL, NULL, &READ).result == BSP_RBAC_DENY, "anonymous: DENY");
	/* 2. superuser through an ownership ref */
	CHECK(decide(&in, "user:default/x", "group:default/admins", &DELETE).result == BSP_RBAC_ALLOW,
		  "superuser by ownership ref: ALLOW");
	/* 3. roles through a group */
	CHECK(decide(&in, "user:default/amy", "group:default/team-a", &READ).result == BSP_RBAC_ALLOW,
		  "role through a group: ALLOW");
	CHECK(decide(&in, "user:default/amy", NULL, &READ).result == BSP_RBAC_DENY,
		  "without the group: DENY");
	/* 4. the named line wins over the resource type's deny */
	CHECK(decide(&in, "user:default/root", NULL, &READ).result == BSP_RBAC_ALLOW,
		  "a line naming the permission beats a resource-type deny");
	/* 6. deny overrides allow across roles */
	CHECK(decide(&in, "user:default/dan", NULL, &READ).result == BSP_RBAC_DENY,
		  "deny overrides allow across roles");
	CHECK(decide(&in, "user:default/dan", NULL, &LOC).result == BSP_RBAC_ALLOW,
		  "basic permission allowed by name");
	/* 7. direct lines only without roles */
	CHECK(decide(&in, "user:default/erin", NULL, &VALIDATE).result == BSP_RBAC_ALLOW,
		  "direct line for a user without roles (no action counts as use)");
	CHECK(decide(&in, "user:default/dan", NULL, &VALIDATE).result == BSP_RBAC_DENY,
		  "direct line ignored for a user with roles");
	/* 5. conditions */
	d = decide(&in, "user:default/carl", NULL, &READ);
	CHECK(d.result == BSP_RBAC_CONDITIONAL && d.nconds == 2 &&
		  d.conds[0]->conditions == &cond_a && d.conds[1]->conditions == &cond_b,
		  "two roles' conditions, in role-name order");
	d = decide(&in, "user:default/carl", NULL, &DELETE);
	CHECK(d.result == BSP_RBAC_CONDITIONAL && d.nconds == 1 && d.conds[0]->conditions == &cond_c,
		  "condition by permission name, next to a basic deny (conditional precedence)");
	in.settings.basic_precedence = true;
	CHECK(decide(&in, "user:default/carl", NULL, &DELETE).result == BSP_RBAC_DENY,
		  "basic precedence: the basic deny decides");
	CHECK(decide(&in, "user:default/carl", NULL, &READ).result == BSP_RBAC_CONDITIONAL,
		  "basic precedence without basic lines: CONDITIONAL");
	in.settings.basic_precedence = false;
	CHECK(decide(&in, "user:default/olga", NULL, &READ).result == BSP_RBAC_DENY,
		  "conditions of two plugins: DENY");
	/* two matching policies in one role */
	conds[2].actions = 1u << BSP_RBAC_ACT_READ;
	CHECK(decide(&in, "user:default/carl", NULL, &READ).result == BSP_RBAC_DENY,
		  "two matching conditional policies in one role: DENY");
	conds[2].actions = 0;
	/* the plugin's {name, action} mapping: the action must be the request's */
	{
		const bsp_rbac_action del_read[] = {BSP_RBAC_ACT_READ};
		const bsp_rbac_action del_delete[] = {BSP_RBAC_ACT_DELETE};

		conds[2].name_actions = del_read;
		CHECK(decide(&in, "user:default/carl", NULL, &DELETE).result == BSP_RBAC_DENY,
			  "{name, action} with another action does not match (plugin 8.1.3)");
		conds[2].name_actions = del_delete;
		CHECK(decide(&in, "user:default/carl", NULL, &DELETE).result == BSP_RBAC_CONDITIONAL,
			  "{name, action} with the request's action matches");
		conds[2].name_actions = NULL;
	}
	/* no role: resource permissions by resource type only; basic precedence DENY */
	lines[6].object = "catalog.entity.read";
	lines[6].action = BSP_RBAC_ACT_READ;
	CHECK(decide(&in, "user:default/erin", NULL, &READ).result == BSP_RBAC_DENY,
		  "no role: a direct line naming a resource permission does not count (plugin 8.1.3)");
	lines[6].object = "catalog-entity";
	CHECK(decide(&in, "user:default/erin", NULL, &READ).result == BSP_RBAC_ALLOW,
		  "no role: a direct line on the resource type counts");
	in.settings.basic_precedence = true;
	CHECK(decide(&in, "user:default/erin", NULL, &READ).result == BSP_RBAC_DENY,
		  "no role, basic precedence: resource permissions DENY (plugin 8.1.3)");
	in.settings.basic_precedence = false;
	lines[6].object = "catalog.entity.validate";
	lines[6].action = BSP_RBAC_ACT_USE;
	/* default role */
	in.settings.default_role = "role:default/dev";
	CHECK(decide(&in, "user:default/nobody", NULL, &LOC).result == BSP_RBAC_ALLOW,
		  "the default role applies to every signed-in user");
	CHECK(decide(&in, NULL, NULL, &LOC).result == BSP_RBAC_DENY,
		  "but not to anonymous");
	CHECK(decide(&in, "user:default/erin", NULL, &VALIDATE).result == BSP_RBAC_DENY,
		  "the default role is a role: direct lines no longer count");
	in.settings.default_role = "role:default/none";
	CHECK(decide(&in, "user:default/nobody", NULL, &LOC).result == BSP_RBAC_DENY,
		  "a default role that does not exist gives nothing");
	in.settings.default_role = NULL;
	/* members of roles that do not exist */
	CHECK(decide(&in, "user:default/erin", NULL, &VALIDATE).result == BSP_RBAC_ALLOW,
		  "membership of a missing role is no role");
}

/* Byte order, never a collation: mixed case sorts as strcmp says. */
static void
test_byte_order(void)
{
	const char *roles[] = {"role:default/b", "role:default/A", "role:default/deny", "role:default/C",
	"role:default/e", "role:default/F", "role:default/g"};
	bsp_rbac_member_row members[7];
	bsp_rbac_line_row lines[7];
	bsp_rbac_input in = {7, roles, 7, members, 7, lines, 0, NULL, 0, NULL, {-1, false, NULL, false}};
	int			i;

	for (i = 0; i < 7; i++)
	{
		members[i].role = roles[i];
		members[i].member = "user:default/m";
		lines[i].role = roles[i];
		lines[i].member = NULL;
		lines[i].object = "catalog-entity";
		lines[i].action = BSP_RBAC_ACT_READ;
		lines[i].deny = strcmp(roles[i], "role:default/deny") == 0;
	}
	CHECK(decide(&in, "user:default/m", NULL, &READ).result == BSP_RBAC_DENY,
		  "the deny role among mixed-case roles is found");
}

static void
test_distinct(void)
{
	const char *in[] = {"a", "b", "a", "c", "b", "a"};
	const char **out;
	int			n;

	CHECK(bsp_rbac_distinct(&ua.arena, 6, in, &n, &out) && n == 3 &&
		  strcmp(out[0], "a") == 0 && strcmp(out[1], "b") == 0 && strcmp(out[2], "c") == 0,
		  "distinct keeps the first of each, in order");
}

static void
test_walk_fixed(void)
{
	bsp_rbac_walk w;
	const char *const *level;
	int			n,
				levels = 0;

	/* a -> b -> c -> a (a cycle), d a second parent of a */
	CHECK(bsp_rbac_walk_init(&w, &ua.arena, -1, 1), "walk init");
	(void) bsp_rbac_walk_add(&w, "group:default/a", 15);
	(void) bsp_rbac_walk_add(&w, "group:default/a", 15);
	while ((n = bsp_rbac_walk_next(&w, &level)) > 0)
	{
		int			i;

		levels++;
		for (i = 0; i < n; i++)
		{
			if (strcmp(level[i], "group:default/a") == 0)
			{
				(void) bsp_rbac_walk_add(&w, "group:default/b", 15);
				(void) bsp_rbac_walk_add(&w, "group:default/d", 15);
			}
			else if (strcmp(level[i], "group:default/b") == 0)
				(void) bsp_rbac_walk_add(&w, "group:default/c", 15);
			else if (strcmp(level[i], "group:default/c") == 0)
				(void) bsp_rbac_walk_add(&w, "group:default/a", 15);
		}
	}
	CHECK(w.n == 4 && w.ndirect == 1 && w.nwithin == 3 && levels == 3,
		  "a cycle is walked once; every parent followed; max_depth 1 keeps a, b, d");
}

int
main(void)
{
	ref_src		src = {NULL, 0, 0, 20261201};
	int			i,
				bad = 0,
				conditional = 0,
				allow = 0;
	const char *what = NULL;

	unit_arena_init(&ua);
	test_steps();
	test_byte_order();
	test_distinct();
	test_walk_fixed();

	for (i = 0; i < 20000; i++)
	{
		ref_scenario sc;
		const char *w;

		ref_generate(&src, &sc);
		if (!ref_compare(&ua.arena, &sc, &w))
		{
			if (bad++ == 0)
			{
				what = w;
				printf("# first mismatch at scenario %d: %s\n", i, w);
			}
		}
		else if (sc.user_ref)
		{
			bsp_rbac_policy *p;
			bsp_rbac_user u;
			bsp_rbac_decision d;

			(void) bsp_rbac_build(&ua.arena, &sc.in, &p);
			(void) bsp_rbac_resolve(&ua.arena, p, sc.user_ref, sc.nsubjects, sc.subjects,
									sc.nrefs, sc.refs, &u);
			(void) bsp_rbac_decide(&ua.arena, p, &u, &sc.perm, &d);
			conditional += d.result == BSP_RBAC_CONDITIONAL;
			allow += d.result == BSP_RBAC_ALLOW;
		}
		if (i % 1000 == 999)
		{
			unit_arena_free(&ua);
			unit_arena_init(&ua);
		}
	}
	CHECK(bad == 0, "20000 random scenarios: core and reference agree (%d differ%s%s)",
		  bad, what ? ", first: " : "", what ? what : "");
	CHECK(allow > 1000 && conditional > 300,
		  "the scenarios exercise ALLOW (%d) and CONDITIONAL (%d)", allow, conditional);

	bad = 0;
	for (i = 0; i < 20000; i++)
	{
		ref_graph g;
		const char *w;

		ref_generate_graph(&src, &g);
		if (!ref_compare_walk(&ua.arena, &g, &w) && bad++ == 0)
			printf("# first walk mismatch at graph %d: %s\n", i, w);
		if (i % 1000 == 999)
		{
			unit_arena_free(&ua);
			unit_arena_init(&ua);
		}
	}
	CHECK(bad == 0, "20000 random group graphs: walk matches distances (%d differ)", bad);

	unit_arena_free(&ua);
	return unit_done("test_rbac");
}
