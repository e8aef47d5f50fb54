/**
 * The API timeout counted the client's upload time: 800 KiB sent at 100 KiB/s
 * to an API with a 5 s timeout and a healthy backend got 504. The backend
 * timeout now times the backend only: it does not run while the gateway waits
 * for the client's body (that is `limits.requestTimeoutMs`), and the backend
 * gets its whole timeout once the body is in. Scaled down here: 1 s timeout,
 * 2.4 s uploads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { eventually, open, openFds, parseFirst, readAll } from './raw';

const TIMEOUT_MS = 1000;
let backend: Backend;
let gw: RunningGateway;
let fdsBefore: number;
/** What the backend does once it has the whole body. */
let answer: (res: ServerResponse, received: number) => void;

beforeAll(async () => {
  backend = await startBackend((req: IncomingMessage, res: ServerResponse) => {
    let received = 0;
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => answer(res, received));
  });
  const post = (name: string, path: string) =>
    api(name, `=${path}`, http(backend.origin, '/', { method: 'POST', timeoutMs: TIMEOUT_MS }), {
      frontend: { type: 'http', rawPath: `=${path}`, match: 'exact', path, method: 'POST' },
    });
  gw = await startGateway(gatewayConfig([post('upload', '/upload')]));
  fdsBefore = openFds();
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

/** Sends `pieces` pieces of `size` bytes, `gapMs` apart, as a Content-Length or chunked body. */
async function slowUpload(pieces: number, size: number, gapMs: number, chunked: boolean) {
  const socket = await open(gw.port);
  const reading = readAll(socket, 15_000);
  const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${pieces * size}`;
  socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\n${framing}\r\nConnection: close\r\n\r\n`);
  const piece = Buffer.alloc(size, 'a');
  for (let i = 0; i < pieces; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    if (socket.destroyed) break;
    socket.write(
      chunked ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece,
    );
  }
  if (chunked && !socket.destroyed) socket.write('0\r\n\r\n');
  const sentAt = Date.now();
  const r = parseFirst(await reading);
  return { ...r, afterUploadMs: Date.now() - sentAt };
}

describe('a slow upload to a healthy backend', () => {
  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('%s body over 2.4 s with a 1 s API timeout → 200', async (_name, chunked) => {
    answer = (res, received) => res.end(JSON.stringify({ received }));
    const r = await slowUpload(12, 16 * 1024, 200, chunked);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ received: 12 * 16 * 1024 });
  });
});

describe('the backend is still timed', () => {
  it('a backend that does not answer after a slow upload → 504 about one timeout after the body is in', async () => {
    answer = () => undefined; // never answers
    const r = await slowUpload(6, 1024, 300, false);
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GatewayTimeout' });
    expect(r.afterUploadMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
  });
});

it('still serves, and leaks no file descriptors', async () => {
  answer = (res) => res.end('{}');
  const r = await slowUpload(1, 10, 0, false);
  expect(r.status).toBe(200);
  backend.server.closeAllConnections();
  await eventually(() => openFds() <= fdsBefore, `open fds to return to ${fdsBefore} (now ${openFds()})`, 10_000);
});
