/**
 * The bundled gateway process (`serve --state-dir`) under continuous load on
 * keep-alive connections while 20 configs are applied through the admin API:
 * no request fails, an open WebSocket connection keeps relaying, and a restart
 * serves the last applied config.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { toAppliedConfig, type ApiConfig, type GatewayConfig } from '../../../model';
import { api, gatewayConfig, http, mock } from '../../helpers/config';
import { echo, freePort, startBackend, type Backend } from '../../helpers/servers';
import { TOKEN, admin, apply } from './harness';

const BUNDLE = join(__dirname, '..', '..', '..', 'dist', 'runtime-bundle', 'gateway.js');
const CONNECTIONS = 8;
const APPLIES = 20;

let backend: Backend;
let wsBackend: WebSocketServer;
let wsOrigin: string;

beforeAll(async () => {
  backend = await startBackend(echo);
  wsBackend = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wsBackend, 'listening');
  wsBackend.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(d, { binary })));
  wsOrigin = `ws://127.0.0.1:${(wsBackend.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await backend.close();
  for (const c of wsBackend.clients) c.terminate();
  await new Promise<void>((r) => wsBackend.close(() => r()));
});

function config(port: number, adminPort: number, version: number): GatewayConfig {
  const ws: ApiConfig = api('ws', '=/ws', mock(''), {
    frontend: { type: 'websocket', rawPath: '=/ws', match: 'exact', path: '/ws', method: 'GET' },
    backend: {
      type: 'websocket',
      origin: wsOrigin,
      path: '/',
      connectTimeoutMs: 2000,
      parameterMappings: [],
      constants: [],
      maxMessageBytes: 65536,
    },
  });
  const base = gatewayConfig(
    [
      // Each version changes the HTTP API (a new connection pool) and the mock, and adds an API.
      api('echo', '=/echo', http(backend.origin, '/e', { timeoutMs: 2000 + version })),
      api('version', '=/version', mock(JSON.stringify(`v${version}`))),
      api(`extra${version}`, `=/extra/${version}`, mock('1')),
      ws,
    ],
    { listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } } },
  );
  base.service.admin = { host: '127.0.0.1', port: adminPort, token: { env: 'ADMIN_TOKEN' } };
  return base;
}

interface Child {
  readonly proc: ChildProcess;
  readonly log: string[];
}

async function startChild(file: string, stateDir: string, port: number): Promise<Child> {
  const proc = spawn(process.execPath, [BUNDLE, 'serve', '--config', file, '--state-dir', stateDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { PATH: process.env.PATH, ADMIN_TOKEN: TOKEN, APIGW_ACCESS_LOG: 'off' },
  });
  const log: string[] = [];
  proc.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
  const pool = new Pool(`http://127.0.0.1:${port}`);
  try {
    for (let i = 0; ; i++) {
      try {
        const r = await pool.request({ path: '/__apigw/health', method: 'GET' });
        await r.body.dump();
        if (r.statusCode === 200) break;
      } catch (err) {
        if (i > 100) throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await pool.close();
  }
  return { proc, log };
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode !== null) return;
  const exited = once(child.proc, 'exit');
  child.proc.kill('SIGTERM');
  await exited;
}

interface Outcome {
  ok: number;
  failed: string[];
  versions: Map<string, number>;
}

/** CONNECTIONS keep-alive clients alternating /version and /echo until `until` resolves. */
async function load(port: number, until: Promise<unknown>): Promise<Outcome> {
  const outcome: Outcome = { ok: 0, failed: [], versions: new Map() };
  let stopped = false;
  void until.then(() => (stopped = true));
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  const loop = async (n: number): Promise<void> => {
    for (let i = n; !stopped; i++) {
      const path = i % 2 === 0 ? '/version' : '/echo';
      try {
        const r = await pool.request({ path, method: 'GET' });
        const text = await r.body.text();
        if (r.statusCode !== 200) outcome.failed.push(`${path}: ${r.statusCode} ${text}`);
        else {
          outcome.ok++;
          if (path === '/version') outcome.versions.set(text, (outcome.versions.get(text) ?? 0) + 1);
        }
      } catch (err) {
        outcome.failed.push(`${path}: ${(err as { code?: string }).code ?? (err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, n) => loop(n)));
  await pool.destroy();
  return outcome;
}

it('applies 20 configs under continuous keep-alive load without a failed request, and keeps an open WebSocket', async () => {
  const [port, adminPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'apigw-applyload-'));
  const file = join(dir, 'gateway.json');
  const stateDir = join(dir, 'state');
  writeFileSync(file, JSON.stringify(config(port, adminPort, 0)));
  const target = { adminBase: `http://127.0.0.1:${adminPort}` };
  let child = await startChild(file, stateDir, port);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    await once(ws, 'open');
    const wsClosed = once(ws, 'close');

    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const running = load(port, done);
    const applyMs: number[] = [];
    for (let v = 1; v <= APPLIES; v++) {
      await new Promise((r) => setTimeout(r, 50));
      const started = process.hrtime.bigint();
      const res = await apply(target, toAppliedConfig(config(port, adminPort, v)));
      applyMs.push(Number(process.hrtime.bigint() - started) / 1e6);
      expect(res).toMatchObject({ status: 200, body: { generation: v + 1 } });
    }
    await new Promise((r) => setTimeout(r, 200));
    resolveDone();
    const outcome = await running;

    applyMs.sort((a, b) => a - b);
    process.stdout.write(
      `${APPLIES} applies under load: ${outcome.ok} requests answered 200 on ${CONNECTIONS} keep-alive connections, ` +
        `${outcome.failed.length} failed; apply took ${applyMs[0]!.toFixed(1)}-${applyMs[applyMs.length - 1]!.toFixed(1)} ms ` +
        `(median ${applyMs[Math.floor(applyMs.length / 2)]!.toFixed(1)} ms)\n`,
    );
    expect(outcome.failed).toEqual([]);
    expect(outcome.ok).toBeGreaterThan(APPLIES * 10);
    expect(outcome.versions.get(`"v${APPLIES}"`)).toBeGreaterThan(0);

    // The WebSocket opened before the first apply still relays.
    const reply = once(ws, 'message') as Promise<[Buffer]>;
    ws.send('still here');
    expect((await reply)[0].toString()).toBe('still here');
    ws.terminate();
    await wsClosed;

    // A restart serves the last applied config, at the same generation.
    await stopChild(child);
    child = await startChild(file, stateDir, port);
    const state = await admin(target, 'GET', '/v1/config');
    expect(state.body).toMatchObject({ generation: APPLIES + 1, source: 'applied' });
    const pool = new Pool(`http://127.0.0.1:${port}`);
    const r = await pool.request({ path: '/version', method: 'GET' });
    expect(await r.body.text()).toBe(`"v${APPLIES}"`);
    await pool.close();
    expect(child.log.join('')).toContain('"event":"state_loaded"');
  } finally {
    await stopChild(child);
  }
});
