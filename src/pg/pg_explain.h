/*-------------------------------------------------------------------------
 * pg_explain.h
 *	  Explanations of decisions (pg_explain.c), for policy tests
 *	  (pg_policy_tests.c) and the decision audit log (pg_audit.c).
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_EXPLAIN_H
#define BSPERM_EXPLAIN_H

#include "lib/stringinfo.h"

#include "pg_policy.h"

/*
 * Decides perm for id as bsperm_authorize would, with the RBAC core's
 * trace, and appends the explanation (a JSON object) to b.  A resource is
 * ref (loaded from bsperm.entities) or given_entity.  show_resource: the
 * criteria values on the entity may be shown.  *rule_out (when not NULL)
 * names the rule that decided.
 */
extern BspResult bsperm_explain_decision(const BspIdentity *id, bool transitive,
										 const BspPermission *perm, const char *ref,
										 Jsonb *given_entity, bool show_resource,
										 StringInfo b, const char **rule_out);

/* May the current role execute bsperm_explain_for (in schema)? */
extern bool bsperm_explain_trusted(Oid schema);

#endif							/* BSPERM_EXPLAIN_H */
