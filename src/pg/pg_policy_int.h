/*-------------------------------------------------------------------------
 * pg_policy_int.h
 *	  Internals shared by the files that implement pg_policy.h.
 *
 *	 pg_owner.c			 running SPI as the extension owner, search_path pinned
 *	 pg_policy_cache.c	 the per-backend policy cache, its key and lifetime,
 *						 the identity cache
 *	 pg_policy_load.c	 loading the policy tables into the RBAC core's structs
 *	 pg_members.c		 groups, roles and ownership refs of an identity
 *	 pg_entity_source.c	 loading entities by ref from the entity source
 *	 pg_placeholders.c	 $currentUser / $ownerRefs in conditions
 *	 pg_wire.c			 Backstage's JSON: actions, permissions, users
 *	 pg_policy_function.c the custom policy function and its decisions
 *	 pg_policy.c		 bsperm_decide: the decision and its memo
 *
 * Not for other modules: they use pg_policy.h.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_POLICY_INT_H
#define BSPERM_POLICY_INT_H

#include "executor/spi.h"

#include "bsp_rbac.h"
#include "pg_policy.h"

/* pg_policy.h's enums are the core's, value for value */
StaticAssertDecl((int) BSP_ACT_NONE == (int) BSP_RBAC_ACT_NONE &&
				 (int) BSP_ACT_USE == (int) BSP_RBAC_ACT_USE &&
				 (int) BSP_ACT_READ == (int) BSP_RBAC_ACT_READ,
				 "BspAction and bsp_rbac_action differ");
StaticAssertDecl((int) BSP_DENY == (int) BSP_RBAC_DENY &&
				 (int) BSP_ALLOW == (int) BSP_RBAC_ALLOW &&
				 (int) BSP_CONDITIONAL == (int) BSP_RBAC_CONDITIONAL,
				 "BspResult and bsp_rbac_result differ");

typedef enum PolicyMode
{
	POLICY_RBAC,
	POLICY_ALLOW_ALL,
	POLICY_FUNCTION
} PolicyMode;

/* A bsperm.role_users row. */
typedef struct Mapping
{
	const char *role_name;		/* first: sorted and searched by it */
	const char *user_ref;
	bool		refs_given;
	int			nrefs;
	char	  **refs;
} Mapping;

/* A memoized decision of one user for one permission. */
typedef struct DecisionMemo
{
	BspPermission perm;			/* key (strings owned by the memo) */
	BspDecision decision;
	void	   *filter;
	Jsonb	   *json;
} DecisionMemo;

#define MAX_MEMOS 64

/* An identity resolved against the catalog, with its memos (pg_members.c). */
struct BspUser
{
	MemoryContext cxt;			/* holds this struct, its strings and memos */
	/* key */
	BspIdentity id;
	bool		transitive;
	/* resolved */
	int			nrefs;			/* ownership refs */
	const char **refs;
	bsp_rbac_user rbac;			/* superuser, roles, subjects */
	/* decisions made so far, while the policy is unchanged */
	int			nmemos;
	DecisionMemo *memos;
};

#define USER_CACHE_SIZE 16

/* The cache key, read in the caller's snapshot (see 20_policy.sql). */
typedef struct PolicyKey
{
	Oid			relid;			/* bsperm.policy_state's oid */
	int64		version;		/* its base version */
	int			nchanges;		/* versions in bsperm.policy_changes, sorted */
	int64	   *changes;
} PolicyKey;

/* The per-backend policy cache (pg_policy_cache.c). */
typedef struct Policy
{
	bool		valid;
	PolicyKey	key;			/* arrays in cxt */
	MemoryContext cxt;			/* everything below; identities in children */

	PolicyMode	mode;
	Oid			func;
	FmgrInfo	func_finfo;

	int			nperms;
	BspPermission *perms;		/* sorted by name (strcmp) */
	bsp_rbac_policy *rbac;		/* roles, members, lines, conditions, supers */
	int			nmappings;
	Mapping    *mappings;		/* sorted by role_name (strcmp) */
	Oid			source_relid;	/* bsperm.entity_source; Invalid: bsperm.entities */
	char	   *source_column;

	BspUser    *users[USER_CACHE_SIZE];
	int			next_user;
} Policy;

extern Policy bsperm_policy;

/* >0 while a policy function decides (pg_policy_function.c) */
extern int	bsperm_decide_depth;

/* pg_owner.c */
typedef struct OwnerContext
{
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
} OwnerContext;

extern void bsperm_owner_enter(OwnerContext *oc);
extern Oid	bsperm_extschema(void);
extern char *bsperm_extschema_name(void);
extern void bsperm_owner_leave(OwnerContext *oc);
extern void bsperm_owner_abort(OwnerContext *oc);
extern void bsperm_as_owner(void (*fn) (void *arg), void *arg);
extern SPIPlanPtr bsperm_prepare_saved(const char *sql, int nargs, Oid *argtypes);
extern void bsperm_run_select(const char *sql);

/* pg_policy_load.c */
extern void bsperm_load_policy(const PolicyKey *key);

/* pg_policy_cache.c: reload the policy if its key changed (in an owner section) */
extern void bsperm_policy_refresh(void);

/* pg_members.c */
extern BspUser *bsperm_resolve_user(const BspIdentity *id, bool transitive,
									MemoryContext parent);
extern BspUser *bsperm_resolve_user_traced(const BspIdentity *id, bool transitive,
										   MemoryContext parent, const bsp_rbac_trace *trace,
										   int **subject_dist);

/* pg_entity_source.c */
extern void bsperm_load_entity_source(void);
extern void bsperm_load_entities_caller(int nrefs, const char *const *refs,
										Jsonb **out, MemoryContext outcxt);
extern void bsperm_load_entities_spi(int nrefs, const char *const *refs,
									 Jsonb **out, MemoryContext outcxt);

/* the policy key as the caller's snapshot sees it (pg_policy_cache.c) */
extern void bsperm_read_policy_key(PolicyKey *key);
/* adds the group targets of an entity's relations of that type (pg_members.c) */
extern void bsperm_add_group_relations(Jsonb *entity, const char *type,
									   bsp_rbac_walk *w);

/* pg_placeholders.c */
extern Jsonb *bsperm_fill_placeholders(Jsonb *criteria, const char *user_ref,
									   int nrefs, const char *const *refs);

/* pg_wire.c */
extern Jsonb *bsperm_user_json(const BspUser *u);

/* pg_policy.c: bsperm_decide, not memoized, the RBAC core reporting to trace */
extern void bsperm_decide_traced(BspUser *u, const BspPermission *perm, BspDecision *out,
								 const bsp_rbac_trace *trace);

/* pg_policy_function.c */
extern void bsperm_decide_function(BspUser *u, const BspPermission *perm,
								   BspDecision *out);


/* An out-of-memory error for a failed core allocation. */
extern void bsperm_core_oom(void) pg_attribute_noreturn();

#endif							/* BSPERM_POLICY_INT_H */
