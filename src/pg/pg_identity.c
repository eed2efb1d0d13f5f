/*-------------------------------------------------------------------------
 * pg_identity.c
 *	  The Backstage identity of the current transaction.
 *
 *	 bsperm_set_user(user_ref, ownership_refs)	set it (trusted roles only)
 *
 * Design.  The identity lives in backend-local memory that no SQL statement
 * can write except through bsperm_set_user, which checks that the current
 * role (current_user, which SET ROLE and SECURITY DEFINER functions
 * change, so that a role gets exactly the trust of the role it acts as) is a
 * superuser or has the privileges of the role bsperm_trusted.  Settings are
 * not involved at all: SET and set_config cannot reach it.
 *
 * Scope.  The identity ends with the transaction (commit, rollback or
 * prepare), so a pooled connection never carries it into the next
 * transaction.  Inside a transaction it follows subtransactions like SET
 * LOCAL does: an identity set inside a savepoint is undone by ROLLBACK TO
 * that savepoint and kept by RELEASE.
 *
 * Memory.  Identities are allocated in TopMemoryContext and freed
 * explicitly when they can no longer come back (a frame is popped, or the
 * transaction ends).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bsperm.h"
#include "bsp_js.h"
#include "pg_policy.h"

#define BSPERM_TRUSTED_ROLE "bsperm_trusted"

/*
 * The identity in effect, and one frame per subtransaction level that
 * changed it, holding what was in effect before (NULL: nothing set).
 */
typedef struct IdentityFrame
{
	int			level;
	BspIdentity *saved;
	struct IdentityFrame *next;
} IdentityFrame;

static BspIdentity *current_identity = NULL;
static IdentityFrame *frames = NULL;

static void
identity_free(BspIdentity *id)
{
	int			i;

	if (id == NULL)
		return;
	if (id->user_ref)
		pfree(id->user_ref);
	for (i = 0; i < id->nrefs; i++)
		pfree(id->refs[i]);
	if (id->refs)
		pfree(id->refs);
	pfree(id);
}

static void
identity_clear_all(void)
{
	/* plans folded with this identity's decisions must go (pg_rls.c) */
	if (current_identity != NULL || frames != NULL)
		bsperm_identity_changed();
	while (frames != NULL)
	{
		IdentityFrame *f = frames;

		frames = f->next;
		identity_free(f->saved);
		pfree(f);
	}
	identity_free(current_identity);
	current_identity = NULL;
}

static void
identity_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			identity_clear_all();
			break;
		default:
			break;
	}
}

static void
identity_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		/* undo whatever this level (and deeper ones) set */
		if (frames != NULL && frames->level >= level)
			bsperm_identity_changed();
		while (frames != NULL && frames->level >= level)
		{
			IdentityFrame *f = frames;

			identity_free(current_identity);
			current_identity = f->saved;
			frames = f->next;
			pfree(f);
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		/* the parent level now owns what this level set */
		if (frames != NULL && frames->level >= level)
		{
			IdentityFrame *f = frames;

			if (f->next != NULL && f->next->level == level - 1)
			{
				/* the parent already saved its own predecessor */
				identity_free(f->saved);
				frames = f->next;
				pfree(f);
			}
			else
				f->level = level - 1;
		}
	}
}

void
bsperm_identity_init(void)
{
	RegisterXactCallback(identity_xact_callback, NULL);
	RegisterSubXactCallback(identity_subxact_callback, NULL);
}

const BspIdentity *
bsperm_transaction_identity(void)
{
	/* backend-local state does not travel to parallel workers */
	if (IsParallelWorker())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot read the Backstage identity in a parallel worker")));
	return current_identity;
}

bool
bsperm_role_is_trusted(Oid roleid)
{
	Oid			trusted;

	if (superuser_arg(roleid))
		return true;
	trusted = get_role_oid(BSPERM_TRUSTED_ROLE, true);
	return OidIsValid(trusted) && has_privs_of_role(roleid, trusted);
}

/*
 * Raises an error unless the current role may act for Backstage users.
 * what names the action for the message.
 */
void
bsperm_require_trusted(const char *what)
{
	Oid			userid = GetUserId();

	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot %s within a security-restricted operation", what)));
	if (!bsperm_role_is_trusted(userid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Role \"%s\" is neither a superuser nor a member of role \"%s\".",
						   GetUserNameFromId(userid, false), BSPERM_TRUSTED_ROLE)));
}

/*
 * Entity refs a user is known by are kind:namespace/name with all three parts
 * present and, as Backstage's own sign-in produces them, lowercase.
 */
static void
check_user_ref(const char *ref)
{
	const char *colon = strchr(ref, ':');
	const char *slash = colon ? strchr(colon + 1, '/') : NULL;

	if (colon == NULL || colon == ref || slash == NULL || slash == colon + 1 ||
		slash[1] == '\0' || strchr(colon + 1, ':') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid user entity ref \"%s\"", ref),
				 errdetail("A user is identified by a full entity ref, kind:namespace/name.")));
	if (!bsp_js_lower_is_identity(ref, strlen(ref)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("user entity ref \"%s\" is not canonical", ref),
				 errdetail("Backstage's sign-in gives lowercase entity refs; role members and claims are compared exactly."),
				 errhint("Pass the ref as Backstage's stringifyEntityRef writes it.")));
}

PG_FUNCTION_INFO_V1(bsperm_set_user);
Datum
bsperm_set_user(PG_FUNCTION_ARGS)
{
	BspIdentity *id;
	MemoryContext old;
	int			level;
	Datum	   *elems = NULL;
	bool	   *nulls = NULL;
	int			nelems = 0;

	bsperm_require_trusted("set the Backstage user");
	if (IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("cannot set the Backstage user during a parallel operation")));
	if (!PG_ARGISNULL(0))
		check_user_ref(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	else if (!PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ownership refs cannot be given without a user")));

	/* check everything before anything is kept */
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		int			i;

		if (ARR_NDIM(arr) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("ownership refs must be a one-dimensional array")));
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
		for (i = 0; i < nelems; i++)
			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("ownership refs cannot contain null")));
	}

	if (!IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("the Backstage user is kept only until the end of the current statement"),
				 errhint("Call bsperm_set_user inside BEGIN ... COMMIT.")));

	old = MemoryContextSwitchTo(TopMemoryContext);
	id = palloc0(sizeof(BspIdentity));
	id->source = BSP_IDENT_TRANSACTION;
	if (!PG_ARGISNULL(0))
		id->user_ref = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (!PG_ARGISNULL(1))
	{
		int			i;

		id->refs_given = true;
		id->nrefs = nelems;
		id->refs = palloc0(sizeof(char *) * Max(nelems, 1));
		for (i = 0; i < nelems; i++)
			id->refs[i] = TextDatumGetCString(elems[i]);
	}
	MemoryContextSwitchTo(old);

	/* remember what this subtransaction level replaces, once per level */
	level = GetCurrentTransactionNestLevel();
	if (frames == NULL || frames->level < level)
	{
		IdentityFrame *f = MemoryContextAlloc(TopMemoryContext, sizeof(IdentityFrame));

		f->level = level;
		f->saved = current_identity;
		f->next = frames;
		frames = f;
	}
	else
		identity_free(current_identity);
	current_identity = id;
	bsperm_identity_set();
	PG_RETURN_VOID();
}
