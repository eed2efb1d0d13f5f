/*-------------------------------------------------------------------------
 * pg_placeholders.c
 *	  The RBAC plugin's placeholders in conditions: inside every "params"
 *	  object, the string "$currentUser" becomes the user ref and
 *	  "$ownerRefs" the ownership refs (spliced into an array it is an
 *	  element of, else an array).
 *
 *	 bsperm_substitute_placeholders(conditions, user_ref, ownership_refs)
 *
 * Works on jsonb directly (an iterator and pushJsonbValue), no text round
 * trip.  Memory: the result is allocated in CurrentMemoryContext; nothing is
 * cached here.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "pg_policy_int.h"

static void
push_string(JsonbParseState **st, JsonbIteratorToken tok, const char *s)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) s;
	v.val.string.len = strlen(s);
	(void) pushJsonbValue(st, tok, &v);
}

static bool
is_placeholder(const JsonbValue *v, const char *name)
{
	size_t		len = strlen(name);

	return v->type == jbvString && v->val.string.len == len &&
		memcmp(v->val.string.val, name, len) == 0;
}

/*
 * Copies criteria, replacing inside every "params" object: a string
 * "$currentUser" by the user ref; "$ownerRefs" by the ownership refs (spliced
 * into an array it is an element of, else as an array).
 */
Jsonb *
bsperm_fill_placeholders(Jsonb *criteria, const char *user_ref, int nrefs,
						 const char *const *refs)
{
	JsonbIterator *it = JsonbIteratorInit(&criteria->root);
	JsonbParseState *st = NULL;
	JsonbValue	v;
	JsonbValue *res = NULL;
	JsonbIteratorToken tok;
	int			depth = 0;
	int			params_depth = -1;
	bool		next_is_params = false;
	int			i;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		bool		inside = params_depth >= 0;

		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				depth++;
				if (next_is_params && tok == WJB_BEGIN_OBJECT && params_depth < 0)
					params_depth = depth;
				next_is_params = false;
				res = pushJsonbValue(&st, tok, tok == WJB_BEGIN_ARRAY ? &v : NULL);
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				if (depth == params_depth)
					params_depth = -1;
				depth--;
				res = pushJsonbValue(&st, tok, NULL);
				break;
			case WJB_KEY:
				next_is_params = (params_depth < 0 && v.val.string.len == 6 &&
								  memcmp(v.val.string.val, "params", 6) == 0);
				res = pushJsonbValue(&st, tok, &v);
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				next_is_params = false;
				if (inside && user_ref && is_placeholder(&v, "$currentUser"))
					push_string(&st, tok, user_ref);
				else if (inside && is_placeholder(&v, "$ownerRefs"))
				{
					if (tok == WJB_VALUE)
					{
						JsonbValue	a;

						a.type = jbvArray;
						a.val.array.rawScalar = false;
						a.val.array.nElems = nrefs;
						(void) pushJsonbValue(&st, WJB_BEGIN_ARRAY, &a);
						for (i = 0; i < nrefs; i++)
							push_string(&st, WJB_ELEM, refs[i]);
						(void) pushJsonbValue(&st, WJB_END_ARRAY, NULL);
					}
					else
						for (i = 0; i < nrefs; i++)
							push_string(&st, WJB_ELEM, refs[i]);
				}
				else
					res = pushJsonbValue(&st, tok, &v);
				break;
			default:
				break;
		}
	}
	return JsonbValueToJsonb(res);
}

PG_FUNCTION_INFO_V1(bsperm_substitute_placeholders);
Datum
bsperm_substitute_placeholders(PG_FUNCTION_ARGS)
{
	Jsonb	   *criteria = PG_GETARG_JSONB_P(0);
	char	   *user_ref = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	const char **refs;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	refs = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ownership refs cannot contain null")));
		refs[i] = TextDatumGetCString(elems[i]);
	}
	if (JB_ROOT_IS_SCALAR(criteria))
		PG_RETURN_JSONB_P(criteria);
	PG_RETURN_JSONB_P(bsperm_fill_placeholders(criteria, user_ref, n, refs));
}
