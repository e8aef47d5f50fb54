// The gateway that fuzzed HTTP requests are aimed at, shared by
// test/hardening/request-fuzz.test.ts (served in the test's process with the
// test helpers) and bench/fuzz-requests.mjs (served by the built gateway): the
// config document, the real echo backend on 127.0.0.1, the bundled function's
// code, the OAuth 2.0 issuer's key and the key pair's secret. One copy, so that
// what the generator aims at (routes, parameters, keys, origins, limits) is
// always what the gateway serves.
'use strict';

const { createServer } = require('node:http');
const { connect } = require('node:net');
const { generateKeyPairSync, sign } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

/** Header every backend answer carries (`mock`, `echo`, `function`): what tells it from the gateway's own answers. */
const MARKER = 'x-fuzz-backend';
/** What each backend answers deliberately: every other status is the gateway's. */
const BACKEND_STATUSES = { mock: [200, 503], echo: [200], function: [200] };

const HOST = 'gw.example';
const KEY_ID = 'fuzz-key';
const KEY_SECRET = 'fuzz-secret-5b8e1c';
/** The environment the gateway reads its secrets from. */
const ENV = { FUZZ_KEY_SECRET: KEY_SECRET };
const ISSUER = 'https://issuer.example';
const AUDIENCE = 'fuzz-gateway';
const ALLOWED_ORIGIN = 'https://app.example';
const HEALTH_PATH = '/__apigw/health';
/** Client addresses of the IP-list API (with `trustForwardedHeaders`, the last `X-Forwarded-For` address). */
const IPS = { allowed: '203.0.113.5', denied: '203.0.113.66', outside: '198.51.100.7' };

/**
 * Small limits, so that the generator reaches each of them cheaply, and short
 * timeouts, so that a request that never completes is answered (408) within
 * about a second.
 */
const LIMITS = {
  maxBodyBytes: 64 * 1024,
  maxHeaderBytes: 8 * 1024,
  maxPathLength: 1024,
  headersTimeoutMs: 500,
  requestTimeoutMs: 1000,
  keepAliveTimeoutMs: 1000,
  trustForwardedHeaders: true,
  shutdownGraceMs: 500,
  headersWithUnderscores: 'drop',
  maxConnections: 10_000,
  tlsHandshakeTimeoutMs: 10_000,
  escapedSlashes: 'reject',
};

/** The request body schema of `POST /items`. */
const ITEM_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    qty: { type: 'integer', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 8 },
  },
  required: ['name'],
  additionalProperties: false,
};

/** The bundled function (response integration): says what it got. */
const FUNCTION_CODE = `exports.main = async (event) => ({
  statusCode: 200,
  headers: { '${MARKER}': 'function', 'content-type': 'application/json' },
  body: JSON.stringify({ method: event.httpMethod, path: event.path, bodyChars: event.body.length }),
});
`;

/** Writes the function's code under `dir` (the config file's folder), as `fn/index.js`. */
function writeFunctionCode(dir) {
  mkdirSync(join(dir, 'fn'), { recursive: true });
  writeFileSync(join(dir, 'fn', 'index.js'), FUNCTION_CODE);
}

/**
 * The OAuth 2.0 issuer: an ES256 key whose public half is the API's inline
 * JWKS, and a foreign key for tokens no known key signed.
 */
function createIssuer() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'fuzz-1', alg: 'ES256', use: 'sig' };
  const part = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  return {
    jwks: JSON.stringify({ keys: [jwk] }),
    /** A compact JWS of `claims` (ES256, the issuer's key unless `foreignKey`). */
    token(claims, { header = {}, foreignKey = false } = {}) {
      const signing = `${part({ alg: 'ES256', typ: 'JWT', kid: 'fuzz-1', ...header })}.${part(claims)}`;
      const signature = sign('sha256', Buffer.from(signing), {
        key: foreignKey ? foreign : privateKey,
        dsaEncoding: 'ieee-p1363',
      });
      return `${signing}.${signature.toString('base64url')}`;
    },
    /** A token that is not signed at all (`alg: none`, or a signature left off). */
    unsigned(claims, header = { alg: 'none', typ: 'JWT' }) {
      return `${part(header)}.${part(claims)}.`;
    },
    /** Claims the API accepts, expiring in 10 minutes. */
    claims(extra = {}) {
      return { sub: 'fuzz-user', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600, ...extra };
    },
  };
}

/**
 * The echo backend: answers 200 with what it received (method, URL, headers,
 * body length), and checks what the gateway must never forward — a path that
 * is not normalised, a header name with `_`, a forged gateway-owned header, a
 * second Host, a body `POST /items` would have refused. Counts its open
 * connections (none may be left once the gateway is idle).
 */
async function startEchoBackend() {
  const sockets = new Set();
  const violations = [];
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const wrong = backendViolation(req, body);
      if (wrong && violations.length < 50) violations.push({ why: wrong, method: req.method, url: req.url });
      const text = JSON.stringify({ method: req.method, url: req.url, bodyBytes: body.length });
      res.writeHead(200, {
        [MARKER]: 'echo',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    /** TCP connections open on the echo backend. */
    connections: () => sockets.size,
    requests: () => requests,
    /** Requests the gateway should never have forwarded, with the reason. */
    violations,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Why the gateway should not have forwarded this request, or '' (see `startEchoBackend`). */
function backendViolation(req, body) {
  const path = (req.url ?? '').split('?')[0];
  if (!path.startsWith('/') || path.includes('//')) return 'path not normalised';
  if (/\/\.\.?(\/|$)/.test(path)) return 'dot segment forwarded';
  if (/%(2f|5c|00)/i.test(path) || path.includes('\\')) return 'escaped slash or NUL forwarded';
  if (/[^\x21-\x7e]/.test(req.url ?? '')) return 'raw non-ASCII or control byte in the target';
  const names = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) names.push(req.rawHeaders[i].toLowerCase());
  if (names.some((n) => n.includes('_'))) return 'header name with "_" forwarded';
  if (names.filter((n) => n === 'host').length !== 1) return 'not exactly one Host';
  if (names.includes('transfer-encoding') && names.includes('content-length')) return 'both framings forwarded';
  if (['upgrade', 'expect', 'te', 'keep-alive', 'proxy-connection'].some((n) => names.includes(n)))
    return 'hop-by-hop header forwarded';
  const secretId = req.headers['x-api-secretid'];
  if (path === '/signed' ? secretId !== KEY_ID : secretId !== undefined) return 'x-api-secretid not the gateway’s';
  if (path === '/items') {
    try {
      const doc = JSON.parse(body.toString('utf8'));
      if (typeof doc !== 'object' || doc === null || typeof doc.name !== 'string')
        return 'a body the schema refuses forwarded';
    } catch {
      return 'a body that is not JSON forwarded to /items';
    }
  }
  return '';
}

/** The gateway config: every kind of API the request path serves, on the echo backend where it proxies. */
function worldConfig({ echoOrigin, jwks }) {
  const api = (name, rawPath, match, path, method, backend, extra = {}) => ({
    name,
    frontend: { type: 'http', rawPath, match, path, method },
    auth: { type: 'none' },
    cors: null,
    parameters: [],
    backend,
    response: { errorCodes: [] },
    ...extra,
  });
  const mock = (statusCode, body) => ({
    type: 'mock',
    statusCode,
    headers: { [MARKER]: 'mock', 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
  });
  const echo = (path, method = 'ANY') => ({
    type: 'http',
    origin: echoOrigin,
    path,
    method,
    timeoutMs: 3000,
    parameterMappings: [],
    constants: [],
  });
  return {
    version: 1,
    service: {
      name: 'fuzz',
      id: 'service-fuzz',
      stage: { name: 'release', variables: {} },
      listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } },
      healthPath: HEALTH_PATH,
      limits: LIMITS,
      keyPairs: [{ secretId: KEY_ID, secretKey: { env: 'FUZZ_KEY_SECRET' } }],
      usagePlans: [{ name: 'signed', keyPairs: [KEY_ID], apis: ['signed'], rateLimitPerSecond: 1 }],
    },
    apis: [
      api('mock', '=/mock', 'exact', '/mock', 'GET', mock(200, '{"ok":true}')),
      api('maintenance', '=/maintenance', 'exact', '/maintenance', 'GET', mock(503, '{"down":true}')),
      api('echo', '^~/echo/', 'prefix', '/echo/', 'ANY', echo('/echo/')),
      api('pets', '/pets/{id}', 'param', '/pets/{id}', 'GET', echo('/pets/{id}', 'GET'), {
        parameters: [
          { name: 'id', in: 'path', type: 'int', required: true },
          { name: 'X-Tenant', in: 'header', type: 'string', required: true },
          { name: 'limit', in: 'query', type: 'int', required: false, default: '10' },
        ],
      }),
      api(
        'files',
        '~^/files/(?<name>[a-z0-9]+)\\.(json|txt)$',
        'regex',
        '^/files/(?<name>[a-z0-9]+)\\.(json|txt)$',
        'GET',
        mock(200, '{"file":true}'),
        { parameters: [{ name: 'name', in: 'path', type: 'string', required: true }] },
      ),
      api('static', '^~/static/', 'prefix', '/static/', 'GET', echo('/assets/', 'GET')),
      api('signed', '=/signed', 'exact', '/signed', 'GET', echo('/signed', 'GET'), { auth: { type: 'keyPair' } }),
      api('oauth', '=/oauth', 'exact', '/oauth', 'GET', mock(200, '{"claims":true}'), {
        auth: {
          type: 'oauth2',
          verifier: {
            jwks,
            algorithms: ['ES256'],
            issuer: ISSUER,
            audience: [AUDIENCE],
            clockToleranceSec: 0,
            tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
            forwardClaims: [],
          },
        },
      }),
      api('cors', '=/cors', 'exact', '/cors', 'GET', mock(200, '{"cors":true}'), {
        cors: {
          allowOrigins: [ALLOWED_ORIGIN, 'https://*.example.com'],
          allowMethods: ['GET', 'POST', 'PUT'],
          allowHeaders: ['content-type', 'x-custom'],
          exposeHeaders: ['x-api-requestid'],
          allowCredentials: false,
          maxAgeSeconds: 600,
        },
      }),
      api('items', '=/items', 'exact', '/items', 'POST', echo('/items', 'POST'), {
        bodySchema: JSON.stringify(ITEM_SCHEMA),
      }),
      api('internal', '=/internal', 'exact', '/internal', 'GET', mock(200, '{"internal":true}'), {
        ipAccess: { allow: ['203.0.113.0/24'], deny: [IPS.denied] },
      }),
      api('limited', '=/limited', 'exact', '/limited', 'GET', mock(200, '{"limited":true}'), {
        rateLimitPerSecond: 2,
      }),
      api('fn', '=/fn', 'exact', '/fn', 'ANY', {
        type: 'scf',
        function: {
          namespace: 'default',
          functionName: 'fuzz',
          version: '$LATEST',
          timeoutMs: 3000,
          source: { type: 'bundled', dir: 'fn', handler: 'index.main', memoryMb: 64 },
        },
        responseIntegration: true,
      }),
    ],
  };
}

/**
 * `GET path` on a connection of its own (`Connection: close`, so that nothing
 * stays open to blur a count of sockets); resolves with the status, 0 when
 * there is no answer.
 */
function get(port, path) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('error', () => undefined);
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.once('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0)));
    socket.setTimeout(5000, () => socket.destroy());
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  });
}

/**
 * Starts the function's worker threads (as many as its pool takes, at most 4)
 * before a run, so that no case waits for a cold start on a loaded machine.
 */
async function warmUp(port) {
  await Promise.all(Array.from({ length: 4 }, () => get(port, '/fn')));
}

module.exports = {
  MARKER,
  BACKEND_STATUSES,
  HOST,
  KEY_ID,
  KEY_SECRET,
  ENV,
  ALLOWED_ORIGIN,
  HEALTH_PATH,
  IPS,
  LIMITS,
  createIssuer,
  get,
  startEchoBackend,
  warmUp,
  worldConfig,
  writeFunctionCode,
};
