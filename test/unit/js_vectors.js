#!/usr/bin/env node
/*
 * js_vectors.js
 *	  Write cross-check vectors for test_js from the running Node.js.
 *
 * Output lines (hex is lower case):
 *	 L <utf8 input hex> <utf8 toLowerCase() hex> <utf16 length>
 *	 N <IEEE-754 bits as 16 hex digits> <String(d)>
 * The L lines cover every code point singly (surrogates excluded) and a few
 * thousand random strings that mix Greek sigma contexts, ASCII, punctuation,
 * combining marks and astral characters.  The N lines cover special values,
 * powers of two and their neighbours, and random doubles.
 *
 * Usage: node test/unit/js_vectors.js > vectors.txt
 */
'use strict';

/* deterministic PRNG (mulberry32) so failures can be reproduced */
let seed = 0x5eed1234;
function rnd()
{
	seed = (seed + 0x6d2b79f5) | 0;
	let t = seed;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];

const out = [];
const flush = () =>
{
	if (out.length)
	{
		process.stdout.write(out.join('\n') + '\n');
		out.length = 0;
	}
};
function lowerLine(s)
{
	out.push('L ' + Buffer.from(s, 'utf8').toString('hex') + ' ' +
			 Buffer.from(s.toLowerCase(), 'utf8').toString('hex') + ' ' + s.length);
	if (out.length >= 10000)
		flush();
}

/* every code point singly */
for (let cp = 0; cp <= 0x10ffff; cp++)
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		continue;
	lowerLine(String.fromCodePoint(cp));
}

/* pools for the random strings */
const cased = [];
const ignorable = [];
const both = [];
const other = [];
for (let cp = 0; cp <= 0x10ffff; cp++)
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		continue;
	const s = String.fromCodePoint(cp);
	const c = /\p{Cased}/u.test(s);
	const i = /\p{Case_Ignorable}/u.test(s);

	if (c && i)
		both.push(s);
	else if (c)
		cased.push(s);
	else if (i)
		ignorable.push(s);
	else if (rnd() < 0.01)
		other.push(s);
}
const ascii = [];
for (let cp = 0x20; cp < 0x7f; cp++)
	ascii.push(String.fromCharCode(cp));
const sigmaish = ['\u03a3', '\u03a3', '\u03a3', '\u03c3', '\u03c2', '\u0391',
				  '\u03b1', '\u0130', 'I', 'i', '\u0307', '\u0301', '\u0345',
				  '.', '\'', ':', ' ', '1', '-', '\u00ad', '\u200d', '\u{10400}',
				  '\u{10428}', '\u{e0001}', '\u{1f3fb}', '\u{1d400}', '\u212a',
				  '\u1e9e', '\u00df', '\u02b0', '\u{1e900}', '\u4e00', '\u00c0'];
const pools = [sigmaish, sigmaish, sigmaish, ascii, ascii, cased, ignorable,
			   both, other];

for (let n = 0; n < 6000; n++)
{
	const len = 1 + Math.floor(rnd() * 12);
	let s = '';

	for (let j = 0; j < len; j++)
		s += pick(pick(pools));
	lowerLine(s);
}
/* a few longer mixed strings */
for (let n = 0; n < 200; n++)
{
	let s = '';

	for (let j = 0; j < 200; j++)
		s += pick(pick(pools));
	lowerLine(s);
}
flush();

/* numbers */
const buf = Buffer.alloc(8);
function numLine(d)
{
	buf.writeDoubleBE(d);
	out.push('N ' + buf.toString('hex') + ' ' + String(d));
	if (out.length >= 10000)
		flush();
}
function fromBits(hi, lo)
{
	buf.writeUInt32BE(hi >>> 0, 0);
	buf.writeUInt32BE(lo >>> 0, 4);
	return buf.readDoubleBE(0);
}

[0, -0, NaN, Infinity, -Infinity, 1, -1, 3, 1.5, 0.1, 0.1 + 0.2, 1e21, 1e-7,
 1e-6, 123456789012345680000, 5e-324, 1.7976931348623157e308,
 Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Number.EPSILON, 2 ** 53, 2 ** 53 + 2,
 -1e21, 1e20, 999999999999999900000, 0.000001234, 1.234e-7, 100, 1e100].forEach(numLine);

/* powers of two and neighbours (lopsided rounding intervals) */
for (let e = -1074; e <= 1023; e++)
{
	const d = 2 ** e;

	buf.writeDoubleBE(d);
	const hi = buf.readUInt32BE(0);
	const lo = buf.readUInt32BE(4);

	numLine(d);
	numLine(-d);
	if (lo > 0)
		numLine(fromBits(hi, lo - 1));
	else if (hi > 0)
		numLine(fromBits(hi - 1, 0xffffffff));
	numLine(fromBits(hi, lo + 1));
}
/* powers of ten and neighbours */
for (let e = -325; e <= 308; e++)
{
	const d = Number('1e' + e);

	numLine(d);
	numLine(d * (1 + Number.EPSILON));
	numLine(d * (1 - Number.EPSILON / 2));
}
/* random bit patterns */
for (let n = 0; n < 100000; n++)
	numLine(fromBits(Math.floor(rnd() * 4294967296), Math.floor(rnd() * 4294967296)));
/* random "human" numbers: few digits, various exponents */
for (let n = 0; n < 100000; n++)
{
	const digits = 1 + Math.floor(rnd() * 17);
	let m = String(1 + Math.floor(rnd() * 9));

	for (let j = 1; j < digits; j++)
		m += String(Math.floor(rnd() * 10));
	const d = Number(m + 'e' + (Math.floor(rnd() * 60) - 30));

	numLine(rnd() < 0.5 ? d : -d);
}
/* random integers and small decimals */
for (let n = 0; n < 20000; n++)
{
	numLine(Math.floor(rnd() * 2 ** (1 + Math.floor(rnd() * 70))));
	numLine(Math.floor(rnd() * 1e6) / 1000);
}
flush();
