// node bench/per-core.mjs [--rounds 5] [--duration 5s] [--baseline OLD/gateway.js] [--only a,b] [--json FILE]
// (after `npm run build`; needs `wrk`, `taskset` and, for the nginx row, `nginx`)
//
// Per-core efficiency of the gateway against its peers, side by side in one run: wrk (-t1 -c50) pinned to
// core 0, the backend and the proxy under test pinned to core 1 (`taskset -a`, every thread). Per target and
// round: req/s, p50 and p99 (wrk --latency), and the CPU the proxy process spent per request (utime + stime
// from /proc/PID/stat over the wrk run, divided by the requests wrk completed; steadier than req/s on a shared
// VM). Targets run interleaved round by round after a warm-up of each; the report gives the median and the
// range (least–most) over rounds, and the throughput against the bare undici proxy (the Node floor) as the
// median of the per-round ratios (both run on the same core within a few seconds of each other).
//
// Targets: the bare undici proxy (bench/bare-proxy.mjs, the Node floor); this build's gateway with routing,
// a path and a query parameter (with a default), CORS and the access log on; the same with key-pair
// authentication (an HMAC per request); nginx (one process, upstream keep-alive); @fastify/http-proxy; and with
// --baseline another gateway bundle (a copy of dist/runtime-bundle/ from before a change), both configs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, forkReady, median, petApi, track, wrk as runWrk, workDir } from './common.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const current = join(root, 'dist', 'runtime-bundle', 'gateway.js');
if (!existsSync(current)) throw new Error('run "npm run build" first');
const { DEFAULT_LIMITS, parsePathSyntax } = require(join(root, 'dist', 'model'));
const { signRequest } = require(join(root, 'dist', 'runtime', 'auth', 'sign.js'));

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5s' },
    baseline: { type: 'string' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const DURATION = values.duration;
const CONNECTIONS = 50;
const LOAD_CORE = '0';
const SERVER_CORE = '1';
const work = workDir();

/** Pins every thread of a process (V8's and libuv's included) to the server core. */
function pin(pid) {
  execFileSync('taskset', ['-a', '-p', '-c', SERVER_CORE, String(pid)], { stdio: 'ignore' });
}

/** A bench server script, forked and pinned to the server core once listening. */
async function forkPinned(script, args, env = process.env) {
  const started = await forkReady(script, args, env);
  pin(started.pid);
  return started;
}

async function waitListening(port) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/__apigw/health`);
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

let nextPort = 19400;

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

async function startGateway(bundle, backendPort, auth) {
  const port = nextPort++;
  const file = join(work, `gateway-${port}.json`);
  writeFileSync(file, JSON.stringify(gatewayConfig(port, backendPort, auth)));
  // The access log on, to /dev/null: its cost is counted, its output is not kept.
  const child = spawn(process.execPath, [bundle, 'serve', '--config', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, BENCH_KEY: 'bench-secret', APIGW_ACCESS_LOG: 'on' },
  });
  track(child);
  await waitListening(port);
  pin(child.pid);
  return { pid: child.pid, port };
}

async function startNginx(backendPort) {
  const port = nextPort++;
  const prefix = mkdtempSync(join(work, 'nginx-'));
  // One process (no master), so its CPU is one /proc entry; upstream keep-alive like the Node proxies.
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `master_process off; daemon off; pid ${prefix}/nginx.pid; error_log ${prefix}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${prefix}; proxy_temp_path ${prefix};
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`,
  );
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  track(child);
  await waitListening(port);
  pin(child.pid);
  return { pid: child.pid, port };
}

/** nginx is optional: without it the row is left out, and the run says so. */
function hasNginx() {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write('nginx row skipped: no `nginx` on PATH (apt-get install -y nginx)\n');
    return false;
  }
}

function wrk(url, headers, duration = DURATION) {
  const run = runWrk(
    ['taskset', '-c', LOAD_CORE, 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${duration}`, '--latency'],
    url,
    headers,
  );
  if (run.non2xx > 0) throw new Error(`${url}: ${run.non2xx} non-2xx responses`);
  return run;
}

function measure(t) {
  const headers = t.headers?.();
  const p0 = cpuSeconds(t.pid);
  const b0 = cpuSeconds(backend.pid);
  const run = wrk(t.url, headers);
  const p1 = cpuSeconds(t.pid);
  const b1 = cpuSeconds(backend.pid);
  return {
    ...run,
    cpuUs: ((p1 - p0) / run.requests) * 1e6,
    backendUs: ((b1 - b0) / run.requests) * 1e6,
  };
}

const backend = await forkPinned(join(root, 'bench', 'backend.mjs'), ['0']);
const b = backend.port;
// Signed per round: a signature is valid for 15 minutes.
const signed = () => signRequest({ secretId: 'bench', secretKey: 'bench-secret' });
const targets = [
  {
    name: 'bare undici proxy (Node floor)',
    key: 'floor',
    start: () => forkPinned(join(root, 'bench', 'bare-proxy.mjs'), [String(nextPort++), `http://127.0.0.1:${b}`]),
    path: '/v1/pets/42',
  },
  { name: 'cdktf-apigw', key: 'gateway', start: () => startGateway(current, b, false), path: '/pets/42' },
  {
    name: 'cdktf-apigw, key-pair auth',
    key: 'keypair',
    start: () => startGateway(current, b, true),
    path: '/pets/42',
    headers: signed,
  },
  ...(values.baseline
    ? [
        {
          name: 'baseline cdktf-apigw',
          key: 'baseline',
          start: () => startGateway(values.baseline, b, false),
          path: '/pets/42',
        },
        {
          name: 'baseline cdktf-apigw, key-pair auth',
          key: 'baselineKeypair',
          start: () => startGateway(values.baseline, b, true),
          path: '/pets/42',
          headers: signed,
        },
      ]
    : []),
  ...(hasNginx()
    ? [{ name: 'nginx (upstream keep-alive)', key: 'nginx', start: () => startNginx(b), path: '/v1/pets/42' }]
    : []),
  {
    name: '@fastify/http-proxy',
    key: 'fastify',
    start: () => forkPinned(join(root, 'bench', 'fastify-proxy.mjs'), [String(nextPort++), `http://127.0.0.1:${b}`]),
    path: '/v1/pets/42',
  },
].filter((t) => !values.only || t.key === 'floor' || values.only.split(',').includes(t.key));

for (const t of targets) {
  const { pid, port } = await t.start();
  t.pid = pid;
  t.url = `http://127.0.0.1:${port}${t.path}`;
  wrk(t.url, t.headers?.(), '2s'); // warm-up (JIT), discarded
  t.runs = [];
}
for (let round = 0; round < ROUNDS; round++) {
  for (const t of targets) t.runs.push(measure(t));
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const floor = targets[0];
const fmt = (xs, digits) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return `${median(xs).toFixed(digits)} (${lo.toFixed(digits)}–${hi.toFixed(digits)})`;
};
const lines = [
  `### Per core: wrk -t1 -c${CONNECTIONS} -d${DURATION} on core ${LOAD_CORE}, backend and proxy on core ${SERVER_CORE}, ${ROUNDS} interleaved rounds`,
  '',
  'Median (least–most) over the rounds; × floor is the median of the per-round ratios of req/s.',
  '',
  '| Target | proxy CPU µs/request | req/s | × floor | p50 ms | p99 ms | p99 − floor p99, ms | backend CPU µs/request |',
  '|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const t of targets) {
  const ratio = t.runs.map((r, i) => r.rps / floor.runs[i].rps);
  const p99Delta = t.runs.map((r, i) => r.p99 - floor.runs[i].p99);
  lines.push(
    `| ${t.name} | ${fmt(
      t.runs.map((r) => r.cpuUs),
      1,
    )} | ${Math.round(median(t.runs.map((r) => r.rps)))} | ${fmt(ratio, 2)} | ${median(t.runs.map((r) => r.p50)).toFixed(2)} | ${fmt(
      t.runs.map((r) => r.p99),
      2,
    )} | ${median(p99Delta).toFixed(2)} | ${median(t.runs.map((r) => r.backendUs)).toFixed(1)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json)
  writeFileSync(
    values.json,
    JSON.stringify(
      targets.map((t) => ({ key: t.key, name: t.name, runs: t.runs })),
      null,
      1,
    ),
  );
process.exit(0);
