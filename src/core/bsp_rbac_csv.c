/*-------------------------------------------------------------------------
 * bsp_rbac_csv.c
 *	  The RBAC plugin's policy CSV, line by line (see bsp_rbac_csv.h).
 *
 * Each step names the plugin's (or its libraries') code it reproduces;
 * test/compat/rbac-plugin.js checks the result against the real plugin on
 * generated lines.  Memory: everything from the arena; nothing is freed.
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "bsp_js.h"
#include "bsp_rbac_csv.h"

/* ---------------------------------------------------------------------
 * JavaScript's trim: WhiteSpace and LineTerminator code points
 * ---------------------------------------------------------------------
 */

/* Length of the white space code point at s (n bytes left), or 0. */
static size_t
js_space_at(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		l;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0d)) ? 1 : 0;
	if ((s[0] & 0xe0) == 0xc0 && n >= 2)
	{
		cp = ((uint32_t) (s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		l = 2;
	}
	else if ((s[0] & 0xf0) == 0xe0 && n >= 3)
	{
		cp = ((uint32_t) (s[0] & 0x0f) << 12) | ((uint32_t) (s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		l = 3;
	}
	else
		return 0;
	if (cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
		cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
		cp == 0x3000 || cp == 0xfeff)
		return l;
	return 0;
}

/* Length of the white space code point ending at s + n, or 0. */
static size_t
js_space_before(const unsigned char *s, size_t n)
{
	size_t		l;

	for (l = 1; l <= 3 && l <= n; l++)
	{
		const unsigned char *p = s + n - l;

		if ((*p & 0xc0) == 0x80)
			continue;			/* a continuation byte: the code point starts before */
		return js_space_at(p, l) == l ? l : 0;
	}
	return 0;
}

void
bsp_js_trim(const char **s, size_t *len)
{
	const unsigned char *p = (const unsigned char *) *s;
	size_t		n = *len,
				l;

	while ((l = js_space_at(p, n)) > 0)
	{
		p += l;
		n -= l;
	}
	while ((l = js_space_before(p, n)) > 0)
		n -= l;
	*s = (const char *) p;
	*len = n;
}

/* trimEnd only */
static void
js_trim_end(const char *s, size_t *len)
{
	size_t		l;

	while ((l = js_space_before((const unsigned char *) s, *len)) > 0)
		*len -= l;
}

/* ---------------------------------------------------------------------
 * csv-parse 5.6 (sync), options {delimiter: ",", trim: true,
 * skip_empty_lines: true, relax_quotes: true}, on one line
 * ---------------------------------------------------------------------
 */
typedef struct csv_rec
{
	int			n;
	int			cap;
	const char **f;
} csv_rec;

static bool
rec_push(bsp_arena *a, csv_rec *r, const char *s, size_t len)
{
	if (r->n == r->cap)
	{
		int			cap = r->cap ? r->cap * 2 : 8;
		const char **f = bsp_alloc_array(a, (size_t) cap, sizeof(char *));

		if (f == NULL)
			return false;
		if (r->n > 0)
			memcpy(f, r->f, sizeof(char *) * (size_t) r->n);
		r->f = f;
		r->cap = cap;
	}
	r->f[r->n] = bsp_strndup(a, s, len);
	return r->f[r->n++] != NULL;
}

/* csv-parse's trimable characters (its "timchars") */
static bool
csv_trimable(int c)
{
	return c == '\r' || c == '\n' || c == '\f' || c == ' ' || c == '\t';
}

/*
 * Parses line into its first record.  *err is set (and false returned with
 * *oom false) when csv-parse throws; *oom when an allocation failed.
 */
static bool
csv_first_record(bsp_arena *a, const char *line, size_t len, csv_rec *first,
				 const char **err, bool *oom)
{
	bsp_sbuf	field;
	csv_rec		rec = {0, 0, NULL};
	bool		quoting = false,
				was_quoting = false,
				escaping = false,
				have_first = false;
	size_t		pos;

	*err = NULL;
	*oom = false;
	bsp_sbuf_init(&field, a);
	bsp_sbuf_reset(&field);
	memset(first, 0, sizeof(*first));

#define CSV_FIELD_END() \
	do { \
		size_t flen = field.len; \
		if (!was_quoting) \
			js_trim_end(field.data ? field.data : "", &flen); \
		if (field.failed || !rec_push(a, &rec, field.data ? field.data : "", flen)) \
			goto fail_oom; \
		field.len = 0; \
		if (field.data) \
			field.data[0] = '\0'; \
		was_quoting = false; \
	} while (0)
#define CSV_RECORD_END() \
	do { \
		if (!have_first) \
		{ \
			*first = rec; \
			have_first = true; \
		} \
		else if (rec.n != first->n) \
		{ \
			*err = "Invalid Record Length: columns length is inconsistent"; \
			return false; \
		} \
		memset(&rec, 0, sizeof(rec)); \
	} while (0)

	for (pos = 0; pos < len; pos++)
	{
		int			c = (unsigned char) line[pos];

		if (escaping)
			escaping = false;
		else
		{
			/* "" inside quotes: the second quote is a character */
			if (quoting && c == '"' && pos + 1 < len && line[pos + 1] == '"')
			{
				escaping = true;
				continue;
			}
			if (c == '"')
			{
				if (quoting)
				{
					int			next = pos + 1 < len ? (unsigned char) line[pos + 1] : -1;

					if (next < 0 || next == ',' || next == '\r' || csv_trimable(next))
					{
						quoting = false;
						was_quoting = true;
						continue;
					}
					/*
					 * relax_quotes: the field is re-opened with a quote, and
					 * the quote itself then meets "non trimable byte after
					 * quote".
					 */
					*err = "Invalid Closing Quote: found non trimable byte after quote";
					return false;
				}
				else if (field.len == 0)
				{
					quoting = true;
					continue;
				}
				/* relax_quotes: a quote inside an unquoted field is a character */
			}
			if (!quoting)
			{
				if (c == '\r' || c == '\n')
				{
					/* a record delimiter; empty records are skipped */
					if (!(!was_quoting && rec.n == 0 && field.len == 0))
					{
						CSV_FIELD_END();
						CSV_RECORD_END();
					}
					continue;
				}
				if (c == ',')
				{
					CSV_FIELD_END();
					continue;
				}
			}
		}
		{
			bool		lappend = quoting || field.len != 0 || !csv_trimable(c);
			bool		rappend = !was_quoting;

			if (lappend && rappend)
			{
				if (!bsp_sbuf_putc(&field, (char) c))
					goto fail_oom;
			}
			else if (!csv_trimable(c))
			{
				*err = "Invalid Closing Quote: found non trimable byte after quote";
				return false;
			}
		}
	}
	if (quoting)
	{
		*err = "Quote Not Closed: the parsing is finished with an opening quote";
		return false;
	}
	if (was_quoting || rec.n != 0 || field.len != 0)
	{
		CSV_FIELD_END();
		CSV_RECORD_END();
	}
	return true;

fail_oom:
	*oom = true;
	return false;
#undef CSV_FIELD_END
#undef CSV_RECORD_END
}

/* ---------------------------------------------------------------------
 * Validation (the plugin's policies-validation)
 * ---------------------------------------------------------------------
 */
static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [a-zA-Z0-9]+([._-][a-zA-Z0-9]+)* (name) or [a-z0-9]+(-[a-z0-9]+)* (namespace) */
static bool
ref_part_ok(const char *s, size_t n, bool ns)
{
	size_t		i;
	bool		prev_sep = true;

	if (n == 0 || n > 63)
		return false;
	for (i = 0; i < n; i++)
	{
		int			c = (unsigned char) s[i];
		bool		word = ns ? ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) : is_alnum(c);
		bool		sep = ns ? c == '-' : (c == '.' || c == '_' || c == '-');

		if (word)
			prev_sep = false;
		else if (sep && !prev_sep)
			prev_sep = true;
		else
			return false;
	}
	return !prev_sep;
}

static const char *const any_kind[] = {"user", "group", "role", NULL};

const char *
bsp_rbac_check_ref(const char *ref, const char *const *kinds)
{
	const char *colon,
			   *slash;
	int			k;

	if (ref == NULL || ref[0] == '\0')
		return "'entityReference' must not be empty";
	colon = strchr(ref, ':');
	slash = colon ? strchr(colon + 1, '/') : NULL;
	if (colon == NULL || colon == ref || slash == NULL || slash == colon + 1 || slash[1] == '\0')
		return "an entity reference must be written in full, kind:namespace/name";
	if (kinds == NULL)
		kinds = any_kind;
	for (k = 0; kinds[k]; k++)
		if ((size_t) (colon - ref) == strlen(kinds[k]) && memcmp(ref, kinds[k], strlen(kinds[k])) == 0)
			break;
	if (kinds[k] == NULL)
		return kinds == any_kind ? "unsupported kind: the kinds are user, group and role" :
			"unsupported kind";
	if (!ref_part_ok(colon + 1, (size_t) (slash - colon - 1), true))
		return "the namespace must be sequences of [a-z0-9] separated by [-], at most 63 characters";
	if (!ref_part_ok(slash + 1, strlen(slash + 1), false))
		return "the name must be sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters";
	return NULL;
}

static const char *const role_kind[] = {"role", NULL};

static const char *
check_p(const char **v, int n)
{
	static const char *const actions[] = {"create", "read", "update", "delete", "use"};
	const char *e;
	int			i;

	e = bsp_rbac_check_ref(n > 0 ? v[0] : NULL, NULL);
	if (e)
		return e;
	if (n < 2 || v[1][0] == '\0')
		return "'permission' field must not be empty";
	if (strchr(v[1], '"'))
		return "'permission' contains double quotes (\"), which the plugin does not support";
	if (n < 3 || v[2][0] == '\0')
		return "'policy' (the action) field must not be empty";
	for (i = 0; i < 5; i++)
		if (strcmp(v[2], actions[i]) == 0)
			break;
	if (i == 5)
		return "invalid action: the actions are create, read, update, delete and use";
	if (n < 4 || v[3][0] == '\0')
		return "'effect' field must not be empty";
	if (strcmp(v[3], "allow") != 0 && strcmp(v[3], "deny") != 0)
		return "invalid effect: the effects are allow and deny";
	return NULL;
}

static const char *
check_g(const char **v, int n)
{
	const char *e;

	if (n != 2)
		return "a \"g\" line has 3 fields: g, <user or group ref>, <role ref>";
	if ((e = bsp_rbac_check_ref(v[0], NULL)) != NULL)
		return e;
	if (strncmp(v[0], "role:", 5) == 0)
		return "roles cannot be members of roles (the plugin has no role inheritance)";
	/*
	 * The plugin accepts a user: parent too (a "role" named like a user);
	 * bsperm refuses it (doc/policy.md, deliberate differences).
	 */
	if ((e = bsp_rbac_check_ref(v[1], role_kind)) != NULL)
		return strcmp(e, "unsupported kind") == 0 ?
			"the third field must be a role ref (role:<namespace>/<name>); group memberships come from the catalog" : e;
	return NULL;
}

/* ---------------------------------------------------------------------
 * A line
 * ---------------------------------------------------------------------
 */

/* LowercaseFileAdapter.transformLineToLowercaseGroupsUsers */
static bool
lowercase_g_member(bsp_arena *a, const char *line, size_t len, bsp_sbuf *out,
				   const char **err)
{
	const char *c1,
			   *c2;
	const char *f0 = line;
	size_t		f0len;

	*err = NULL;
	bsp_sbuf_init(out, a);
	bsp_sbuf_reset(out);
	c1 = memchr(line, ',', len);
	f0len = c1 ? (size_t) (c1 - line) : len;
	bsp_js_trim(&f0, &f0len);
	if (f0len == 0 || f0[0] != 'g')
		return bsp_sbuf_append(out, line, len);
	if (c1 == NULL)
	{
		/* policyArray[1] is undefined: the plugin's lower-casing throws */
		*err = "a \"g\" line without a member (Cannot read properties of undefined)";
		return true;
	}
	c2 = memchr(c1 + 1, ',', len - (size_t) (c1 + 1 - line));
	if (!c2)
		c2 = line + len;
	return bsp_sbuf_append(out, line, (size_t) (c1 + 1 - line)) &&
		bsp_js_lower(out, c1 + 1, (size_t) (c2 - c1 - 1)) &&
		bsp_sbuf_append(out, c2, (size_t) (line + len - c2));
}

/* strip one pair of surrounding quotes, "" -> ", trim (Casbin's PolicyLoader) */
static const char *
casbin_value(bsp_arena *a, const char *v)
{
	size_t		n = strlen(v);
	bsp_sbuf	b;
	size_t		i;
	const char *s;

	if (n >= 1 && v[0] == '"' && v[n - 1] == '"')
	{
		v++;
		n = n >= 2 ? n - 2 : 0;
	}
	bsp_sbuf_init(&b, a);
	bsp_sbuf_reset(&b);
	for (i = 0; i < n; i++)
	{
		if (v[i] == '"' && i + 1 < n && v[i + 1] == '"')
			i++;
		if (!bsp_sbuf_putc(&b, v[i]))
			return NULL;
	}
	if (b.failed)
		return NULL;
	s = b.data ? b.data : "";
	n = b.len;
	bsp_js_trim(&s, &n);
	return bsp_strndup(a, s, n);
}

static bool
parse_line(bsp_arena *a, const char *line, size_t len, bsp_rbac_csv_line *out)
{
	bsp_sbuf	low;
	csv_rec		rec;
	const char *err;
	bool		oom;
	const char **tok;
	int			ntok = 0,
				i,
				depth = 0;
	bsp_sbuf	cur;
	const char *key;
	size_t		keylen;
	bool		have_cur = false;

	if (!lowercase_g_member(a, line, len, &low, &err) || low.failed)
		return false;
	if (err)
	{
		out->error = err;
		return true;
	}
	if (!csv_first_record(a, low.data ? low.data : "", low.len, &rec, &err, &oom))
	{
		if (oom)
			return false;
		out->error = err;
		return true;
	}
	if (rec.n == 0)
	{
		out->error = "no fields";
		return true;
	}
	/* BracketAwareCsvParser: tokens re-joined while parentheses are open */
	tok = bsp_alloc_array(a, (size_t) rec.n + 1, sizeof(char *));
	if (tok == NULL)
		return false;
	bsp_sbuf_init(&cur, a);
	for (i = 0; i < rec.n; i++)
	{
		const char *t;

		for (t = rec.f[i]; *t; t++)
			depth += (*t == '(') - (*t == ')');
		if (have_cur && !bsp_sbuf_putc(&cur, ','))
			return false;
		if (!have_cur)
			bsp_sbuf_reset(&cur);
		if (!bsp_sbuf_appends(&cur, rec.f[i]))
			return false;
		have_cur = true;
		if (depth == 0)
		{
			tok[ntok] = bsp_strndup(a, cur.data ? cur.data : "", cur.len);
			if (tok[ntok++] == NULL)
				return false;
			have_cur = false;
		}
	}
	if (depth != 0)
	{
		out->error = "Unmatched brackets in policy line";
		return true;
	}
	/* the line type: trimmed, one pair of quotes removed */
	key = tok[0];
	keylen = strlen(key);
	bsp_js_trim(&key, &keylen);
	if (keylen >= 1 && key[0] == '"' && key[keylen - 1] == '"')
	{
		key++;
		keylen = keylen >= 2 ? keylen - 2 : 0;
	}
	if (keylen != 1 || (key[0] != 'p' && key[0] != 'g'))
	{
		/* Casbin ignores a line of another type, silently */
		out->error = "unrecognized line type: lines start with \"p\" (a permission policy) or \"g\" (a role member)";
		return true;
	}
	out->values = bsp_alloc_array(a, (size_t) ntok, sizeof(char *));
	if (out->values == NULL)
		return false;
	for (i = 1; i < ntok; i++)
		if ((out->values[i - 1] = casbin_value(a, tok[i])) == NULL)
			return false;
	out->nvalues = ntok - 1;
	out->error = key[0] == 'p' ? check_p(out->values, out->nvalues) :
		check_g(out->values, out->nvalues);
	if (out->error == NULL)
	{
		out->type = key[0];
		/* the plugin keeps a p line's first four values (extra ones are ignored) */
		if (out->type == 'p')
			out->nvalues = 4;
	}
	return true;
}

bool
bsp_rbac_csv_parse(bsp_arena *arena, const char *text, size_t len,
				   int *nlines, bsp_rbac_csv_line **lines)
{
	size_t		pos = 0;
	int			lineno = 0,
				n = 0,
				cap = 16;
	bsp_rbac_csv_line *arr = bsp_alloc_array(arena, (size_t) cap, sizeof(bsp_rbac_csv_line));

	*nlines = 0;
	*lines = arr;
	if (arr == NULL)
		return false;
	while (pos <= len)
	{
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t		end = nl ? (size_t) (nl - text) : len;
		const char *s = text + pos;
		size_t		l = end - pos;

		lineno++;
		pos = end + 1;
		/* line.replace(/\r$/, "").trim() */
		if (l > 0 && s[l - 1] == '\r')
			l--;
		bsp_js_trim(&s, &l);
		if (l == 0 || s[0] == '#')
		{
			if (!nl)
				break;
			continue;
		}
		if (n == cap)
		{
			bsp_rbac_csv_line *bigger = bsp_alloc_array(arena, (size_t) cap * 2,
														sizeof(bsp_rbac_csv_line));

			if (bigger == NULL)
				return false;
			memcpy(bigger, arr, sizeof(bsp_rbac_csv_line) * (size_t) n);
			arr = bigger;
			cap *= 2;
		}
		memset(&arr[n], 0, sizeof(arr[n]));
		arr[n].lineno = lineno;
		arr[n].text = bsp_strndup(arena, s, l);
		if (arr[n].text == NULL || !parse_line(arena, s, l, &arr[n]))
			return false;
		n++;
		if (!nl)
			break;
	}
	*nlines = n;
	*lines = arr;
	return true;
}
