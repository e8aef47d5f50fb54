/**
 * Found by the request fuzzer (bench/request-fuzz.js): a `CONNECT` request
 * got no answer at all. Node hands CONNECT to `connect` listeners on the raw
 * socket and, with none, closes the connection without a word, so a client
 * could not tell a refusal from a crash. The gateway is not a forward proxy:
 * CONNECT is answered like any method no route takes — the catalogue's JSON,
 * `405` with `Allow` where APIs serve the path, `404` where none does, `400`
 * for the usual authority-form target (`host:443`) — and the connection is
 * closed; nothing reaches a backend, and nothing is tunnelled.
 */
import type { RunningGateway } from '../helpers/servers';
import { startProxyWorld, type ProxyWorld } from './proxy-world';
import { eventually, openSockets, send } from './raw';

let proxy: ProxyWorld;
let gw: RunningGateway;

beforeAll(async () => {
  proxy = await startProxyWorld();
  gw = proxy.gw;
});

afterAll(() => proxy.close());

it.each([
  ['an authority-form target', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n', 400, 'BadRequest'],
  ['a path an ANY API serves', 'CONNECT /proxied/x HTTP/1.1\r\nHost: gw\r\n\r\n', 405, 'MethodNotAllowed'],
  ['a path a GET API serves', 'CONNECT /mock HTTP/1.1\r\nHost: gw\r\n\r\n', 405, 'MethodNotAllowed'],
  ['a path no API serves', 'CONNECT /nowhere HTTP/1.1\r\nHost: gw\r\n\r\n', 404, 'RouteNotFound'],
])('CONNECT with %s gets the JSON answer and the connection closes', async (_name, request, status, code) => {
  const socketsBefore = openSockets();
  // Bytes a tunnelling client sends at once after its request (a TLS ClientHello) change nothing.
  const res = await send(gw.port, [request + '\x16\x03\x01\x00\x05hello']);
  expect(res.status).toBe(status);
  expect(res.headers['connection']).toBe('close');
  const body = JSON.parse(res.body) as { code: string; requestId: string };
  expect(body).toMatchObject({ code, message: expect.any(String) });
  expect(body.requestId).toBe(res.headers['x-api-requestid']);
  if (status === 405) expect(res.headers['allow']).toMatch(/GET/);
  expect(proxy.backendRequests()).toBe(0);
  await eventually(() => openSockets() <= socketsBefore, 'the connection to close');
});

it('logs a CONNECT like any refused request', async () => {
  await send(gw.port, 'CONNECT /mock HTTP/1.1\r\nHost: gw\r\n\r\n');
  const connectLine = (): string | undefined =>
    gw.logs
      .join('\n')
      .split('\n')
      .find((l) => l.includes('"method":"CONNECT","path":"/mock"'));
  await eventually(() => connectLine() !== undefined, 'the access-log line');
  expect(JSON.parse(connectLine() as string)).toMatchObject({ method: 'CONNECT', path: '/mock', status: 405 });
});
