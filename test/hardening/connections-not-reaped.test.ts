/**
 * Connections were not reaped: after a 408 the socket was only ended, so a
 * client that never read or closed kept it; 20,000 idle connections used up
 * the file descriptors, `curl` got an empty reply and the health check failed;
 * a slowloris client that kept trickling held its socket for ever; and a TLS
 * client could sit in the handshake for Node's default 120 s.
 *
 * Now every connection the gateway has closed its side of is destroyed after a
 * short linger, `limits.maxConnections` caps the connections (the idle ones
 * make room for new ones; when all are busy a small reserve answers 503, or
 * the health path), and the TLS handshake has `limits.tlsHandshakeTimeoutMs`.
 * Counts are kept small for CI: a cap of 50 and 200 clients.
 */
import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import WebSocket, { WebSocketServer } from 'ws';
import { DEFAULT_LIMITS, type GatewayConfig } from '../../model';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { eventually, open, openFds, parseFirst, readAll, send } from './raw';
import { tempDir } from '../helpers/temp';

const CAP = 50;
const CLIENTS = 200;
let backend: Backend;
let wsBackend: Server;
let gw: RunningGateway;
let httpsPort: number;
let fdsBefore: number;
/** Backend requests held open until released. */
const held: (() => void)[] = [];
let clients: Socket[] = [];

const limits = {
  ...DEFAULT_LIMITS,
  shutdownGraceMs: 300,
  maxConnections: CAP,
  headersTimeoutMs: 600,
  requestTimeoutMs: 1200,
  keepAliveTimeoutMs: 500,
  tlsHandshakeTimeoutMs: 400,
};

beforeAll(async () => {
  const dir = tempDir('apigw-reap-');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=a.example'].concat([
      '-keyout',
      join(dir, 'a.key'),
      '-out',
      join(dir, 'a.crt'),
    ]),
    { stdio: 'ignore' },
  );
  backend = await startBackend((req, res) => {
    if (req.url === '/hold') held.push(() => res.end('released'));
    else res.end('ok');
  });
  const wss = new WebSocketServer({ noServer: true });
  wsBackend = createHttpServer();
  wsBackend.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (d) => ws.send(d.toString()))),
  );
  await new Promise<void>((r) => wsBackend.listen(0, '127.0.0.1', () => r()));
  const wsApi = api(
    'ws',
    '=/ws',
    {
      type: 'websocket',
      origin: `ws://127.0.0.1:${(wsBackend.address() as AddressInfo).port}`,
      path: '/',
      connectTimeoutMs: 1000,
      parameterMappings: [],
      constants: [],
      maxMessageBytes: 1024,
    },
    { frontend: { type: 'websocket', rawPath: '=/ws', match: 'exact', path: '/ws', method: 'GET' } },
  );
  const config: GatewayConfig = gatewayConfig(
    [
      wsApi,
      api('fast', '=/fast', http(backend.origin, '/fast')),
      api('hold', '=/hold', http(backend.origin, '/hold', { timeoutMs: 20_000 })),
    ],
    {
      limits,
      listeners: {
        http: { port: 0, host: '127.0.0.1', redirectToHttps: false },
        https: {
          port: 0,
          host: '127.0.0.1',
          minVersion: 'TLSv1.2',
          certificates: [
            { domains: ['a.example'], cert: { file: join(dir, 'a.crt') }, key: { file: join(dir, 'a.key') } },
          ],
        },
      },
    },
  );
  gw = await startGateway(config, {}, dir);
  httpsPort = (gw.gateway as unknown as { servers: { address(): { port: number } }[] }).servers[1]!.address().port;
  fdsBefore = openFds();
});

afterAll(async () => {
  for (const release of held.splice(0)) release();
  await gw.close();
  await backend.close();
  wsBackend.closeAllConnections();
  await new Promise<void>((r) => wsBackend.close(() => r()));
});

afterEach(async () => {
  for (const release of held.splice(0)) release();
  for (const c of clients) c.destroy();
  clients = [];
  // The gateway lets go of everything, and still serves.
  await eventually(() => gw.gateway.clientConnections.open === 0, 'the gateway to close every client connection');
  expect((await get('/fast')).status).toBe(200);
  await eventually(() => openFds() <= fdsBefore + 2, `open fds to return to ${fdsBefore} (now ${openFds()})`, 10_000);
});

const get = (path: string) => send(gw.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
const health = () => get('/__apigw/health');

/** Opens `n` connections that never read (no data listener, paused) and never close. */
async function openSilent(n: number, port = gw.port): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = await open(port);
    s.on('error', () => undefined);
    s.pause();
    out.push(s);
  }
  clients.push(...out);
  return out;
}

describe('idle and silent clients', () => {
  it(`${CLIENTS} clients that never send a byte: the gateway holds at most the cap, health is served, all are reaped`, async () => {
    await openSilent(CLIENTS);
    expect(gw.gateway.clientConnections.open).toBeLessThanOrEqual(CAP);
    // At the cap: the idle connections make room, so health and a real request are served at once.
    expect((await health()).status).toBe(200);
    expect((await get('/fast')).status).toBe(200);
    // Each gets a 408 at the headers timeout and is destroyed after the linger, though it never reads or closes.
    await eventually(() => gw.gateway.clientConnections.open === 0, 'every silent connection to be reaped', 5000);
    // Only the clients' own ends are left open.
    expect(openFds()).toBeLessThanOrEqual(fdsBefore + CLIENTS + 2);
  });

  it('a client that gets a 408 and never reads or closes loses its socket', async () => {
    const [s] = await openSilent(1);
    s!.write('GET /fast HTTP/1.1\r\nHost: x\r\n'); // never finishes its head
    await eventually(() => gw.gateway.clientConnections.open === 0, 'the socket to be destroyed after the 408', 5000);
    // The 408 was sent before the socket was destroyed.
    s!.resume();
    const r = parseFirst(await readAll(s!, 1000));
    expect(r.status).toBe(408);
  });

  it('slowloris: clients that trickle a header byte every 100 ms and never read get 408 and lose their sockets', async () => {
    const trickling = await openSilent(20);
    const timers = trickling.map((s) => {
      s.write('GET /fast HTTP/1.1\r\nX-Slow: ');
      return setInterval(() => !s.destroyed && s.write('a', () => undefined), 100);
    });
    try {
      // The clients keep trickling; the gateway answers each 408 at the headers timeout and destroys it after the linger.
      await eventually(() => gw.gateway.clientConnections.open === 0, 'every trickling connection to be reaped', 5000);
    } finally {
      timers.forEach(clearInterval);
    }
    const statuses = await Promise.all(
      trickling.map(async (s) => {
        const reading = readAll(s, 1000);
        s.resume();
        return parseFirst(await reading).status;
      }),
    );
    expect(statuses).toEqual(Array(20).fill(408));
  });
});

describe('every connection busy', () => {
  it('a new connection gets 503 ConnectionLimit and is closed; the health path is still served', async () => {
    // CAP connections, each with a request in flight at a backend that holds it.
    const busy = await Promise.all(
      Array.from({ length: CAP }, async () => {
        const s = await open(gw.port);
        s.on('error', () => undefined);
        clients.push(s);
        const reading = readAll(s, 10_000);
        s.write('GET /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        return { reading }; // wrapped: an async function would wait for it
      }),
    );
    await eventually(() => held.length === CAP, 'every request to reach the backend');
    const refused = await get('/fast');
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'ConnectionLimit' });
    expect(refused.headers.connection).toBe('close');
    const h = await health();
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body)).toEqual({ status: 'ok' });
    // The busy requests are unharmed.
    for (const release of held.splice(0)) release();
    for (const r of await Promise.all(busy.map((b) => b.reading))) expect(parseFirst(r).body).toBe('released');
  });

  it('past the reserve, new connections are closed at once; the reserve closes at its deadline', async () => {
    await Promise.all(
      Array.from({ length: CAP }, async () => {
        const s = await open(gw.port);
        s.on('error', () => undefined);
        clients.push(s);
        s.write('GET /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      }),
    );
    await eventually(() => held.length === CAP, 'every request to reach the backend');
    await openSilent(40);
    // A reserve of 8 (for a cap of 50) took some; the rest were closed at once.
    expect(gw.gateway.clientConnections.open).toBe(CAP + 8);
    // Reserve connections that send nothing are closed at the reserve deadline (2 s).
    await eventually(() => gw.gateway.clientConnections.open === CAP, 'the reserve deadline', 4000);
  });
});

describe('WebSockets', () => {
  it('an open WebSocket is never taken for an idle connection', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/ws`);
        await once(ws, 'open');
        return ws;
      }),
    );
    await openSilent(CLIENTS); // far past the cap: every idle connection is taken, the WebSockets stay
    for (const ws of sockets) {
      ws.send('still here');
      const [data] = (await once(ws, 'message')) as [Buffer];
      expect(data.toString()).toBe('still here');
      ws.close();
    }
  });
});

describe('TLS', () => {
  it('a client that never finishes the TLS handshake is closed at tlsHandshakeTimeoutMs', async () => {
    const [s] = await openSilent(1, httpsPort);
    await eventually(() => gw.gateway.clientConnections.open === 0, 'the handshake timeout', 3000);
    expect(s).toBeDefined();
  });

  it('a TLS client that gets a 408 and never reads or closes loses its socket', async () => {
    const s = await new Promise<Socket>((resolve, reject) => {
      const t = tlsConnect(
        { port: httpsPort, host: '127.0.0.1', servername: 'a.example', rejectUnauthorized: false },
        () => resolve(t),
      );
      t.on('error', reject);
    });
    clients.push(s);
    s.on('error', () => undefined);
    s.write('GET /fast HTTP/1.1\r\nHost: a.example\r\n'); // never finishes its head
    s.pause();
    await eventually(() => gw.gateway.clientConnections.open === 0, 'the socket to be destroyed after the 408', 5000);
  });

  it('the cap counts HTTPS connections, and an idle TLS connection makes room like any other', async () => {
    const tls = await Promise.all(
      Array.from({ length: CAP }, () => {
        return new Promise<Socket>((resolve, reject) => {
          const s = tlsConnect(
            { port: httpsPort, host: '127.0.0.1', servername: 'a.example', rejectUnauthorized: false },
            () => resolve(s),
          );
          s.on('error', reject);
        });
      }),
    );
    clients.push(...tls);
    expect(gw.gateway.clientConnections.open).toBe(CAP);
    expect((await health()).status).toBe(200);
    expect(gw.gateway.clientConnections.open).toBeLessThanOrEqual(CAP);
  });
});
