/**
 * 1 of 30 idempotent GETs got 502 from a keep-alive reuse race: the backend
 * closed its idle connection just as the gateway sent the next request on it.
 * An idempotent request without a body is now sent once more, on a new
 * connection, when a connection failed before any response byte; a request
 * with a body, or a second failure, still gets 502.
 */
import { api, gatewayConfig, http } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { RawBackend, eventually, openFds, send, type RawBehaviour } from './raw';

let backend: RawBackend;
let gw: RunningGateway;
let fdsBefore: number;

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

beforeAll(async () => {
  backend = await RawBackend.start();
  gw = await startGateway(
    gatewayConfig([
      api('get', '=/get', http(backend.origin, '/')),
      api('delete', '=/delete', http(backend.origin, '/', { method: 'DELETE' })),
      api('post', '=/post', http(backend.origin, '/', { method: 'POST' }), {
        frontend: { type: 'http', rawPath: '=/post', match: 'exact', path: '/post', method: 'POST' },
      }),
    ]),
  );
  fdsBefore = openFds();
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

beforeEach(async () => {
  for (const s of backend.sockets) s.destroy();
  await eventually(() => backend.sockets.size === 0, 'no backend connections');
  backend.connections = 0;
});

afterEach(async () => {
  backend.behaviour = (s) => s.write(OK);
  expect((await call('GET', '/get')).status).toBe(200);
});

const call = (method: string, path: string, body = '') =>
  send(
    gw.port,
    `${method} ${path} HTTP/1.1\r\nHost: x\r\n${body ? `Content-Length: ${body.length}\r\n` : ''}Connection: close\r\n\r\n${body}`,
  );

/** Answers the first request on each connection; fails the second as `fail` says (a reused connection). */
const secondFails =
  (fail: (s: import('node:net').Socket) => void): RawBehaviour =>
  (s, index) =>
    index === 0 ? s.write(OK) : fail(s);

describe('a reused backend connection that fails before any response byte', () => {
  it.each([
    ['closed', (s: import('node:net').Socket) => s.destroy()],
    ['reset', (s: import('node:net').Socket) => s.resetAndDestroy()],
  ])('%s → an idempotent GET is sent again and the client gets 200', async (_name, fail) => {
    backend.behaviour = secondFails(fail);
    expect((await call('GET', '/get')).status).toBe(200);
    const r = await call('GET', '/get');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
    expect(backend.connections).toBe(2);
  });

  it('→ a backend DELETE without a body is sent again too', async () => {
    backend.behaviour = secondFails((s) => s.destroy());
    expect((await call('GET', '/delete')).status).toBe(200);
    expect((await call('GET', '/delete')).status).toBe(200);
  });

  it('→ a POST with a body is not replayed: 502', async () => {
    backend.behaviour = secondFails((s) => s.destroy());
    expect((await call('POST', '/post', 'a=1')).status).toBe(200);
    const r = await call('POST', '/post', 'a=1');
    expect(r.status).toBe(502);
    expect(backend.requests).toBeGreaterThan(0);
  });

  it('fails again on the new connection → 502 after one retry, not more', async () => {
    backend.behaviour = (s) => s.destroy();
    const before = backend.requests;
    const r = await call('GET', '/get');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'BadGateway' });
    expect(backend.requests - before).toBe(2);
  });

  it('a response cut after its first byte is never retried', async () => {
    backend.behaviour = (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart');
    const before = backend.requests;
    const r = await call('GET', '/get');
    expect(r.status).toBe(200);
    expect(r.body).toBe('part');
    expect(backend.requests - before).toBe(1);
  });
});

it('leaks no file descriptors', async () => {
  for (const s of backend.sockets) s.destroy();
  await eventually(() => openFds() <= fdsBefore, `open fds to return to ${fdsBefore} (now ${openFds()})`);
});
