// node bench/per-request.mjs [--baseline OLD/gateway.js] (after `npm run build`)
//
// The gateway's cost per request under wrk keep-alive load, measured from its own process: CPU per request
// (utime + stime from /proc over the run, steadier than req/s on a shared VM; other load only adds to it, so
// the least of the rounds is printed next to the median), req/s, and TCP connections
// accepted per second (counted inside the gateway by count-connections.mjs). Two loads:
//
// - 401s: a key-pair API called without a signature, every answer a 401 from the gateway; a keep-alive
//   client should keep its connections, so connections/s should be ~0;
// - proxied GET: routing, a path and a query parameter check and CORS, proxied to bench/backend.mjs, with
//   the metrics path on; this build runs twice, never scraped and scraped once before the loads (the process
//   metrics' collectors start at the first scrape and then run between scrapes).
//
// With --baseline, a second gateway bundle (for example a copy of dist/runtime-bundle/ from before a
// change) runs the same loads, interleaved round by round; medians are printed side by side.
import { fork } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, forkReady, median, petApi, track, wrk as runWrk, workDir } from './common.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const current = join(root, 'dist', 'runtime-bundle', 'gateway.js');
if (!existsSync(current)) throw new Error('run "npm run build" first');
const { DEFAULT_LIMITS, parsePathSyntax } = require(join(root, 'dist', 'model'));

const { values } = parseArgs({ options: { baseline: { type: 'string' } } });
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = process.env.BENCH_DURATION ?? '5s';
const CONNECTIONS = 50;

const work = workDir();

function config(backendPort) {
  const getPet = petApi(parsePathSyntax, backendPort);
  return {
    version: 1,
    service: {
      name: 'bench',
      id: 'service-bench',
      stage: { name: 'release', variables: {} },
      listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } },
      healthPath: '/__apigw/health',
      metricsPath: '/__apigw/metrics',
      limits: DEFAULT_LIMITS,
      keyPairs: [{ secretId: 'bench', secretKey: { env: 'BENCH_KEY' } }],
      usagePlans: [{ name: 'bench', keyPairs: ['bench'], apis: ['partner'] }],
    },
    apis: [
      getPet,
      {
        ...getPet,
        name: 'partner',
        frontend: { type: 'http', rawPath: '=/partner', match: 'exact', path: '/partner', method: 'GET' },
        auth: { type: 'keyPair' },
        cors: null,
        parameters: [],
        backend: { ...getPet.backend, path: '/v1/pets/42' },
      },
    ],
  };
}

/** Starts a gateway bundle with the connection counter preloaded; resolves once it listens. */
function startGateway(bundle, file) {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, ['serve', file], {
      execArgv: ['--import', pathToFileURL(join(root, 'bench', 'count-connections.mjs')).href],
      env: { ...process.env, BENCH_KEY: 'bench-secret', APIGW_ACCESS_LOG: 'on' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    track(child);
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /"listening".*?"http":"[^"]*:(\d+)"/.exec(err);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${err}`)));
  });
}

function connections(child) {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m.connections));
    child.send('connections');
  });
}

function wrk(url) {
  return runWrk(['wrk', '-t2', `-c${CONNECTIONS}`, `-d${DURATION}`], url);
}

async function measure(gw, url) {
  const c0 = await connections(gw.child);
  const t0 = cpuSeconds(gw.child.pid);
  const run = wrk(url);
  const t1 = cpuSeconds(gw.child.pid);
  const c1 = await connections(gw.child);
  return { rps: run.rps, cpuUs: ((t1 - t0) / run.requests) * 1e6, connPerSec: (c1 - c0) / run.seconds };
}

const backend = await forkReady(join(root, 'bench', 'backend.mjs'), ['0']);
const file = join(work, 'gateway.json');
writeFileSync(file, JSON.stringify(config(backend.port)));
// This build twice: never scraped (no process-metric collectors running) and scraped once before the loads.
const variants = [
  { name: 'this build, metrics not scraped', bundle: current, scrape: false },
  { name: 'this build, metrics scraped', bundle: current, scrape: true },
];
if (values.baseline) variants.unshift({ name: 'baseline', bundle: values.baseline, scrape: true });
const loads = [
  { name: '401 (key-pair API, no signature)', path: '/partner' },
  { name: 'proxied GET (routing + params + CORS)', path: '/pets/42' },
];
for (const v of variants) {
  v.gw = await startGateway(v.bundle, file);
  const base = `http://127.0.0.1:${v.gw.port}`;
  // One scrape: metrics collectors that start on first use run during the loads.
  if (v.scrape) await (await fetch(`${base}/__apigw/metrics`)).text();
  v.runs = loads.map(() => []);
  for (const load of loads) wrk(`${base}${load.path}`); // warm-up, discarded
}
for (let round = 0; round < ROUNDS; round++)
  for (const v of variants)
    for (const [i, load] of loads.entries())
      v.runs[i].push(await measure(v.gw, `http://127.0.0.1:${v.gw.port}${load.path}`));

const lines = [
  `### Per request, wrk -t2 -c${CONNECTIONS} -d${DURATION} (keep-alive), median of ${ROUNDS} interleaved rounds`,
  '',
  '| Load | Gateway | req/s | connections opened/s | gateway CPU µs/request (median) | (least) |',
  '|---|---|---:|---:|---:|---:|',
];
for (const [i, load] of loads.entries())
  for (const v of variants) {
    const runs = v.runs[i];
    lines.push(
      `| ${load.name} | ${v.name} | ${Math.round(median(runs.map((r) => r.rps)))} | ${Math.round(median(runs.map((r) => r.connPerSec)))} | ${median(runs.map((r) => r.cpuUs)).toFixed(1)} | ${Math.min(...runs.map((r) => r.cpuUs)).toFixed(1)} |`,
    );
  }
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
