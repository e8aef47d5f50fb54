/** Real servers on 127.0.0.1 for tests, and a running gateway built from a config document. */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { GatewayConfig } from '../../model';
import { EventLog } from '../../runtime/access-log';
import { Gateway, type ListenAddresses } from '../../runtime/gateway';
import { tempDir } from './temp';

export interface Backend {
  readonly origin: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startBackend(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Backend> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Echoes what it received as JSON: method, url, headers, body. */
export function echo(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly base: string;
  readonly port: number;
  readonly dir: string;
  readonly logs: string[];
  /** Event log lines (all levels, debug included), parsed. */
  readonly events: Record<string, unknown>[];
  /** Where each listener is bound. */
  readonly addresses: ListenAddresses;
  close(): Promise<void>;
}

/** Writes the config to a temp dir and serves it on 127.0.0.1 (port 0). */
export async function startGateway(
  config: GatewayConfig,
  env: NodeJS.ProcessEnv = {},
  dir?: string,
): Promise<RunningGateway> {
  const folder = dir ?? tempDir('apigw-test-');
  const file = join(folder, 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  const logs: string[] = [];
  const events: Record<string, unknown>[] = [];
  const gateway = await Gateway.fromFile(file, {
    env,
    accessLog: (t) => logs.push(t),
    events: new EventLog('debug', (t) => events.push(JSON.parse(t) as Record<string, unknown>)),
  });
  const addresses = await gateway.listen();
  const port = (addresses.http as AddressInfo).port;
  return {
    gateway,
    base: `http://127.0.0.1:${port}`,
    port,
    dir: folder,
    logs,
    events,
    addresses,
    close: () => gateway.close(),
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for processes that must be told their port). */
export async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}
