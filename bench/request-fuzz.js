// Structure-aware fuzzing of plain HTTP requests, shared by the test suite
// (test/hardening/request-fuzz.test.ts: fixed seed, bounded count) and
// bench/fuzz-requests.mjs (any seed and count, against the built gateway), both
// aimed at the gateway of request-fuzz-world.js. The cases are built in
// request-fuzz-cases.js; this file sends each on a raw socket to 127.0.0.1 —
// at once, half-closing at once, with a second request pipelined, vanishing
// part-way, trickled over under a second, or holding the body back for
// `100 Continue` — and classifies the answer.
//
// A case fails when (see `classify`):
// - a response was due and none came: due unless the client vanished or
//   half-closed (Node's HTTP server takes a half-close as the client going
//   away, as nginx does, and need not answer); a request whose body never
//   completes is due an answer too (an early one, or the 408 RequestTimeout);
// - an answer is cut, or not HTTP/1.x;
// - the gateway answers a status outside its error catalogue (runtime/errors.ts,
//   README "Error responses"), or an error without the JSON body
//   `{code, message, requestId}` whose code has that status and whose requestId
//   is the `x-api-requestid` header (a HEAD answer has no body: its head must
//   say JSON and carry the id); its only other answers are the health path's
//   200 and a CORS preflight's 204;
// - the gateway answers any 5xx (the backends here never fail); a backend's
//   own answers (marked `x-fuzz-backend`) must be statuses it sends on purpose;
// - `100 Continue` comes to a request that did not ask for it;
// - a pipelined second request on a connection kept alive, after a first
//   request framed exactly, is not answered.
// A further answer after the one due (a 408 or 400 for the rest of a body
// that never came, after an early answer) is allowed, and judged like any.
'use strict';

const { connect } = require('node:net');
const world = require('./request-fuzz-world.js');
const { generate, prng } = require('./request-fuzz-cases.js');

const { MARKER } = world;

/** How long a client that has its answers keeps reading, for bytes that should not be there. */
const GRACE_MS = 25;

/**
 * Sends one case and classifies the answer: `{ outcome, ok, why, received }`.
 * No case takes longer than `waitMs` (a request that never completes is
 * answered 408 after `limits.requestTimeoutMs`, 1 s).
 */
function runCase(port, c, catalogue, waitMs = 3000) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received = [];
    let finished = false;
    let answered = false;
    let bodySent = c.expect !== 'await' && c.expect !== 'never';
    const timers = [];
    /** `why`: the client has its answers ('answered'), waited long enough ('timeout'), the gateway closed ('closed'), the client left ('left'). */
    const finish = (why) => {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      resolve(classify(Buffer.concat(received).toString('latin1'), c, catalogue, why));
    };
    timers.push(setTimeout(() => finish('timeout'), waitMs));
    socket.on('error', () => undefined);
    socket.on('close', () => finish('closed'));
    socket.on('data', (chunk) => {
      received.push(chunk);
      const parsed = parseResponses(Buffer.concat(received).toString('latin1'), [c.isHead]);
      if (!bodySent && c.expect === 'await' && parsed.responses.some((r) => r.status === 100)) {
        bodySent = true;
        send(Buffer.concat([c.body, c.tail]));
      }
      if (!answered && enoughAnswers(parsed, c)) {
        answered = true;
        timers.push(setTimeout(() => finish('answered'), GRACE_MS));
      }
    });
    const send = (bytes) => {
      if (socket.destroyed) return;
      socket.write(bytes);
      if (c.action === 'half-close') socket.end();
    };
    socket.once('connect', () => {
      if (!bodySent) {
        // Expect: 100-continue, the body held back until 100 Continue (or for ever).
        socket.write(c.head);
        return;
      }
      const all = Buffer.concat([c.head, c.body, c.tail]);
      if (c.action === 'vanish') {
        socket.write(all.subarray(0, Math.floor(c.cut * all.length)));
        const leave = () => {
          if (c.cut < 0.5) socket.resetAndDestroy();
          else socket.destroy();
          finish('left');
        };
        timers.push(setTimeout(leave, Math.floor(c.cut * 5)));
        return;
      }
      if (c.action === 'trickle') {
        // A few pieces, 20-180 ms apart (under a second in all).
        const cuts = [...new Set(c.gaps.map(([f]) => Math.floor(f * all.length)))].sort((a, b) => a - b);
        let at = 0;
        let delay = 0;
        cuts.forEach((to, i) => {
          const piece = all.subarray(at, to);
          at = to;
          delay += c.gaps[i][1];
          timers.push(setTimeout(() => socket.destroyed || socket.write(piece), delay));
        });
        timers.push(setTimeout(() => socket.destroyed || socket.write(all.subarray(at)), delay + 20));
        return;
      }
      send(all);
    });
  });
}

/**
 * True once the answers the client waits for are in: one, or two for a
 * pipelining client on a kept connection (an answer read to the close is in
 * only when the connection closes).
 */
function enoughAnswers(parsed, c) {
  const finals = parsed.responses.filter((r) => r.status >= 200);
  if (parsed.malformed !== undefined) return true;
  if (finals.length === 0 || finals.some((r) => r.toClose)) return false;
  if (c.action !== 'pipeline') return true;
  return finals.length >= 2 || closes(finals[0]);
}

const closes = (r) => /(^|,)\s*close\s*(,|$)/i.test(r.headers.connection ?? '');

/**
 * Splits what the gateway sent into responses: `{ responses, rest, malformed }`.
 * `heads[i]` says whether the i-th request was HEAD (its answer has no body).
 */
function parseResponses(text, heads) {
  const responses = [];
  let pos = 0;
  let finals = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end < 0) return { responses, rest: text.slice(pos) };
    const [line, ...lines] = text.slice(pos, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(line);
    if (!m) return { responses, rest: text.slice(pos), malformed: line.slice(0, 80) };
    const status = Number(m[1]);
    const headers = {};
    const counts = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i <= 0) return { responses, rest: text.slice(pos), malformed: l.slice(0, 80) };
      const name = l.slice(0, i).trim().toLowerCase();
      const value = l.slice(i + 1).trim();
      counts[name] = (counts[name] ?? 0) + 1;
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const start = end + 4;
    if (status < 200) {
      responses.push({ status, headers, body: '' });
      pos = start;
      continue;
    }
    const isHead = heads[finals] ?? false;
    finals++;
    let bodyEnd;
    // A request Node's parser rejects is answered with the JSON body even when it was HEAD (the parser does not
    // say the method); that answer closes the connection, so the body is all that follows it.
    const closingWithBody =
      isHead && closes({ headers }) && text.length - start === Number(headers['content-length'] ?? -1);
    if ((isHead && !closingWithBody) || status === 204 || status === 304) bodyEnd = start;
    else if (counts['content-length'] > 1 || (counts['content-length'] && counts['transfer-encoding']))
      return { responses, rest: text.slice(pos), malformed: 'ambiguous response framing' };
    else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      bodyEnd = chunkedEnd(text, start);
      if (bodyEnd < 0) return { responses, rest: text.slice(pos) };
    } else if (headers['content-length'] !== undefined) {
      bodyEnd = start + Number(headers['content-length']);
      if (!(bodyEnd <= text.length)) return { responses, rest: text.slice(pos) };
    } else {
      // Read to the close: only the last response can be framed so.
      responses.push({ status, headers, body: text.slice(start), toClose: true });
      return { responses, rest: '' };
    }
    responses.push({ status, headers, body: text.slice(start, bodyEnd) });
    pos = bodyEnd;
  }
}

/** Where a chunked body starting at `i` ends, or -1 when it is not complete yet. */
function chunkedEnd(text, i) {
  for (;;) {
    const eol = text.indexOf('\r\n', i);
    if (eol < 0) return -1;
    const size = parseInt(text.slice(i, eol), 16);
    if (!Number.isFinite(size)) return -1;
    if (size === 0) {
      const end = text.indexOf('\r\n\r\n', eol);
      return end < 0 ? -1 : end + 4;
    }
    i = eol + 2 + size + 2;
    if (i > text.length) return -1;
  }
}

/** The verdict on one final response: `{ outcome, why }` (`why` empty when it is fine). */
function judge(r, isHead, catalogue) {
  const marker = r.headers[MARKER];
  if (marker !== undefined) {
    const deliberate = world.BACKEND_STATUSES[marker] ?? [];
    const outcome = `${r.status} (${marker})`;
    return { outcome, why: deliberate.includes(r.status) ? '' : `the ${marker} backend never answers ${r.status}` };
  }
  const id = r.headers['x-api-requestid'];
  if (r.status === 204 && r.headers['access-control-allow-methods'] !== undefined && id)
    return { outcome: '204 (preflight)', why: '' };
  if (r.status === 200 && r.headers['cache-control'] === 'no-store' && (isHead || /"status":"ok"/.test(r.body)))
    return { outcome: '200 (health)', why: '' };
  const json = /^application\/json/.test(r.headers['content-type'] ?? '');
  if (isHead) {
    const outcome = `${r.status} (HEAD)`;
    if (!Object.values(catalogue).some((d) => d.status === r.status))
      return { outcome, why: `status ${r.status} is not in the error catalogue` };
    if (!json || !id) return { outcome, why: 'an error head without the JSON content type or x-api-requestid' };
    return { outcome, why: r.status >= 500 ? `the gateway answered ${r.status}` : '' };
  }
  let doc;
  try {
    doc = JSON.parse(r.body);
  } catch {
    doc = undefined;
  }
  const code = doc && typeof doc.code === 'string' ? doc.code : '';
  const outcome = `${r.status} ${code || '(no JSON body)'}`;
  const def = catalogue[code];
  if (!def)
    return {
      outcome,
      why: code ? `code ${code} is not in the catalogue` : `status ${r.status} without the JSON error body`,
    };
  if (def.status !== r.status) return { outcome, why: `code ${code} has status ${def.status}, not ${r.status}` };
  if (typeof doc.message !== 'string' || typeof doc.requestId !== 'string' || !json)
    return { outcome, why: 'the error body lacks message or requestId, or is not application/json' };
  if (doc.requestId !== id) return { outcome, why: 'requestId differs from x-api-requestid' };
  if (r.status >= 500) return { outcome, why: `the gateway answered ${r.status}` };
  return { outcome, why: '' };
}

/**
 * The verdict on a whole exchange: `{ outcome, ok, why, received }`; see the
 * top of this file. `ended` says why reading stopped (see `runCase`).
 */
function classify(text, c, catalogue, ended) {
  const received = text.slice(0, 300);
  const fail = (outcome, why) => ({ outcome, ok: false, why, received });
  const parsed = parseResponses(text, [c.isHead, false]);
  if (parsed.malformed !== undefined) return fail('(malformed)', `not an HTTP/1.x response: ${parsed.malformed}`);
  const interim = parsed.responses.filter((r) => r.status < 200);
  const finals = parsed.responses.filter((r) => r.status >= 200);
  if (interim.some((r) => r.status !== 100)) return fail('(1xx)', `interim ${interim[0].status} relayed`);
  if (interim.length > 0 && !c.asksContinue) return fail('(100)', '100 Continue to a request that did not ask for it');
  const left = ended === 'left';
  if (finals.length === 0) {
    // A client that vanished or half-closed need not get an answer (see the top of this file).
    if (left) return { outcome: '(client left)', ok: true, why: '', received };
    if (c.action === 'half-close' && ended === 'closed')
      return { outcome: '(half-closed, no answer)', ok: true, why: '', received };
    if (parsed.rest) return fail('(cut)', 'the answer was cut');
    return fail('(no answer)', ended === 'timeout' ? "no answer within the case's time" : 'closed without an answer');
  }
  const verdicts = finals.map((r, i) => judge(r, i === 0 && c.isHead && r.body === '', catalogue));
  const first = verdicts[0];
  const wrong = verdicts.find((v) => v.why);
  if (wrong) return fail(first.outcome, wrong.why);
  if (!left) {
    // Bytes after the last whole answer: the start of a further answer is fine (it is still coming), a part of
    // one the gateway closed or stalled on, or anything else, is not.
    if (parsed.rest && (ended !== 'answered' || !parsed.rest.startsWith('HTTP/1.')))
      return fail(first.outcome, ended === 'answered' ? 'bytes after the answer' : 'an answer was cut or stalled');
    if (finals.some((r) => r.toClose) && ended !== 'closed')
      return fail(first.outcome, 'an unframed answer never ended');
  }
  // The pipelined request was due an answer: the first was framed exactly, complete, and its answer kept the connection.
  if (c.action === 'pipeline' && !left && c.exact && c.complete && finals.length === 1 && !closes(finals[0]))
    return fail(first.outcome, 'the pipelined request was not answered');
  return { outcome: first.outcome, ok: true, why: '', received };
}

/**
 * Runs `count` cases from `seed`, `concurrency` at a time, against the gateway
 * on `port` (serving request-fuzz-world.js's config). `catalogue` is the
 * gateway's error catalogue (`Errors` of runtime/errors). Returns the outcome
 * counts, what was tried (per field, per value), and the failures.
 */
async function fuzz({ port, seed, count, issuer, catalogue, concurrency = 16, onCase }) {
  // One seed per case, drawn up front: a case is the same whatever order the workers take them in, and
  // `caseSeed` alone rebuilds it. Each is built just before it is sent, so that its dates and tokens are fresh.
  const rand = prng(seed);
  const seeds = Array.from({ length: count }, () => Math.floor(rand() * 2 ** 32));
  const outcomes = new Map();
  const tried = {};
  const failures = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const caseSeed = seeds[next++];
      const c = generate(prng(caseSeed), issuer);
      const r = await runCase(port, c, catalogue);
      outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
      for (const [field, value] of Object.entries(c.tried)) {
        tried[field] ??= {};
        tried[field][value] = (tried[field][value] ?? 0) + 1;
      }
      if (!r.ok)
        failures.push({
          caseSeed,
          why: r.why,
          outcome: r.outcome,
          tried: c.tried,
          request: Buffer.concat([c.head, c.body.subarray(0, 200)])
            .toString('latin1')
            .slice(0, 600),
          received: r.received,
        });
      onCase?.(c, r);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { outcomes: Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])), tried, failures };
}

module.exports = { fuzz, generate, runCase, classify, prng };
