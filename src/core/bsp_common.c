/*-------------------------------------------------------------------------
 * bsp_common.c
 *	  Arena allocation, string buffers and errors for the bsperm core.
 *
 * See bsp_common.h for the memory rules.  Nothing here longjmps.
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "bsp_common.h"

void *
bsp_alloc(bsp_arena *arena, size_t size)
{
	void	   *p;

	if (size == 0)
		size = 1;
	if (size > ((size_t) 1 << 30))
		return NULL;
	p = arena->alloc(arena->ctx, size);
	if (p)
		memset(p, 0, size);
	return p;
}

void *
bsp_alloc_array(bsp_arena *arena, size_t n, size_t elsize)
{
	if (elsize != 0 && n > ((size_t) 1 << 30) / elsize)
		return NULL;
	return bsp_alloc(arena, n * elsize);
}

char *
bsp_strndup(bsp_arena *arena, const char *s, size_t len)
{
	char	   *p = bsp_alloc(arena, len + 1);

	if (p)
	{
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

void
bsp_sbuf_init(bsp_sbuf *b, bsp_arena *arena)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->arena = arena;
	b->failed = false;
}

void
bsp_sbuf_reset(bsp_sbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

bool
bsp_sbuf_reserve(bsp_sbuf *b, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *nd;

	if (b->failed)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	if (need > ((size_t) 1 << 30))
	{
		b->failed = true;
		return false;
	}
	newcap = b->cap ? b->cap : 64;
	while (newcap < need)
		newcap *= 2;
	nd = b->arena->alloc(b->arena->ctx, newcap);
	if (!nd)
	{
		b->failed = true;
		return false;
	}
	if (b->len)
		memcpy(nd, b->data, b->len);
	nd[b->len] = '\0';
	b->data = nd;
	b->cap = newcap;
	return true;
}

bool
bsp_sbuf_append(bsp_sbuf *b, const char *s, size_t n)
{
	if (!bsp_sbuf_reserve(b, n))
		return false;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool
bsp_sbuf_appends(bsp_sbuf *b, const char *s)
{
	return bsp_sbuf_append(b, s, strlen(s));
}

bool
bsp_sbuf_putc(bsp_sbuf *b, char c)
{
	return bsp_sbuf_append(b, &c, 1);
}

bool
bsp_sbuf_printf(bsp_sbuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;
	char		small[256];

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
	{
		b->failed = true;
		return false;
	}
	if ((size_t) n < sizeof(small))
		return bsp_sbuf_append(b, small, (size_t) n);
	if (!bsp_sbuf_reserve(b, (size_t) n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
	return true;
}

bool
bsp_sbuf_json_string(bsp_sbuf *b, const char *s, size_t n)
{
	size_t		i;
	size_t		start = 0;

	if (!bsp_sbuf_putc(b, '"'))
		return false;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *esc = NULL;
		char		ubuf[8];

		switch (c)
		{
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			default:
				if (c < 0x20)
				{
					snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
					esc = ubuf;
				}
				break;
		}
		if (esc)
		{
			bsp_sbuf_append(b, s + start, i - start);
			bsp_sbuf_appends(b, esc);
			start = i + 1;
		}
	}
	bsp_sbuf_append(b, s + start, n - start);
	return bsp_sbuf_putc(b, '"');
}

void
bsp_error_clear(bsp_error *err)
{
	err->kind = BSP_OK;
	err->limit = BSP_LIMIT_NONE;
	err->path[0] = '\0';
	err->message[0] = '\0';
}

static void set_error(bsp_error *err, bsp_errkind kind, bsp_limit_kind limit,
					  const char *path, const char *fmt, va_list ap)
			__attribute__((format(printf, 5, 0)));

static void
set_error(bsp_error *err, bsp_errkind kind, bsp_limit_kind limit,
		  const char *path, const char *fmt, va_list ap)
{
	err->kind = kind;
	err->limit = limit;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

bool
bsp_fail(bsp_error *err, bsp_errkind kind, const char *path, const char *fmt,...)
{
	va_list		ap;

	if (err->kind != BSP_OK)
		return false;
	va_start(ap, fmt);
	set_error(err, kind, BSP_LIMIT_NONE, path, fmt, ap);
	va_end(ap);
	return false;
}

bool
bsp_fail_limit(bsp_error *err, bsp_limit_kind limit, const char *path,
			   const char *fmt,...)
{
	va_list		ap;

	if (err->kind != BSP_OK)
		return false;
	va_start(ap, fmt);
	set_error(err, BSP_ERR_LIMIT, limit, path, fmt, ap);
	va_end(ap);
	return false;
}

size_t
bsp_path_push_key(bsp_sbuf *path, const char *name)
{
	size_t		old = path->len;

	bsp_sbuf_putc(path, '.');
	bsp_sbuf_appends(path, name);
	return old;
}

size_t
bsp_path_push_index(bsp_sbuf *path, size_t i)
{
	size_t		old = path->len;

	bsp_sbuf_printf(path, "[%zu]", i);
	return old;
}

void
bsp_path_pop(bsp_sbuf *path, size_t old)
{
	path->len = old;
	if (path->data)
		path->data[old] = '\0';
}
