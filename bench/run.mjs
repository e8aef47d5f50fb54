// npm run bench: gateway overhead against peers (wrk, loopback), router lookup
// cost, runtime start time and memory, and synth time. Prints Markdown.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkReady, median, petApi, stopChildren, track, wrk as runWrk, workDir } from './common.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
if (!existsSync(join(dist, 'runtime-bundle', 'gateway.js'))) throw new Error('run "npm run build" first');
const { DEFAULT_LIMITS, parsePathSyntax } = require(join(dist, 'model'));
const { signRequest } = require(join(dist, 'runtime', 'auth', 'sign.js'));

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION = process.env.BENCH_DURATION ?? '5s';
const CONNECTIONS = 50;
const work = workDir();
let nextPort = 19100;

function spawnListening(cmd, args, port, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
    track(child);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${err}`)));
    const poll = async () => {
      for (let i = 0; i < 100; i++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/__apigw/health`).catch(() =>
            fetch(`http://127.0.0.1:${port}/`),
          );
          await r.arrayBuffer();
          return resolve({ child, port });
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      reject(new Error(`${cmd} did not listen on ${port}`));
    };
    poll();
  });
}

function gatewayConfig(port, backendPort, auth) {
  return {
    version: 1,
    service: {
      name: 'bench',
      id: 'service-bench',
      stage: { name: 'release', variables: {} },
      listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } },
      healthPath: '/__apigw/health',
      limits: DEFAULT_LIMITS,
      keyPairs: auth ? [{ secretId: 'bench', secretKey: { env: 'BENCH_KEY' } }] : [],
      usagePlans: auth ? [{ name: 'bench', keyPairs: ['bench'] }] : [],
    },
    apis: [petApi(parsePathSyntax, backendPort, auth)],
  };
}

async function startGateway(backendPort, auth) {
  const port = nextPort++;
  const file = join(work, `gateway-${port}.json`);
  writeFileSync(file, JSON.stringify(gatewayConfig(port, backendPort, auth)));
  return spawnListening(
    process.execPath,
    [join(dist, 'runtime-bundle', 'gateway.js'), 'serve', '--config', file],
    port,
    {
      env: { ...process.env, BENCH_KEY: 'bench-secret' },
    },
  );
}

async function startNginx(backendPort) {
  const port = nextPort++;
  const prefix = mkdtempSync(join(work, 'nginx-'));
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `worker_processes 1; daemon off; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${prefix}; proxy_temp_path ${prefix};
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`,
  );
  return spawnListening('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], port);
}

function wrk(url, headers = {}) {
  const run = runWrk(['wrk', '-t2', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency'], url, headers);
  if (run.non2xx > 0) throw new Error(`${url}: ${run.non2xx} non-2xx responses`);
  return run;
}

async function proxyBenchmarks() {
  const backend = await forkReady(join(root, 'bench', 'backend.mjs'), ['0']);
  const b = backend.port;
  const signed = signRequest({ secretId: 'bench', secretKey: 'bench-secret' }); // valid for 15 minutes
  const targets = [
    { name: 'backend directly', start: async () => ({ port: b }), path: '/v1/pets/42' },
    { name: 'cdktf-apigw (routing + params + CORS)', start: () => startGateway(b, false), path: '/pets/42' },
    { name: 'cdktf-apigw (+ key-pair auth)', start: () => startGateway(b, true), path: '/pets/42', headers: signed },
    { name: 'nginx (upstream keep-alive)', start: () => startNginx(b), path: '/v1/pets/42' },
    {
      name: 'bare undici proxy (Node floor)',
      start: () => forkReady(join(root, 'bench', 'bare-proxy.mjs'), [String(nextPort++), `http://127.0.0.1:${b}`]),
      path: '/v1/pets/42',
    },
    {
      name: '@fastify/http-proxy',
      start: () => forkReady(join(root, 'bench', 'fastify-proxy.mjs'), [String(nextPort++), `http://127.0.0.1:${b}`]),
      path: '/v1/pets/42',
    },
  ];
  for (const t of targets) {
    const { port } = await t.start();
    t.url = `http://127.0.0.1:${port}${t.path}`;
    wrk(t.url.replace(/$/, ''), t.headers); // warm-up, discarded
    t.runs = [];
  }
  for (let round = 0; round < ROUNDS; round++) for (const t of targets) t.runs.push(wrk(t.url, t.headers));
  const rows = targets.map((t) => ({
    name: t.name,
    rps: median(t.runs.map((r) => r.rps)),
    p50: median(t.runs.map((r) => r.p50)),
    p99: median(t.runs.map((r) => r.p99)),
  }));
  const direct = rows[0].rps;
  const floor = rows.find((r) => r.name.startsWith('bare')).rps;
  const lines = [
    `### Proxied GET, wrk -t2 -c${CONNECTIONS} -d${DURATION}, median of ${ROUNDS} interleaved rounds`,
    '',
    '| Target | req/s | p50 ms | p99 ms | × direct | × Node floor |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.rps / direct).toFixed(2)} | ${(r.rps / floor).toFixed(2)} |`,
    ),
    '| fast-gateway | n/a | | | | |',
    '',
    'fast-gateway could not be installed: its dependency `fast-proxy-lite@^1.1.3` is not in the reachable npm registry.',
  ];
  stopChildren();
  return lines.join('\n');
}

async function functionBenchmark() {
  const port = nextPort++;
  const fnDir = mkdtempSync(join(work, 'fn-'));
  writeFileSync(join(fnDir, 'index.js'), 'exports.main = async () => ({ ok: true });');
  const config = gatewayConfig(port, 9, false);
  const scf = (name, path) => ({
    ...config.apis[0],
    name,
    frontend: { type: 'http', rawPath: `=${path}`, match: 'exact', path, method: 'GET' },
    cors: null,
    parameters: [],
    backend: {
      type: 'scf',
      responseIntegration: false,
      function: {
        namespace: 'default',
        functionName: 'trivial',
        version: '$LATEST',
        timeoutMs: 10000,
        source: { type: 'bundled', dir: fnDir, handler: 'index.main', memoryMb: 64 },
      },
    },
  });
  config.apis = [
    scf('fn', '/fn'),
    {
      ...scf('mock', '/mock'),
      backend: { type: 'mock', statusCode: 200, headers: {}, body: '{"ok":true}', isBase64Encoded: false },
    },
  ];
  const file = join(work, `gateway-fn-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  await spawnListening(process.execPath, [join(dist, 'runtime-bundle', 'gateway.js'), 'serve', '--config', file], port);
  const rows = [];
  for (const [name, path] of [
    ['bundled function (worker threads), trivial handler', '/fn'],
    ['mock backend (no backend I/O), for reference', '/mock'],
  ]) {
    const url = `http://127.0.0.1:${port}${path}`;
    wrk(url);
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(wrk(url));
    rows.push(
      `| ${name} | ${Math.round(median(runs.map((r) => r.rps)))} | ${median(runs.map((r) => r.p50)).toFixed(2)} | ${median(runs.map((r) => r.p99)).toFixed(2)} |`,
    );
  }
  stopChildren();
  return [
    `### Function invocations through the gateway, wrk -t2 -c${CONNECTIONS} -d${DURATION}`,
    '',
    '| API | invocations/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function webSocketBenchmark() {
  const { WebSocket } = require('ws');
  const backend = await forkReady(join(root, 'bench', 'ws-backend.mjs'), ['0']);
  const port = nextPort++;
  const config = gatewayConfig(port, 9, false);
  config.apis = [
    {
      ...config.apis[0],
      name: 'ws',
      frontend: { type: 'websocket', rawPath: '=/ws', match: 'exact', path: '/ws', method: 'GET' },
      cors: null,
      parameters: [],
      backend: {
        type: 'websocket',
        origin: `ws://127.0.0.1:${backend.port}`,
        path: '/',
        connectTimeoutMs: 5000,
        parameterMappings: [],
        constants: [],
        maxMessageBytes: 1024 * 1024,
      },
    },
  ];
  const file = join(work, `gateway-ws-${port}.json`);
  writeFileSync(file, JSON.stringify(config));
  await spawnListening(process.execPath, [join(dist, 'runtime-bundle', 'gateway.js'), 'serve', '--config', file], port);
  const seconds = Number.parseFloat(DURATION) || 5;
  // CONNECTIONS clients, each sending a 64-byte message and waiting for its echo, for `seconds`.
  const run = async (url) => {
    const sockets = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => {
        const ws = new WebSocket(url);
        return new Promise((resolve, reject) => {
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      }),
    );
    const payload = Buffer.alloc(64, 'x');
    const rtts = [];
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      sockets.map(async (ws) => {
        while (Date.now() < end) {
          const t0 = process.hrtime.bigint();
          await new Promise((resolve) => {
            ws.once('message', resolve);
            ws.send(payload);
          });
          rtts.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
        ws.close(1000);
      }),
    );
    rtts.sort((a, b) => a - b);
    return {
      rate: rtts.length / seconds,
      p50: rtts[Math.floor(rtts.length * 0.5)],
      p99: rtts[Math.floor(rtts.length * 0.99)],
    };
  };
  const targets = [
    ['backend directly', `ws://127.0.0.1:${backend.port}/`],
    ['through cdktf-apigw', `ws://127.0.0.1:${port}/ws`],
  ];
  const results = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < targets.length; i++) results[i].push(await run(targets[i][1]));
  }
  const rows = targets.map(([name], i) => ({
    name,
    rate: median(results[i].map((r) => r.rate)),
    p50: median(results[i].map((r) => r.p50)),
    p99: median(results[i].map((r) => r.p99)),
  }));
  stopChildren();
  const [direct, gateway] = rows;
  return [
    `### WebSocket echo, ${CONNECTIONS} connections each sending 64-byte messages one at a time for ${seconds} s, median of ${ROUNDS} rounds`,
    '',
    '| Target | round trips/s | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${Math.round(r.rate)} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} |`),
    '',
    `Added by the gateway: ${(gateway.p50 - direct.p50).toFixed(3)} ms at p50, ${(gateway.p99 - direct.p99).toFixed(3)} ms at p99; ${(gateway.rate / direct.rate).toFixed(2)}× the direct rate.`,
  ].join('\n');
}

function routerBenchmarks() {
  const { Router } = require(join(dist, 'runtime', 'router.js'));
  const make = (n) => {
    const apis = [];
    for (let i = 0; i < n; i++) {
      const kind = i % 5;
      const raw = [`=/e/${i}`, `^~/p/${i}/`, `/d/${i}/{id}`, `~^/r/${i}/[a-z]+$`, `/l/${i}`][kind];
      const { match, path } = parsePathSyntax(raw);
      apis.push({ name: `a${i}`, frontend: { type: 'http', rawPath: raw, match, path, method: 'GET' } });
    }
    return apis;
  };
  const lines = [
    '### Router lookup (mixed match modes, one lookup per mode)',
    '',
    '| APIs | ns per lookup |',
    '|---:|---:|',
  ];
  const results = {};
  for (const n of [10, 100, 1000, 10000]) {
    const router = new Router(make(n));
    const k = (x) => Math.floor(n / 5 / 2) * 5 + x; // APIs in the middle of each mode
    const paths = [
      `/e/${k(0)}`,
      `/p/${k(1)}/x/y`,
      `/d/${k(2)}/77`,
      `/r/${k(3)}/abc`,
      `/l/${k(4)}/more`,
      '/nothing/here',
    ];
    const iterations = 200_000;
    for (let i = 0; i < 20_000; i++) router.find('GET', paths[i % paths.length]);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) router.find('GET', paths[i % paths.length]);
    const ns = Number(process.hrtime.bigint() - t0) / iterations;
    results[n] = ns;
    lines.push(`| ${n} | ${ns.toFixed(0)} |`);
  }
  lines.push('', `10,000 APIs / 10 APIs: ${(results[10000] / results[10]).toFixed(2)}×`);

  // Unanchored regex routes (`~/item42/(?<id>[0-9]+)$`): a request served by a plain route, or by none, reaches
  // the regex stage; the router must not run every regex for it.
  lines.push(
    '',
    '### Router lookup with unanchored regex routes (`~/itemN/(?<id>[0-9]+)$`)',
    '',
    '| Regex routes | plain route after them, ns | unknown path (404), ns | regex hit, ns |',
    '|---:|---:|---:|---:|',
  );
  const timeLookup = (router, path) => {
    let best = Infinity;
    for (let rep = 0; rep < 5; rep++) {
      for (let i = 0; i < 2_000; i++) router.find('GET', path);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 20_000; i++) router.find('GET', path);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 20_000);
    }
    return best;
  };
  for (const n of [1, 500]) {
    const apis = ['/plain', ...Array.from({ length: n }, (_, i) => `~/item${i}/(?<id>[0-9]+)$`)].map((raw, i) => {
      const { match, path } = parsePathSyntax(raw);
      return { name: `u${i}`, frontend: { type: 'http', rawPath: raw, match, path, method: 'GET' } };
    });
    const router = new Router(apis);
    const row = ['/plain/sub/path', '/nothing/here', `/item${Math.floor(n / 2)}/42`].map((p) => timeLookup(router, p));
    lines.push(`| ${n} | ${row.map((x) => x.toFixed(0)).join(' | ')} |`);
  }
  return lines.join('\n');
}

async function startupBenchmark() {
  const apis = [];
  for (let i = 0; i < 1000; i++) {
    const raw = [`=/e/${i}`, `^~/p/${i}/`, `/d/${i}/{id}`, `~^/r/${i}/[a-z]+$`, `/l/${i}`][i % 5];
    const { match, path } = parsePathSyntax(raw);
    apis.push({
      name: `a${i}`,
      frontend: { type: 'http', rawPath: raw, match, path, method: 'GET' },
      auth: { type: 'none' },
      cors: null,
      parameters: match === 'param' ? [{ name: 'id', in: 'path', type: 'int', required: true }] : [],
      backend: {
        type: 'http',
        origin: 'http://127.0.0.1:9',
        path: '/',
        method: 'GET',
        timeoutMs: 1000,
        parameterMappings: [],
        constants: [],
      },
      response: { errorCodes: [] },
    });
  }
  const port = nextPort++;
  const config = gatewayConfig(port, 9, false);
  config.apis = apis;
  const file = join(work, 'gateway-1000.json');
  writeFileSync(file, JSON.stringify(config));
  const t0 = process.hrtime.bigint();
  const base = execFileSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.memoryUsage().rss))',
  ]).toString();
  const nodeOnly = Number(process.hrtime.bigint() - t0) / 1e6;
  const times = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [join(dist, 'runtime-bundle', 'gateway.js'), 'serve', '--config', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise((resolve) => child.stderr.on('data', (d) => d.toString().includes('"listening"') && resolve()));
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    rss = Number(/VmRSS:\s+(\d+)/.exec(execFileSync('cat', [`/proc/${child.pid}/status`]).toString())[1]) / 1024;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  return [
    '### Runtime start with 1,000 APIs',
    '',
    `- process spawn → listening: median ${median(times).toFixed(0)} ms (a bare \`node -e\` takes ${nodeOnly.toFixed(0)} ms on this machine)`,
    `- resident memory after start: ${rss.toFixed(1)} MiB (bare node: ${(Number(base) / 1048576).toFixed(1)} MiB)`,
  ].join('\n');
}

function synthBenchmark() {
  const { App, TerraformStack } = require('cdktf');
  const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
  const lib = require(join(dist, 'lib'));
  const t0 = process.hrtime.bigint();
  const app = new App({ outdir: join(work, 'synth') });
  const stack = new TerraformStack(app, 'big');
  new DockerProvider(stack, 'docker', {});
  const svc = new lib.Service(stack, 'big');
  for (let i = 0; i < 1000; i++) {
    svc.addApi(`api${i}`, {
      path: `/items${i}/{id}`,
      parameters: [{ name: 'id', in: 'path', type: 'int' }],
      cors: true,
      backend: new lib.HttpBackend({ origin: 'http://127.0.0.1:9', path: '/items/{id}' }),
    });
  }
  app.synth();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return `### Synth of a stack with 1,000 APIs\n\n- construct + validate + stage + write: ${ms.toFixed(0)} ms`;
}

const sections = [];
if (process.env.BENCH_SKIP_PROXY !== '1') sections.push(await proxyBenchmarks());
sections.push(await functionBenchmark());
sections.push(await webSocketBenchmark());
sections.push(routerBenchmarks());
sections.push(await startupBenchmark());
sections.push(synthBenchmark());
process.stdout.write(
  `## Benchmarks (${new Date().toISOString().slice(0, 10)}, ${(await import('node:os')).cpus().length} cores, node ${process.version})\n\n${sections.join('\n\n')}\n`,
);
stopChildren();
