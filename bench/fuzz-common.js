// What the fuzzers share (bench/handshake-fuzz.js, bench/request-fuzz-cases.js and the scripts that run them):
// a seedable PRNG and its helpers, and the checks that nothing was left open. Plain CommonJS, so that bench
// scripts run it without a build and the tests require it as they require the fuzzers.
'use strict';

const { readdirSync, readlinkSync } = require('node:fs');

/** A small, seedable PRNG (mulberry32): the same seed gives the same cases. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rand, xs) => xs[Math.floor(rand() * xs.length)];
const chance = (rand, p) => rand() < p;
const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

/** `n` bytes from the PRNG. */
function bytes(rand, n) {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256);
  return out;
}

/** Sockets this process holds open (Linux: /proc/self/fd). */
function openSockets() {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed between the listing and the read
    }
  }
  return n;
}

/** Waits until `check()` holds or `ms` pass; resolves with its last value. */
async function until(check, ms) {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return check();
}

/** Prints a fuzz report's title, what was tried (field: value × count) and the outcomes, as Markdown. */
function printReport(title, report) {
  console.log(`# ${title}\n`);
  console.log('## Tried (field: value × count)\n');
  for (const [field, counts] of Object.entries(report.tried)) {
    const list = Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([v, n]) => `${JSON.stringify(v)} ×${n}`);
    console.log(`- ${field}: ${list.join(', ')}`);
  }
  console.log('\n## Outcomes\n');
  for (const [outcome, n] of Object.entries(report.outcomes)) console.log(`- ${outcome}: ${n}`);
}

module.exports = { prng, pick, chance, int, bytes, openSockets, until, printReport };
