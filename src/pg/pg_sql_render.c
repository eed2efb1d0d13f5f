/*-------------------------------------------------------------------------
 * pg_sql_render.c
 *	  A compiled EntityFilter as an SQL boolean expression.
 *
 * bsperm_criteria_sql() hands this text to callers who paste it into
 * their own queries, so every name in it is fully qualified and every
 * value sits inside a quoted literal:
 *
 *	 leaf	 (<entity_expr> OPERATOR(<schema>.@~) '<leaf json>'::pg_catalog.jsonb)
 *	 not	 (NOT <child>)
 *	 allOf	 (<child> AND ...), or true when empty
 *	 anyOf	 (<child> OR ...), or false when empty
 *
 * entity_expr is inserted as given (it is the caller's own SQL).  Rendering
 * SQL is the server's business, so it lives here and not in the core; the
 * core only writes the leaf's JSON.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "bsperm.h"

void
bsperm_filter_sql(StringInfo out, const bsp_fnode *n, const char *entity_expr,
				  const char *opschema)
{
	int			i;

	check_stack_depth();
	switch (n->kind)
	{
		case BSP_F_LEAF:
			{
				bsp_arena	arena;
				bsp_sbuf	leaf;

				bsperm_arena_init(&arena, CurrentMemoryContext);
				bsp_sbuf_init(&leaf, &arena);
				if (!bsp_filter_to_json(&leaf, n) || leaf.failed)
					ereport(ERROR,
							(errcode(ERRCODE_OUT_OF_MEMORY),
							 errmsg("out of memory")));
				appendStringInfo(out, "(%s OPERATOR(%s.@~) %s::pg_catalog.jsonb)",
								 entity_expr, opschema, quote_literal_cstr(leaf.data));
				pfree(leaf.data);
				break;
			}
		case BSP_F_NOT:
			appendStringInfoString(out, "(NOT ");
			bsperm_filter_sql(out, n->children[0], entity_expr, opschema);
			appendStringInfoChar(out, ')');
			break;
		case BSP_F_ALL:
		case BSP_F_ANY:
			if (n->nchildren == 0)
			{
				appendStringInfoString(out, n->kind == BSP_F_ALL ? "true" : "false");
				break;
			}
			appendStringInfoChar(out, '(');
			for (i = 0; i < n->nchildren; i++)
			{
				if (i)
					appendStringInfoString(out, n->kind == BSP_F_ALL ? " AND " : " OR ");
				bsperm_filter_sql(out, n->children[i], entity_expr, opschema);
			}
			appendStringInfoChar(out, ')');
			break;
	}
}
