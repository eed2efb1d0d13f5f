/*-------------------------------------------------------------------------
 * pg_audit.c
 *	  The decision audit log (doc/audit.md): bsperm.decision_log, switched
 *	  on per database in bsperm.audit_settings.
 *
 * The setting is policy data: bsperm.audit_settings is the owner's (no
 * privilege for PUBLIC, and a trigger refuses any change by a role that is
 * neither a superuser nor the owner of schema bsperm, even one granted the
 * table), and a change gives the policy a new version like any policy
 * table.  It is loaded with the policy (bsperm_audit_load, from
 * pg_policy_load.c), so "is the log on" costs a test of a static per
 * decision, and an untrusted role has no way to switch it off (no GUC).
 *
 * A decision is noted in a backend-local list in TopTransactionContext
 * (time, session role, current role, Backstage user, permission, resource
 * ref, result, policy version, a random decision id, what asked), and the
 * list is written at XACT_EVENT_PRE_COMMIT, in the committing transaction,
 * by direct heap and index inserts (no SQL, no privilege check: the table
 * is the extension's): the rows commit with it, and a transaction that
 * aborts leaves no row (its decisions are not logged).  A transaction that
 * wrote nothing else commits asynchronously (synchronous_commit = off for
 * that commit), so a read pays no WAL flush for its log rows; a crash can
 * lose the last such rows.  Read-only transactions (SET TRANSACTION READ
 * ONLY, a hot standby) and parallel workers cannot write, so their
 * decisions are not logged.
 *
 * Which decisions: bsperm_authorize (both forms, one row per item) and
 * bsperm_authorize_conditional (pg_decide.c); row-level security logs the
 * decision folded into a plan once per execution, at the executor-start
 * check (pg_rls_plans.c), and an unfolded per-row check once per call site
 * and statement (pg_rls.c), never per row.  Planning alone (EXPLAIN
 * without ANALYZE), bsperm_explain* and bsperm_test_policy are not
 * decisions and are not logged.
 *
 * Retention: at a flush, at most once a minute per backend, rows older
 * than audit_settings.retention are deleted (a bounded batch, skipping
 * rows another backend is deleting).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "pg_audit.h"
#include "pg_policy_int.h"

#define P bsperm_policy

static bool audit_enabled = false;
static char *audit_retention = NULL;	/* interval text, in TopMemoryContext */

typedef struct AuditRow
{
	TimestampTz at;
	pg_uuid_t	id;
	char	   *session_role;
	char	   *current_role;
	char	   *user_ref;
	char	   *permission;
	char	   *resource_ref;
	const char *result;
	int64		version;
	const char *via;
} AuditRow;

static int	npending = 0;
static int	cappending = 0;
static AuditRow *pending = NULL;	/* in TopTransactionContext */
static bool callback_registered = false;
static TimestampTz last_prune = 0;
static SPIPlanPtr plan_prune = NULL;

/* Called by the policy loader, inside an owner section. */
void
bsperm_audit_load(void)
{
	bool		isnull;

	audit_enabled = false;
	bsperm_run_select("SELECT a.enabled, a.retention::pg_catalog.text FROM bsperm.audit_settings a");
	if (SPI_processed == 0)
		return;
	audit_enabled = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) && !isnull;
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);

		if (audit_retention)
			pfree(audit_retention);
		audit_retention = isnull ? NULL :
			MemoryContextStrdup(TopMemoryContext, TextDatumGetCString(d));
	}
}

bool
bsperm_audit_on(void)
{
	return audit_enabled && P.valid;
}

static int64
policy_version(void)
{
	int64		v = P.key.version;

	if (P.key.nchanges > 0 && P.key.changes[P.key.nchanges - 1] > v)
		v = P.key.changes[P.key.nchanges - 1];
	return v;
}

static void audit_xact_callback(XactEvent event, void *arg);

void
bsperm_audit_note(const char *user_ref, const char *permission, const char *resource_ref,
				  BspResult result, const char *via)
{
	MemoryContext old;
	AuditRow   *r;
	int			i;

	if (!bsperm_audit_on() || IsParallelWorker())
		return;
	if (!callback_registered)
	{
		RegisterXactCallback(audit_xact_callback, NULL);
		callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	if (npending == cappending)
	{
		cappending = cappending ? cappending * 2 : 8;
		pending = pending ? repalloc(pending, sizeof(AuditRow) * cappending) :
			palloc(sizeof(AuditRow) * cappending);
	}
	r = &pending[npending++];
	r->at = GetCurrentTimestamp();
	{
		/* time-ordered (UUID version 7): Unix milliseconds, then random bits */
		uint64		ms = (uint64) (r->at / 1000) +
			(uint64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

		for (i = 0; i < 6; i++)
			r->id.data[i] = (unsigned char) (ms >> (40 - 8 * i));
		for (i = 6; i < UUID_LEN; i++)
			r->id.data[i] = (unsigned char) pg_prng_uint32(&pg_global_prng_state);
		r->id.data[6] = (r->id.data[6] & 0x0f) | 0x70;	/* version 7 */
		r->id.data[8] = (r->id.data[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	}
	r->session_role = GetUserNameFromId(GetSessionUserId(), false);
	r->current_role = GetUserNameFromId(GetUserId(), false);
	r->user_ref = user_ref ? pstrdup(user_ref) : NULL;
	r->permission = pstrdup(permission);
	r->resource_ref = resource_ref ? pstrdup(resource_ref) : NULL;
	r->result = result == BSP_ALLOW ? "ALLOW" : result == BSP_CONDITIONAL ? "CONDITIONAL" : "DENY";
	r->version = policy_version();
	r->via = via;
	MemoryContextSwitchTo(old);
}

void
bsperm_audit_note_current(const char *permission, BspResult result, const char *via)
{
	BspUser    *u;

	if (!bsperm_audit_on() || IsParallelWorker())
		return;
	u = bsperm_policy_last_user();
	if (u == NULL)
		u = bsperm_policy_user();
	bsperm_audit_note(bsperm_user_ref(u), permission, NULL, result, via);
}

static Datum
text_or_null(const char *s, bool *nulls, int k)
{
	if (s == NULL)
	{
		nulls[k] = true;
		return (Datum) 0;
	}
	return CStringGetTextDatum(s);
}

/*
 * The pending rows, inserted directly (as logical replication's apply
 * worker does: heap and index inserts, no planner, no SPI): the table is
 * the extension's own, its layout fixed by 61_audit.sql.
 */
static void
insert_pending(void)
{
	Oid			relid = get_relname_relid("decision_log", get_namespace_oid("bsperm", false));
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	RangeTblEntry *rte;
	TupleTableSlot *slot;
	int			i;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"bsperm.decision_log\" does not exist"),
				 errdetail("The decision audit log is on (bsperm.audit_settings).")));
	rel = table_open(relid, RowExclusiveLock);
	if (RelationGetDescr(rel)->natts != 10)
		elog(ERROR, "bsperm.decision_log does not have the columns bsperm writes");
	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, NULL, 0);
	estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rri, false);
	slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
	for (i = 0; i < npending; i++)
	{
		AuditRow   *r = &pending[i];
		Datum	   *v = slot->tts_values;
		bool	   *nulls = slot->tts_isnull;

		ExecClearTuple(slot);
		memset(nulls, 0, sizeof(bool) * 10);
		v[0] = UUIDPGetDatum(&r->id);
		v[1] = TimestampTzGetDatum(r->at);
		v[2] = CStringGetTextDatum(r->session_role);
		v[3] = CStringGetTextDatum(r->current_role);
		v[4] = text_or_null(r->user_ref, nulls, 4);
		v[5] = CStringGetTextDatum(r->permission);
		v[6] = text_or_null(r->resource_ref, nulls, 6);
		v[7] = CStringGetTextDatum(r->result);
		v[8] = Int64GetDatum(r->version);
		v[9] = CStringGetTextDatum(r->via);
		ExecStoreVirtualTuple(slot);
		ExecSimpleRelationInsert(rri, estate, slot);
	}
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
}

/* Retention, now and then, as the owner. */
static void
prune_as_owner(void *arg)
{
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	int			rc;

	if (plan_prune == NULL)
		plan_prune = bsperm_prepare_saved("DELETE FROM bsperm.decision_log l WHERE l.ctid "
										  "OPERATOR(pg_catalog.=) ANY (ARRAY(SELECT o.ctid FROM bsperm.decision_log o "
										  "WHERE o.decided_at OPERATOR(pg_catalog.<) "
										  "(pg_catalog.now() OPERATOR(pg_catalog.-) $1::pg_catalog.interval) "
										  "LIMIT 10000 FOR UPDATE SKIP LOCKED))",
										  1, types);
	v[0] = CStringGetTextDatum(audit_retention);
	rc = SPI_execute_plan(plan_prune, v, NULL, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

static void
flush(void)
{
	insert_pending();
	if (audit_retention != NULL &&
		TimestampDifferenceExceeds(last_prune, GetCurrentTimestamp(), 60 * 1000))
	{
		bsperm_as_owner(prune_as_owner, NULL);
		last_prune = GetCurrentTimestamp();
	}
}

static void
audit_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (npending > 0 && !XactReadOnly && !IsInParallelMode())
			{
				/* a transaction that wrote nothing else: no WAL flush for the log */
				if (event == XACT_EVENT_PRE_COMMIT &&
					!FullTransactionIdIsValid(GetTopFullTransactionIdIfAny()))
					(void) set_config_option("synchronous_commit", "off",
											 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
											 true, 0, false);
				PushActiveSnapshot(GetTransactionSnapshot());
				flush();
				PopActiveSnapshot();
			}
			npending = 0;
			cappending = 0;
			pending = NULL;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			npending = 0;
			cappending = 0;
			pending = NULL;		/* freed with TopTransactionContext */
			break;
		default:
			break;
	}
}
