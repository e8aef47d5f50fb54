/**
 * A running gateway with the WebSocket APIs the hardening suite attacks: a
 * WebSocket backend API (the backend is a real `ws` server that counts its
 * open connections, and on `/big` sends a message over the API's
 * `maxMessageBytes` as soon as it accepts), a WebSocket API served by
 * functions, a CORS-guarded WebSocket API and a plain HTTP API.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import type { ApiConfig, FunctionTarget, GatewayConfig } from '../../model';
import { api, gatewayConfig, mock } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { open, parseFirst, type RawResponse } from './raw';
import { tempDir } from '../helpers/temp';

export const MAX_MESSAGE_BYTES = 1024;
export const ALLOWED_ORIGIN = 'https://app.example';
/** A valid Sec-WebSocket-Key (base64 of 16 bytes). */
export const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

export interface WsWorld {
  readonly gw: RunningGateway;
  /** TCP connections open on the WebSocket backend. */
  backendConnections(): number;
  /** Upgrades the WebSocket backend accepted so far. */
  backendUpgrades(): number;
  /** Request headers of the upgrades the WebSocket backend accepted, newest last. */
  readonly upgradeHeaders: IncomingHttpHeaders[];
  /** The config folder (function code is in `fn/`). */
  readonly dir: string;
  close(): Promise<void>;
}

export const fnTarget = (handler: string): FunctionTarget => ({
  namespace: 'default',
  functionName: handler,
  version: '$LATEST',
  timeoutMs: 2000,
  source: { type: 'bundled', dir: 'fn', handler: `index.${handler}`, memoryMb: 64 },
});

export function wsApi(name: string, path: string, backend: ApiConfig['backend'], extra: Partial<ApiConfig> = {}) {
  return api(name, `=${path}`, backend, {
    frontend: { type: 'websocket', rawPath: `=${path}`, match: 'exact', path, method: 'GET' },
    ...extra,
  });
}

/** A WebSocket backend config towards the world's `ws` server (`path`: `/echo`, or `/big` for the oversize message). */
export type WsBackendOf = (path: string) => ApiConfig['backend'];

export async function startWsWorld(
  more: (wsBackend: WsBackendOf) => ApiConfig[] = () => [],
  service: Partial<GatewayConfig['service']> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<WsWorld> {
  const sockets = new Set<Socket>();
  let upgrades = 0;
  const upgradeHeaders: IncomingHttpHeaders[] = [];
  const server: Server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => p.values().next().value ?? false });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgrades++;
      upgradeHeaders.push(req.headers);
      ws.on('error', () => undefined);
      if (req.url?.startsWith('/big')) ws.send('x'.repeat(MAX_MESSAGE_BYTES * 4));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = tempDir('apigw-wsworld-');
  mkdirSync(join(dir, 'fn'));
  writeFileSync(
    join(dir, 'fn', 'index.js'),
    `exports.register = async () => ({ errNo: 0 });
exports.transfer = async (e) => JSON.stringify(e);
exports.echo = async (e) => e;`,
  );
  const backend = (path: string): ApiConfig['backend'] => ({
    type: 'websocket',
    origin,
    path,
    connectTimeoutMs: 1000,
    parameterMappings: [],
    constants: [],
    maxMessageBytes: MAX_MESSAGE_BYTES,
  });
  const gw = await startGateway(
    gatewayConfig(
      [
        wsApi('ws', '/ws', backend('/echo')),
        wsApi('big', '/big', backend('/big')),
        wsApi('fn', '/fn', {
          type: 'websocketFunctions',
          register: fnTarget('register'),
          transfer: fnTarget('transfer'),
          maxMessageBytes: MAX_MESSAGE_BYTES,
        }),
        wsApi('browser', '/browser', backend('/echo'), {
          cors: {
            allowOrigins: [ALLOWED_ORIGIN],
            allowMethods: [],
            allowHeaders: [],
            exposeHeaders: [],
            allowCredentials: false,
          },
        }),
        api('plain', '=/plain', mock('"ok"')),
        ...more(backend),
      ],
      service,
    ),
    env,
    dir,
  );
  return {
    gw,
    dir,
    backendConnections: () => sockets.size,
    backendUpgrades: () => upgrades,
    upgradeHeaders,
    async close() {
      await gw.close();
      for (const c of wss.clients) c.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The usual handshake header lines of a WebSocket client, minus the names in `omit`, plus `extra`. */
export function handshakeLines(extra: readonly string[] = [], omit: readonly string[] = []): string[] {
  const base = [
    'Host: gw.example',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${KEY}`,
    'Sec-WebSocket-Version: 13',
  ];
  const skip = new Set(omit.map((n) => n.toLowerCase()));
  return [...base.filter((l) => !skip.has(l.slice(0, l.indexOf(':')).toLowerCase())), ...extra];
}

/**
 * Sends an upgrade request on a raw socket and returns the answer: for `101`
 * as soon as its head arrived (then the socket is closed), otherwise once the
 * gateway closed the connection (or `ms` passed).
 */
export async function rawUpgrade(
  port: number,
  path: string,
  lines: readonly string[],
  ms = 3000,
): Promise<RawResponse> {
  const socket = await open(port);
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    let raw = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseFirst(raw));
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (c: Buffer) => {
      raw += c.toString('latin1');
      if (raw.startsWith('HTTP/1.1 101') && raw.includes('\r\n\r\n')) done();
    });
    socket.once('close', done);
    socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
  });
}
