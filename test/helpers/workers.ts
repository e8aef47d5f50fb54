/**
 * Tests of a gateway with several worker threads: which worker a connection
 * reached (the health path names it), and connections pinned to a worker.
 * Worker threads share their listeners through SO_REUSEPORT (Node >= 22.12):
 * on an older Node those tests skip with the reason printed.
 */
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { GatewayConfig } from '../../model';
import { reusePortUnsupported } from '../../runtime/cluster/worker-count';
import { GATEWAY_BUNDLE } from './gateway-process';
import { events, start, type Started } from './processes';
import { tempDir } from './temp';

/** A gateway process (the runtime bundle, `serve`), stopped by its PID after the test file at the latest. */
export interface WorkersGateway {
  readonly process: Started;
  readonly pid: number;
  readonly file: string;
  readonly dir: string;
  readonly port: number;
  readonly origin: string;
  readonly adminPort?: number;
  readonly metricsPort?: number;
  /** The `listening` event. */
  readonly listening: Record<string, unknown>;
  /** The events named `name` logged so far. */
  events(name: string): Record<string, unknown>[];
  /** Waits for the `count`th event named `name`. */
  waitForEvent(name: string, count?: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Rewrites the config file (a SIGHUP then reloads it). */
  write(config: GatewayConfig): void;
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `gateway.js serve` on `config` (written to a file in `dir`), with `env` added to the environment. */
export async function startWorkersGateway(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = {},
  dir: string = tempDir('apigw-workers-'),
): Promise<WorkersGateway> {
  const file = join(dir, 'gateway.json');
  const write = (c: GatewayConfig): void => writeFileSync(file, JSON.stringify(c));
  write(config);
  const proc = start(process.execPath, [GATEWAY_BUNDLE, 'serve', '--config', file], {
    env: { ...process.env, APIGW_ACCESS_LOG: 'off', ...env },
  });
  await proc.waitFor(/"event":"listening"/, 30_000);
  const [listening] = events(proc.output.stderr, 'listening') as [Record<string, unknown>];
  const portOf = (address: unknown): number | undefined =>
    typeof address === 'string' ? Number(address.split(':').pop()) : undefined;
  const port = portOf(listening.http) as number;
  const waitForEvent = async (name: string, count = 1, timeoutMs = 30_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = events(proc.output.stderr, name);
      if (seen.length >= count) return seen[count - 1] as Record<string, unknown>;
      if (Date.now() > deadline || proc.child.exitCode !== null)
        throw new Error(`no ${count}th ${name} event:\n${proc.output.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    process: proc,
    pid: proc.pid,
    file,
    dir,
    port,
    origin: `http://127.0.0.1:${port}`,
    adminPort: portOf(listening.admin),
    metricsPort: portOf(listening.metrics),
    listening,
    events: (name) => events(proc.output.stderr, name),
    waitForEvent,
    write,
    stop: async () => {
      if (proc.child.exitCode === null && proc.child.signalCode === null) process.kill(proc.pid, 'SIGTERM');
      return proc.exited;
    },
  };
}

/** `describe` that runs where several workers can listen on one port, and skips with the reason elsewhere. */
export function describeWithWorkers(name: string, fn: () => void): void {
  const reason = reusePortUnsupported();
  if (reason === undefined) {
    describe(name, fn);
    return;
  }
  console.warn(`SKIPPED "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, fn);
}

export interface Health {
  readonly status: number;
  readonly body: {
    status: string;
    worker?: number;
    generation?: number;
    workers?: { serving: number; expected: number };
  };
}

/** One raw HTTP/1.1 request on `socket` (keep-alive), answered with a Content-Length body. */
export function rawRequest(socket: Socket, head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      done();
      resolve({
        status: Number(headers.split(' ')[1]),
        body: buffered.subarray(end + 4, end + 4 + length).toString('utf8'),
      });
    };
    const onClose = (): void => {
      done();
      reject(new Error('the connection closed before the answer'));
    };
    const done = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.write(head);
  });
}

/** The health answer on `socket`. */
export async function healthOn(socket: Socket, path = '/__apigw/health'): Promise<Health> {
  const { status, body } = await rawRequest(socket, `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);
  return { status, body: JSON.parse(body) as Health['body'] };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * A keep-alive connection that worker `worker` serves: connections are opened
 * until the kernel gives one to that worker (its health answer says so).
 */
export async function connectionToWorker(port: number, worker: number, tries = 200): Promise<Socket> {
  for (let i = 0; i < tries; i++) {
    const socket = await open(port);
    const health = await healthOn(socket);
    if (health.body.worker === worker) return socket;
    socket.destroy();
  }
  throw new Error(`no connection reached worker ${worker} in ${tries} tries`);
}
