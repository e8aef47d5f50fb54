/**
 * Graceful shutdown: a response that was in flight when the drain began must
 * say `Connection: close` (it said keep-alive, so the client kept using a
 * connection the gateway was about to drop).
 */
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend } from '../helpers/servers';
import { open, parseAll, readAll } from './raw';

let backend: Backend;
let release: () => void = () => undefined;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    req.resume();
    // Answers only when the test says so.
    release = () => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    };
  });
});

afterAll(() => backend.close());

it('an in-flight response during the drain says Connection: close, and the connection is closed', async () => {
  const gw = await startGateway(gatewayConfig([api('slow', '=/slow', http(backend.origin))]));
  const socket = await open(gw.port);
  const reading = readAll(socket, 3000);
  socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100));
  const closing = gw.close();
  await new Promise((r) => setTimeout(r, 50));
  release();
  const [answer, ...more] = parseAll(await reading);
  await closing;
  expect(answer?.status).toBe(200);
  expect(answer?.body).toBe('ok');
  expect(answer?.headers.connection).toBe('close');
  expect(more).toEqual([]);
});

// The gateway keeps its in-flight responses in a list it updates on every request; requests that finish
// before the drain (first, middle and last in the list) must not cost the others their `Connection: close`.
it('every response still in flight at the drain says Connection: close, after others finished before it', async () => {
  const held: (() => void)[] = [];
  const holding = await startBackend((req, res) => {
    req.resume();
    held.push(() => {
      res.writeHead(200, { 'content-length': 2 });
      res.end('ok');
    });
  });
  const gw = await startGateway(gatewayConfig([api('slow', '=/slow', http(holding.origin))]));
  const sockets = [];
  for (let i = 0; i < 5; i++) {
    const socket = await open(gw.port);
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    sockets.push(socket);
    // One at a time, so that `held[i]` answers `sockets[i]`.
    while (held.length < i + 1) await new Promise((r) => setTimeout(r, 5));
  }
  const readings = sockets.map((s) => readAll(s, 3000));
  // Answered before the drain: the first, a middle and the last request.
  for (const i of [0, 2, 4]) held[i]?.();
  await new Promise((r) => setTimeout(r, 100));
  const closing = gw.close();
  await new Promise((r) => setTimeout(r, 50));
  held[1]?.();
  held[3]?.();
  const answers = (await Promise.all(readings)).map((raw) => parseAll(raw)[0]);
  await closing;
  await holding.close();
  expect(answers.map((a) => a?.status)).toEqual([200, 200, 200, 200, 200]);
  expect(answers[1]?.headers.connection).toBe('close');
  expect(answers[3]?.headers.connection).toBe('close');
});
