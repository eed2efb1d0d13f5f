/*
 * test_js.c
 *	  Unit tests for bsp_js.c: ECMAScript toLowerCase(), UTF-16 length and
 *	  Number::toString.
 *
 * Usage: test_js [vectors.txt]
 * The vectors file comes from "node test/unit/js_vectors.js"; with it, every
 * vector is checked against bsp_js and each category reports one check with
 * the count of mismatches (the first few are printed).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>

#include "unit.h"
#include "bsp_js.h"

#define SHOW_MAX 5

static char *
lower(unit_arena *ua, const char *s)
{
	bsp_sbuf	b;

	bsp_sbuf_init(&b, &ua->arena);
	if (!bsp_js_lower(&b, s, strlen(s)))
		return NULL;
	return b.data;
}

static const char *
num(double d, char *buf)
{
	int			n = bsp_js_number(d, buf);

	if (n != (int) strlen(buf))
		return "(length mismatch)";
	return buf;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* decode hex in place; returns the byte count or -1 */
static long
unhex(char *s)
{
	size_t		n = strlen(s);
	size_t		i;

	if (n % 2)
		return -1;
	for (i = 0; i < n; i += 2)
	{
		int			a = hexval((unsigned char) s[i]);
		int			b = hexval((unsigned char) s[i + 1]);

		if (a < 0 || b < 0)
			return -1;
		s[i / 2] = (char) (a * 16 + b);
	}
	return (long) (n / 2);
}

static void
print_hex(const char *label, const char *s, size_t n)
{
	size_t		i;

	printf("#   %s: ", label);
	for (i = 0; i < n; i++)
		printf("%02x", (unsigned char) s[i]);
	printf("\n");
}

static void
check_vectors(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	ssize_t		got;
	long		n_lower = 0,
				bad_lower = 0,
				bad_ident = 0,
				bad_u16 = 0,
				n_num = 0,
				bad_num = 0,
				bad_line = 0;

	CHECK(f != NULL, "vectors file %s opens", path);
	if (!f)
		return;
	while ((got = getline(&line, &cap, f)) > 0)
	{
		char	   *tok1,
				   *tok2,
				   *tok3,
				   *save = NULL;

		if (line[got - 1] == '\n')
			line[got - 1] = '\0';
		if (line[0] == 'L')
		{
			long		nin,
						nexp;
			unit_arena	ua;
			bsp_sbuf	b;
			size_t		u16;
			bool		ok;

			strtok_r(line, " ", &save);
			tok1 = strtok_r(NULL, " ", &save);
			tok2 = strtok_r(NULL, " ", &save);
			tok3 = strtok_r(NULL, " ", &save);
			if (!tok1 || !tok2 || !tok3 ||
				(nin = unhex(tok1)) < 0 || (nexp = unhex(tok2)) < 0)
			{
				bad_line++;
				continue;
			}
			n_lower++;
			unit_arena_init(&ua);
			bsp_sbuf_init(&b, &ua.arena);
			ok = bsp_js_lower(&b, tok1, (size_t) nin);
			if (!ok || b.len != (size_t) nexp ||
				memcmp(b.data, tok2, (size_t) nexp) != 0)
			{
				if (bad_lower++ < SHOW_MAX)
				{
					printf("# lower mismatch\n");
					print_hex("input", tok1, (size_t) nin);
					print_hex("got  ", ok ? b.data : "", ok ? b.len : 0);
					print_hex("want ", tok2, (size_t) nexp);
				}
			}
			if (bsp_js_lower_is_identity(tok1, (size_t) nin) !=
				(nin == nexp && memcmp(tok1, tok2, (size_t) nin) == 0))
			{
				if (bad_ident++ < SHOW_MAX)
				{
					printf("# is_identity mismatch\n");
					print_hex("input", tok1, (size_t) nin);
				}
			}
			u16 = bsp_utf16_len(tok1, (size_t) nin);
			if (u16 != (size_t) strtoul(tok3, NULL, 10))
			{
				if (bad_u16++ < SHOW_MAX)
				{
					printf("# utf16 length mismatch: got %zu want %s\n", u16, tok3);
					print_hex("input", tok1, (size_t) nin);
				}
			}
			unit_arena_free(&ua);
		}
		else if (line[0] == 'N')
		{
			uint64_t	bits;
			double		d;
			char		buf[BSP_JSNUM_BUFLEN];

			strtok_r(line, " ", &save);
			tok1 = strtok_r(NULL, " ", &save);
			tok2 = strtok_r(NULL, " ", &save);
			if (!tok1 || !tok2 || strlen(tok1) != 16)
			{
				bad_line++;
				continue;
			}
			n_num++;
			bits = (uint64_t) strtoull(tok1, NULL, 16);
			memcpy(&d, &bits, sizeof(d));
			bsp_js_number(d, buf);
			if (strcmp(buf, tok2) != 0)
			{
				if (bad_num++ < SHOW_MAX)
					printf("# number mismatch: bits %s got %s want %s\n",
						   tok1, buf, tok2);
			}
		}
		else if (line[0] != '\0')
			bad_line++;
	}
	free(line);
	fclose(f);

	CHECK(bad_line == 0, "vectors: %ld malformed lines", bad_line);
	CHECK(n_lower > 1000000 && bad_lower == 0,
		  "vectors: toLowerCase %ld mismatches of %ld", bad_lower, n_lower);
	CHECK(n_lower > 1000000 && bad_ident == 0,
		  "vectors: is_identity %ld mismatches of %ld", bad_ident, n_lower);
	CHECK(n_lower > 1000000 && bad_u16 == 0,
		  "vectors: utf16 length %ld mismatches of %ld", bad_u16, n_lower);
	CHECK(n_num > 1000 && bad_num == 0,
		  "vectors: Number::toString %ld mismatches of %ld", bad_num, n_num);
}

int
main(int argc, char **argv)
{
	unit_arena	ua;
	char		buf[BSP_JSNUM_BUFLEN];
	bsp_sbuf	b;

	unit_arena_init(&ua);

	/* toLowerCase */
	CHECK_STR(lower(&ua, ""), "", "lower empty");
	CHECK_STR(lower(&ua, "Hello, World! AZaz@[`{"), "hello, world! azaz@[`{",
			  "lower ASCII");
	CHECK_STR(lower(&ua, "\xC4\xB0stanbul"), "i\xCC\x87stanbul",
			  "lower U+0130 gives i + U+0307");
	CHECK_STR(lower(&ua, "\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"),
			  "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82", "lower final sigma (ODOS)");
	CHECK_STR(lower(&ua, "\xCE\xA3"), "\xCF\x83", "lower lone sigma");
	CHECK_STR(lower(&ua, "\xCE\x91\xCE\xA3.\xCE\x92"),
			  "\xCE\xB1\xCF\x83.\xCE\xB2",
			  "lower sigma, '.' is case-ignorable, then a cased letter");
	CHECK_STR(lower(&ua, "\xCE\x91\xCE\xA3. \xCE\x92"),
			  "\xCE\xB1\xCF\x82. \xCE\xB2",
			  "lower sigma before '. ' is final");
	CHECK_STR(lower(&ua, "\xCE\x91'\xCE\xA3"), "\xCE\xB1'\xCF\x82",
			  "lower sigma after ignorable after cased is final");
	CHECK_STR(lower(&ua, " \xCE\xA3 "), " \xCF\x83 ", "lower sigma between spaces");
	CHECK_STR(lower(&ua, "Stra\xC3\x9F" "e"), "stra\xC3\x9F" "e",
			  "lower Strasse keeps sharp s");
	CHECK_STR(lower(&ua, "\xE2\x84\xAA"), "k", "lower KELVIN SIGN");
	CHECK_STR(lower(&ua, "\xF0\x90\x90\x80"), "\xF0\x90\x90\xA8",
			  "lower U+10400 DESERET CAPITAL LONG I");
	CHECK_STR(lower(&ua, "\xE1\xBA\x9E"), "\xC3\x9F", "lower U+1E9E to sharp s");
	CHECK_STR(lower(&ua, "\xC8\xBA"), "\xE2\xB1\xA5", "lower U+023A grows");
	CHECK_STR(lower(&ua, "\xE4\xB8\x80\xEA\xB0\x80"), "\xE4\xB8\x80\xEA\xB0\x80",
			  "lower CJK and Hangul unchanged");
	CHECK_STR(lower(&ua, "A\xFF" "B\xC3\xED\xA0\x80\xC0\xAF" "C\x80"),
			  "a\xFF" "b\xC3\xED\xA0\x80\xC0\xAF" "c\x80",
			  "lower copies invalid UTF-8 through");
	CHECK_STR(lower(&ua, "\xCE\x91\xFF\xCE\xA3"), "\xCE\xB1\xFF\xCF\x83",
			  "lower invalid byte breaks the sigma context");
	CHECK_STR(lower(&ua, "\xCE\x91\xCE\xA3\xF0\x90\x90"),
			  "\xCE\xB1\xCF\x82\xF0\x90\x90",
			  "lower truncated sequence after final sigma");
	bsp_sbuf_init(&b, &ua.arena);
	bsp_sbuf_appends(&b, "pre:");
	CHECK(bsp_js_lower(&b, "ABC\xCE\xA3xyz", 5) && strcmp(b.data, "pre:abc\xCF\x82") == 0,
		  "lower appends and honours len");

	/* is_identity */
	CHECK(bsp_js_lower_is_identity("abc 123", 7), "identity plain ASCII");
	CHECK(!bsp_js_lower_is_identity("abC", 3), "identity upper ASCII");
	CHECK(bsp_js_lower_is_identity("stra\xC3\x9F" "e", 7), "identity sharp s");
	CHECK(!bsp_js_lower_is_identity("\xCE\xA3", 2), "identity sigma");
	CHECK(!bsp_js_lower_is_identity("\xE2\x84\xAA", 3), "identity kelvin");
	CHECK(bsp_js_lower_is_identity("\xFF\xC3", 2), "identity invalid bytes");

	/* UTF-16 length */
	CHECK(bsp_utf16_len("", 0) == 0, "utf16 empty");
	CHECK(bsp_utf16_len("abc", 3) == 3, "utf16 ASCII");
	CHECK(bsp_utf16_len("\xC3\xA9\xE2\x82\xAC", 5) == 2, "utf16 2- and 3-byte");
	CHECK(bsp_utf16_len("\xF0\x9F\x98\x80x", 5) == 3, "utf16 astral counts 2");
	CHECK(bsp_utf16_len("\xC4\xB0stanbul", 9) == 8, "utf16 Istanbul");

	/* Number::toString */
	CHECK_STR(num(3, buf), "3", "number 3");
	CHECK_STR(num(-3, buf), "-3", "number -3");
	CHECK_STR(num(1.5, buf), "1.5", "number 1.5");
	CHECK_STR(num(1e21, buf), "1e+21", "number 1e21");
	CHECK_STR(num(1e-7, buf), "1e-7", "number 1e-7");
	CHECK_STR(num(0.1 + 0.2, buf), "0.30000000000000004", "number 0.1+0.2");
	CHECK_STR(num(123456789012345680000.0, buf), "123456789012345680000",
			  "number 123456789012345680000");
	CHECK_STR(num(1e-6, buf), "0.000001", "number 1e-6");
	CHECK_STR(num(5e-324, buf), "5e-324", "number 5e-324");
	CHECK_STR(num(1.7976931348623157e308, buf), "1.7976931348623157e+308",
			  "number DBL_MAX");
	CHECK_STR(num(-1.25e-10, buf), "-1.25e-10", "number -1.25e-10");
	CHECK_STR(num(1e20, buf), "100000000000000000000", "number 1e20");
	CHECK_STR(num(0.0, buf), "0", "number 0");
	CHECK_STR(num(-0.0, buf), "0", "number -0");
	CHECK_STR(num(NAN, buf), "NaN", "number NaN");
	CHECK_STR(num(INFINITY, buf), "Infinity", "number Infinity");
	CHECK_STR(num(-INFINITY, buf), "-Infinity", "number -Infinity");
	CHECK_STR(num(9007199254740993.0, buf), "9007199254740992", "number 2^53+1");
	CHECK_STR(num(-1.7976931348623157e308, buf), "-1.7976931348623157e+308",
			  "number -DBL_MAX");
	CHECK_STR(num(-1.2345678901234567e-200, buf), "-1.2345678901234567e-200",
			  "number long negative exponent");

	unit_arena_free(&ua);

	if (argc > 1)
		check_vectors(argv[1]);
	else
		printf("# no vectors file given; exhaustive cross-check skipped\n");

	return unit_done("test_js");
}
