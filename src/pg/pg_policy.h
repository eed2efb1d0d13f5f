/*-------------------------------------------------------------------------
 * pg_policy.h
 *	  Identities, the cached policy and decisions: the interface the rest
 *	  of the extension uses (pg_decide.c, pg_rls.c).
 *
 * Who asks (pg_identity.c): an identity set for the transaction by a
 * trusted role (bsperm_set_user), else the mapping of the session user
 * (bsperm.role_users), else anonymous.
 *
 * What the policy says (pg_policy_cache.c and the files listed in
 * pg_policy_int.h): the policy tables are loaded into one per-backend
 * cache, reloaded whenever the policy key (bsperm.policy_state's base
 * version and the versions in bsperm.policy_changes) differs from the key
 * the cache was built from.  The key is read at every call, in the
 * caller's snapshot, so the cache always answers as the tables read in
 * that snapshot would.  The RBAC algorithm itself is src/core/bsp_rbac.c.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_POLICY_H
#define BSPERM_POLICY_H

#include "fmgr.h"
#include "utils/jsonb.h"

/* Where an identity comes from. */
typedef enum BspIdentitySource
{
	BSP_IDENT_NONE,				/* anonymous: nothing set, no mapping */
	BSP_IDENT_TRANSACTION,		/* bsperm_set_user in this transaction */
	BSP_IDENT_ROLE_MAPPING		/* bsperm.role_users for session_user */
} BspIdentitySource;

/* An identity as claimed: refs NULL means "compute from the catalog". */
typedef struct BspIdentity
{
	BspIdentitySource source;
	char	   *user_ref;		/* NULL: anonymous (explicitly, or none) */
	bool		refs_given;
	int			nrefs;
	char	  **refs;
} BspIdentity;

/* pg_identity.c */
extern void bsperm_identity_init(void);
extern const BspIdentity *bsperm_transaction_identity(void);
extern bool bsperm_role_is_trusted(Oid roleid);
extern void bsperm_require_trusted(const char *what);

/* Permission actions; BSP_ACT_USE stands for "no action" (RBAC's "use"). */
typedef enum BspAction
{
	BSP_ACT_NONE = 0,
	BSP_ACT_CREATE,
	BSP_ACT_READ,
	BSP_ACT_UPDATE,
	BSP_ACT_DELETE,
	BSP_ACT_USE
} BspAction;

extern BspAction bsperm_parse_action(const char *s, int len);
extern const char *bsperm_action_name(BspAction a);

/* A permission as Backstage sends it. */
typedef struct BspPermission
{
	const char *name;
	bool		resource;
	const char *resource_type;	/* NULL for basic permissions */
	BspAction	action;			/* BSP_ACT_NONE when attributes has none */
} BspPermission;

typedef enum BspResult
{
	BSP_DENY = 0,
	BSP_ALLOW,
	BSP_CONDITIONAL
} BspResult;

/* A PolicyDecision. */
typedef struct BspDecision
{
	BspResult	result;
	const char *plugin_id;		/* CONDITIONAL only */
	const char *resource_type;	/* CONDITIONAL only */
	Jsonb	   *conditions;		/* CONDITIONAL only, placeholders filled in */
	Jsonb	   *raw;			/* a policy function's decision object, or NULL */

	/*
	 * Decisions of the cached policy are memoized per user and permission
	 * until the policy changes; callers may keep derived data in these slots
	 * (allocated in memo_cxt).  All NULL when the decision is not memoized.
	 */
	MemoryContext memo_cxt;
	void	  **filter_slot;		/* compiled conditions */
	Jsonb	  **json_slot;			/* the PolicyDecision as JSON */
} BspDecision;

/* The identity a decision is made for, resolved against the catalog. */
typedef struct BspUser BspUser;

/* pg_policy_cache.c */
extern void bsperm_policy_init(void);

/*
 * Loads (or revalidates) the cached policy and resolves the current
 * identity.  Call once per SQL-callable function call; the result lives in
 * the cache and stays valid until the next call of bsperm_policy_user.
 */
extern BspUser *bsperm_policy_user(void);
/* What the last bsperm_policy_user call returned (NULL if it failed). */
extern BspUser *bsperm_policy_last_user(void);

extern const char *bsperm_user_ref(const BspUser *u);	/* NULL: anonymous */
extern int	bsperm_user_ownership_refs(const BspUser *u, const char *const **refs);
extern BspIdentitySource bsperm_user_source(const BspUser *u);

/* Looks a permission up in bsperm.permissions; false when absent. */
extern bool bsperm_lookup_permission(const char *name, BspPermission *out);

/* The policy's decision (pg_policy.c); allocates in CurrentMemoryContext. */
extern void bsperm_decide(BspUser *u, const BspPermission *perm, BspDecision *out);

/* Permission JSON ({"type","name","attributes","resourceType"}) into buf (pg_wire.c). */
extern void bsperm_permission_json(StringInfo buf, const BspPermission *perm);

/*
 * Loads entities by exact entity ref from the entity source (as the
 * extension owner: no row-level security), nrefs refs in, entities[i] NULL
 * when absent (pg_entity_source.c).
 */
extern void bsperm_load_entities(int nrefs, const char *const *refs, Jsonb **entities);

#endif							/* BSPERM_POLICY_H */
