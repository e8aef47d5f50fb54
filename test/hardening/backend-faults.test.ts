/**
 * Backends that misbehave at the socket level. Each case asserts the exact
 * status the client gets, that the gateway let go of the backend connection,
 * and (at the end) that no file descriptor leaked.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { request } from 'undici';
import { api, gatewayConfig, http } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { eventually, open, openFds, send } from './raw';

type Behaviour = (socket: Socket) => void;

/** A TCP backend whose behaviour each test sets; it counts its open connections. */
class FaultyBackend {
  behaviour: Behaviour = () => undefined;
  readonly sockets = new Set<Socket>();
  private constructor(readonly server: Server) {}

  static async start(): Promise<FaultyBackend> {
    const b = new FaultyBackend(createServer());
    b.server.on('connection', (socket) => {
      b.sockets.add(socket);
      socket.on('close', () => b.sockets.delete(socket));
      socket.on('error', () => undefined);
      // Act once the request head has arrived.
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        if (head.includes('\r\n\r\n')) {
          socket.off('data', onData);
          b.behaviour(socket);
        }
      };
      socket.on('data', onData);
    });
    await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', () => r()));
    return b;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const TIMEOUT_MS = 300;
let faulty: FaultyBackend;
let huge: HttpServer;
let hugeWritten = 0;
let refusedOrigin: string;
let gw: RunningGateway;
let fdsBefore: number;

beforeAll(async () => {
  faulty = await FaultyBackend.start();
  huge = createHttpServer((_req, res) => {
    hugeWritten = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const total = 64 * 1024 * 1024;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    const pump = (): void => {
      while (hugeWritten < total) {
        hugeWritten += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((r) => huge.listen(0, '127.0.0.1', () => r()));
  // A port nothing listens on: bind one, then let it go.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  refusedOrigin = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((r) => probe.close(() => r()));

  gw = await startGateway(
    gatewayConfig([
      api('faulty', '=/faulty', http(faulty.origin, '/', { timeoutMs: TIMEOUT_MS })),
      api('refused', '=/refused', http(refusedOrigin, '/')),
      api('huge', '=/huge', http(`http://127.0.0.1:${(huge.address() as AddressInfo).port}`, '/', { timeoutMs: 5000 })),
    ]),
  );
  fdsBefore = openFds();
});

afterAll(async () => {
  await gw.close();
  await faulty.close();
  huge.closeAllConnections();
  await new Promise<void>((r) => huge.close(() => r()));
});

afterEach(async () => {
  // The gateway gave up every connection to the misbehaving backend.
  await eventually(() => faulty.sockets.size === 0, 'the gateway to close its backend connections');
  const r = await send(gw.port, 'GET /__apigw/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(r.status).toBe(200);
});

const get = (path: string) => send(gw.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);

function expectError(r: { status: number; body: string }, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(JSON.parse(r.body)).toMatchObject({ code });
}

describe('backend faults', () => {
  it('connection refused → 502 BadGateway', async () => {
    expectError(await get('/refused'), 502, 'BadGateway');
  });

  it('reset before the response → 502 BadGateway', async () => {
    faulty.behaviour = (s) => s.resetAndDestroy();
    expectError(await get('/faulty'), 502, 'BadGateway');
  });

  it('closed before the response → 502 BadGateway', async () => {
    faulty.behaviour = (s) => s.end();
    expectError(await get('/faulty'), 502, 'BadGateway');
  });

  it('an invalid HTTP response → 502 BadGateway', async () => {
    faulty.behaviour = (s) => s.end('HELLO WORLD\r\n\r\n');
    expectError(await get('/faulty'), 502, 'BadGateway');
  });

  it('a response with both Content-Length and Transfer-Encoding → 502 BadGateway, never relayed', async () => {
    faulty.behaviour = (s) =>
      s.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled',
      );
    const r = await get('/faulty');
    expectError(r, 502, 'BadGateway');
    expect(r.raw).not.toContain('smuggled');
  });

  it('headers slower than the timeout → 504 GatewayTimeout', async () => {
    faulty.behaviour = () => undefined; // never answers
    const started = Date.now();
    const r = await get('/faulty');
    expectError(r, 504, 'GatewayTimeout');
    // The API's timeout is honoured to well under a second, not rounded up to undici's one-second timer tick.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
    expect(JSON.parse(r.body).message).toContain(`${TIMEOUT_MS} ms`);
  });

  it('reset in the middle of the body → the client sees the response cut, not a clean end', async () => {
    faulty.behaviour = (s) => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => s.resetAndDestroy(), 50);
    };
    const r = await get('/faulty');
    expect(r.status).toBe(200);
    expect(r.body).toBe('partial');
    expect(r.body.length).toBeLessThan(Number(r.headers['content-length']));
  });

  it('closed after the head, before any body byte → 502 BadGateway, not an empty reply', async () => {
    faulty.behaviour = (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
    expectError(await get('/faulty'), 502, 'BadGateway');
  });

  it('a head and then nothing past the timeout → 504 GatewayTimeout, not an empty reply', async () => {
    faulty.behaviour = (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n');
    expectError(await get('/faulty'), 504, 'GatewayTimeout');
  });

  it('a body that stalls past the timeout → the client sees the response cut', async () => {
    faulty.behaviour = (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nstall');
    const started = Date.now();
    const r = await get('/faulty');
    expect(r.status).toBe(200);
    expect(r.body).toBe('stall');
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 500);
  });

  it('a client that goes away mid-request releases the backend connection', async () => {
    faulty.behaviour = () => undefined;
    const socket = await open(gw.port);
    socket.write('GET /faulty HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => faulty.sockets.size === 1, 'the backend connection');
    socket.destroy();
  });

  it('a huge response streams through with backpressure and arrives whole', async () => {
    const res = await request(`${gw.base}/huge`);
    expect(res.statusCode).toBe(200);
    // The client reads nothing for a while: the gateway must not buffer the backend's 64 MiB meanwhile.
    await new Promise((r) => setTimeout(r, 500));
    expect(hugeWritten).toBeLessThan(16 * 1024 * 1024);
    let received = 0;
    for await (const chunk of res.body) received += (chunk as Buffer).length;
    expect(received).toBe(64 * 1024 * 1024);
  });

  it('leaks no file descriptors', async () => {
    huge.closeAllConnections();
    await eventually(() => openFds() <= fdsBefore, `open fds to return to ${fdsBefore} (now ${openFds()})`, 10_000);
  });
});
