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
