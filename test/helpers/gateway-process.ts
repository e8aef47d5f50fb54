/**
 * A gateway as a local process (the built runtime bundle), with its admin
 * listener on 127.0.0.1: what the provider's end-to-end tests apply to.
 * Stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../../model';
import { tempDir } from './temp';

export interface GatewayProcess {
  readonly child: ChildProcess;
  /** Public listener, `http://127.0.0.1:port`. */
  readonly base: string;
  /** Admin listener, `http://127.0.0.1:port`. */
  readonly adminEndpoint: string;
  readonly adminPort: number;
  readonly stateDir: string;
  /** Event log lines seen so far. */
  readonly events: Record<string, unknown>[];
  stop(): Promise<void>;
}

export const GATEWAY_BUNDLE = join(__dirname, '..', '..', 'dist', 'runtime-bundle', 'gateway.js');

/** Starts `gateway.js serve` with `config` plus an admin listener on 127.0.0.1:0 whose token is `token`. */
export async function startGatewayProcess(
  config: GatewayConfig,
  token: string,
  options: { stateDir?: string; dir?: string } = {},
): Promise<GatewayProcess> {
  const dir = options.dir ?? tempDir('apigw-gw-');
  const stateDir = options.stateDir ?? join(dir, 'state');
  const file = join(dir, 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify({
      ...config,
      service: { ...config.service, admin: { host: '127.0.0.1', port: 0, token: { env: 'APIGW_ADMIN_TOKEN' } } },
    }),
  );
  const child = spawn(process.execPath, [GATEWAY_BUNDLE, 'serve', '--config', file, '--state-dir', stateDir], {
    env: { ...process.env, APIGW_ADMIN_TOKEN: token },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let buffered = '';
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not start within 15 s')), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        if (event.event === 'listening') {
          clearTimeout(timer);
          resolve(event);
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code} before listening: ${buffered}`));
    });
  });
  const event = await listening;
  const adminPort = Number(String(event.admin).split(':').pop());
  const httpPort = Number(String(event.http).split(':').pop());
  return {
    child,
    base: `http://127.0.0.1:${httpPort}`,
    adminEndpoint: `http://127.0.0.1:${adminPort}`,
    adminPort,
    stateDir,
    events,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(child.pid!, 'SIGTERM');
      }),
  };
}
