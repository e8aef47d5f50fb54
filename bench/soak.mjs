// npm run soak: 50 connections for SOAK_SECONDS (default 600) through a mix of
// APIs — HTTP backend, mock, bundled function, WebSocket echo — against the
// bundled gateway process on 127.0.0.1. Prints errors and the gateway's RSS
// over time; exits 1 on any error. Not part of CI (it runs for minutes).
import { fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { DEFAULT_LIMITS, parsePathSyntax } = require(join(root, 'dist', 'model'));

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const HTTP_CONNECTIONS = 40;
const WS_CONNECTIONS = 10;
const SAMPLE_EVERY_MS = Math.min(30_000, (SECONDS * 1000) / 10);
const children = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function api(name, raw, backend, extra = {}) {
  const { match, path } = parsePathSyntax(raw);
  return {
    name,
    frontend: { type: 'http', rawPath: raw, match, path, method: 'GET' },
    auth: { type: 'none' },
    cors: { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false },
    parameters: [],
    backend,
    response: { errorCodes: [] },
    ...extra,
  };
}

// Backends: the bench HTTP backend (own process) and a WebSocket echo server.
const http = await new Promise((resolve, reject) => {
  const child = fork(join(root, 'bench', 'backend.mjs'), ['0'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.push(child);
  child.once('message', (m) => resolve(m.port));
  child.once('exit', (code) => reject(new Error(`backend exited ${code}`)));
});
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await new Promise((r) => wss.once('listening', r));
wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));

const work = mkdtempSync(join(tmpdir(), 'apigw-soak-'));
mkdirSync(join(work, 'fn'));
writeFileSync(join(work, 'fn', 'index.js'), 'exports.main = async (event) => ({ n: event.queryString.n ?? null });');
const port = await freePort();
const config = {
  version: 1,
  service: {
    name: 'soak',
    id: 'service-soak',
    stage: { name: 'release', variables: {} },
    listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } },
    healthPath: '/__apigw/health',
    limits: DEFAULT_LIMITS,
    keyPairs: [],
    usagePlans: [],
  },
  apis: [
    api(
      'pet',
      '/pets/{id}',
      {
        type: 'http',
        origin: `http://127.0.0.1:${http}`,
        path: '/pets/{id}',
        method: 'GET',
        timeoutMs: 5000,
        parameterMappings: [],
        constants: [],
      },
      { parameters: [{ name: 'id', in: 'path', type: 'int', required: true }] },
    ),
    api('mock', '=/mock', { type: 'mock', statusCode: 200, headers: {}, body: '{"ok":true}', isBase64Encoded: false }),
    api('fn', '=/fn', {
      type: 'scf',
      responseIntegration: false,
      function: {
        namespace: 'default',
        functionName: 'soak',
        version: '$LATEST',
        timeoutMs: 5000,
        source: { type: 'bundled', dir: 'fn', handler: 'index.main', memoryMb: 64 },
      },
    }),
    {
      ...api('ws', '=/ws', {
        type: 'websocket',
        origin: `ws://127.0.0.1:${wss.address().port}`,
        path: '/',
        connectTimeoutMs: 5000,
        parameterMappings: [],
        constants: [],
        maxMessageBytes: 1024 * 1024,
      }),
      frontend: { type: 'websocket', rawPath: '=/ws', match: 'exact', path: '/ws', method: 'GET' },
      cors: null,
    },
  ],
};
writeFileSync(join(work, 'gateway.json'), JSON.stringify(config));
const gateway = spawn(
  process.execPath,
  [join(root, 'dist', 'runtime-bundle', 'gateway.js'), 'serve', '--config', join(work, 'gateway.json')],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, APIGW_ACCESS_LOG: 'off' } },
);
children.push(gateway);
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    const r = await fetch(`${base}/__apigw/health`);
    await r.arrayBuffer();
    if (r.ok) break;
  } catch (err) {
    if (i > 100) throw err;
  }
  await new Promise((r) => setTimeout(r, 50));
}

const rssMiB = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};

const counts = { pet: 0, mock: 0, fn: 0, ws: 0 };
const errors = [];
let stopped = false;
setTimeout(() => (stopped = true), SECONDS * 1000);

const pool = new Pool(base, { connections: HTTP_CONNECTIONS });
const targets = [
  ['pet', '/pets/42'],
  ['mock', '/mock'],
  ['fn', '/fn?n=1'],
];
async function httpClient(i) {
  let n = i;
  while (!stopped) {
    const [name, path] = targets[n++ % targets.length];
    try {
      const r = await pool.request({ path, method: 'GET' });
      const body = await r.body.text();
      if (r.statusCode !== 200) errors.push(`${name}: ${r.statusCode} ${body.slice(0, 200)}`);
      else counts[name]++;
    } catch (err) {
      errors.push(`${name}: ${err.code ?? err.message}`);
    }
  }
}

async function wsClient() {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', (err) => errors.push(`ws: ${err.message}`));
  let seq = 0;
  while (!stopped) {
    const msg = `m${seq++}`;
    const echoed = await new Promise((resolve) => {
      ws.once('message', (d) => resolve(d.toString()));
      ws.send(msg);
    });
    if (echoed !== msg) errors.push(`ws: sent ${msg}, got ${echoed}`);
    else counts.ws++;
  }
  ws.close(1000);
}

const samples = [];
const started = Date.now();
await new Promise((r) => setTimeout(r, 200));
samples.push([0, rssMiB()]);
const sampler = setInterval(() => samples.push([Math.round((Date.now() - started) / 1000), rssMiB()]), SAMPLE_EVERY_MS);
await Promise.all([
  ...Array.from({ length: HTTP_CONNECTIONS }, (_, i) => httpClient(i)),
  ...Array.from({ length: WS_CONNECTIONS }, () => wsClient()),
]);
clearInterval(sampler);
samples.push([Math.round((Date.now() - started) / 1000), rssMiB()]);
await pool.close();

const total = Object.values(counts).reduce((a, b) => a + b, 0);
const elapsed = (Date.now() - started) / 1000;
console.log(
  `## Soak: ${HTTP_CONNECTIONS} HTTP + ${WS_CONNECTIONS} WebSocket connections for ${elapsed.toFixed(0)} s\n`,
);
console.log('| API | completed |\n|---|---:|');
for (const [k, v] of Object.entries(counts)) console.log(`| ${k} | ${v} |`);
console.log(`| **all** | ${total} (${(total / elapsed).toFixed(0)}/s) |\n`);
console.log(`Errors: ${errors.length}${errors.length ? ` (first: ${errors.slice(0, 5).join('; ')})` : ''}\n`);
console.log('| t (s) | gateway RSS (MiB) |\n|---:|---:|');
for (const [t, rss] of samples) console.log(`| ${t} | ${rss.toFixed(1)} |`);

gateway.kill('SIGTERM');
await new Promise((r) => gateway.once('exit', r));
wss.close();
process.exit(errors.length === 0 ? 0 : 1);
