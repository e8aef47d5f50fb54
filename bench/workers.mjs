// node bench/workers.mjs [--counters-only] (after `npm run build`; needs wrk and a Node.js >= 22.12 for 2 workers)
//
// What `service.workers` buys and costs on this machine: the bundled gateway with `workers: 1` and
// `workers: 2`, each its own process, under wrk keep-alive load (-t2 -c50), interleaved round by round
// (BENCH_ROUNDS, default 5; BENCH_DURATION, default 5s; a warm-up run first, discarded). For each it prints
// req/s and the gateway's CPU per request: utime + stime of the whole process (every thread: the
// coordinator, the workers, undici's) from /proc over the run, divided by the requests wrk completed.
// Medians with the range (least–most) of the rounds: the VM is shared, other load only adds CPU and takes
// throughput away, so the range says how far to trust a median. Two loads:
//
// - proxied GET: routing, a path and a query parameter check and CORS, proxied to bench/backend.mjs;
// - usage plan: a key-pair API (HMAC signature checked on every request) under a usage plan with a rate
//   limit (1,000,000/s: never reached, so every answer is 200 but every request takes the key's counter) and
//   a mock backend: with 2 workers that counter is the shared one (SharedArrayBuffer, a lock per slot).
//
// The access log is on (batched writes; with several workers each worker's stdout is relayed by the main
// thread).
import { execFileSync, fork } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, forkReady, median, petApi, track, wrk as runWrk, workDir } from './common.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'runtime-bundle', 'gateway.js');
if (!existsSync(bundle)) throw new Error('run "npm run build" first');
const { DEFAULT_LIMITS, parsePathSyntax } = require(join(root, 'dist', 'model'));
const { signRequest } = require(join(root, 'dist', 'runtime', 'auth', 'sign'));

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION = process.env.BENCH_DURATION ?? '5s';
const CONNECTIONS = 50;

const work = workDir();

function config(backendPort, workers) {
  const getPet = petApi(parsePathSyntax, backendPort);
  return {
    version: 1,
    service: {
      name: 'bench',
      id: 'service-bench',
      stage: { name: 'release', variables: {} },
      listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } },
      healthPath: '/__apigw/health',
      limits: DEFAULT_LIMITS,
      workers,
      keyPairs: [{ secretId: 'bench', secretKey: { env: 'BENCH_KEY' } }],
      usagePlans: [{ name: 'bench', keyPairs: ['bench'], apis: ['partner'], rateLimitPerSecond: 1_000_000 }],
    },
    apis: [
      getPet,
      {
        ...getPet,
        name: 'mock',
        frontend: { type: 'http', rawPath: '=/mock', match: 'exact', path: '/mock', method: 'GET' },
        cors: null,
        parameters: [],
        backend: { type: 'mock', statusCode: 200, headers: {}, body: '{"ok":true}', isBase64Encoded: false },
      },
      {
        ...getPet,
        name: 'partner',
        frontend: { type: 'http', rawPath: '=/partner', match: 'exact', path: '/partner', method: 'GET' },
        auth: { type: 'keyPair' },
        cors: null,
        parameters: [],
        backend: { type: 'mock', statusCode: 200, headers: {}, body: '{"ok":true}', isBase64Encoded: false },
      },
    ],
  };
}

function startGateway(file) {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, ['serve', file], {
      env: { ...process.env, BENCH_KEY: 'bench-secret', APIGW_ACCESS_LOG: 'on' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    track(child);
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"listening".*?"http":"[^"]*:(\d+)".*?"workers":(\d+)/.exec(err);
      if (m) resolve({ child, port: Number(m[1]), workers: Number(m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
  });
}

function wrk(url, headers = {}) {
  return runWrk(['wrk', '-t2', `-c${CONNECTIONS}`, `-d${DURATION}`], url, headers);
}

function measure(gw, load) {
  const t0 = cpuSeconds(gw.child.pid);
  // A fresh signature per run (x-date must be within 15 minutes); the same one is fine for every request of it.
  const run = wrk(`http://127.0.0.1:${gw.port}${load.path}`, load.headers?.() ?? {});
  const t1 = cpuSeconds(gw.child.pid);
  if (run.non2xx > 0) throw new Error(`${load.name}: ${run.non2xx} answers were not 2xx`);
  return { rps: run.rps, cpuUs: ((t1 - t0) / run.requests) * 1e6 };
}

if (process.argv.includes('--counters-only')) {
  process.stdout.write(await counterTakes());
  process.exit(0);
}
const backend = await forkReady(join(root, 'bench', 'backend.mjs'), ['0']);
const loads = [
  { name: 'proxied GET (routing + params + CORS)', path: '/pets/42' },
  { name: 'mock, no auth (the gateway alone)', path: '/mock' },
  {
    name: 'usage plan (key-pair auth, rate limit, mock)',
    path: '/partner',
    headers: () => signRequest({ secretId: 'bench', secretKey: 'bench-secret' }),
  },
];
const variants = [];
for (const workers of [1, 2]) {
  const file = join(work, `gateway-${workers}.json`);
  writeFileSync(file, JSON.stringify(config(backend.port, workers)));
  const gw = await startGateway(file);
  if (gw.workers !== workers)
    throw new Error(`asked for ${workers} workers, ${gw.workers} serve (Node ${process.version})`);
  variants.push({ workers, gw, runs: loads.map(() => []) });
  for (const load of loads) measure(gw, load); // warm-up, discarded
}
for (let round = 0; round < ROUNDS; round++)
  for (const v of round % 2 ? [...variants].reverse() : variants)
    for (const [i, load] of loads.entries()) v.runs[i].push(measure(v.gw, load));

const fmt = (runs, key, digits) => {
  const xs = runs.map((r) => r[key]);
  const f = (x) => x.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};
const lines = [
  `### workers 1 and 2, wrk -t2 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} interleaved rounds, Node ${process.versions.node}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} CPUs`,
  '',
  '| Load | workers | req/s, median (range) | gateway CPU µs/request, median (range) |',
  '|---|---:|---:|---:|',
];
for (const [i, load] of loads.entries())
  for (const v of variants)
    lines.push(`| ${load.name} | ${v.workers} | ${fmt(v.runs[i], 'rps', 0)} | ${fmt(v.runs[i], 'cpuUs', 1)} |`);
process.stdout.write(`${lines.join('\n')}\n`);
for (const v of variants) process.kill(v.gw.child.pid, 'SIGTERM');
process.kill(backend.child.pid, 'SIGTERM');
process.stdout.write(`\n${await counterTakes()}`);
process.exit(0);

/**
 * What one counted request costs on the counters themselves, ns per take (best of 5 runs of 2,000,000): the
 * one-thread map (workers: 1), a shared slot (workers > 1) taken by one thread, and the same slot taken by two
 * threads at once (both workers counting the same key: the lock is contended).
 */
async function counterTakes() {
  const { Worker } = await import('node:worker_threads');
  const N = 2_000_000;
  const best = (f) => Math.min(...Array.from({ length: 5 }, f));
  const { LocalUsageCounters } = require(join(root, 'dist', 'runtime', 'auth', 'usage-plans'));
  const { CounterTable } = require(join(root, 'dist', 'runtime', 'cluster', 'counter-table'));
  const local = new LocalUsageCounters();
  const localNs = best(() => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) local.take('bench', 'bench', Infinity, Infinity, 0);
    return Number(process.hrtime.bigint() - t) / N;
  });
  const buffer = CounterTable.allocate(16);
  const table = new CounterTable(buffer, 1);
  const sharedNs = best(() => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) table.take(0, Infinity, Infinity, 1000, 0);
    return Number(process.hrtime.bigint() - t) / N;
  });
  const source = `const { workerData, parentPort } = require('node:worker_threads');
const { CounterTable } = require(workerData.module);
const table = new CounterTable(workerData.buffer, workerData.owner);
// Both threads start together: each counts itself in, then waits for the other.
const start = new Int32Array(workerData.start);
Atomics.add(start, 0, 1);
while (Atomics.load(start, 0) < 2);
const t = process.hrtime.bigint();
for (let i = 0; i < workerData.n; i++) table.take(0, Infinity, Infinity, 1000, 0);
parentPort.postMessage(Number(process.hrtime.bigint() - t) / workerData.n);`;
  const module = join(root, 'dist', 'runtime', 'cluster', 'counter-table.js');
  const contendedNs = await (async () => {
    const runs = [];
    for (let r = 0; r < 5; r++) {
      const start = new SharedArrayBuffer(4);
      const times = await Promise.all(
        [1, 2].map(
          (owner) =>
            new Promise((resolve, reject) => {
              const w = new Worker(source, { eval: true, workerData: { module, buffer, start, owner, n: N } });
              w.once('message', resolve);
              w.once('error', reject);
            }),
        ),
      );
      runs.push(Math.max(...times));
    }
    return Math.min(...runs);
  })();
  return [
    '| Counter take (ns, best of 5 × 2,000,000) | ns |',
    '|---|---:|',
    `| one thread's map (workers: 1) | ${localNs.toFixed(1)} |`,
    `| shared slot, one thread | ${sharedNs.toFixed(1)} |`,
    `| shared slot, two threads at once (each) | ${contendedNs.toFixed(1)} |`,
    '',
  ].join('\n');
}
