// The cases of the HTTP request fuzzer (request-fuzz.js): each a request
// built field by field — request line (method, target, version), headers
// (Host, credentials, X-Forwarded-For, Origin, CORS preflights, forged
// gateway-owned headers, odd names, obs-folds, non-ASCII bytes, floods,
// Connection, Expect) and body (JSON good and bad, huge, deeply nested; framed
// exactly, chunked, or in one of the ways a client or an attacker gets framing
// wrong) — from valid values and their known-bad neighbours, aimed at the
// gateway of request-fuzz-world.js, plus what the client does after sending.
// A case is a pure function of its PRNG (and the clock, for dates and tokens).
'use strict';

const { createHmac } = require('node:crypto');
const world = require('./request-fuzz-world.js');
const { prng, pick, chance, int, bytes } = require('./fuzz-common.js');

const { LIMITS, HOST, KEY_ID, KEY_SECRET, IPS, ALLOWED_ORIGIN, HEALTH_PATH } = world;

// ---- the request line -----------------------------------------------------------------------

/** What the gateway serves (request-fuzz-world.js): a route's method(s) and good targets. */
const ROUTES = {
  mock: { methods: ['GET', 'HEAD'], targets: ['/mock', '/mock?x=1', '/mock?'] },
  maintenance: { methods: ['GET'], targets: ['/maintenance'] },
  echo: {
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    targets: ['/echo/', '/echo/a', '/echo/a/b', '/echo/deep/er/page.txt', '/echo/q?q=1&q=2', '/echo/s?x=%20y'],
  },
  pets: {
    methods: ['GET'],
    targets: ['/pets/1', '/pets/42?limit=5', '/pets/7?limit=', '/pets/9?limit=1&limit=2'],
    neighbours: ['/pets/abc', '/pets/1.5', '/pets/-1', '/pets/99999999999', '/pets/1?limit=x', '/pets/%31', '/pets/'],
  },
  files: {
    methods: ['GET'],
    targets: ['/files/report.json', '/files/a1.txt'],
    neighbours: ['/files/Report.json', '/files/a.json.exe', '/files/.json', '/files/a/b.json', '/files/a%2Eb.txt'],
  },
  static: {
    methods: ['GET'],
    targets: ['/static/app.js', '/static/css/site.css'],
    neighbours: ['/static/../signed', '/static/%2e%2e/signed', '/static/..%2Fsigned', '/static', '/Static/app.js'],
  },
  signed: { methods: ['GET'], targets: ['/signed'] },
  oauth: { methods: ['GET'], targets: ['/oauth'] },
  cors: { methods: ['GET'], targets: ['/cors', '/cors?x=1'] },
  items: { methods: ['POST'], targets: ['/items'] },
  internal: { methods: ['GET'], targets: ['/internal'] },
  limited: { methods: ['GET'], targets: ['/limited'] },
  fn: { methods: ['GET', 'POST', 'PUT'], targets: ['/fn', '/fn?a=1'] },
  health: { methods: ['GET', 'HEAD'], targets: [HEALTH_PATH] },
  unknown: { methods: ['GET'], targets: ['/nowhere', '/', '/MOCK', '/mock/', '/pets', '/files/x.exe', '/echo'] },
};
const ROUTE_NAMES = Object.keys(ROUTES);

function method(rand, c) {
  if (chance(rand, 0.88)) return ['route', pick(rand, ROUTES[c.route].methods)];
  const v = pick(rand, [
    'other valid',
    'lower-case',
    'unknown',
    'TRACE',
    'CONNECT',
    'OPTIONS',
    'long',
    'very long',
    'empty',
  ]);
  const value = {
    'other valid': pick(rand, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']),
    'lower-case': pick(rand, ['get', 'post', 'Get']),
    unknown: pick(rand, ['FOO', 'PROPFIND', 'PRI', 'BREW', 'M-SEARCH']),
    TRACE: 'TRACE',
    CONNECT: 'CONNECT',
    OPTIONS: 'OPTIONS',
    long: 'X'.repeat(64),
    'very long': 'M'.repeat(10_000),
    empty: '',
  }[v];
  return [v, value];
}

/** Insert `s` at a segment boundary of `path` (before its query), or at the end. */
function insertInPath(rand, target, s) {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  const slashes = [...path.matchAll(/\//g)].map((m) => m.index);
  const at = pick(rand, [...slashes.slice(1), path.length]);
  return path.slice(0, at) + s + path.slice(at) + query;
}

const TARGET_MUTATIONS = {
  'bad typed param': (rand, t) =>
    t.startsWith('/pets/')
      ? t.replace(
          /^\/pets\/\d+/,
          `/pets/${pick(rand, ['abc', '1.5', '-1', '99999999999999999999', '0x1f', '1e3', '%31', '%FF', ''])}`,
        )
      : `${t}${t.includes('?') ? '&' : '?'}limit=${pick(rand, ['abc', '1.5', '', '%zz', '9'.repeat(30)])}`,
  'encoded slash': (rand, t) =>
    insertInPath(rand, t, pick(rand, ['/..%2F', '%2F', '%2f', '%5C', '\\', '/..%5Csigned'])),
  'encoded dots': (rand, t) => insertInPath(rand, t, pick(rand, ['/%2e%2e', '/%2E%2E/%2e%2e', '/.%2e', '/%2e'])),
  'NUL escape': (rand, t) => insertInPath(rand, t, pick(rand, ['%00', '/%00', 'a%00b'])),
  'invalid UTF-8': (rand, t) =>
    insertInPath(rand, t, pick(rand, ['%C0%AF', '%FF', '%C0%AE%C0%AE', '%E0%80%AF', '%ED%A0%80', '%F5%80%80%80'])),
  'valid escapes': (rand, t) => insertInPath(rand, t, pick(rand, ['%E2%82%AC', '%7E', '%41', '%20', '%25'])),
  'malformed escape': (rand, t) => insertInPath(rand, t, pick(rand, ['%zz', '%', '%4', '%%'])),
  'dot segments': (rand, t) =>
    pick(rand, ['/static/../signed', '/echo/a/../../mock', '/./mock', `${t}/..`, `/..${t}`, '/static/./app.js']),
  '// runs': (rand, t) => pick(rand, [t.replace(/\//g, '//'), `//${t}`, t.replace(/\/([^/]*)$/, '///$1')]),
  'absolute-form': (rand, t) =>
    pick(rand, [
      `http://${HOST}${t}`,
      `https://other.example:8443${t}`,
      `HTTP://GW.EXAMPLE${t}`,
      `ftp://x${t}`,
      `http://${HOST}`,
      `http://${HOST}?x=1`,
      `http://user:pw@${HOST}${t}`,
    ]),
  asterisk: () => '*',
  'authority-form': (rand) => pick(rand, [`${HOST}:443`, '127.0.0.1:80']),
  'near maxPathLength': (rand, t) => {
    const n = pick(rand, [LIMITS.maxPathLength - 1, LIMITS.maxPathLength, LIMITS.maxPathLength + 1]);
    return t.length >= n ? t : `${t}${t.includes('?') ? '&' : '?'}p=`.padEnd(n, 'a');
  },
  'past maxPathLength': (rand, t) =>
    `/echo/${'a'.repeat(pick(rand, [2 * LIMITS.maxPathLength, LIMITS.maxHeaderBytes + 100, 4 * LIMITS.maxHeaderBytes]))}${t}`,
  'repeated query': (rand, t) =>
    `${t}${t.includes('?') ? '&' : '?'}limit=1&limit=2&limit=${pick(rand, ['3', 'x', ''])}`,
  fragment: (rand, t) => `${t}${pick(rand, ['#frag', '#', '#a?b=c'])}`,
  'raw non-ASCII': (rand, t) => insertInPath(rand, t, pick(rand, ['\xe4', '\xff', '\xc3\xa9', '\x7f', '\x01'])),
  'query junk': (rand, t) =>
    `${t}${t.includes('?') ? '&' : '?'}${pick(rand, ['%zz=1', 'a=%FF', '=&&', 'a[]=1&a[b]=2', 'x=\xe4'])}`,
  'raw space': (rand, t) => insertInPath(rand, t, ' x'),
  empty: () => '',
};
function target(rand, c) {
  const route = ROUTES[c.route];
  const good = pick(rand, route.targets);
  if (chance(rand, 0.75)) return ['good', good];
  if (route.neighbours && chance(rand, 0.4)) return ['route neighbour', pick(rand, route.neighbours)];
  const name = pick(rand, Object.keys(TARGET_MUTATIONS));
  return [name, TARGET_MUTATIONS[name](rand, good)];
}

function version(rand) {
  if (chance(rand, 0.95)) return ['HTTP/1.1', 'HTTP/1.1'];
  const v = pick(rand, ['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/0.9', 'HTTP/3', 'http/1.1', 'HTTP/11', '(none)']);
  return [v, v === '(none)' ? '' : v];
}

// ---- credentials ----------------------------------------------------------------------------

/** An `Authorization: hmac ...` header as a client builds it, with `changes` to its parts (see `hmacVariant`). */
function hmac(opts = {}) {
  const id = opts.id ?? KEY_ID;
  const secret = opts.secret ?? KEY_SECRET;
  const algorithm = opts.algorithm ?? 'hmac-sha256';
  const names = opts.names ?? ['x-date'];
  const values = { 'x-date': opts.date ?? new Date().toUTCString(), ...opts.values };
  const text = names.map((n) => `${n}: ${values[n] ?? ''}`).join('\n');
  const digest = createHmac(algorithm === 'hmac-sha1' ? 'sha1' : 'sha256', secret)
    .update(text, 'utf8')
    .digest('base64');
  const signature = opts.signature ? opts.signature(digest) : digest;
  const fields = opts.fields ?? [
    ['id', id],
    ['algorithm', algorithm],
    ['headers', names.join(' ')],
    ['signature', signature],
  ];
  const lines = [`Authorization: hmac ${fields.map(([k, v]) => `${k}="${v}"`).join(', ')}`];
  if (opts.sendDate !== false) lines.push(`X-Date: ${values['x-date']}`);
  for (const [k, v] of Object.entries(opts.values ?? {})) if (k !== 'x-date') lines.push(`${k}: ${v}`);
  return lines;
}

const HOUR = 3600_000;

/** Key-pair credentials: valid ones, and the malformed and wrong ones around them. */
function hmacVariant(rand, c) {
  const v = chance(rand, 0.35)
    ? 'valid'
    : pick(rand, [
        'valid sha1',
        'valid, request-target signed',
        'wrong secret',
        'unknown key id',
        'missing signature',
        'missing id',
        'repeated field',
        'unknown algorithm',
        'bad base64 signature',
        'base64url signature',
        'unpadded signature',
        'stale date',
        'future date',
        'not an RFC 7231 date',
        'date not sent',
        'date and x-date differ',
        'date not signed',
        'empty headers list',
        'huge',
        'no parameters',
        'other scheme',
        'unquoted',
        'two Authorization headers',
      ]);
  const lines = {
    valid: () => hmac(),
    'valid sha1': () => hmac({ algorithm: 'hmac-sha1' }),
    'valid, request-target signed': () =>
      hmac({
        names: ['(request-target)', 'x-date'],
        values: { '(request-target)': `${c.method.toLowerCase()} ${c.target}` },
      }).filter((l) => !l.startsWith('(request-target)')),
    'wrong secret': () => hmac({ secret: 'not-the-secret' }),
    'unknown key id': () => hmac({ id: 'nobody' }),
    'missing signature': () =>
      hmac({
        fields: [
          ['id', KEY_ID],
          ['algorithm', 'hmac-sha256'],
          ['headers', 'x-date'],
        ],
      }),
    'missing id': () =>
      hmac({
        fields: [
          ['algorithm', 'hmac-sha256'],
          ['headers', 'x-date'],
          ['signature', 'AAAA'],
        ],
      }),
    'repeated field': () =>
      hmac({
        fields: [
          ['id', KEY_ID],
          ['id', 'other'],
          ['algorithm', 'hmac-sha256'],
          ['headers', 'x-date'],
          ['signature', 'AAAA'],
        ],
      }),
    'unknown algorithm': () => hmac({ algorithm: pick(rand, ['hmac-md5', 'rsa-sha256', 'HMAC-SHA512', '']) }),
    'bad base64 signature': () => hmac({ signature: () => pick(rand, ['!!!!', 'abc', '====', 'YQ==x', 'a b=']) }),
    'base64url signature': () => hmac({ signature: (s) => s.replace(/\+/g, '-').replace(/\//g, '_') }),
    'unpadded signature': () => hmac({ signature: (s) => s.replace(/=+$/, '') }),
    'stale date': () => hmac({ date: new Date(Date.now() - HOUR).toUTCString() }),
    'future date': () => hmac({ date: new Date(Date.now() + HOUR).toUTCString() }),
    'not an RFC 7231 date': () => hmac({ date: pick(rand, [new Date().toISOString(), 'yesterday', '0', '']) }),
    'date not sent': () => hmac({ sendDate: false }),
    'date and x-date differ': () => [...hmac(), `Date: ${new Date(Date.now() - 60_000).toUTCString()}`],
    'date not signed': () => hmac({ names: ['x-custom'], values: { 'x-custom': 'v' } }),
    'empty headers list': () => hmac({ names: [] }),
    huge: () => hmac({ signature: () => 'A'.repeat(pick(rand, [4000, 7000])) }),
    'no parameters': () => ['Authorization: hmac'],
    'other scheme': () => [
      pick(rand, ['Authorization: Basic Zm9vOmJhcg==', 'Authorization: Digest x', 'Authorization: ']),
    ],
    unquoted: () => [`Authorization: hmac id=${KEY_ID}, algorithm=hmac-sha256, headers=x-date, signature=AAAA`],
    'two Authorization headers': () => [...hmac(), 'Authorization: hmac id="x"'],
  }[v]();
  return [v, lines];
}

/** OAuth 2.0 bearer tokens: valid ones, and the malformed, unsigned, foreign and stale ones around them. */
function bearerVariant(rand, c) {
  const iss = c.issuer;
  const v = chance(rand, 0.35)
    ? 'valid'
    : pick(rand, [
        'lower-case scheme',
        'expired',
        'no exp',
        'wrong issuer',
        'wrong audience',
        'not yet valid',
        'foreign key',
        'alg none',
        'unsigned',
        'alg HS256',
        'unknown kid',
        'crit header',
        'not a JWT',
        'two segments',
        'bad base64 segments',
        'header not JSON',
        'header an array',
        'truncated signature',
        'huge',
        'empty token',
        'scheme only',
        'two spaces',
      ]);
  const now = Math.floor(Date.now() / 1000);
  const valid = () => iss.token(iss.claims());
  const token = {
    valid,
    'lower-case scheme': valid,
    expired: () => iss.token(iss.claims({ exp: now - 3600 })),
    'no exp': () => iss.token(iss.claims({ exp: undefined })),
    'wrong issuer': () => iss.token(iss.claims({ iss: 'https://evil.example' })),
    'wrong audience': () => iss.token(iss.claims({ aud: 'other' })),
    'not yet valid': () => iss.token(iss.claims({ nbf: now + 3600 })),
    'foreign key': () => iss.token(iss.claims(), { foreignKey: true }),
    'alg none': () => iss.unsigned(iss.claims()),
    unsigned: () => iss.unsigned(iss.claims(), { alg: 'ES256', typ: 'JWT', kid: 'fuzz-1' }),
    'alg HS256': () => iss.token(iss.claims(), { header: { alg: 'HS256' } }),
    'unknown kid': () => iss.token(iss.claims(), { header: { kid: 'nope' } }),
    'crit header': () => iss.token(iss.claims(), { header: { crit: ['x-unknown'], 'x-unknown': 1 } }),
    'not a JWT': () => pick(rand, ['abc', 'null', '{}', '...']),
    'two segments': () => valid().split('.').slice(0, 2).join('.'),
    'bad base64 segments': () => pick(rand, ['@@.##.$$', 'a.b.c', '!.!.!', `${valid()}.extra`]),
    'header not JSON': () => `${Buffer.from('nope').toString('base64url')}.${valid().split('.').slice(1).join('.')}`,
    'header an array': () => `${Buffer.from('[1]').toString('base64url')}.${valid().split('.').slice(1).join('.')}`,
    'truncated signature': () => valid().slice(0, -10),
    huge: () => iss.token(iss.claims({ pad: 'x'.repeat(pick(rand, [3000, 7000])) })),
    'empty token': () => '',
    'scheme only': () => undefined,
    'two spaces': valid,
  }[v]();
  const scheme = v === 'lower-case scheme' ? 'bearer' : 'Bearer';
  if (token === undefined) return [v, ['Authorization: Bearer']];
  return [v, [`Authorization: ${scheme}${v === 'two spaces' ? '  ' : ' '}${token}`]];
}

function authorization(rand, c) {
  if (c.route === 'signed') return chance(rand, 0.05) ? ['none', []] : hmacVariant(rand, c);
  if (c.route === 'oauth') return chance(rand, 0.05) ? ['none', []] : bearerVariant(rand, c);
  if (chance(rand, 0.92)) return ['none', []];
  return chance(rand, 0.5) ? hmacVariant(rand, c) : bearerVariant(rand, c);
}

// ---- other headers --------------------------------------------------------------------------

function host(rand) {
  if (chance(rand, 0.93)) return ['one', [`Host: ${HOST}`]];
  const v = pick(rand, ['absent', 'two', 'empty', 'with port', 'IP', 'huge', 'space inside', 'IPv6', 'other']);
  const lines = {
    absent: [],
    two: [`Host: ${HOST}`, 'Host: other.example'],
    empty: ['Host: '],
    'with port': [`Host: ${HOST}:8080`],
    IP: ['Host: 127.0.0.1'],
    huge: [`Host: ${'h'.repeat(6000)}.example`],
    'space inside': ['Host: gw example'],
    IPv6: ['Host: [::1]:80'],
    other: ['Host: evil.example'],
  }[v];
  return [v, lines];
}

function tenant(rand, c) {
  if (c.route !== 'pets') return ['n/a', []];
  if (chance(rand, 0.85)) return ['valid', ['X-Tenant: acme']];
  const v = pick(rand, ['absent', 'empty', 'non-ASCII', 'huge', 'twice', 'underscore name']);
  const lines = {
    absent: [],
    empty: ['X-Tenant: '],
    'non-ASCII': ['X-Tenant: caf\xe9'],
    huge: [`X-Tenant: ${'t'.repeat(5000)}`],
    twice: ['X-Tenant: acme', 'X-Tenant: other'],
    'underscore name': ['X_Tenant: acme'],
  }[v];
  return [v, lines];
}

function forwardedFor(rand, c) {
  if (c.route !== 'internal' && chance(rand, 0.85)) return ['absent', []];
  if (c.route === 'internal' && chance(rand, 0.5)) return ['allowed', [`X-Forwarded-For: ${IPS.allowed}`]];
  const v = pick(rand, [
    'absent',
    'denied',
    'outside',
    'not an IP',
    'empty',
    'commas',
    'junk then allowed',
    'allowed then junk',
    'IPv4-mapped',
    'with port',
    'bracketed',
    'IPv6',
    'huge',
    'two headers',
  ]);
  const value = {
    denied: IPS.denied,
    outside: IPS.outside,
    'not an IP': 'not-an-ip',
    empty: '',
    commas: ', ,',
    'junk then allowed': `junk, ${IPS.allowed}`,
    'allowed then junk': `${IPS.allowed}, junk`,
    'IPv4-mapped': `::ffff:${IPS.allowed}`,
    'with port': `${IPS.allowed}:8080`,
    bracketed: `[${IPS.allowed}]`,
    IPv6: '2001:db8::1',
    huge: `${'1.2.3.4, '.repeat(400)}${IPS.allowed}`,
  }[v];
  if (v === 'absent') return [v, []];
  if (v === 'two headers') return [v, [`X-Forwarded-For: ${IPS.outside}`, `X-Forwarded-For: ${IPS.allowed}`]];
  return [v, [`X-Forwarded-For: ${value}`]];
}

const ORIGINS = {
  allowed: ALLOWED_ORIGIN,
  subdomain: 'https://a.b.example.com',
  'apex of the wildcard': 'https://example.com',
  'suffix trick': 'https://app.example.evil.net',
  null: 'null',
  'upper-case': 'HTTPS://APP.EXAMPLE',
  'default port': 'https://app.example:443',
  star: '*',
  empty: '',
  garbage: '\x7f%%',
  list: 'https://app.example, https://evil.example',
};

function origin(rand, c) {
  if (chance(rand, c.route === 'cors' ? 0.3 : 0.9)) return ['absent', []];
  const v = pick(rand, Object.keys(ORIGINS));
  return [v, [`Origin: ${ORIGINS[v]}`]];
}

/** CORS preflights: OPTIONS with Access-Control-Request-Method (and -Headers), good and junk. */
function preflight(rand, c) {
  if (!chance(rand, c.route === 'cors' ? 0.3 : 0.03)) return ['no', []];
  c.method = 'OPTIONS';
  const lines = [];
  if (!c.lines.some((l) => l.startsWith('Origin:'))) lines.push(`Origin: ${ALLOWED_ORIGIN}`);
  const m = pick(rand, ['GET', 'POST', 'PUT', 'DELETE', 'get', '', 'G E T', 'x'.repeat(300)]);
  lines.push(`Access-Control-Request-Method: ${m}`);
  if (chance(rand, 0.5)) {
    const h = pick(rand, [
      'content-type',
      'x-custom, content-type',
      'X-CUSTOM',
      'x-evil',
      '',
      ',,,',
      Array.from({ length: 200 }, (_, i) => `x-h${i}`).join(', '),
    ]);
    lines.push(`Access-Control-Request-Headers: ${h}`);
  }
  return [`method ${JSON.stringify(m.slice(0, 12))}`, lines];
}

function forged(rand) {
  if (chance(rand, 0.9)) return ['none', []];
  const v = pick(rand, ['X-Api-SecretId', 'X-Api-RequestId', 'X-Forwarded-Host', 'X-Real-IP', 'Forwarded']);
  const value = { 'X-Api-SecretId': 'admin', 'X-Api-RequestId': 'forged', Forwarded: 'for=1.2.3.4' }[v] ?? 'forged';
  return [v, [`${v}: ${value}`]];
}

function oddHeader(rand) {
  if (chance(rand, 0.88)) return ['none', []];
  const v = pick(rand, [
    'underscore name',
    'underscore name',
    'obs-fold',
    'obs-fold of Authorization',
    'Latin-1 value',
    'UTF-8 value',
    'NUL in value',
    'control byte in value',
    'DEL in value',
    'space in name',
    'space before colon',
    'empty name',
    'no colon',
    'non-ASCII name',
  ]);
  const lines = {
    'underscore name': [pick(rand, ['X_User_Id: admin', 'X-Tenant_: x', '_: x'])],
    'obs-fold': ['X-Folded: a', ' b'],
    'obs-fold of Authorization': ['Authorization: hmac id="fuzz-key",', '\talgorithm="hmac-sha256"'],
    'Latin-1 value': ['X-Note: caf\xe9'],
    'UTF-8 value': ['X-Note: caf\xc3\xa9 \xe2\x82\xac'],
    'NUL in value': ['X-Note: a\x00b'],
    'control byte in value': ['X-Note: a\x01b'],
    'DEL in value': ['X-Note: a\x7fb'],
    'space in name': ['Bad Header: x'],
    'space before colon': ['X-Y : z'],
    'empty name': [': x'],
    'no colon': ['NoColon'],
    'non-ASCII name': ['X-\xe4: v'],
  }[v];
  return [v, lines];
}

function flood(rand, c) {
  if (chance(rand, 0.95)) return ['none', []];
  const v = pick(rand, ['near maxHeaderBytes', 'past maxHeaderBytes', 'many small', 'very many small', 'one huge']);
  const used = c.lines.reduce((n, l) => n + l.length + 2, c.method.length + c.target.length + 16);
  const filler = (n) => `X-Pad: ${'p'.repeat(Math.max(0, n))}`;
  const lines = {
    'near maxHeaderBytes': [filler(LIMITS.maxHeaderBytes - used - 200)],
    'past maxHeaderBytes': [filler(LIMITS.maxHeaderBytes - used + 200)],
    'many small': Array.from({ length: 300 }, (_, i) => `X-H${i}: v`),
    'very many small': Array.from({ length: 2500 }, (_, i) => `X-H${i}: v`),
    'one huge': [filler(4 * LIMITS.maxHeaderBytes)],
  }[v];
  return [v, lines];
}

function connection(rand) {
  if (chance(rand, 0.85)) return ['absent', []];
  const v = pick(rand, [
    'close',
    'keep-alive',
    'upgrade without Upgrade',
    'upgrade to h2c',
    'upgrade to websocket',
    'hop-by-hop custom',
    'close, keep-alive',
    'TE',
  ]);
  const lines = {
    close: ['Connection: close'],
    'keep-alive': ['Connection: keep-alive'],
    'upgrade without Upgrade': ['Connection: upgrade'],
    'upgrade to h2c': ['Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAA'],
    'upgrade to websocket': ['Connection: Upgrade', 'Upgrade: websocket'],
    'hop-by-hop custom': ['Connection: x-secret', 'X-Secret: 1'],
    'close, keep-alive': ['Connection: close, keep-alive'],
    TE: ['Connection: TE', 'TE: trailers'],
  }[v];
  return [v, lines];
}

// ---- the body -------------------------------------------------------------------------------

const BIG = LIMITS.maxBodyBytes + 4096;

function body(rand, c) {
  const sends = ['POST', 'PUT', 'PATCH'].includes(c.method) || chance(rand, 0.05);
  if (!sends) return ['none', Buffer.alloc(0), undefined];
  const kinds =
    c.route === 'items'
      ? [
          'valid',
          'valid',
          'valid',
          'schema mismatch',
          'invalid JSON',
          'deeply nested',
          'huge',
          'empty',
          'BOM',
          'not UTF-8',
        ]
      : ['valid', 'invalid JSON', 'deeply nested', 'huge', 'empty', 'text', 'binary'];
  const v = pick(rand, kinds);
  const text = {
    valid: () => JSON.stringify({ name: 'widget', qty: int(rand, 0, 9), tags: ['a'] }),
    'schema mismatch': () =>
      pick(rand, ['{"qty":"x"}', '{"name":"a","extra":1}', '[1,2]', '"name"', `{"name":"${'n'.repeat(100)}"}`]),
    'invalid JSON': () => pick(rand, ['{"name":', '{name:1}', "{'name':'a'}", '{"name":"a"}}', 'nul']),
    'deeply nested': () =>
      pick(rand, [
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"name":"a","tags":${'['.repeat(3000)}${']'.repeat(3000)}}`,
        `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
      ]),
    huge: () => JSON.stringify({ name: 'n'.repeat(BIG) }),
    empty: () => '',
    BOM: () => `\ufeff${JSON.stringify({ name: 'bom' })}`,
    'not UTF-8': () => Buffer.from('{"name":"caf\xe9"}', 'latin1'),
    text: () => 'plain text body',
    binary: () => bytes(rand, int(rand, 1, 512)),
  }[v]();
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const json = ['valid', 'schema mismatch', 'invalid JSON', 'deeply nested', 'huge', 'BOM', 'not UTF-8'].includes(v);
  let type = json ? 'application/json' : v === 'binary' ? 'application/octet-stream' : 'text/plain';
  if (chance(rand, 0.15))
    type = pick(rand, [
      'text/plain',
      'application/problem+json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/jsonx',
      '(absent)',
      'application/json, text/plain',
    ]);
  return [v, buf, type];
}

/** How the body is framed: exactly, or one of the ways a client (or an attacker) gets it wrong. */
const FRAMINGS = [
  'length',
  'length',
  'length',
  'length',
  'length',
  'length',
  'chunked',
  'chunked',
  'no framing',
  'shorter than Content-Length',
  'longer than Content-Length',
  'two equal Content-Lengths',
  'two different Content-Lengths',
  'listed Content-Length',
  'negative Content-Length',
  'non-numeric Content-Length',
  'huge Content-Length',
  'Content-Length with Transfer-Encoding',
  'Transfer-Encoding gzip',
  'Transfer-Encoding chunked, chunked',
  'Transfer-Encoding " chunked"',
  'Transfer-Encoding identity',
  'Transfer-Encoding twice',
  'Transfer-Encoding gzip, chunked',
  'bad chunk size',
  'no last chunk',
  'chunk extension',
  'trailers',
  'huge chunk size',
  'chunk shorter than its size',
  'bare LF in chunks',
];

/** A chunked encoding of `b` (1 to 4 chunks), with `hex` for the sizes and `ext` after them. */
function chunks(rand, b, { hex = (n) => n.toString(16), ext = '', last = '0\r\n\r\n', eol = '\r\n' } = {}) {
  const out = [];
  let rest = b;
  const n = int(rand, 1, 4);
  for (let i = 0; i < n && rest.length > 0; i++) {
    const size = i === n - 1 ? rest.length : Math.max(1, Math.floor(rest.length / (n - i)));
    out.push(Buffer.from(`${hex(size)}${ext}${eol}`, 'latin1'), rest.subarray(0, size), Buffer.from(eol, 'latin1'));
    rest = rest.subarray(size);
  }
  out.push(Buffer.from(last, 'latin1'));
  return Buffer.concat(out);
}

/**
 * Framing headers and the bytes sent after the head. Returns `[label, lines,
 * bytes, { complete, exact }]`: `complete` unless the gateway is sure to wait
 * for more bytes than these, `exact` only where the request surely ends
 * exactly where the client's bytes end (so a pipelined request after it is
 * read as a request); ambiguous framings are neither promised.
 */
function framing(rand, c, b) {
  if (b.length === 0 && !chance(rand, 0.1)) return ['none', [], b, { complete: true, exact: true }];
  const v = b.length === 0 ? pick(rand, ['length', 'chunked', 'non-numeric Content-Length']) : pick(rand, FRAMINGS);
  const n = b.length;
  const ok = { complete: true, exact: true };
  const unsure = { complete: true, exact: false };
  const len = (x) => [`Content-Length: ${x}`];
  const te = ['Transfer-Encoding: chunked'];
  switch (v) {
    case 'length':
      return [v, len(n), b, ok];
    case 'chunked':
      return [v, te, chunks(rand, b), ok];
    case 'no framing':
      return [v, [], b, { complete: true, exact: n === 0 }];
    case 'shorter than Content-Length':
      return [v, len(n + int(rand, 1, 100)), b, { complete: false, exact: false }];
    case 'longer than Content-Length':
      return [v, len(Math.max(0, n - int(rand, 1, n))), b, { complete: true, exact: false }];
    case 'two equal Content-Lengths':
      return [v, [...len(n), ...len(n)], b, unsure];
    case 'two different Content-Lengths':
      return [v, [...len(n), ...len(n + 1)], b, unsure];
    case 'listed Content-Length':
      return [v, [`Content-Length: ${n}, ${n}`], b, unsure];
    case 'negative Content-Length':
      return [v, len(-n || -1), b, unsure];
    case 'non-numeric Content-Length':
      return [v, len(pick(rand, ['abc', '0x10', '+5', '1e3', '', ' '])), b, unsure];
    case 'huge Content-Length':
      return [
        v,
        len(pick(rand, ['99999999999999999999999', String(2 ** 53 + 2), String(BIG)])),
        b,
        { complete: false, exact: false },
      ];
    case 'Content-Length with Transfer-Encoding':
      return [v, chance(rand, 0.5) ? [...len(n), ...te] : [...te, ...len(n)], chunks(rand, b), unsure];
    case 'Transfer-Encoding gzip':
      return [v, ['Transfer-Encoding: gzip'], b, unsure];
    case 'Transfer-Encoding chunked, chunked':
      return [v, ['Transfer-Encoding: chunked, chunked'], chunks(rand, b), unsure];
    case 'Transfer-Encoding " chunked"':
      return [v, ['Transfer-Encoding:  chunked'], chunks(rand, b), unsure];
    case 'Transfer-Encoding identity':
      return [v, ['Transfer-Encoding: identity', ...len(n)], b, unsure];
    case 'Transfer-Encoding twice':
      return [v, [...te, ...te], chunks(rand, b), unsure];
    case 'Transfer-Encoding gzip, chunked':
      return [v, ['Transfer-Encoding: gzip, chunked'], chunks(rand, b), unsure];
    case 'bad chunk size':
      return [v, te, chunks(rand, b, { hex: () => pick(rand, ['zz', '-1', '0x5', ' 5', '']) }), unsure];
    case 'no last chunk':
      return [v, te, chunks(rand, b, { last: '' }), { complete: false, exact: false }];
    case 'chunk extension':
      return [v, te, chunks(rand, b, { ext: pick(rand, [';ext=1', ';a="b"', ';' + 'e'.repeat(2000)]) }), ok];
    case 'trailers': {
      const good = chance(rand, 0.5);
      const last = good ? '0\r\nX-Trailer: t\r\n\r\n' : '0\r\nBad Trailer\r\n\r\n';
      return [v, te, chunks(rand, b, { last }), good ? ok : unsure];
    }
    case 'huge chunk size':
      return [v, te, chunks(rand, b, { hex: () => pick(rand, ['ffffffffffffffffff', 'fffffff']) }), unsure];
    case 'chunk shorter than its size':
      return [v, te, chunks(rand, b, { hex: (k) => (k + 5).toString(16) }), { complete: false, exact: false }];
    case 'bare LF in chunks':
      return [v, te, chunks(rand, b, { eol: '\n', last: '0\n\n' }), unsure];
  }
  throw new Error(`unknown framing ${v}`);
}

/** `Expect`: 100-continue with the body sent at once, held back until 100, or never sent; or an expectation no server meets. */
function expect(rand, c) {
  if (chance(rand, 0.9)) return ['none', [], 'none'];
  const v = pick(rand, [
    '100-continue, body at once',
    '100-continue, body after 100',
    '100-continue, body after 100',
    '100-continue, body never',
    '100-Continue (case)',
    'unknown expectation',
    'unknown expectation',
    'empty',
  ]);
  if (v === 'unknown expectation') {
    return [v, [`Expect: ${pick(rand, ['foo', '200-ok', 'x=1', '100-continu'])}`], 'none'];
  }
  if (v === 'empty') return [v, ['Expect: '], 'none'];
  const mode = v.endsWith('at once') || v.includes('(case)') ? 'send' : v.endsWith('never') ? 'never' : 'await';
  return [v, [`Expect: ${v.includes('(case)') ? '100-Continue' : '100-continue'}`], c.hasBody ? mode : 'send'];
}

// ---- the case -------------------------------------------------------------------------------

const ACTIONS = [
  'read',
  'read',
  'read',
  'read',
  'read',
  'pipeline',
  'pipeline',
  'half-close',
  'vanish',
  'trickle',
  'trickle',
];

/** The second request of a pipelining client: one any gateway answers. */
const PIPELINED = Buffer.from(`GET /mock HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, 'latin1');

/**
 * Builds the next case: `{ tried, head, body, tail, action, expect, isHead, complete, exact, ... }`.
 * `issuer` signs the OAuth 2.0 API's tokens (`createIssuer()` of request-fuzz-world.js).
 */
function generate(rand, issuer) {
  const tried = {};
  const c = { route: pick(rand, ROUTE_NAMES), issuer, lines: [], method: '', target: '' };
  tried.route = c.route;
  const take = (name, [label, ...rest]) => {
    tried[name] = label;
    return rest;
  };
  [c.method] = take('method', method(rand, c));
  [c.target] = take('target', target(rand, c));
  const [httpVersion] = take('version', version(rand));
  for (const [name, field] of [
    ['host', host],
    ['authorization', authorization],
    ['tenant', tenant],
    ['forwardedFor', forwardedFor],
    ['origin', origin],
    ['preflight', preflight],
    ['forged', forged],
    ['odd', oddHeader],
    ['connection', connection],
  ]) {
    const [lines] = take(name, field(rand, c));
    c.lines.push(...lines);
  }
  const [payload, contentType] = take('body', body(rand, c));
  c.hasBody = payload.length > 0;
  if (contentType && contentType !== '(absent)') c.lines.push(`Content-Type: ${contentType}`);
  const [frameLines, sent, shape] = take('framing', framing(rand, c, payload));
  c.lines.push(...frameLines);
  const [expectLines, expectMode] = take('expect', expect(rand, c));
  c.lines.push(...expectLines);
  // The flood goes last but for the shuffle: it measures what is already there.
  const [floodLines] = take('flood', flood(rand, c));
  c.lines.push(...floodLines);
  // Header order is part of the structure: shuffle now and then (an obs-fold keeps its place after its line).
  if (chance(rand, 0.1) && tried.odd.indexOf('obs-fold') < 0) c.lines.sort(() => rand() - 0.5);
  // A client holding its body back for 100 Continue only reads (and then sends the body, or never does).
  const action = expectMode === 'await' || expectMode === 'never' ? 'read' : pick(rand, ACTIONS);
  tried.action = action;
  const requestLine = httpVersion ? `${c.method} ${c.target} ${httpVersion}` : `${c.method} ${c.target}`;
  const head = Buffer.from(`${requestLine}\r\n${c.lines.map((l) => `${l}\r\n`).join('')}\r\n`, 'latin1');
  const cut = rand();
  const gaps = Array.from({ length: int(rand, 2, 5) }, () => [rand(), int(rand, 20, 180)]);
  return {
    tried,
    head,
    body: sent,
    tail: action === 'pipeline' ? PIPELINED : Buffer.alloc(0),
    action,
    expect: expectMode,
    isHead: c.method === 'HEAD',
    asksContinue: expectLines.some((l) => /100-continue/i.test(l)),
    complete: shape.complete && expectMode !== 'never',
    exact: shape.exact,
    /** Where a vanishing client stops (a fraction of its bytes), and how a trickling one splits and spaces them. */
    cut,
    gaps,
  };
}

module.exports = { generate, prng };
