// Structure-aware fuzzing of WebSocket opening handshakes, shared by the test
// suite (test/hardening/handshake-fuzz.test.ts: fixed seed, bounded count) and
// bench/fuzz-handshakes.mjs (any seed and count, against the built gateway).
//
// Each case is a request built field by field (method, target, HTTP version,
// Host, Upgrade, Connection, every Sec-WebSocket-* header, Origin) from valid
// values and their known-bad neighbours, plus what the client does afterwards
// (reads and closes, half-closes at once, sends garbage, speaks WebSocket, or
// vanishes). The runner sends it on a raw socket and classifies the answer.
'use strict';

const { connect } = require('node:net');
const { randomBytes } = require('node:crypto');
const { prng, pick, chance, bytes } = require('./fuzz-common.js');

/** Statuses the gateway may answer an upgrade with: 101, or a documented 4xx with the JSON error body. */
const DOCUMENTED = new Set([101, 400, 403, 404, 405, 414, 421, 426, 431]);

/** A value of 16 random bytes in base64, as a client makes its key. */
const validKey = (rand) => bytes(rand, 16).toString('base64');

const TOKENS = ['chat', 'chat.v2', 'a', 'b', 'superchat', 'mqtt', 'x-1', "!#$%&'*+-.^_`|~"];
const BAD_TOKENS = ['a b', 'a;b', '"q"', 'a/b', '(x)', '\xe4', 'a\tb', '{}', 'a=b', '@'];

/** One field: a name for the report and the header lines it adds. */
const FIELDS = {
  upgrade(rand) {
    if (chance(rand, 0.85)) return ['websocket', ['Upgrade: websocket']];
    const v = pick(rand, [
      'WebSocket',
      'WEBSOCKET',
      'websocket, h2c',
      'h2c',
      '',
      'web socket',
      'websocket/13',
      'absent',
      'twice',
    ]);
    if (v === 'absent') return [v, []];
    if (v === 'twice') return [v, ['Upgrade: websocket', 'Upgrade: websocket']];
    return [v, [`Upgrade: ${v}`]];
  },
  connection(rand) {
    if (chance(rand, 0.85)) return ['Upgrade', ['Connection: Upgrade']];
    const v = pick(rand, [
      'upgrade',
      'keep-alive, Upgrade',
      'Upgrade, keep-alive',
      'close',
      'Upgrade, close',
      'x-private, upgrade',
      'Upgrade, Upgrade',
      '',
      'absent',
    ]);
    return v === 'absent' ? [v, []] : [v, [`Connection: ${v}`]];
  },
  version(rand) {
    if (chance(rand, 0.8)) return ['13', ['Sec-WebSocket-Version: 13']];
    const v = pick(rand, [
      '8',
      '7',
      '0',
      '12',
      '14',
      '13, 13',
      '13, 8',
      '',
      '+13',
      '0x0d',
      '13.0',
      '1.3e1',
      'abc',
      'absent',
      'twice',
    ]);
    if (v === 'absent') return [v, []];
    if (v === 'twice') return [v, ['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 13']];
    return [v, [`Sec-WebSocket-Version: ${v}`]];
  },
  key(rand) {
    if (chance(rand, 0.8)) return ['valid', [`Sec-WebSocket-Key: ${validKey(rand)}`]];
    const v = pick(rand, [
      'absent',
      '10 bytes',
      '15 bytes',
      '17 bytes',
      'non-canonical',
      'no padding',
      'base64url',
      'bad characters',
      'empty',
      'twice',
    ]);
    const b64 = (n) => bytes(rand, n).toString('base64');
    const line = {
      absent: [],
      '10 bytes': [`Sec-WebSocket-Key: ${b64(10)}`],
      '15 bytes': [`Sec-WebSocket-Key: ${b64(15)}`],
      '17 bytes': [`Sec-WebSocket-Key: ${b64(17)}`],
      'non-canonical': [`Sec-WebSocket-Key: ${validKey(rand).slice(0, 21)}B==`],
      'no padding': [`Sec-WebSocket-Key: ${validKey(rand).slice(0, 22)}`],
      base64url: ['Sec-WebSocket-Key: ab-_ab-_ab-_ab-_ab-_aQ=='],
      'bad characters': ['Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!A=='],
      empty: ['Sec-WebSocket-Key: '],
      twice: [`Sec-WebSocket-Key: ${validKey(rand)}`, `Sec-WebSocket-Key: ${validKey(rand)}`],
    }[v];
    return [v, line];
  },
  protocol(rand) {
    if (chance(rand, 0.45)) return ['absent', []];
    const n = 1 + Math.floor(rand() * 4);
    const list = [];
    for (let i = 0; i < n; i++) list.push(pick(rand, TOKENS));
    const shape = chance(rand, 0.5)
      ? 'distinct'
      : pick(rand, [
          'repeat',
          'bad token',
          'empty element',
          'leading comma',
          'trailing comma',
          'tabs',
          'many',
          'long',
          'two lines',
        ]);
    let items = shape === 'distinct' ? [...new Set(list)] : list;
    let sep = ', ';
    if (shape === 'repeat') items = [...items, items[0]];
    if (shape === 'bad token') items.splice(Math.floor(rand() * items.length), 0, pick(rand, BAD_TOKENS));
    if (shape === 'empty element') items.splice(1, 0, '');
    if (shape === 'leading comma') items = ['', ...items];
    if (shape === 'trailing comma') items = [...items, ''];
    if (shape === 'tabs') sep = '\t,\t';
    if (shape === 'many') items = Array.from({ length: 60 }, (_, i) => `p${i}`);
    if (shape === 'long') items = ['p'.repeat(2000)];
    if (shape === 'two lines')
      return [shape, [`Sec-WebSocket-Protocol: ${items.join(', ')}`, `Sec-WebSocket-Protocol: ${items.join(', ')}`]];
    return [shape, [`Sec-WebSocket-Protocol: ${items.join(sep)}`]];
  },
  extensions(rand) {
    if (chance(rand, 0.7)) return ['absent', []];
    const v = pick(rand, [
      'permessage-deflate',
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits=7',
      'permessage-deflate, permessage-deflate',
      'x-webkit-deflate-frame',
      ';;;',
      'permessage-deflate; =',
    ]);
    return [v, [`Sec-WebSocket-Extensions: ${v}`]];
  },
  otherSec(rand) {
    if (chance(rand, 0.85)) return ['none', []];
    const v = pick(rand, ['Sec-WebSocket-Accept', 'Sec-WebSocket-Origin', 'Sec-WebSocket-Nonsense']);
    return [v, [`${v}: ${bytes(rand, 8).toString('base64')}`]];
  },
  origin(rand, allowedOrigin) {
    if (chance(rand, 0.6)) return ['absent', []];
    const v = pick(rand, ['allowed', 'disallowed', 'null', 'garbage']);
    const value = { allowed: allowedOrigin, disallowed: 'https://evil.example', null: 'null', garbage: '\x7f%%' }[v];
    return [v, [`Origin: ${value}`]];
  },
  host(rand) {
    if (chance(rand, 0.9)) return ['one', ['Host: gw.example']];
    const v = pick(rand, ['absent', 'two', 'empty']);
    return [v, { absent: [], two: ['Host: gw.example', 'Host: other.example'], empty: ['Host: '] }[v]];
  },
};

const ACTIONS = ['read', 'read', 'read', 'half-close', 'garbage', 'frames', 'vanish'];

/**
 * Builds case number `i` of a run: `{ label, request, action }`. `paths` are
 * the targets to aim at; `allowedOrigin` is one the CORS-guarded API allows.
 */
function generate(rand, paths, allowedOrigin) {
  const tried = {};
  const lines = [];
  const method = chance(rand, 0.93) ? 'GET' : pick(rand, ['POST', 'PUT', 'OPTIONS', 'get', 'DELETE']);
  tried.method = method;
  let path = pick(rand, paths);
  if (chance(rand, 0.05)) path += pick(rand, ['?x=1', '/../', '%zz', '?' + 'q'.repeat(3000), '#frag', '/%2e%2e/']);
  tried.path = path.length > 40 ? `${path.slice(0, 37)}...` : path;
  const httpVersion = chance(rand, 0.95) ? 'HTTP/1.1' : pick(rand, ['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2']);
  tried.httpVersion = httpVersion;
  for (const [name, field] of Object.entries(FIELDS)) {
    const [label, add] = field(rand, allowedOrigin);
    tried[name] = label;
    lines.push(...add);
  }
  // Header order is part of the structure: shuffle now and then.
  if (chance(rand, 0.2)) lines.sort(() => rand() - 0.5);
  const action = pick(rand, ACTIONS);
  tried.action = action;
  const request = Buffer.from(`${method} ${path} ${httpVersion}\r\n${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return { tried, request, action, garbage: bytes(rand, 64) };
}

/** A masked client frame (RFC 6455 5.2). */
function frame(opcode, payload) {
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i % 4];
  const len = body.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 255]);
  return Buffer.concat([head, mask, body]);
}

/**
 * Sends one case and classifies the answer: `{ status, code, ok, why }`.
 * `ok` is false for a 5xx, an undocumented status, a refusal without the
 * JSON body, or no answer where the client waited for one.
 */
function runCase(port, c, waitMs = 3000) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(classify(raw, c));
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.on('data', (chunk) => {
      raw = Buffer.concat([raw, chunk]);
      const text = raw.toString('latin1');
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) {
        if (c.action === 'frames') {
          socket.write(frame(1, 'hello'));
          socket.write(frame(8, Buffer.from([3, 232])));
          setTimeout(finish, 20);
        } else finish();
      }
    });
    socket.once('connect', () => {
      socket.write(c.request);
      if (c.action === 'half-close') socket.end();
      if (c.action === 'garbage') socket.write(c.garbage);
      if (c.action === 'vanish') setTimeout(finish, Math.floor(Math.random() * 5));
    });
  });
}

function classify(raw, c) {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) {
    // A client that vanished or half-closed at once need not get an answer.
    const fine = c.action === 'vanish' || c.action === 'half-close';
    return { status: 0, code: fine ? '(client left)' : '(no answer)', ok: fine, why: fine ? '' : 'no answer' };
  }
  const status = Number(text.slice(9, 12));
  if (status === 101) return { status, code: '', ok: true, why: '' };
  const headers = text.slice(0, end).toLowerCase();
  const m = /\r\ncontent-length: *(\d+)/.exec(headers);
  const body = text.slice(end + 4, m ? end + 4 + Number(m[1]) : undefined);
  let code = '';
  try {
    const doc = JSON.parse(body);
    if (typeof doc.code === 'string' && typeof doc.requestId === 'string') code = doc.code;
  } catch {
    // not JSON
  }
  if (!DOCUMENTED.has(status)) return { status, code, ok: false, why: `status ${status}` };
  if (!code) return { status, code: '(no JSON body)', ok: false, why: 'no JSON error body' };
  return { status, code, ok: true, why: '' };
}

/**
 * Runs `count` cases from `seed`, `concurrency` at a time. Returns the
 * outcome counts, what was tried (per field, per value), and the failures.
 */
async function fuzz({ port, seed, count, paths, allowedOrigin, concurrency = 16, onCase }) {
  const rand = prng(seed);
  const cases = Array.from({ length: count }, () => generate(rand, paths, allowedOrigin));
  const outcomes = new Map();
  const tried = {};
  const failures = [];
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const r = await runCase(port, c);
      const key = `${r.status} ${r.code}`.trim();
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      for (const [field, value] of Object.entries(c.tried)) {
        tried[field] ??= {};
        tried[field][value] = (tried[field][value] ?? 0) + 1;
      }
      if (!r.ok)
        failures.push({
          why: r.why,
          status: r.status,
          tried: c.tried,
          request: c.request.toString('latin1').slice(0, 600),
        });
      onCase?.(c, r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { outcomes: Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])), tried, failures };
}

module.exports = { fuzz, generate, runCase, prng, DOCUMENTED };
