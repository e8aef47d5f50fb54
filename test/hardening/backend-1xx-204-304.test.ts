/**
 * A backend's informational response (`res.writeEarlyHints()` then 200) or a
 * 204/304 with body bytes left the client with no response at all ("Empty
 * reply from server", recorded as ResponseCut). The client now gets the final
 * response: 103 Early Hints are relayed (their `Link`), other 1xx dropped, and
 * stray bytes after a 204/304 head are dropped with the backend connection.
 */
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { RawBackend, eventually, openFds, parseFirst, send, type RawResponse } from './raw';

let raw: RawBackend;
let node: Backend;
let gw: RunningGateway;
let fdsBefore: number;

beforeAll(async () => {
  raw = await RawBackend.start();
  node = await startBackend((req, res) => {
    res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style' });
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
      res.end('hello');
    }, 20);
  });
  gw = await startGateway(
    gatewayConfig([
      api('raw', '=/raw', http(raw.origin, '/', { timeoutMs: 1000 })),
      api('hints', '=/hints', http(node.origin, '/', { timeoutMs: 1000 })),
    ]),
  );
  fdsBefore = openFds();
});

afterAll(async () => {
  await gw.close();
  await raw.close();
  await node.close();
});

afterEach(async () => {
  // The gateway let go of the backend connection and still serves.
  await eventually(() => raw.sockets.size === 0, 'the gateway to close its backend connections');
  raw.behaviour = (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nnext');
  const next = await get('/raw');
  expect(next.status).toBe(200);
  expect(next.body).toBe('next');
  await eventually(() => raw.sockets.size === 0, 'the gateway to close its backend connections');
});

const get = (path: string, version = '1.1'): Promise<RawResponse> =>
  send(gw.port, `GET ${path} HTTP/${version}\r\nHost: x\r\nConnection: close\r\n\r\n`);

/** The responses in `raw`: informational ones (no body) first, then the final one. */
function split(r: RawResponse): { informational: RawResponse[]; final: RawResponse } {
  const informational: RawResponse[] = [];
  let rest = r.raw;
  for (;;) {
    const first = parseFirst(rest);
    if (first.status >= 200 || first.status === 0) return { informational, final: first };
    informational.push(first);
    rest = rest.slice(rest.indexOf('\r\n\r\n') + 4);
  }
}

const respond = (text: string) => (s: import('node:net').Socket) => s.end(text);

describe('informational responses', () => {
  it('writeEarlyHints() then 200 → the client gets the 103 with its Link, then the 200', async () => {
    const { informational, final } = split(await get('/hints'));
    expect(informational.map((i) => [i.status, i.headers.link])).toEqual([[103, '</app.css>; rel=preload; as=style']]);
    expect(final.status).toBe(200);
    expect(final.body).toBe('hello');
  });

  it('an HTTP/1.0 client gets no 103, only the 200', async () => {
    const { informational, final } = split(await get('/hints', '1.0'));
    expect(informational).toEqual([]);
    expect(final.status).toBe(200);
    expect(final.body).toBe('hello');
  });

  it.each([
    ['102 Processing', 'HTTP/1.1 102 Processing\r\n\r\n', []],
    ['104 (unassigned)', 'HTTP/1.1 104 Whatever\r\nX-A: 1\r\n\r\n', []],
    ['103 without Link', 'HTTP/1.1 103 Early Hints\r\nX-A: 1\r\n\r\n', []],
    ['103 with a malformed Link', 'HTTP/1.1 103 Early Hints\r\nLink: not a link\r\n\r\n', []],
    [
      'ten 103s (at most two relayed)',
      'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n'.repeat(10),
      [103, 103],
    ],
  ])('%s then 200 → the client gets the 200', async (_name, before, relayed) => {
    raw.behaviour = respond(`${before}HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok`);
    const { informational, final } = split(await get('/raw'));
    expect(informational.map((i) => i.status)).toEqual(relayed);
    expect(final.status).toBe(200);
    expect(final.body).toBe('ok');
  });

  it.each([
    ['an unsolicited 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n'],
    [
      '101 Switching Protocols to a request that did not upgrade',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n',
    ],
  ])('%s → 502 BadGateway, never relayed', async (_name, before) => {
    raw.behaviour = respond(`${before}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok`);
    const r = await get('/raw');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'BadGateway' });
  });
});

describe('204 and 304 with body bytes', () => {
  it.each([
    ['204 with Content-Length and a body', 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-B: 1\r\n\r\nhello', 204],
    [
      '204 with a chunked body',
      'HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nX-B: 1\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      204,
    ],
    ['204 with bytes and no length', 'HTTP/1.1 204 No Content\r\nX-B: 1\r\n\r\nHTTP/1.1 200 OK\r\n\r\nsmuggled', 204],
    [
      '304 with Content-Length and a body',
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nX-B: 1\r\n\r\nhello',
      304,
    ],
  ])('%s → the client gets the status, headers and no body', async (_name, response, status) => {
    raw.behaviour = (s) => s.write(response); // the backend keeps the connection open
    const r = await get('/raw');
    expect(r.status).toBe(status);
    expect(r.headers['x-b']).toBe('1');
    expect(r.headers['transfer-encoding']).toBeUndefined();
    if (status === 204) expect(r.headers['content-length']).toBeUndefined();
    // Nothing after the head: the connection closed right after it.
    expect(r.raw.slice(r.raw.indexOf('\r\n\r\n') + 4)).toBe('');
    // The gateway does not keep a backend connection with stray bytes on it.
    for (const s of raw.sockets) s.end();
  });
});

it('leaks no file descriptors', async () => {
  node.server.closeAllConnections();
  await eventually(() => openFds() <= fdsBefore, `open fds to return to ${fdsBefore} (now ${openFds()})`, 10_000);
});
