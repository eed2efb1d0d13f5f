/*-------------------------------------------------------------------------
 * bsp_yaml.c
 *	  Multi-document YAML to JSON text with libyaml (see bsp_yaml.h).
 *
 * libyaml's document loader builds each document's node graph (aliases are
 * references to the anchored node); the graph is written out as JSON into
 * an arena buffer, and libyaml's document is freed before the next one is
 * loaded.  The output limit bounds the work an alias bomb can cause; the
 * nesting limit bounds the recursion.
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "bsp_js.h"
#include "bsp_yaml.h"

#define YAML_MAX_DEPTH 200

typedef struct ystate
{
	yaml_document_t *doc;
	bsp_sbuf   *out;
	const char *error;
	int			error_line;
} ystate;

static bool
str_in(const char *s, size_t n, const char *const *set)
{
	int			i;

	for (i = 0; set[i]; i++)
		if (strlen(set[i]) == n && memcmp(s, set[i], n) == 0)
			return true;
	return false;
}

/* digits of base (and '_'), at least one digit */
static bool
all_digits(const char *s, size_t n, int base)
{
	size_t		i;
	bool		any = false;

	for (i = 0; i < n; i++)
	{
		int			c = (unsigned char) s[i];
		int			v = (c >= '0' && c <= '9') ? c - '0' :
			(c >= 'a' && c <= 'f') ? c - 'a' + 10 :
			(c >= 'A' && c <= 'F') ? c - 'A' + 10 : (c == '_' ? -2 : -1);

		if (v == -2 && i > 0)
			continue;
		if (v < 0 || v >= base)
			return false;
		any = true;
	}
	return any;
}

/* [-+]?(\.[0-9]+|[0-9][0-9_]*)(\.[0-9_]*)?([eE][-+]?[0-9]+)? */
static bool
is_float(const char *s, size_t n)
{
	size_t		i = 0;
	bool		mant = false;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i < n && s[i] >= '0' && s[i] <= '9')
	{
		mant = true;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
	}
	if (i < n && s[i] == '.')
	{
		i++;
		if (!mant && !(i < n && s[i] >= '0' && s[i] <= '9'))
			return false;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || (mant && s[i] == '_')))
		{
			i++;
			mant = true;
		}
	}
	if (!mant)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if (!(i < n && s[i] >= '0' && s[i] <= '9'))
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

/* the number's JavaScript text (JSON has no Infinity or NaN: null) */
static bool
put_number(bsp_sbuf *out, double d)
{
	char		buf[64];

	if (!isfinite(d))
		return bsp_sbuf_appends(out, "null");
	bsp_js_number(d, buf);
	return bsp_sbuf_appends(out, buf);
}

/* copy of s without '_' */
static char *
strip_underscores(const char *s, size_t n, char *buf, size_t cap)
{
	size_t		i,
				k = 0;

	for (i = 0; i < n && k + 1 < cap; i++)
		if (s[i] != '_')
			buf[k++] = s[i];
	buf[k] = '\0';
	return buf;
}

static bool
put_plain_scalar(ystate *st, const char *s, size_t n)
{
	static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", NULL};
	static const char *const falses[] = {"false", "False", "FALSE", NULL};
	static const char *const infs[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
	static const char *const ninfs[] = {"-.inf", "-.Inf", "-.INF", NULL};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
	char		buf[128];
	const char *d = s;
	size_t		dn = n;
	bool		neg = false;

	if (n == 0 || str_in(s, n, nulls))
		return bsp_sbuf_appends(st->out, "null");
	if (str_in(s, n, trues))
		return bsp_sbuf_appends(st->out, "true");
	if (str_in(s, n, falses))
		return bsp_sbuf_appends(st->out, "false");
	if (str_in(s, n, infs) || str_in(s, n, ninfs) || str_in(s, n, nans))
		return bsp_sbuf_appends(st->out, "null");
	if (n < sizeof(buf) - 1)
	{
		if (dn > 0 && (d[0] == '-' || d[0] == '+'))
		{
			neg = d[0] == '-';
			d++;
			dn--;
		}
		if (dn > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'o' || d[1] == 'b') &&
			all_digits(d + 2, dn - 2, d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2))
		{
			double		v = (double) strtoull(strip_underscores(d + 2, dn - 2, buf, sizeof(buf)), NULL,
										  d[1] == 'x' ? 16 : d[1] == 'o' ? 8 : 2);

			return put_number(st->out, neg ? -v : v);
		}
		if (all_digits(d, dn, 10) || is_float(s, n))
			return put_number(st->out, strtod(strip_underscores(s, n, buf, sizeof(buf)), NULL));
	}
	return bsp_sbuf_json_string(st->out, s, n);
}

static bool
fail_at(ystate *st, yaml_node_t *node, const char *msg)
{
	st->error = msg;
	st->error_line = node ? (int) node->start_mark.line + 1 : 0;
	return true;
}

/* Writes node as JSON.  False only when an allocation failed (st->error: refused). */
static bool
put_node(ystate *st, yaml_node_t *node, int depth)
{
	const char *tag = node->tag ? (const char *) node->tag : "";

	if (st->error)
		return true;
	if (depth > YAML_MAX_DEPTH)
		return fail_at(st, node, "the document nests too deeply");
	if (st->out->len > BSP_YAML_MAX_JSON)
		return fail_at(st, node, "the document expands past 16 MB of JSON (aliases)");
	switch (node->type)
	{
		case YAML_SCALAR_NODE:
			{
				const char *s = (const char *) node->data.scalar.value;
				size_t		n = node->data.scalar.length;

				if (strcmp(tag, YAML_STR_TAG) == 0 &&
					node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
				{
					/* libyaml tags every plain scalar !!str: resolve it */
					return put_plain_scalar(st, s, n);
				}
				if (strcmp(tag, YAML_STR_TAG) == 0)
					return bsp_sbuf_json_string(st->out, s, n);
				if (strcmp(tag, YAML_NULL_TAG) == 0 || strcmp(tag, YAML_BOOL_TAG) == 0 ||
					strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0)
					return put_plain_scalar(st, s, n);
				return fail_at(st, node, "unsupported YAML tag");
			}
		case YAML_SEQUENCE_NODE:
			{
				yaml_node_item_t *it;
				bool		first = true;

				if (strcmp(tag, YAML_SEQ_TAG) != 0)
					return fail_at(st, node, "unsupported YAML tag");
				if (!bsp_sbuf_putc(st->out, '['))
					return false;
				for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
				{
					if (!first && !bsp_sbuf_putc(st->out, ','))
						return false;
					first = false;
					if (!put_node(st, yaml_document_get_node(st->doc, *it), depth + 1))
						return false;
					if (st->error)
						return true;
				}
				return bsp_sbuf_putc(st->out, ']');
			}
		case YAML_MAPPING_NODE:
			{
				yaml_node_pair_t *p,
						   *q;
				bool		first = true;

				if (strcmp(tag, YAML_MAP_TAG) != 0)
					return fail_at(st, node, "unsupported YAML tag");
				if (!bsp_sbuf_putc(st->out, '{'))
					return false;
				for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++)
				{
					yaml_node_t *k = yaml_document_get_node(st->doc, p->key);

					if (k == NULL || k->type != YAML_SCALAR_NODE)
						return fail_at(st, k ? k : node, "a mapping key must be a scalar");
					for (q = node->data.mapping.pairs.start; q < p; q++)
					{
						yaml_node_t *k2 = yaml_document_get_node(st->doc, q->key);

						if (k2->data.scalar.length == k->data.scalar.length &&
							memcmp(k2->data.scalar.value, k->data.scalar.value, k->data.scalar.length) == 0)
							return fail_at(st, k, "duplicated mapping key");
					}
					if (!first && !bsp_sbuf_putc(st->out, ','))
						return false;
					first = false;
					if (!bsp_sbuf_json_string(st->out, (const char *) k->data.scalar.value,
											  k->data.scalar.length) ||
						!bsp_sbuf_putc(st->out, ':'))
						return false;
					if (!put_node(st, yaml_document_get_node(st->doc, p->value), depth + 1))
						return false;
					if (st->error)
						return true;
				}
				return bsp_sbuf_putc(st->out, '}');
			}
		default:
			return bsp_sbuf_appends(st->out, "null");
	}
}

bool
bsp_yaml_to_json(bsp_arena *arena, const char *text, size_t len, bsp_yaml_result *out)
{
	yaml_parser_t parser;
	int			cap = 8;
	bool		ok = true;

	memset(out, 0, sizeof(*out));
	out->docs = bsp_alloc_array(arena, (size_t) cap, sizeof(bsp_yaml_doc));
	if (out->docs == NULL)
		return false;
	if (!yaml_parser_initialize(&parser))
		return false;
	yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
	for (;;)
	{
		yaml_document_t doc;
		yaml_node_t *root;
		bsp_sbuf	json;
		ystate		st;

		if (!yaml_parser_load(&parser, &doc))
		{
			if (parser.error == YAML_MEMORY_ERROR)
				ok = false;
			out->error = parser.problem ? bsp_strndup(arena, parser.problem, strlen(parser.problem)) :
				"invalid YAML";
			if (out->error == NULL)
				ok = false;
			out->error_line = (int) parser.problem_mark.line + 1;
			out->error_doc = out->ndocs + 1;
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (root == NULL)
		{
			/* the end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		bsp_sbuf_init(&json, arena);
		bsp_sbuf_reset(&json);
		memset(&st, 0, sizeof(st));
		st.doc = &doc;
		st.out = &json;
		if (!put_node(&st, root, 0) || json.failed)
		{
			yaml_document_delete(&doc);
			ok = false;
			break;
		}
		if (st.error)
		{
			out->error = st.error;
			out->error_line = st.error_line;
			out->error_doc = out->ndocs + 1;
			yaml_document_delete(&doc);
			break;
		}
		if (out->ndocs == cap)
		{
			bsp_yaml_doc *bigger = bsp_alloc_array(arena, (size_t) cap * 2, sizeof(bsp_yaml_doc));

			if (bigger == NULL)
			{
				yaml_document_delete(&doc);
				ok = false;
				break;
			}
			memcpy(bigger, out->docs, sizeof(bsp_yaml_doc) * (size_t) out->ndocs);
			out->docs = bigger;
			cap *= 2;
		}
		out->docs[out->ndocs].index = out->ndocs + 1;
		out->docs[out->ndocs].line = (int) doc.start_mark.line + 1;
		out->docs[out->ndocs].json = json.data ? json.data : "null";
		out->ndocs++;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return ok;
}
