/**
 * The WebSocket proxy under stress, with real ws peers on 127.0.0.1: message
 * sizes up to 10 MB, close codes from the client, either side dying,
 * backpressure from a slow reader, and 1,000 connections held open.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { api, gatewayConfig } from '../../helpers/config';
import { startGateway, type RunningGateway } from '../../helpers/servers';

let wss: WebSocketServer;
let gw: RunningGateway;
/** Backend-side sockets, newest last. */
const backendSockets: WebSocket[] = [];
/** Close codes and reasons the backend saw. */
const backendCloses: { code: number; reason: string }[] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 * 1024 });
  await once(wss, 'listening');
  wss.on('connection', (ws, req) => {
    backendSockets.push(ws);
    ws.on('close', (code, reason) => backendCloses.push({ code, reason: reason.toString() }));
    if (req.url === '/flood') return; // the test drives it
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  const origin = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const wsApi = (name: string, path: string, backendPath: string) =>
    api(
      name,
      `=${path}`,
      {
        type: 'websocket',
        origin,
        path: backendPath,
        connectTimeoutMs: 1000,
        parameterMappings: [],
        constants: [],
        maxMessageBytes: 16 * 1024 * 1024,
      },
      { frontend: { type: 'websocket', rawPath: `=${path}`, match: 'exact', path, method: 'GET' } },
    );
  gw = await startGateway(gatewayConfig([wsApi('echo', '/echo', '/echo'), wsApi('flood', '/flood', '/flood')]));
});

afterAll(async () => {
  await gw.close();
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
});

async function open(path: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, { maxPayload: 64 * 1024 * 1024 });
  await once(ws, 'open');
  return ws;
}

function next(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

describe('WebSocket proxy streams', () => {
  it.each([1, 125, 126, 65_535, 65_536, 1024 * 1024, 10 * 1024 * 1024])(
    'echoes a %i-byte message, text and binary, unchanged',
    async (size) => {
      const ws = await open('/echo');
      const binary = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) binary[i] = i % 251;
      ws.send(binary, { binary: true });
      const b = await next(ws);
      expect(b.isBinary).toBe(true);
      expect(b.data.equals(binary)).toBe(true);
      const text = 'é'.repeat(Math.max(1, Math.floor(size / 2))).slice(0, size);
      ws.send(text);
      const t = await next(ws);
      expect(t.isBinary).toBe(false);
      expect(t.data.toString()).toBe(text);
      ws.close(1000);
      await once(ws, 'close');
    },
    30_000,
  );

  it('relays a close code and reason from the client to the backend', async () => {
    const ws = await open('/echo');
    const before = backendCloses.length;
    ws.close(4002, 'client says bye');
    await once(ws, 'close');
    for (let i = 0; i < 100 && backendCloses.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(backendCloses.at(-1)).toEqual({ code: 4002, reason: 'client says bye' });
  });

  it('closes the client with 1011 when the backend dies mid-stream', async () => {
    const ws = await open('/echo');
    ws.send('hi');
    await next(ws);
    backendSockets.at(-1)?.terminate();
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1011);
  });

  it('closes the backend when the client vanishes without a close frame', async () => {
    const ws = await open('/echo');
    ws.send('hi');
    await next(ws);
    const before = backendCloses.length;
    const backend = backendSockets.at(-1) as WebSocket;
    (ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
    await once(backend, 'close');
    expect(backendCloses.length).toBe(before + 1);
    expect(backendCloses.at(-1)?.code).toBe(1011);
  });

  it('pushes back on a fast backend while the client does not read, then delivers everything', async () => {
    const ws = await open('/flood');
    const backend = backendSockets.at(-1) as WebSocket;
    const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const chunk = Buffer.alloc(64 * 1024, 1);
    const total = 48 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) backend.send(chunk);
    await new Promise((r) => setTimeout(r, 1000));
    // The gateway stopped reading from the backend: most of the data is still queued at the backend.
    expect(backend.bufferedAmount).toBeGreaterThan(total / 2);
    let received = 0;
    const done = new Promise<void>((resolve) =>
      ws.on('message', (d: Buffer) => {
        received += d.length;
        if (received >= total) resolve();
      }),
    );
    socket.resume();
    await done;
    expect(received).toBe(total);
    ws.close(1000);
  }, 30_000);

  it('holds 1,000 connections open and echoes on each', async () => {
    const rssBefore = process.memoryUsage().rss;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < 1000; i += 100) {
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => open('/echo')))));
    }
    const replies = await Promise.all(
      sockets.map((ws, i) => {
        const reply = next(ws);
        ws.send(`m${i}`);
        return reply;
      }),
    );
    expect(replies.map((r) => r.data.toString())).toEqual(sockets.map((_, i) => `m${i}`));
    const perConnection = (process.memoryUsage().rss - rssBefore) / 1000;
    // Client, gateway and backend share this process: the figure covers all three sides of each connection.
    process.stdout.write(
      `1,000 WebSocket connections: ${(perConnection / 1024).toFixed(1)} KiB RSS each (client + gateway + backend)\n`,
    );
    await Promise.all(
      sockets.map((ws) => {
        ws.close(1000);
        return once(ws, 'close');
      }),
    );
  }, 60_000);
});
