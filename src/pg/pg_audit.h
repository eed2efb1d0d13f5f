/*-------------------------------------------------------------------------
 * pg_audit.h
 *	  The decision audit log (pg_audit.c, doc/audit.md).
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_AUDIT_H
#define BSPERM_AUDIT_H

#include "pg_policy.h"

/* Loads bsperm.audit_settings (the policy loader calls it, as the owner). */
extern void bsperm_audit_load(void);

/* Is the log on (for the policy as last loaded)? */
extern bool bsperm_audit_on(void);

/* Notes a decision, written when the transaction commits; no-op when off. */
extern void bsperm_audit_note(const char *user_ref, const char *permission,
							  const char *resource_ref, BspResult result, const char *via);

/* The same for the current identity (row-level security). */
extern void bsperm_audit_note_current(const char *permission, BspResult result,
									  const char *via);

#endif							/* BSPERM_AUDIT_H */
