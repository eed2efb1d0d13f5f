/*-------------------------------------------------------------------------
 * pg_rbac_files.c
 *	  SQL functions over the RBAC plugin's files: the policy CSV and the
 *	  conditional-policies YAML, read by the core (bsp_rbac_csv.c,
 *	  bsp_yaml.c).  The importers (src/sql/21_rbac_files.sql) are written
 *	  over these in SQL.
 *
 *	 bsperm_parse_rbac_csv(csv text)
 *		 -> (line int, text text, type text, fields text[], error text)
 *	 bsperm_parse_conditional_yaml(yaml text)
 *		 -> (document int, line int, policy jsonb, error text)
 *
 * Both are pure functions of their text (IMMUTABLE): they read no table.
 * Memory: the core's arena is the call's memory context.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "bsperm.h"
#include "bsp_rbac_csv.h"
#include "bsp_yaml.h"

static void
files_oom(void)
{
	ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
}

PG_FUNCTION_INFO_V1(bsperm_parse_rbac_csv);
Datum
bsperm_parse_rbac_csv(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *csv = PG_GETARG_TEXT_PP(0);
	bsp_arena	arena;
	bsp_rbac_csv_line *lines;
	int			n,
				i,
				k;

	InitMaterializedSRF(fcinfo, 0);
	bsperm_arena_init(&arena, CurrentMemoryContext);
	if (!bsp_rbac_csv_parse(&arena, VARDATA_ANY(csv), VARSIZE_ANY_EXHDR(csv), &n, &lines))
		files_oom();
	for (i = 0; i < n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		char		type[2] = {lines[i].type, '\0'};

		values[0] = Int32GetDatum(lines[i].lineno);
		values[1] = CStringGetTextDatum(lines[i].text);
		if (lines[i].error)
		{
			nulls[2] = nulls[3] = true;
			values[4] = CStringGetTextDatum(lines[i].error);
		}
		else
		{
			Datum	   *elems = palloc(sizeof(Datum) * Max(lines[i].nvalues, 1));

			for (k = 0; k < lines[i].nvalues; k++)
				elems[k] = CStringGetTextDatum(lines[i].values[k]);
			values[2] = CStringGetTextDatum(type);
			values[3] = PointerGetDatum(construct_array(elems, lines[i].nvalues, TEXTOID,
														-1, false, TYPALIGN_INT));
			nulls[4] = true;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(bsperm_parse_conditional_yaml);
Datum
bsperm_parse_conditional_yaml(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *yaml = PG_GETARG_TEXT_PP(0);
	bsp_arena	arena;
	bsp_yaml_result r;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	bsperm_arena_init(&arena, CurrentMemoryContext);
	if (!bsp_yaml_to_json(&arena, VARDATA_ANY(yaml), VARSIZE_ANY_EXHDR(yaml), &r))
		files_oom();
	for (i = 0; i < r.ndocs; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, true};

		values[0] = Int32GetDatum(r.docs[i].index);
		values[1] = Int32GetDatum(r.docs[i].line);
		values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(r.docs[i].json));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	if (r.error)
	{
		/* the error ends the stream: one row for it */
		Datum		values[4];
		bool		nulls[4] = {false, r.error_line == 0, true, false};

		values[0] = Int32GetDatum(r.error_doc);
		values[1] = Int32GetDatum(r.error_line);
		values[3] = CStringGetTextDatum(r.error);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
