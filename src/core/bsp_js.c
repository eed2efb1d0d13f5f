/*-------------------------------------------------------------------------
 * bsp_js.c
 *	  ECMAScript toLowerCase(), UTF-16 length and Number::toString on
 *	  UTF-8 input, without PostgreSQL.
 *
 * Lowercasing follows what Node.js (V8 with ICU) does for
 * String.prototype.toLowerCase(): the full default Unicode lowercase
 * mapping, including the unconditional SpecialCasing entries (U+0130 gives
 * two code points), and the Final_Sigma rule for U+03A3.  The mapping and
 * the Cased / Case_Ignorable classes come from bsp_js_tables.h, which
 * gen_js_tables.js generates from Node itself.  ASCII takes a tight loop;
 * other code points go through a block bitmap and a binary search.
 *
 * Bytes that are not part of a well-formed UTF-8 sequence (overlong forms,
 * encoded surrogates, stray continuation bytes, truncated sequences) are
 * copied through unchanged, one byte at a time; for the Final_Sigma context
 * such a byte counts as neither cased nor case-ignorable.
 *
 * Number::toString finds the shortest round-trip digits with snprintf and
 * strtod (both correctly rounded in glibc) and then applies the ECMAScript
 * layout rules.
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsp_js.h"
#include "bsp_js_tables.h"

#define BSP_JS_INVALID 0xFFFFFFFFu

/*
 * Decode one UTF-8 sequence at p[i] (i < len, p[i] >= 0x80).  Returns its
 * length and sets *cp, or returns 1 with *cp = BSP_JS_INVALID when the
 * byte does not start a well-formed sequence.
 */
static inline size_t
utf8_decode(const unsigned char *p, size_t len, size_t i, uint32_t *cp)
{
	unsigned char c = p[i];
	size_t		avail = len - i;
	unsigned char c1,
				c2,
				c3;

	*cp = BSP_JS_INVALID;
	if (c < 0xC2)
		return 1;				/* continuation byte or overlong lead */
	if (c < 0xE0)
	{
		if (avail < 2 || (p[i + 1] & 0xC0) != 0x80)
			return 1;
		*cp = ((uint32_t) (c & 0x1F) << 6) | (p[i + 1] & 0x3F);
		return 2;
	}
	if (c < 0xF0)
	{
		if (avail < 3)
			return 1;
		c1 = p[i + 1];
		c2 = p[i + 2];
		if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80)
			return 1;
		if (c == 0xE0 && c1 < 0xA0)
			return 1;			/* overlong */
		if (c == 0xED && c1 >= 0xA0)
			return 1;			/* surrogate */
		*cp = ((uint32_t) (c & 0x0F) << 12) | ((uint32_t) (c1 & 0x3F) << 6) |
			(c2 & 0x3F);
		return 3;
	}
	if (c < 0xF5)
	{
		if (avail < 4)
			return 1;
		c1 = p[i + 1];
		c2 = p[i + 2];
		c3 = p[i + 3];
		if ((c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80 ||
			(c3 & 0xC0) != 0x80)
			return 1;
		if (c == 0xF0 && c1 < 0x90)
			return 1;			/* overlong */
		if (c == 0xF4 && c1 >= 0x90)
			return 1;			/* beyond U+10FFFF */
		*cp = ((uint32_t) (c & 0x07) << 18) | ((uint32_t) (c1 & 0x3F) << 12) |
			((uint32_t) (c2 & 0x3F) << 6) | (c3 & 0x3F);
		return 4;
	}
	return 1;
}

/*
 * Find the unit (valid sequence or single invalid byte) that ends just
 * before p[end] (end > 0), consistently with utf8_decode's forward
 * segmentation.  Returns its start and sets *cp.
 */
static size_t
utf8_prev(const unsigned char *p, size_t end, uint32_t *cp)
{
	size_t		k = 0;
	size_t		start;

	/* step back over at most 3 continuation bytes */
	while (k < 3 && k < end && (p[end - 1 - k] & 0xC0) == 0x80)
		k++;
	if (k < end && (p[end - 1 - k] & 0xC0) != 0x80)
	{
		start = end - 1 - k;
		if (p[start] < 0x80)
		{
			if (k == 0)
			{
				*cp = p[start];
				return start;
			}
		}
		else if (utf8_decode(p, end, start, cp) == k + 1)
			return start;
	}
	*cp = (p[end - 1] < 0x80) ? p[end - 1] : BSP_JS_INVALID;
	return end - 1;
}

static inline size_t
utf8_encode(uint32_t cp, char *dst)
{
	if (cp < 0x80)
	{
		dst[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		dst[0] = (char) (0xC0 | (cp >> 6));
		dst[1] = (char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		dst[0] = (char) (0xE0 | (cp >> 12));
		dst[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		dst[2] = (char) (0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (char) (0xF0 | (cp >> 18));
	dst[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
	dst[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
	dst[3] = (char) (0x80 | (cp & 0x3F));
	return 4;
}

/*
 * The lowercase run containing cp, or NULL when cp maps to itself.
 */
static inline const bsp_js_lower_run *
lower_run(uint32_t cp)
{
	uint32_t	blk;
	int			lo,
				hi;

	if (cp >= BSP_JS_BITMAP_LIMIT)
		return NULL;
	blk = cp >> BSP_JS_BLOCK_SHIFT;
	if (!(bsp_js_lower_blocks[blk >> 3] & (1 << (blk & 7))))
		return NULL;

	/* last run with start <= cp */
	lo = 0;
	hi = BSP_JS_LOWER_RUNS - 1;
	if (cp < bsp_js_lower_runs[0].start)
		return NULL;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (bsp_js_lower_runs[mid].start <= cp)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (cp > bsp_js_lower_runs[lo].end)
		return NULL;
	if (bsp_js_lower_runs[lo].stride == 2 &&
		((cp - bsp_js_lower_runs[lo].start) & 1) != 0)
		return NULL;
	return &bsp_js_lower_runs[lo];
}

/* BSP_JS_CLS_NONE, _CASED or _IGNORABLE */
static int
char_class(uint32_t cp)
{
	int			lo = 0,
				hi = BSP_JS_CLASS_RANGES - 1;

	if (cp == BSP_JS_INVALID || cp < bsp_js_class_ranges[0].start)
		return BSP_JS_CLS_NONE;
	while (lo < hi)
	{
		int			mid = (lo + hi + 1) / 2;

		if (bsp_js_class_ranges[mid].start <= cp)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (cp > bsp_js_class_ranges[lo].end)
		return BSP_JS_CLS_NONE;
	return (int) bsp_js_class_ranges[lo].cls;
}

/*
 * Final_Sigma: the sigma at p[start..end) is preceded by a cased letter and
 * not followed by one, skipping case-ignorable characters both ways.
 */
static bool
final_sigma(const unsigned char *p, size_t len, size_t start, size_t end)
{
	size_t		i;
	uint32_t	cp;
	int			cls;
	bool		before = false;

	i = start;
	while (i > 0)
	{
		i = utf8_prev(p, i, &cp);
		cls = char_class(cp);
		if (cls == BSP_JS_CLS_IGNORABLE)
			continue;
		before = (cls == BSP_JS_CLS_CASED);
		break;
	}
	if (!before)
		return false;

	i = end;
	while (i < len)
	{
		if (p[i] < 0x80)
		{
			cp = p[i];
			i++;
		}
		else
			i += utf8_decode(p, len, i, &cp);
		cls = char_class(cp);
		if (cls == BSP_JS_CLS_IGNORABLE)
			continue;
		return cls != BSP_JS_CLS_CASED;
	}
	return true;
}

bool
bsp_js_lower(bsp_sbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	char	   *dst;
	size_t		i = 0;

	/* no character grows by more than half its UTF-8 length */
	if (len > ((size_t) 1 << 30) || !bsp_sbuf_reserve(out, len + len / 2 + 1))
	{
		out->failed = true;
		return false;
	}
	dst = out->data + out->len;

	while (i < len)
	{
		uint32_t	cp;
		size_t		n;
		const bsp_js_lower_run *run;

		/* ASCII fast path */
		while (i < len && p[i] < 0x80)
		{
			unsigned char c = p[i++];

			*dst++ = (char) (c + ((unsigned char) (c - 'A') < 26 ? 32 : 0));
		}
		if (i >= len)
			break;

		n = utf8_decode(p, len, i, &cp);
		if (cp == BSP_JS_INVALID)
		{
			*dst++ = (char) p[i++];
			continue;
		}
		if (cp == 0x3A3)
			dst += utf8_encode(final_sigma(p, len, i, i + n) ? 0x3C2 : 0x3C3,
							   dst);
		else if ((run = lower_run(cp)) == NULL)
		{
			memcpy(dst, p + i, n);
			dst += n;
		}
		else if (run->stride != 0)
			dst += utf8_encode((uint32_t) ((int32_t) cp + run->delta), dst);
		else
		{
			const bsp_js_lower_multi_entry *m = &bsp_js_lower_multi[run->delta];
			uint32_t	k;

			for (k = 0; k < m->n; k++)
				dst += utf8_encode(m->cp[k], dst);
		}
		i += n;
	}

	out->len = (size_t) (dst - out->data);
	out->data[out->len] = '\0';
	return true;
}

bool
bsp_js_lower_is_identity(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		uint32_t	cp;

		while (i < len && p[i] < 0x80)
		{
			if ((unsigned char) (p[i] - 'A') < 26)
				return false;
			i++;
		}
		if (i >= len)
			break;
		i += utf8_decode(p, len, i, &cp);
		if (cp == BSP_JS_INVALID)
			continue;
		if (cp == 0x3A3 || lower_run(cp) != NULL)
			return false;
	}
	return true;
}

size_t
bsp_utf16_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t		i = 0;
	size_t		n = 0;

	while (i < len)
	{
		uint32_t	cp;
		size_t		k;

		if (p[i] < 0x80)
		{
			i++;
			n++;
			continue;
		}
		k = utf8_decode(p, len, i, &cp);
		i += k;
		n += (k == 4) ? 2 : 1;
	}
	return n;
}

/*
 * ECMAScript layout of digits[0..k) (no trailing zeros) times
 * 10^(n - k), with the sign in neg.
 */
static int
js_layout(char *buf, bool neg, const char *digits, int k, int n)
{
	char	   *o = buf;
	int			i;

	if (neg)
		*o++ = '-';
	if (k <= n && n <= 21)
	{
		memcpy(o, digits, k);
		o += k;
		for (i = 0; i < n - k; i++)
			*o++ = '0';
	}
	else if (0 < n && n <= 21)
	{
		memcpy(o, digits, n);
		o += n;
		*o++ = '.';
		memcpy(o, digits + n, k - n);
		o += k - n;
	}
	else if (-6 < n && n <= 0)
	{
		*o++ = '0';
		*o++ = '.';
		for (i = 0; i < -n; i++)
			*o++ = '0';
		memcpy(o, digits, k);
		o += k;
	}
	else
	{
		*o++ = digits[0];
		if (k > 1)
		{
			*o++ = '.';
			memcpy(o, digits + 1, k - 1);
			o += k - 1;
		}
		o += sprintf(o, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	*o = '\0';
	return (int) (o - buf);
}

/*
 * Try the k-digit mantissa m (k <= 17) with value m * 10^q: when it reads
 * back as d, store its digits without trailing zeros and the ECMAScript n.
 */
static bool
try_mantissa(double d, uint64_t m, int q, char *digits, int *k, int *n)
{
	char		tmp[48];
	int			len;

	if (m == 0)
		return false;
	snprintf(tmp, sizeof(tmp), "%llue%d", (unsigned long long) m, q);
	if (strtod(tmp, NULL) != d)
		return false;
	len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long) m);
	*n = len + q;
	while (len > 1 && tmp[len - 1] == '0')
		len--;
	memcpy(digits, tmp, len);
	*k = len;
	return true;
}

/*
 * Does d (> 0, finite) have a round-trip form with ndig significant digits?
 * If so, store its digits (no trailing zeros) in digits, their count in
 * *k and the ECMAScript decimal point position in *n.
 */
static bool
probe_digits(double d, int ndig, bool pow2, char *digits, int *k, int *n)
{
	char		tmp[48];
	uint64_t	m = 0;
	int			e;
	char	   *c;
	int			nd = 0;

	snprintf(tmp, sizeof(tmp), "%.*e", ndig - 1, d);
	for (c = tmp; *c != 'e'; c++)
	{
		if (*c == '.')
			continue;
		digits[nd++] = *c;
		m = m * 10 + (uint64_t) (*c - '0');
	}
	e = atoi(c + 1);
	if (strtod(tmp, NULL) == d)
	{
		while (nd > 1 && digits[nd - 1] == '0')
			nd--;
		*k = nd;
		*n = e + 1;
		return true;
	}

	/*
	 * At a power of two the round-trip interval is lopsided (twice as wide
	 * above d as below), so the nearest ndig-digit value may fall just short
	 * below d while its neighbour above still reads back as d; ECMAScript
	 * wants the fewest digits first.
	 */
	return pow2 && try_mantissa(d, m + 1, e - ndig + 1, digits, k, n);
}

int
bsp_js_number(double d, char *buf)
{
	bool		neg;
	char		digits[24];
	char		cand[24];
	int			k = 0;
	int			n = 0;
	int			ck,
				cn;
	int			ndig;
	int			lo,
				hi;
	int			e2;
	bool		pow2;

	if (isnan(d))
	{
		strcpy(buf, "NaN");
		return 3;
	}
	if (isinf(d))
	{
		strcpy(buf, d < 0 ? "-Infinity" : "Infinity");
		return d < 0 ? 9 : 8;
	}
	if (d == 0)
	{
		strcpy(buf, "0");
		return 1;
	}

	/* integers below 2^53 print exactly and are their own shortest form */
	if (fabs(d) < 9007199254740992.0 && d == (double) (long long) d)
		return sprintf(buf, "%lld", (long long) d);

	neg = d < 0;
	d = fabs(d);
	pow2 = (frexp(d, &e2) == 0.5);

	/*
	 * Whether ndig digits suffice is monotonic in ndig, so: a linear scan
	 * over the short forms that are common in documents, then a binary
	 * search over the rest.  17 digits always suffice.
	 */
	for (ndig = 1; ndig <= 4; ndig++)
		if (probe_digits(d, ndig, pow2, digits, &k, &n))
			return js_layout(buf, neg, digits, k, n);
	lo = 5;
	hi = 17;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (probe_digits(d, mid, pow2, cand, &ck, &cn))
		{
			memcpy(digits, cand, ck);
			k = ck;
			n = cn;
			hi = mid;
		}
		else
			lo = mid + 1;
	}
	/* nothing below 17 worked: 17 significant digits always read back */
	if (k == 0)
		probe_digits(d, 17, pow2, digits, &k, &n);
	return js_layout(buf, neg, digits, k, n);
}
