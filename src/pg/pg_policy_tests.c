/*-------------------------------------------------------------------------
 * pg_policy_tests.c
 *	  bsperm_test_policy(cases jsonb): expected decisions, checked against
 *	  the policy tables as this statement sees them (doc/policy-tests.md).
 *
 * A case is {"name"?, "user": ref | null, "ownershipRefs"?: [refs],
 * "permission": name, "resource"?: ref, "entity"?: {...}, "expected":
 * "ALLOW" | "DENY" | "CONDITIONAL"}.  Each case is decided by
 * bsperm_explain_decision (the decision's own code path, pg_explain.c) for
 * the named identity; every failing case is reported as a WARNING (with
 * the rule that decided), then, if any failed, an ERROR (SQLSTATE P0004)
 * ends the statement, so psql -v ON_ERROR_STOP=1 exits non-zero and a
 * transaction that changed the policy before the tests is rolled back.
 * An invalid case is an error (22023) naming the case and the member.
 *
 * Memory: per call, in CurrentMemoryContext (a child reset per case).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "pg_explain.h"
#include "pg_policy.h"

static void
bad_case(int i, const char *member, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid policy test case %d at \"%s\": %s", i + 1, member, what)));
}

/* A string member, or NULL when absent (or JSON null and null_ok). */
static char *
case_string(JsonbContainer *c, int i, const char *key, bool required, bool null_ok)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL)
	{
		if (required)
			bad_case(i, key, "a string is required");
		return NULL;
	}
	if (v.type == jbvNull && null_ok)
		return NULL;
	if (v.type != jbvString)
		bad_case(i, key, null_ok ? "expected a string or null" : "expected a string");
	return pnstrdup(v.val.string.val, v.val.string.len);
}

static void
case_identity(JsonbContainer *c, int i, BspIdentity *id)
{
	JsonbValue	v;

	memset(id, 0, sizeof(*id));
	id->source = BSP_IDENT_TRANSACTION;
	if (getKeyJsonValueFromContainer(c, "user", 4, &v) == NULL)
		bad_case(i, "user", "a user ref (or null for anonymous) is required");
	id->user_ref = case_string(c, i, "user", true, true);
	if (getKeyJsonValueFromContainer(c, "ownershipRefs", 13, &v) != NULL && v.type != jbvNull)
	{
		int			n,
					k;

		if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
			bad_case(i, "ownershipRefs", "expected an array of strings");
		n = JsonContainerSize(v.val.binary.data);
		id->refs_given = true;
		id->refs = palloc(sizeof(char *) * Max(n, 1));
		for (k = 0; k < n; k++)
		{
			JsonbValue *el = getIthJsonbValueFromContainer(v.val.binary.data, k);

			if (el->type != jbvString)
				bad_case(i, "ownershipRefs", "expected an array of strings");
			id->refs[id->nrefs++] = pnstrdup(el->val.string.val, el->val.string.len);
		}
	}
}

static Jsonb *
case_entity(JsonbContainer *c, int i)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, "entity", 6, &v) == NULL || v.type == jbvNull)
		return NULL;
	if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
		bad_case(i, "entity", "expected an object");
	return JsonbValueToJsonb(&v);
}

PG_FUNCTION_INFO_V1(bsperm_test_policy);
Datum
bsperm_test_policy(PG_FUNCTION_ARGS)
{
	Jsonb	   *cases = PG_GETARG_JSONB_P(0);
	const char *tv = GetConfigOption("bsperm.transitive_ownership", true, false);
	bool		transitive = tv != NULL && strcmp(tv, "on") == 0;
	MemoryContext casecxt,
				old;
	int			n,
				i,
				failed = 0;

	if (!JB_ROOT_IS_ARRAY(cases) || JB_ROOT_IS_SCALAR(cases))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("policy test cases must be a JSON array of objects")));
	(void) bsperm_policy_user();
	n = JsonContainerSize(&cases->root);
	casecxt = AllocSetContextCreate(CurrentMemoryContext, "bsperm policy test case",
									ALLOCSET_DEFAULT_SIZES);
	{
		for (i = 0; i < n; i++)
		{
			JsonbValue *el = getIthJsonbValueFromContainer(&cases->root, i);
			JsonbContainer *c;
			BspIdentity id;
			BspPermission perm;
			char	   *name,
					   *permission,
					   *ref,
					   *expected;
			Jsonb	   *entity;
			const char *rule = NULL;
			const char *got;
			StringInfoData b;

			CHECK_FOR_INTERRUPTS();
			old = MemoryContextSwitchTo(casecxt);
			if (el->type != jbvBinary || !JsonContainerIsObject(el->val.binary.data))
				bad_case(i, "", "expected an object");
			c = el->val.binary.data;
			name = case_string(c, i, "name", false, false);
			case_identity(c, i, &id);
			permission = case_string(c, i, "permission", true, false);
			ref = case_string(c, i, "resource", false, true);
			entity = case_entity(c, i);
			expected = case_string(c, i, "expected", true, false);
			if (strcmp(expected, "ALLOW") != 0 && strcmp(expected, "DENY") != 0 &&
				strcmp(expected, "CONDITIONAL") != 0)
				bad_case(i, "expected", "expected \"ALLOW\", \"DENY\" or \"CONDITIONAL\"");
			if (ref != NULL && entity != NULL)
				bad_case(i, "entity", "give a resource ref or an entity, not both");
			if (!bsperm_lookup_permission(permission, &perm))
				bad_case(i, "permission", psprintf("permission \"%s\" does not exist", permission));
			if ((ref != NULL || entity != NULL) && !perm.resource)
				bad_case(i, "resource", psprintf("\"%s\" is a basic permission", permission));
			initStringInfo(&b);
			switch (bsperm_explain_decision(&id, transitive, &perm, ref, entity, true, &b, &rule))
			{
				case BSP_ALLOW:
					got = "ALLOW";
					break;
				case BSP_CONDITIONAL:
					got = "CONDITIONAL";
					break;
				default:
					got = "DENY";
					break;
			}
			if (strcmp(got, expected) != 0)
			{
				failed++;
				ereport(WARNING,
						(errmsg("policy test case %d%s%s%s failed: expected %s, got %s",
								i + 1, name ? " (" : "", name ? name : "", name ? ")" : "",
								expected, got),
						 errdetail("%s, %s%s%s: decided by rule \"%s\".",
								   id.user_ref ? id.user_ref : "anonymous", permission,
								   ref || entity ? " on " : "",
								   ref ? ref : entity ? "the entity given" : "",
								   rule ? rule : "unknown")));
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(casecxt);
		}
	}
	if (failed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_ASSERT_FAILURE),
				 errmsg("%d of %d policy test cases failed", failed, n),
				 errhint("SELECT bsperm_explain_for(user, ownership_refs, permission, resource) shows why a case decided as it did.")));
	PG_RETURN_INT32(n);
}
