/*
 * test_rbac_trace.c - the decision's trace (bsp_rbac_*_traced), which
 * bsperm_explain reports: for seeded random scenarios (rbac_ref.h), the
 * traced decision equals the untraced one and the reference's, and the
 * trace accounts for it: the rule names the result, the lines marked
 * counted are the allow/deny tally, the roles reported are the user's
 * roles, and a CONDITIONAL's conditional policies are the matching ones.
 * A few fixed cases pin the rule and the provenance of roles.
 */
#include "bsp_rbac.h"
#include "unit.h"
#include "rbac_ref.h"

static unit_arena ua;

#define MAX_EVENTS 256

typedef struct sink
{
	int			n;
	bsp_rbac_event ev[MAX_EVENTS];
	int			overflow;
} sink;

static void
sink_emit(void *arg, const bsp_rbac_event *ev)
{
	sink	   *s = arg;

	if (s->n < MAX_EVENTS)
		s->ev[s->n++] = *ev;
	else
		s->overflow++;
}

static const bsp_rbac_event *
decided_event(const sink *s)
{
	int			i;

	for (i = 0; i < s->n; i++)
		if (s->ev[i].kind == BSP_RBAC_EV_DECIDED)
			return i == s->n - 1 ? &s->ev[i] : NULL;	/* the last, once */
	return NULL;
}

static bsp_rbac_result
rule_result(bsp_rbac_rule r)
{
	switch (r)
	{
		case BSP_RBAC_RULE_SUPERUSER:
		case BSP_RBAC_RULE_ALLOW:
			return BSP_RBAC_ALLOW;
		case BSP_RBAC_RULE_CONDITIONAL:
		case BSP_RBAC_RULE_CONDITIONAL_NO_BASIC:
			return BSP_RBAC_CONDITIONAL;
		default:
			return BSP_RBAC_DENY;
	}
}

/* Decides sc traced and untraced; NULL when all agree, else what differs. */
static const char *
compare(const ref_scenario *sc, bsp_rbac_result *result)
{
	bsp_rbac_policy *p;
	bsp_rbac_user u,
				ut;
	bsp_rbac_decision d,
				dt;
	ref_decision r;
	sink		s;
	bsp_rbac_trace tr = {sink_emit, &s};
	const bsp_rbac_event *dec;
	int			i,
				k,
				nallow = 0,
				ndeny = 0,
				nmatching = 0;

	memset(&s, 0, sizeof(s));
	if (!bsp_rbac_build(&ua.arena, &sc->in, &p) ||
		!bsp_rbac_resolve(&ua.arena, p, sc->user_ref, sc->nsubjects, sc->subjects,
						  sc->nrefs, sc->refs, &u) ||
		!bsp_rbac_decide(&ua.arena, p, &u, &sc->perm, &d) ||
		!bsp_rbac_resolve_traced(&ua.arena, p, sc->user_ref, sc->nsubjects, sc->subjects,
								 sc->nrefs, sc->refs, &ut, &tr) ||
		!bsp_rbac_decide_traced(&ua.arena, p, &ut, &sc->perm, &dt, &tr))
		return "allocation";
	if (s.overflow)
		return NULL;			/* too many events to check: skip */
	ref_decide(&sc->in, sc->user_ref, sc->nsubjects, sc->subjects, sc->nrefs, sc->refs,
			   &sc->perm, &r);
	*result = d.result;
	if (dt.result != d.result || dt.result != r.result)
		return "traced result";
	if (dt.nconds != d.nconds)
		return "traced conditions";
	for (i = 0; i < d.nconds; i++)
		if (dt.conds[i] != d.conds[i])
			return "traced conditions";
	if ((dec = decided_event(&s)) == NULL)
		return "one decided event, last";
	if (dec->result != d.result || rule_result(dec->rule) != d.result)
		return "rule and result";
	if ((dec->rule == BSP_RBAC_RULE_ANONYMOUS) != (sc->user_ref == NULL) ||
		(dec->rule == BSP_RBAC_RULE_SUPERUSER) != (u.super && sc->user_ref != NULL))
		return "anonymous and superuser rules";

	/* roles: as many distinct roles reported as the user has */
	{
		int			ndistinct = 0;

		for (i = 0; i < s.n; i++)
		{
			bool		dup = false;

			if (s.ev[i].kind != BSP_RBAC_EV_ROLE)
				continue;
			for (k = 0; k < i && !dup; k++)
				dup = s.ev[k].kind == BSP_RBAC_EV_ROLE && strcmp(s.ev[k].role, s.ev[i].role) == 0;
			ndistinct += !dup;
		}
		if (sc->user_ref != NULL && ndistinct != u.nroles)
			return "roles reported and the user's roles";
	}
	if (dec->rule == BSP_RBAC_RULE_ANONYMOUS || dec->rule == BSP_RBAC_RULE_SUPERUSER)
		return NULL;

	/* the tally is the lines marked counted */
	for (i = 0; i < s.n; i++)
		if (s.ev[i].kind == BSP_RBAC_EV_LINE && s.ev[i].counted)
		{
			if (s.ev[i].deny)
				ndeny++;
			else
				nallow++;
		}
	if (nallow != dec->nallow || ndeny != dec->ndeny)
		return "counted lines and tally";
	if (dec->rule == BSP_RBAC_RULE_ALLOW && !(nallow > 0 && ndeny == 0))
		return "allow rule without an allow";
	if (dec->rule == BSP_RBAC_RULE_DENY_OVERRIDES && ndeny == 0)
		return "deny rule without a deny";
	if (dec->rule == BSP_RBAC_RULE_NO_LINE && nallow + ndeny > 0)
		return "no-line rule with lines";

	/* a CONDITIONAL's policies are the matching ones reported */
	for (i = 0; i < s.n; i++)
		if (s.ev[i].kind == BSP_RBAC_EV_COND && s.ev[i].matches)
		{
			nmatching++;
			if (d.result == BSP_RBAC_CONDITIONAL)
			{
				bool		in = false;

				for (k = 0; k < d.nconds; k++)
					in = in || d.conds[k] == s.ev[i].cond;
				if (!in)
					return "a matching conditional policy not in the decision";
			}
		}
	if (d.result == BSP_RBAC_CONDITIONAL && nmatching != d.nconds)
		return "matching conditional policies and the decision";
	return NULL;
}

/* Fixed: the rule and where roles come from. */
static void
test_fixed(void)
{
	const char *roles[] = {"role:default/dev", "role:default/everyone", "role:default/owners"};
	bsp_rbac_member_row members[] = {
		{"role:default/dev", "group:default/team-a"},
		{"role:default/owners", "group:default/owners"},
	};
	bsp_rbac_line_row lines[] = {
		{"role:default/dev", NULL, "catalog-entity", BSP_RBAC_ACT_READ, false},
		{"role:default/everyone", NULL, "catalog-entity", BSP_RBAC_ACT_READ, true},
		{"role:default/dev", NULL, "catalog.entity.delete", BSP_RBAC_ACT_DELETE, false},
	};
	bsp_rbac_input in = {3, roles, 2, members, 3, lines, 0, NULL, 0, NULL,
	{-1, false, "role:default/everyone", true}};
	bsp_rbac_perm read = {"catalog.entity.read", true, "catalog-entity", BSP_RBAC_ACT_READ};
	const char *subjects[] = {"user:default/ann", "group:default/team-a"};
	const char *refs[] = {"user:default/ann", "group:default/owners"};
	bsp_rbac_policy *p;
	bsp_rbac_user u;
	bsp_rbac_decision d;
	sink		s;
	bsp_rbac_trace tr = {sink_emit, &s};
	const bsp_rbac_event *dec;
	int			i,
				via_group = 0,
				via_default = 0,
				via_ownership = 0,
				lines_seen = 0;

	memset(&s, 0, sizeof(s));
	CHECK(bsp_rbac_build(&ua.arena, &in, &p) &&
		  bsp_rbac_resolve_traced(&ua.arena, p, subjects[0], 2, subjects, 2, refs, &u, &tr) &&
		  bsp_rbac_decide_traced(&ua.arena, p, &u, &read, &d, &tr), "fixed: decided");
	dec = decided_event(&s);
	CHECK(d.result == BSP_RBAC_DENY && dec && dec->rule == BSP_RBAC_RULE_DENY_OVERRIDES &&
		  dec->nallow == 1 && dec->ndeny == 1 && !dec->named,
		  "fixed: the default role's deny overrides the group role's allow");
	for (i = 0; i < s.n; i++)
	{
		const bsp_rbac_event *e = &s.ev[i];

		if (e->kind == BSP_RBAC_EV_ROLE && strcmp(e->role, "role:default/dev") == 0)
			via_group += e->via == BSP_RBAC_VIA_SUBJECT && e->subject == 1 &&
				strcmp(e->ref, "group:default/team-a") == 0;
		if (e->kind == BSP_RBAC_EV_ROLE && strcmp(e->role, "role:default/everyone") == 0)
			via_default += e->via == BSP_RBAC_VIA_DEFAULT;
		if (e->kind == BSP_RBAC_EV_ROLE && strcmp(e->role, "role:default/owners") == 0)
			via_ownership += e->via == BSP_RBAC_VIA_OWNERSHIP &&
				strcmp(e->ref, "group:default/owners") == 0;
		if (e->kind == BSP_RBAC_EV_LINE)
			lines_seen++;
	}
	CHECK(via_group == 1 && via_default == 1 && via_ownership == 1,
		  "fixed: roles via a group (subject 1), the default role and an ownership ref");
	CHECK(lines_seen == 2, "fixed: the two lines on catalog-entity are reported, not the delete line (%d)",
		  lines_seen);
}

int
main(void)
{
	ref_src		src = {NULL, 0, 0, 20261214};
	int			i,
				bad = 0,
				by_result[3] = {0, 0, 0};
	const char *first = NULL;

	unit_arena_init(&ua);
	test_fixed();
	for (i = 0; i < 20000; i++)
	{
		ref_scenario sc;
		bsp_rbac_result res = BSP_RBAC_DENY;
		const char *w;

		ref_generate(&src, &sc);
		w = compare(&sc, &res);
		if (w != NULL && bad++ == 0)
		{
			first = w;
			printf("# first trace mismatch at scenario %d: %s\n", i, w);
		}
		by_result[res]++;
		if (i % 1000 == 999)
		{
			unit_arena_free(&ua);
			unit_arena_init(&ua);
		}
	}
	CHECK(bad == 0, "20000 random scenarios: the traced decision is the decision, and its trace accounts for it (%d differ%s%s)",
		  bad, first ? ", first: " : "", first ? first : "");
	CHECK(by_result[BSP_RBAC_ALLOW] > 1000 && by_result[BSP_RBAC_CONDITIONAL] > 300,
		  "the scenarios exercise ALLOW (%d) and CONDITIONAL (%d)",
		  by_result[BSP_RBAC_ALLOW], by_result[BSP_RBAC_CONDITIONAL]);
	unit_arena_free(&ua);
	return unit_done("test_rbac_trace");
}
