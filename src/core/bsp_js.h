/*-------------------------------------------------------------------------
 * bsp_js.h
 *	  JavaScript string and number semantics that Backstage relies on.
 *
 * Backstage lowercases search keys and values with ECMAScript's
 * String.prototype.toLowerCase() (full Unicode default mapping, the
 * unconditional SpecialCasing entries and the Final_Sigma rule, locale
 * independent), measures lengths in UTF-16 code units and prints numbers
 * with ECMAScript's Number::toString.  These functions reproduce all three
 * on UTF-8 input, without PostgreSQL.
 *-------------------------------------------------------------------------
 */
#ifndef BSPERM_JS_H
#define BSPERM_JS_H

#include "bsp_common.h"

/*
 * Append JS-lower(s) to out.  s is UTF-8 of length len (not necessarily
 * NUL-terminated).  Invalid UTF-8 bytes are copied through unchanged.
 * Returns false only when out could not grow.
 */
extern bool bsp_js_lower(bsp_sbuf *out, const char *s, size_t len);

/* True when s needs no change under bsp_js_lower (e.g. ASCII without A-Z). */
extern bool bsp_js_lower_is_identity(const char *s, size_t len);

/* Length of UTF-8 s in UTF-16 code units (JS "length"). */
extern size_t bsp_utf16_len(const char *s, size_t len);

/*
 * ECMAScript Number::toString(d) into buf (at least BSP_JSNUM_BUFLEN bytes),
 * NUL-terminated; returns the length.  "NaN", "Infinity", "-Infinity",
 * "0" for -0, shortest round-trip digits otherwise ("1e+21", "1.5",
 * "1e-7", "0.30000000000000004").
 */
#define BSP_JSNUM_BUFLEN 40
extern int	bsp_js_number(double d, char *buf);

#endif							/* BSPERM_JS_H */
