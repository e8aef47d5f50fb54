// npm run bench:policies: what each traffic policy costs per request, against the same API without it, in one run.
//
// Method: the bundled gateway runs as its own process with pairs of APIs that differ only in one policy
// (same backend, same path shape). wrk drives each API in turn (interleaved rounds, a warm-up run first); the
// cost of a request is the gateway process's CPU time (utime + stime from /proc/PID/stat) over the run divided
// by the requests wrk completed — steadier on a shared VM than req/s. A policy's cost is the median of its
// API's µs per request minus the median of its reference API's. The backend and the JWKS server run in another
// process, so their CPU is not counted.
//
// Second, each policy's own per-request code alone, in this process against the built modules (best of 9 runs
// of many calls): what the end-to-end difference is made of, and steady when the machine is busy. Prints Markdown.
//
//   node bench/policies.mjs [--duration 5s] [--rounds 5] [--connections 10]
import { execFileSync, fork, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const self = fileURLToPath(import.meta.url);

// The backend process: a pet (GET), a store (POST, reads the body), a 404 with a body, and a JWKS document.
if (process.argv[2] === '--backend') {
  const pet = Buffer.from(JSON.stringify({ id: 42, name: 'Rex', tags: ['a', 'b'] }));
  const missing = Buffer.from(JSON.stringify({ error: 'no such pet', id: 42 }));
  const jwks = Buffer.from(process.argv[3]);
  const server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': jwks.length });
      return res.end(jwks);
    }
    req.resume();
    req.on('end', () => {
      const body = req.url === '/missing' ? missing : pet;
      res.writeHead(req.url === '/missing' ? 404 : 200, {
        'content-type': 'application/json',
        'content-length': body.length,
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
} else {
  await main();
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: process.env.BENCH_DURATION ?? '5s' },
      rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '5' },
      connections: { type: 'string', default: '10' },
    },
  });
  const require = createRequire(import.meta.url);
  const root = join(dirname(self), '..');
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'runtime-bundle', 'gateway.js'))) throw new Error('run "npm run build" first');
  const { DEFAULT_LIMITS } = require(join(dist, 'model'));
  const { SignJWT, exportJWK, generateKeyPair } = require('jose');

  const work = mkdtempSync(join(tmpdir(), 'apigw-bench-policies-'));
  const children = [];
  const stopAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  };
  process.on('exit', () => {
    stopAll();
    rmSync(work, { recursive: true, force: true });
  });
  process.on('SIGINT', () => process.exit(130));

  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256' };
  const jwksText = JSON.stringify({ keys: [jwk] });
  const token = await new SignJWT({ sub: 'bench' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer('https://login.bench')
    .setExpirationTime('2h')
    .sign(privateKey);

  const backend = await new Promise((resolve, reject) => {
    const child = fork(self, ['--backend', jwksText], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    child.once('message', (m) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`backend exited ${code}`)));
  });
  const origin = `http://127.0.0.1:${backend}`;

  const http = (method, path) => ({
    type: 'http',
    origin,
    path,
    method,
    timeoutMs: 10_000,
    parameterMappings: [],
    constants: [],
  });
  const verifier = (keys) => ({
    ...keys,
    algorithms: ['RS256'],
    issuer: 'https://login.bench',
    clockToleranceSec: 30,
    tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
    forwardClaims: [],
  });
  const api = (name, method, backendConfig, extra = {}) => ({
    name,
    frontend: { type: 'http', rawPath: `=/${name}`, match: 'exact', path: `/${name}`, method },
    auth: { type: 'none' },
    cors: null,
    parameters: [],
    backend: backendConfig,
    response: { errorCodes: [] },
    ...extra,
  });
  const schema = {
    type: 'object',
    required: ['name', 'age'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 64 },
      age: { type: 'integer', minimum: 0, maximum: 200 },
      email: { type: 'string', maxLength: 254 },
      tags: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 32 } },
    },
  };
  const body = JSON.stringify({ name: 'Rex', age: 7, email: 'rex@example.com', tags: ['dog', 'good', 'brown'] });
  const apis = [
    api('get', 'GET', http('GET', '/pet')),
    api('ip', 'GET', http('GET', '/pet'), {
      ipAccess: { allow: ['127.0.0.0/8', '10.0.0.0/8', '2001:db8::/32'], deny: ['10.66.0.0/16', '192.0.2.0/24'] },
    }),
    api('rate', 'GET', http('GET', '/pet'), { rateLimitPerSecond: 1_000_000 }),
    api('jwtInline', 'GET', http('GET', '/pet'), { auth: { type: 'oauth2', verifier: verifier({ jwks: jwksText }) } }),
    api('jwtRemote', 'GET', http('GET', '/pet'), {
      auth: {
        type: 'oauth2',
        verifier: verifier({
          remoteJwks: { url: `${origin}/jwks.json`, timeoutMs: 5000, cooldownMs: 30_000, cacheMaxAgeMs: 3_600_000 },
        }),
      },
    }),
    api('post', 'POST', http('POST', '/store')),
    api('postSchema', 'POST', http('POST', '/store'), { bodySchema: JSON.stringify(schema) }),
    // `true` accepts any JSON: the cost of reading the body whole instead of streaming it, without the schema.
    api('postAnyJson', 'POST', http('POST', '/store'), { bodySchema: 'true' }),
    api('missing', 'GET', http('GET', '/missing')),
    api('missingConverted', 'GET', http('GET', '/missing'), {
      response: {
        errorCodes: [
          {
            code: 'PetNotFound',
            message: 'no such pet',
            status: 404,
            from: { type: 'backendStatus', statuses: [404] },
          },
        ],
      },
    }),
  ];

  const port = await freePort();
  const file = join(work, 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      service: {
        name: 'bench',
        id: 'service-bench',
        stage: { name: 'release', variables: {} },
        listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } },
        healthPath: '/__apigw/health',
        limits: DEFAULT_LIMITS,
        keyPairs: [],
        usagePlans: [],
      },
      apis,
    }),
  );
  const gateway = spawn(process.execPath, [join(dist, 'runtime-bundle', 'gateway.js'), 'serve', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, APIGW_ACCESS_LOG: 'off' },
  });
  children.push(gateway);
  await waitForHealth(port);

  const postScript = join(work, 'post.lua');
  writeFileSync(
    postScript,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  const bearer = { authorization: `Bearer ${token}` };
  // Each policy against the same API without it.
  const pairs = [
    { policy: 'IP allow/deny lists (5 blocks, cached verdict)', api: 'ip', reference: 'get' },
    { policy: 'rate limit (never reached)', api: 'rate', reference: 'get' },
    { policy: 'OAuth 2.0, JWKS URL (keys cached), against no auth', api: 'jwtRemote', reference: 'get' },
    { policy: 'OAuth 2.0, JWKS URL, against inline JWKS', api: 'jwtRemote', reference: 'jwtInline' },
    { policy: `body schema (${body.length}-byte JSON body)`, api: 'postSchema', reference: 'post' },
    { policy: '… of which: reading the body whole (schema `true`)', api: 'postAnyJson', reference: 'post' },
    { policy: '… of which: the schema itself', api: 'postSchema', reference: 'postAnyJson' },
    { policy: 'error-code conversion (backend 404 replaced)', api: 'missingConverted', reference: 'missing' },
  ];
  const targets = new Map(
    Object.entries({
      get: {},
      ip: {},
      rate: {},
      jwtInline: { headers: bearer },
      jwtRemote: { headers: bearer },
      post: { script: postScript },
      postSchema: { script: postScript },
      postAnyJson: { script: postScript },
      missing: { status: 404 },
      missingConverted: { status: 404 },
    }).map(([name, t]) => [name, { name, status: 200, ...t, runs: [] }]),
  );
  const rounds = Number(values.rounds);
  for (const t of targets.values()) run(t, '1s'); // warm-up: JIT, pools, the JWKS fetch
  for (let round = 0; round < rounds; round++) for (const t of targets.values()) t.runs.push(run(t, values.duration));
  gateway.kill('SIGTERM');
  const micro = await microBenchmarks({ require, dist, jwksText, token, schema, body, origin });

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const cost = (name) => median(targets.get(name).runs.map((r) => r.cpuUs));
  const rps = (name) => median(targets.get(name).runs.map((r) => r.rps));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const lines = [
    `### Traffic policies: gateway CPU per request, wrk -t1 -c${values.connections} -d${values.duration}, median of ${rounds} interleaved rounds (load average ${load})`,
    '',
    '| Policy | API | µs/request | reference | µs/request | cost µs/request | req/s (API / reference) |',
    '|---|---|---:|---|---:|---:|---:|',
    ...pairs.map((p) => {
      const a = cost(p.api);
      const r = cost(p.reference);
      return `| ${p.policy} | \`${p.api}\` | ${a.toFixed(1)} | \`${p.reference}\` | ${r.toFixed(1)} | ${(a - r).toFixed(1)} | ${Math.round(rps(p.api))} / ${Math.round(rps(p.reference))} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n\n${micro}\n`);
  process.exit(0);

  /** One wrk run against an API: the gateway's CPU µs per completed request, and req/s. */
  function run(t, duration) {
    const args = ['-t1', `-c${values.connections}`, `-d${duration}`];
    for (const [k, v] of Object.entries(t.headers ?? {})) args.push('-H', `${k}: ${v}`);
    if (t.script) args.push('-s', t.script);
    const before = cpuTicks(gateway.pid);
    const out = execFileSync('wrk', [...args, `http://127.0.0.1:${port}/${t.name}`], { encoding: 'utf8' });
    const ticks = cpuTicks(gateway.pid) - before;
    const requests = Number(/(\d+) requests in/.exec(out)[1]);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const expectedNon2xx = t.status === 200 ? 0 : requests;
    if (non2xx !== expectedNon2xx) throw new Error(`/${t.name}: ${non2xx} of ${requests} answers were not ${t.status}`);
    return { cpuUs: (ticks * 10_000) / requests, rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]) };
  }
}

/** Each policy's per-request code alone: ns per call, best of `RUNS` runs. */
async function microBenchmarks({ require, dist, jwksText, token, schema, body, origin }) {
  const RUNS = 9;
  const { compileIpAccess } = require(join(dist, 'runtime', 'ip-access.js'));
  const { compileRateLimit, LocalRateCounters } = require(join(dist, 'runtime', 'rate-limit.js'));
  const { compileBodySchema } = require(join(dist, 'model'));
  const { createOAuthAuthenticator } = require(join(dist, 'runtime', 'auth', 'oauth.js'));
  const { compileErrorConversion } = require(join(dist, 'runtime', 'error-conversion.js'));
  require(join(dist, 'runtime', 'regex-engine.js'));

  const best = async (n, fn) => {
    let min = Infinity;
    for (let run = 0; run < RUNS; run++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn(i);
      min = Math.min(min, Number(process.hrtime.bigint() - start) / n);
    }
    return min;
  };
  const bestSync = (n, fn) => {
    let min = Infinity;
    for (let run = 0; run < RUNS; run++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(i);
      min = Math.min(min, Number(process.hrtime.bigint() - start) / n);
    }
    return min;
  };

  const req = { headers: {} };
  const access = { allow: ['127.0.0.0/8', '10.0.0.0/8', '2001:db8::/32'], deny: ['10.66.0.0/16', '192.0.2.0/24'] };
  const ip = compileIpAccess(access, false);
  const distinct = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const forwarded = compileIpAccess(access, true);
  const xff = { headers: { 'x-forwarded-for': '203.0.113.9, 10.1.2.3' } };
  const limiter = compileRateLimit('bench', 1_000_000_000, new LocalRateCounters());
  const compiled = compileBodySchema(JSON.stringify(schema));
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const bytes = Buffer.from(body);
  const verifier = (keys) => ({
    ...keys,
    algorithms: ['RS256'],
    issuer: 'https://login.bench',
    clockToleranceSec: 30,
    tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
    forwardClaims: [],
  });
  const apiOf = (auth) => ({ name: 'bench', auth, response: { errorCodes: [] } });
  const inline = createOAuthAuthenticator(apiOf({}), verifier({ jwks: jwksText }));
  const remote = createOAuthAuthenticator(
    apiOf({}),
    verifier({
      remoteJwks: { url: `${origin}/jwks.json`, timeoutMs: 5000, cooldownMs: 30_000, cacheMaxAgeMs: 3_600_000 },
    }),
  );
  const ctx = { req: { headers: { authorization: `Bearer ${token}` } }, query: new URLSearchParams() };
  const primed = await remote.authenticate(ctx);
  if (primed.code) throw new Error(`the remote key set did not verify: ${primed.message}`);
  const conversion = compileErrorConversion({
    response: {
      errorCodes: [
        { code: 'PetNotFound', message: 'no such pet', status: 404, from: { type: 'backendStatus', statuses: [404] } },
      ],
    },
  });

  const rows = [
    ['IP lists: check, cached verdict (same client)', bestSync(1_000_000, () => ip.check(req, '127.0.0.1'))],
    [
      'IP lists: check, a new address every call (cache cleared every 4,096)',
      bestSync(100_000, (i) => ip.check(req, distinct[i])),
    ],
    [
      'IP lists: check with trustForwardedHeaders (X-Forwarded-For parsed)',
      bestSync(1_000_000, () => forwarded.check(xff, '127.0.0.1')),
    ],
    ['rate limit: admit', bestSync(1_000_000, () => limiter.admit(Date.now()))],
    [
      `body schema: UTF-8 decode + JSON.parse + validate (${bytes.length} bytes)`,
      bestSync(200_000, () => compiled.check(JSON.parse(utf8.decode(bytes)))),
    ],
    ['OAuth 2.0: verify a token, inline JWKS', await best(20_000, () => inline.authenticate(ctx))],
    ['OAuth 2.0: verify a token, JWKS URL (keys cached)', await best(20_000, () => remote.authenticate(ctx))],
    ['error-code conversion: status lookup', bestSync(1_000_000, () => conversion.byStatus(404))],
  ];
  return [
    `### Traffic policies: their own per-request code alone (best of ${RUNS} runs, in-process)`,
    '',
    '| Code | ns per call |',
    '|---|---:|',
    ...rows.map(([name, ns]) => `| ${name} | ${Math.round(ns)} |`),
  ].join('\n');
}

/** utime + stime of a process, in clock ticks (100 per second). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForHealth(port) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/__apigw/health`);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the gateway did not start');
}
