/** WebSocket APIs through a real gateway to real ws peers. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { api, gatewayConfig } from '../../helpers/config';
import { startGateway, type RunningGateway } from '../../helpers/servers';

let server: Server;
let wss: WebSocketServer;
let gw: RunningGateway;
let seenHeaders: Record<string, string | string[] | undefined> = {};
let seenUrl = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(403);
    res.end();
  });
  wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('chat.v2') ? 'chat.v2' : false) });
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/refuse')) {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    seenHeaders = req.headers;
    seenUrl = req.url ?? '';
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => {
        const text = data.toString();
        if (!isBinary && text === 'close-4001') return ws.close(4001, 'backend says bye');
        ws.send(data, { binary: isBinary });
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ws = (name: string, raw: string, path: string, extra = {}) =>
    api(
      name,
      raw,
      {
        type: 'websocket',
        origin,
        path,
        connectTimeoutMs: 1000,
        parameterMappings: [],
        constants: [{ in: 'header', name: 'x-const', value: 'k' }],
        maxMessageBytes: 1024,
        ...extra,
      },
      {
        frontend: {
          type: 'websocket',
          rawPath: raw,
          match: raw.startsWith('=') ? 'exact' : 'param',
          path: raw.replace(/^=/, ''),
          method: 'GET',
        },
      },
    );
  gw = await startGateway(
    gatewayConfig([
      {
        ...ws('room', '/rooms/{room}', '/ws/{room}'),
        parameters: [{ name: 'room', in: 'path', type: 'int', required: true }],
      },
      ws('refused', '=/refused', '/refuse'),
      {
        ...ws('browser', '=/browser', '/ws'),
        cors: {
          allowOrigins: ['https://app.example'],
          allowMethods: [],
          allowHeaders: [],
          exposeHeaders: [],
          allowCredentials: false,
        },
      },
      api(
        'dead',
        '=/dead',
        {
          type: 'websocket',
          origin: 'ws://127.0.0.1:1',
          path: '/',
          connectTimeoutMs: 500,
          parameterMappings: [],
          constants: [],
          maxMessageBytes: 1024,
        },
        {
          frontend: { type: 'websocket', rawPath: '=/dead', match: 'exact', path: '/dead', method: 'GET' },
        },
      ),
    ]),
  );
});

afterAll(async () => {
  await gw.close();
  for (const c of wss.clients) c.terminate();
  wss.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function open(path: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, protocols, options);
  await once(ws, 'open');
  return ws;
}

describe('WebSocket proxy', () => {
  it('relays text and binary frames unchanged, with mapped path, constants and the chosen subprotocol', async () => {
    const ws = await open('/rooms/12', {}, ['chat.v1', 'chat.v2']);
    expect(ws.protocol).toBe('chat.v2');
    expect(seenUrl).toBe('/ws/12');
    expect(seenHeaders['x-const']).toBe('k');
    expect(seenHeaders['x-api-requestid']).toBeDefined();
    ws.send('hello');
    const [text, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    expect([text.toString(), isBinary]).toEqual(['hello', false]);
    ws.send(Buffer.from([1, 2, 3]));
    const [bin, isBin2] = (await once(ws, 'message')) as [Buffer, boolean];
    expect([[...bin], isBin2]).toEqual([[1, 2, 3], true]);
    ws.close(1000);
    await once(ws, 'close');
  });

  it('relays the backend close code and reason to the client', async () => {
    const ws = await open('/rooms/1');
    ws.send('close-4001');
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([4001, 'backend says bye']);
  });

  it('closes with 1009 when a message is larger than the limit', async () => {
    const ws = await open('/rooms/1');
    ws.send('x'.repeat(5000));
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(1009);
  });

  it('answers refused or unreachable backends and bad parameters with HTTP errors and JSON bodies', async () => {
    const status = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`, { headers });
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('error', () => undefined);
      });
    const refused = await status('/refused');
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'BadGateway' });
    expect((await status('/dead')).status).toBe(502);
    const bad = await status('/rooms/abc');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'InvalidParameter' });
    expect((await status('/browser', { origin: 'https://evil.example' })).status).toBe(403);
    expect((await status('/nowhere')).status).toBe(404);
  });

  it('admits allowed origins', async () => {
    const ws = await open('/browser', { headers: { origin: 'https://app.example' } });
    ws.close();
    await once(ws, 'close');
  });
});
