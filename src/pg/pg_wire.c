/*-------------------------------------------------------------------------
 * pg_wire.c
 *	  Backstage's wire formats for permissions and users: action names, the
 *	  Permission JSON and the user a policy function receives.
 *
 * Memory: results are allocated in CurrentMemoryContext (or appended to the
 * caller's buffer); nothing is cached here.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "pg_policy_int.h"

/* Table-driven: index = BspAction */
static const char *const action_names[] = {
	NULL, "create", "read", "update", "delete", "use"
};

BspAction
bsperm_parse_action(const char *s, int len)
{
	int			a;

	for (a = BSP_ACT_CREATE; a <= BSP_ACT_USE; a++)
		if ((int) strlen(action_names[a]) == len && memcmp(s, action_names[a], len) == 0)
			return (BspAction) a;
	return BSP_ACT_NONE;
}

const char *
bsperm_action_name(BspAction a)
{
	if (a < BSP_ACT_CREATE || a > BSP_ACT_USE)
		return NULL;
	return action_names[a];
}

void
bsperm_permission_json(StringInfo buf, const BspPermission *perm)
{
	appendStringInfoString(buf, "{\"type\":");
	escape_json(buf, perm->resource ? "resource" : "basic");
	appendStringInfoString(buf, ",\"name\":");
	escape_json(buf, perm->name);
	appendStringInfoString(buf, ",\"attributes\":{");
	if (perm->action != BSP_ACT_NONE && perm->action != BSP_ACT_USE)
	{
		appendStringInfoString(buf, "\"action\":");
		escape_json(buf, bsperm_action_name(perm->action));
	}
	appendStringInfoChar(buf, '}');
	if (perm->resource)
	{
		appendStringInfoString(buf, ",\"resourceType\":");
		escape_json(buf, perm->resource_type);
	}
	appendStringInfoChar(buf, '}');
}

static void
refs_json(StringInfo buf, const BspUser *u)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < u->nrefs; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		escape_json(buf, u->refs[i]);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * The user as PermissionPolicy.handle receives it (credentials, info and
 * the older identity), or NULL for anonymous.
 */
Jsonb *
bsperm_user_json(const BspUser *u)
{
	StringInfoData buf;

	if (u->id.user_ref == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"credentials\":{\"$$type\":\"@backstage/BackstageCredentials\",\"principal\":{\"type\":\"user\",\"userEntityRef\":");
	escape_json(&buf, u->id.user_ref);
	appendStringInfoString(&buf, "}},\"info\":{\"userEntityRef\":");
	escape_json(&buf, u->id.user_ref);
	appendStringInfoString(&buf, ",\"ownershipEntityRefs\":");
	refs_json(&buf, u);
	appendStringInfoString(&buf, "},\"identity\":{\"type\":\"user\",\"userEntityRef\":");
	escape_json(&buf, u->id.user_ref);
	appendStringInfoString(&buf, ",\"ownershipEntityRefs\":");
	refs_json(&buf, u);
	appendStringInfoString(&buf, "}}");
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
