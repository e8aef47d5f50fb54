/**
 * The bundled gateway process under concurrent load: a config reload drops
 * nothing, and SIGTERM loses no request the gateway accepted (clients may
 * only see their connection refused or closed before any response began).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { GatewayConfig } from '../../model';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { echo, freePort, startBackend, type Backend } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

const BUNDLE = join(__dirname, '..', '..', 'dist', 'runtime-bundle', 'gateway.js');
const CONNECTIONS = 20;

let backend: Backend;

beforeAll(async () => {
  backend = await startBackend(echo);
});
afterAll(() => backend.close());

interface Child {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly file: string;
  readonly log: string[];
}

function config(port: number, version: string): GatewayConfig {
  return gatewayConfig(
    [api('echo', '=/echo', http(backend.origin, '/e')), api('version', '=/version', mock(JSON.stringify(version)))],
    {
      listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } },
      limits: { ...gatewayConfig([]).service.limits, shutdownGraceMs: 5000 },
    },
  );
}

async function startChild(): Promise<Child> {
  const port = await freePort();
  const dir = tempDir('apigw-load-');
  const file = join(dir, 'gateway.json');
  writeFileSync(file, JSON.stringify(config(port, 'v1')));
  const proc = spawn(process.execPath, [BUNDLE, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  let buffered = '';
  proc.stdout?.on('data', (c: Buffer) => {
    buffered += c.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    log.push(...lines);
  });
  proc.stderr?.on('data', (c: Buffer) => log.push(c.toString()));
  // Ready when the health path answers.
  const pool = new Pool(`http://127.0.0.1:${port}`);
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
  await pool.close();
  return { proc, port, file, log };
}

interface Outcome {
  ok: number;
  bodies: Map<string, number>;
  /** Failures before any response byte arrived, by error code. */
  refusedOrClosed: Map<string, number>;
  /** Anything else: a lost request. */
  lost: string[];
}

/** CONNECTIONS keep-alive clients calling `path` in a loop until `stop()` resolves. */
function load(port: number, path: string, until: Promise<unknown>): Promise<Outcome> {
  const outcome: Outcome = { ok: 0, bodies: new Map(), refusedOrClosed: new Map(), lost: [] };
  let stopped = false;
  void until.then(() => (stopped = true));
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  const loop = async (): Promise<void> => {
    while (!stopped) {
      let started = false;
      try {
        const r = await pool.request({ path, method: 'GET' });
        started = true;
        const text = await r.body.text();
        if (r.statusCode === 200) {
          outcome.ok++;
          outcome.bodies.set(text, (outcome.bodies.get(text) ?? 0) + 1);
        } else outcome.lost.push(`status ${r.statusCode}: ${text}`);
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as Error).message;
        if (!started && ['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET'].includes(code)) {
          outcome.refusedOrClosed.set(code, (outcome.refusedOrClosed.get(code) ?? 0) + 1);
          // The listener is gone once connections are refused: stop this client.
          if (code === 'ECONNREFUSED') return;
        } else outcome.lost.push(`${code} (response started: ${started})`);
      }
    }
  };
  return Promise.all(Array.from({ length: CONNECTIONS }, loop)).then(async () => {
    await pool.destroy();
    return outcome;
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the gateway process under load', () => {
  it('reloads its config (SIGHUP) during load without dropping a request', async () => {
    const child = await startChild();
    try {
      const running = load(child.port, '/version', delay(1500));
      await delay(500);
      writeFileSync(child.file, JSON.stringify(config(child.port, 'v2')));
      child.proc.kill('SIGHUP');
      const outcome = await running;
      expect(outcome.lost).toEqual([]);
      expect(outcome.refusedOrClosed.size).toBe(0);
      // Both generations served, the new one last.
      expect(outcome.bodies.get('"v1"')).toBeGreaterThan(0);
      expect(outcome.bodies.get('"v2"')).toBeGreaterThan(0);
      expect(child.log.some((l) => l.includes('"reloaded"'))).toBe(true);
    } finally {
      child.proc.kill('SIGKILL');
    }
  });

  it('drains on SIGTERM: every accepted request completes, then the process exits 0', async () => {
    const child = await startChild();
    const exited = once(child.proc, 'exit');
    const running = load(child.port, '/echo', exited);
    await delay(700);
    child.proc.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    const outcome = await running;
    expect(code).toBe(0);
    expect(outcome.lost).toEqual([]);
    expect(outcome.ok).toBeGreaterThan(100);
    // Every request the gateway logged was answered 200, and each reached a client.
    const answered = child.log.filter((l) => l.includes('"requestId"')).map((l) => JSON.parse(l) as { status: number });
    expect(answered.filter((l) => l.status !== 200)).toEqual([]);
    expect(answered.length).toBe(outcome.ok + 1 /* the readiness probe */);
  });
});
