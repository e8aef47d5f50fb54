/**
 * A valid pipelined request followed by a malformed one lost the first
 * response: the gateway answered the parse error at once and closed the
 * connection under the response still being produced. Responses to the
 * complete requests before the malformed one are now written first, then the
 * 400, then the connection closes.
 */
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { eventually, open, openFds, parseAll, readAll, send } from './raw';

let backend: Backend;
let gw: RunningGateway;
let fdsBefore: number;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    // A backend slow enough that the malformed request is parsed while the first response is in flight.
    setTimeout(() => res.end(`slow ${req.url}`), 100);
  });
  gw = await startGateway(
    gatewayConfig([api('slow', '^~/slow/', http(backend.origin, '/')), api('mock', '=/mock', mock('"m"'))]),
  );
  fdsBefore = openFds();
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

afterEach(async () => {
  expect((await send(gw.port, 'GET /mock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
});

async function pipeline(text: string): Promise<ReturnType<typeof parseAll>> {
  const socket = await open(gw.port);
  const reading = readAll(socket, 3000);
  socket.write(text);
  return parseAll(await reading);
}

const GARBAGE = 'GARBAGE\r\n\r\n';

describe('pipelined requests followed by a malformed one', () => {
  it('a slow backend response is written before the 400', async () => {
    const r = await pipeline(`GET /slow/a HTTP/1.1\r\nHost: x\r\n\r\n${GARBAGE}`);
    expect(r.map((x) => x.status)).toEqual([200, 400]);
    expect(r[0]?.body).toBe('slow /a');
    expect(JSON.parse(r[1]?.body ?? '')).toMatchObject({ code: 'BadRequest' });
    expect(r[1]?.headers.connection).toBe('close');
  });

  it('two slow responses, then the 400', async () => {
    const r = await pipeline(
      `GET /slow/a HTTP/1.1\r\nHost: x\r\n\r\nGET /slow/b HTTP/1.1\r\nHost: x\r\n\r\n${GARBAGE}`,
    );
    expect(r.map((x) => [x.status, x.status === 200 ? x.body : ''])).toEqual([
      [200, 'slow /a'],
      [200, 'slow /b'],
      [400, ''],
    ]);
  });

  it('a mock response, then the 400 for a header that is too large', async () => {
    const r = await pipeline(
      `GET /mock HTTP/1.1\r\nHost: x\r\n\r\nGET /mock HTTP/1.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(r.map((x) => x.status)).toEqual([200, 431]);
  });
});

it('leaks no file descriptors', async () => {
  await eventually(() => openFds() <= fdsBefore, `open fds to return to ${fdsBefore} (now ${openFds()})`, 10_000);
});
