/*-------------------------------------------------------------------------
 * pg_rules.c
 *	  Declared rules and transitive ownership for every criteria compile.
 *
 * Every path that compiles criteria (bsperm_matches, bsperm_criteria_sql,
 * bsperm_criteria_filter, bsperm_validate_criteria, decisions and so RLS,
 * bsperm_apply_conditions) goes through bsperm_compile_criteria_text, which
 * runs the core's compile in an environment (bsp_rules.h):
 *
 *	 - the core asks for declared rules (BSP_ERR_NEED_RULES) only when the
 *	   criteria name a rule it does not know: they are then taken from the
 *	   rules cache below and the compile runs again;
 *	 - it asks for walks (BSP_ERR_NEED_WALK) when IS_ENTITY_OWNER has
 *	   "transitive": the claims are expanded here, once per compile (so
 *	   once per decision: decisions memoize their compiled filter), by
 *	   walking childOf or parentOf through bsperm_load_entities_spi, the
 *	   entity lookup the decision code uses (bsperm_load_entities_caller,
 *	   the same source read by a query with the caller's rights, for
 *	   criteria a caller passes), level by level with the RBAC
 *	   core's bsp_rbac_walk; then the compile runs again.  The expanded
 *	   claims are ordinary values of relations.ownedBy, so the GIN index
 *	   answers them: nothing walks per row.
 *
 * Whose rights walk.  Criteria from the policy (bsperm_compile_policy:
 * decisions, row-level security, apply-conditions, all owner-written or
 * from a trusted caller) are walked as the extension owner, as memberships
 * are.  Criteria any caller passes (bsperm_matches, bsperm_criteria_sql,
 * bsperm_criteria_filter, bsperm_validate_criteria) are walked with the
 * caller's own privileges and row security on the catalog: otherwise
 * {"claims": [g], "transitive": ...} would list the parents or children of
 * any group, read or not.
 *
 * The rules cache.  bsperm.rules is loaded (as the owner) into its own
 * memory context and kept while the policy key (pg_policy_cache.c: the
 * base version and the set of versions in bsperm.policy_changes, read in
 * the caller's snapshot) is unchanged; every change of bsperm.rules bumps
 * that version (25_rules.sql), so the next statement sees it.  The cache
 * is separate from the policy cache, so loading rules never frees a
 * decision or an identity that a caller holds.  A compile takes the
 * rules pointer once; nothing reloads the rules while it runs.
 *
 * Memory.  Walk answers and everything the compile makes live in the
 * caller's arena; the walks' scratch lives in SPI's procedure context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "bsp_doc.h"
#include "bsp_rules.h"
#include "pg_policy_int.h"

typedef struct RulesCache
{
	bool		valid;
	MemoryContext cxt;
	PolicyKey	key;			/* arrays in cxt */
	bsp_ruleset *rules;
} RulesCache;

static RulesCache R;

static bool
key_equal(const PolicyKey *a, const PolicyKey *b)
{
	return a->relid == b->relid && a->version == b->version &&
		a->nchanges == b->nchanges &&
		(a->nchanges == 0 ||
		 memcmp(a->changes, b->changes, sizeof(int64) * a->nchanges) == 0);
}

typedef struct LoadRules
{
	MemoryContext cxt;
	bsp_ruleset *rules;
} LoadRules;

static void
load_rules_as_owner(void *arg)
{
	LoadRules  *l = arg;
	bool		isnull;
	Datum		d;
	char	   *text;
	bsp_arena	arena;
	bsp_error	err;

	bsperm_run_select("SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
					  "'name', r.name, 'resourceType', r.resource_type, "
					  "'description', r.description, 'paramsSchema', r.params_schema, "
					  "'filter', r.filter)) FROM bsperm.rules r");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	text = isnull ? "null" : JsonbToCString(NULL, &DatumGetJsonbP(d)->root, VARSIZE(DatumGetJsonbP(d)));
	bsperm_arena_init(&arena, l->cxt);
	bsp_error_clear(&err);
	if (!bsp_ruleset_parse_text(&arena, text, strlen(text), &l->rules, &err))
		bsperm_report_error(&err, "declared rule");
}

/* The declared rules as the calling statement sees them. */
static const bsp_ruleset *
current_rules(void)
{
	PolicyKey	key;
	LoadRules	l;
	MemoryContext cxt;

	bsperm_read_policy_key(&key);
	if (R.valid && key_equal(&R.key, &key))
		return R.rules;
	cxt = AllocSetContextCreate(TopMemoryContext, "bsperm rules cache", ALLOCSET_SMALL_SIZES);
	l.cxt = cxt;
	l.rules = NULL;
	PG_TRY();
	{
		bsperm_as_owner(load_rules_as_owner, &l);
	}
	PG_CATCH();
	{
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (R.cxt)
		MemoryContextDelete(R.cxt);
	R.cxt = cxt;
	R.rules = l.rules;
	R.key = key;
	R.key.changes = MemoryContextAlloc(cxt, sizeof(int64) * Max(key.nchanges, 1));
	if (key.nchanges > 0)
		memcpy(R.key.changes, key.changes, sizeof(int64) * key.nchanges);
	R.valid = true;
	return R.rules;
}

typedef struct Walks
{
	bsp_compile_env *env;
} Walks;

/* true while criteria of the policy compile (bsperm_compile_policy) */
static bool compiling_policy = false;

/* Expands every walk the last compile asked for (inside SPI; as the owner for the policy). */
static void
walk_as_owner(void *arg)
{
	bsp_compile_env *env = ((Walks *) arg)->env;
	int			i;

	for (i = 0; i < env->nwalks; i++)
	{
		bsp_owner_walk *ow = &env->walks[i];
		MemoryContext cxt,
					old;
		bsp_arena	arena;
		bsp_rbac_walk w;
		const char *const *level;
		int			n,
					k;

		if (ow->done)
			continue;
		cxt = AllocSetContextCreate(CurrentMemoryContext, "bsperm walk", ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(cxt);
		bsperm_arena_init(&arena, cxt);
		if (!bsp_rbac_walk_init(&w, &arena, ow->max_depth, -1))
			bsperm_core_oom();
		for (k = 0; k < ow->nclaims; k++)
			if (!bsp_rbac_walk_add(&w, ow->claims[k], ow->claimlens[k]))
				bsperm_core_oom();
		while ((n = bsp_rbac_walk_next(&w, &level)) > 0)
		{
			Jsonb	  **ents = palloc(sizeof(Jsonb *) * n);

			CHECK_FOR_INTERRUPTS();
			if (compiling_policy)
				bsperm_load_entities_spi(n, level, ents, cxt);
			else
				bsperm_load_entities_caller(n, level, ents, cxt);
			for (k = 0; k < n; k++)
				bsperm_add_group_relations(ents[k], ow->dir == BSP_TRANS_ANCESTORS ?
										   "childOf" : "parentOf", &w);
		}
		MemoryContextSwitchTo(old);
		if (!bsp_owner_walk_answer(env, ow, w.n, w.items))
			bsperm_core_oom();
		MemoryContextDelete(cxt);
	}
}

bool
bsperm_compile_criteria_text(bsp_arena *arena, const char *text, size_t len,
							 const bsp_limits *limits, bsp_filter **out,
							 bsp_sbuf *normalized, bsp_error *err)
{
	bsp_compile_env env;
	size_t		normlen = normalized ? normalized->len : 0;
	int			attempt;

	bsp_compile_env_init(&env, arena, NULL);
	for (attempt = 0;; attempt++)
	{
		bool		ok;

		bsp_error_clear(err);
		if (normalized)
		{
			normalized->len = normlen;
			if (normalized->data)
				normalized->data[normlen] = '\0';
		}
		ok = bsp_criteria_compile_text_env(arena, text, len, limits, &env, out,
										   normalized, err);
		if (ok || attempt >= 3)
			return ok;
		if (err->kind == BSP_ERR_NEED_RULES && env.rules == NULL)
			env.rules = current_rules();
		else if (err->kind == BSP_ERR_NEED_WALK && compiling_policy)
		{
			Walks		w = {&env};

			bsperm_as_owner(walk_as_owner, &w);
		}
		else if (err->kind == BSP_ERR_NEED_WALK)
		{
			Walks		w = {&env};

			/* the caller's rights: no owner section (errors end SPI with the transaction) */
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			walk_as_owner(&w);
			SPI_finish();
		}
		else
			return false;
	}
}

bsp_filter *
bsperm_compile_policy(Jsonb *criteria, bsp_arena *arena)
{
	bool		save = compiling_policy;
	bsp_filter *f;

	compiling_policy = true;
	PG_TRY();
	{
		f = bsperm_compile(criteria, BSPERM_DOC_CRITERIA, arena, NULL);
	}
	PG_FINALLY();
	{
		compiling_policy = save;
	}
	PG_END_TRY();
	return f;
}

/* ---- SQL-callable ---- */

PG_FUNCTION_INFO_V1(bsperm_validate_rule);
Datum
bsperm_validate_rule(PG_FUNCTION_ARGS)
{
	Jsonb	   *decl = PG_GETARG_JSONB_P(0);
	char	   *text = JsonbToCString(NULL, &decl->root, VARSIZE(decl));
	bsp_arena	arena;
	bsp_error	err;
	bsp_rule   *rule;

	bsperm_arena_init(&arena, CurrentMemoryContext);
	bsp_error_clear(&err);
	if (!bsp_rule_parse_text(&arena, text, strlen(text), &rule, &err))
		bsperm_report_error(&err, "rule declaration");
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(bsperm_builtin_rules);
Datum
bsperm_builtin_rules(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(bsp_builtin_rules_json)));
}
