/**
 * Found by the request fuzzer (bench/request-fuzz.js): a request with an
 * `Expect` other than `100-continue` (`Expect: foo`, an empty one) was
 * answered by Node itself with a bare `417 Expectation Failed` — chunked, no
 * JSON body, no request id, not in the error catalogue, not in the access
 * log. Now admission refuses it with the catalogue's `417 ExpectationFailed`
 * (RFC 9110 10.1.1), for HTTP requests and WebSocket upgrades alike, before
 * any backend; `100-continue` works as before.
 */
import type { RunningGateway } from '../helpers/servers';
import { startProxyWorld, type ProxyWorld } from './proxy-world';
import { eventually, send } from './raw';
import { startWsWorld, handshakeLines, rawUpgrade, type WsWorld } from './ws-world';

let proxy: ProxyWorld;
let gw: RunningGateway;

beforeAll(async () => {
  proxy = await startProxyWorld();
  gw = proxy.gw;
});

afterAll(() => proxy.close());

beforeEach(() => {
  proxy.resetCount();
});

function expectRefusal(res: Awaited<ReturnType<typeof send>>): void {
  expect(res.status).toBe(417);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(body).toEqual({
    code: 'ExpectationFailed',
    message: expect.stringContaining('100-continue'),
    requestId: res.headers['x-api-requestid'],
  });
}

it.each([
  ['an unknown expectation', 'GET /proxied/a HTTP/1.1\r\nHost: gw\r\nExpect: foo\r\n\r\n'],
  ['an empty Expect', 'GET /mock HTTP/1.1\r\nHost: gw\r\nExpect: \r\n\r\n'],
  ['a near miss', 'GET /mock HTTP/1.1\r\nHost: gw\r\nExpect: 100-continu\r\n\r\n'],
  ['an HTTP/1.0 request', 'GET /proxied/a HTTP/1.0\r\nHost: gw\r\nExpect: 200-ok\r\n\r\n'],
  [
    'a request with a body',
    'POST /proxied/a HTTP/1.1\r\nHost: gw\r\nExpect: x=1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  ],
])('%s gets the JSON 417 and reaches no backend', async (_name, request) => {
  expectRefusal(await send(gw.port, request));
  expect(proxy.backendRequests()).toBe(0);
});

it('is in the access log like any refused request', async () => {
  const res = await send(gw.port, 'GET /mock HTTP/1.1\r\nHost: gw\r\nExpect: foo\r\n\r\n');
  const line = (): string | undefined =>
    gw.logs
      .join('\n')
      .split('\n')
      .find((l) => l.includes(res.headers['x-api-requestid'] as string));
  await eventually(() => line() !== undefined, 'the access-log line');
  expect(JSON.parse(line() as string)).toMatchObject({ method: 'GET', path: '/mock', status: 417 });
});

it('still answers 100-continue, however it is written', async () => {
  for (const expectation of ['100-continue', '100-Continue']) {
    const res = await send(gw.port, [
      `POST /proxied/a HTTP/1.1\r\nHost: gw\r\nExpect: ${expectation}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n`,
      'ok',
    ]);
    expect(res.raw).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  }
  expect(proxy.backendRequests()).toBe(2);
});

describe('WebSocket upgrades', () => {
  let world: WsWorld;
  beforeAll(async () => {
    world = await startWsWorld();
  });
  afterAll(() => world.close());

  it('are refused alike, before the backend leg opens', async () => {
    const res = await rawUpgrade(world.gw.port, '/ws', handshakeLines(['Expect: foo']));
    expectRefusal(res);
    expect(world.backendUpgrades()).toBe(0);
  });
});
