'use strict';
// Deterministic pseudo-random numbers (mulberry32), so that every run of the
// suite generates the same catalog and the same criteria for a given seed.

function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: p => next() < p,
    pick: arr => arr[Math.floor(next() * arr.length)],
    pickN: (arr, n) => {
      const copy = arr.slice();
      const out = [];
      while (out.length < n && copy.length) {
        out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]);
      }
      return out;
    },
    uuid: () => {
      const h = () => Math.floor(next() * 16).toString(16);
      const s = n => Array.from({ length: n }, h).join('');
      return `${s(8)}-${s(4)}-4${s(3)}-${'89ab'[Math.floor(next() * 4)]}${s(3)}-${s(12)}`;
    },
  };
  return rng;
}

module.exports = { makeRng };
