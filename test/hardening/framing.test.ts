/**
 * HTTP framing attacks over raw sockets: ambiguous lengths, malformed
 * headers, oversized and slow requests. Nothing may reach the backend that
 * the client did not send as one well-framed request, and the gateway keeps
 * serving after each case.
 */
import type { IncomingMessage } from 'node:http';
import { DEFAULT_LIMITS } from '../../model';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { open, parseAll, readAll, send } from './raw';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
  readonly headers: IncomingMessage['headers'];
}

let backend: Backend;
let gw: RunningGateway;
const seen: Seen[] = [];

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    req.on('error', () => undefined);
  });
  const echoPost = (name: string, path: string) =>
    api(name, path, http(backend.origin, '/in', { method: 'POST' }), {
      frontend: { type: 'http', rawPath: path, match: 'exact', path: path.slice(1), method: 'POST' },
    });
  gw = await startGateway(
    gatewayConfig([echoPost('echo', '=/echo'), api('get', '=/get', http(backend.origin, '/got'))], {
      limits: {
        ...DEFAULT_LIMITS,
        maxBodyBytes: 1024,
        maxHeaderBytes: 4096,
        headersTimeoutMs: 300,
        requestTimeoutMs: 800,
        shutdownGraceMs: 200,
      },
    }),
  );
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

beforeEach(() => {
  seen.length = 0;
});

afterEach(async () => {
  const r = await send(gw.port, 'GET /get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(r.status).toBe(200);
});

const post = (headers: string, body = ''): string => `POST /echo HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`;

function expectError(r: { status: number; body: string }, status: number, code: string): void {
  expect(r.status).toBe(status);
  expect(JSON.parse(r.body)).toMatchObject({ code });
}

describe('request framing', () => {
  it('forwards a well-framed body exactly (the baseline)', async () => {
    const r = await send(gw.port, post('Content-Length: 5\r\nConnection: close\r\n', 'hello'));
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello');
    expect(seen.map((s) => s.body)).toEqual(['hello']);
  });

  it.each([
    [
      'Content-Length and Transfer-Encoding together',
      'Content-Length: 4\r\nTransfer-Encoding: chunked\r\n',
      '0\r\n\r\n',
    ],
    ['two different Content-Lengths', 'Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!'],
    ['a Content-Length list', 'Content-Length: 5, 5\r\n', 'hello'],
    ['a negative Content-Length', 'Content-Length: -1\r\n', ''],
    ['a Transfer-Encoding other than chunked', 'Transfer-Encoding: gzip\r\n', 'hello'],
    ['chunked not last', 'Transfer-Encoding: chunked, identity\r\n', '0\r\n\r\n'],
    ['an obs-folded header', 'X-Long: a\r\n  folded\r\nContent-Length: 0\r\n', ''],
    ['a space before the colon', 'Content-Length : 5\r\n', 'hello'],
    ['a control character in a value', 'X-Bad: a\x01b\r\nContent-Length: 0\r\n', ''],
    ['a header name with a space', 'X Bad: 1\r\nContent-Length: 0\r\n', ''],
    ['a bare LF line end', 'X-A: 1\nContent-Length: 0\r\n', ''],
    ['a bad chunk size', 'Transfer-Encoding: chunked\r\n', 'zz\r\nhello\r\n0\r\n\r\n'],
  ])('%s is refused with 400 and reaches no backend', async (_what, headers, body) => {
    const r = await send(gw.port, post(headers, body));
    expectError(r, 400, 'BadRequest');
    expect(r.headers.connection).toBe('close');
    expect(seen).toEqual([]);
  });

  it('a request smuggled in a chunked body is a second request of the client, never a backend request', async () => {
    const smuggled = 'GET /get HTTP/1.1\r\nHost: x\r\nX-Smuggled: 1\r\n\r\n';
    const socket = await open(gw.port);
    const reading = readAll(socket, 1500);
    socket.write(
      post('Transfer-Encoding: chunked\r\n', `5\r\nhello\r\n0\r\n\r\n${smuggled}`) +
        'GET /get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const responses = parseAll(await reading);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    // The backend saw three separate requests, the first with exactly the chunked body.
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/in', 'hello'],
      ['GET', '/got', ''],
      ['GET', '/got', ''],
    ]);
    expect(seen[0]?.headers['transfer-encoding']).toBe('chunked');
    expect(seen[0]?.headers['content-length']).toBeUndefined();
  });

  it('a Content-Length body cannot carry a second request to the backend', async () => {
    const socket = await open(gw.port);
    const reading = readAll(socket, 1500);
    socket.write(post('Content-Length: 5\r\n', 'helloGET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    const responses = parseAll(await reading);
    expect(responses.map((r) => r.status)).toEqual([200, 404]);
    expect(seen.map((s) => s.url)).toEqual(['/in']);
  });

  it('answers oversized headers with 431', async () => {
    const r = await send(gw.port, `GET /get HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`);
    expectError(r, 431, 'HeadersTooLarge');
    expect(seen).toEqual([]);
  });

  it('answers a declared body over the limit with 413 without reading it or calling the backend', async () => {
    const r = await send(gw.port, post('Content-Length: 2048\r\n', 'x'.repeat(100)));
    expectError(r, 413, 'PayloadTooLarge');
    expect(seen).toEqual([]);
  });

  it('answers a chunked body that grows over the limit with 413 and stops forwarding it', async () => {
    const chunk = `200\r\n${'x'.repeat(512)}\r\n`;
    const r = await send(gw.port, [post('Transfer-Encoding: chunked\r\n', chunk), chunk, chunk, '0\r\n\r\n'], {
      gapMs: 50,
    });
    expectError(r, 413, 'PayloadTooLarge');
    // The backend never got a complete request.
    expect(seen).toEqual([]);
  });

  it('answers 100-continue, then forwards the body', async () => {
    const socket = await open(gw.port);
    const reading = readAll(socket, 2000);
    socket.write(post('Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n'));
    await new Promise((r) => setTimeout(r, 100));
    socket.write('hello');
    const raw = await reading;
    expect(raw.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    const [final] = parseAll(raw.slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
    expect(final?.status).toBe(200);
    expect(final?.body).toBe('hello');
    // The backend is not asked to continue again.
    expect(seen[0]?.headers.expect).toBeUndefined();
  });

  it('refuses 100-continue with 413 when the declared body is over the limit, before the body is sent', async () => {
    const r = await send(gw.port, post('Content-Length: 4096\r\nExpect: 100-continue\r\n'));
    expect(r.raw.startsWith('HTTP/1.1 413')).toBe(true);
    expect(seen).toEqual([]);
  });

  it('answers headers that trickle in slower than the headers timeout with 408', async () => {
    const started = Date.now();
    const r = await send(gw.port, ['GET /get HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n'], {
      gapMs: 150,
      ms: 5000,
    });
    expectError(r, 408, 'RequestTimeout');
    // Answered within the timeout plus the gateway's check interval, not left open.
    expect(Date.now() - started).toBeLessThan(3000);
    expect(seen).toEqual([]);
  });

  it('answers a body that trickles in slower than the request timeout with 408 and a closed connection', async () => {
    const pieces = [post('Content-Length: 100\r\n', 'a')];
    for (let i = 0; i < 20; i++) pieces.push('a');
    const r = await send(gw.port, pieces, { gapMs: 100, ms: 5000 });
    expectError(r, 408, 'RequestTimeout');
    // The backend never got a complete body.
    expect(seen).toEqual([]);
  });
});
