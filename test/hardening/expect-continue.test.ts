/**
 * `Expect: 100-continue`: the client holds its body until the gateway says
 * `100 Continue`. A request the gateway will refuse (unknown route, bad
 * credentials, bad parameters, a body over the limit) must get its final
 * answer instead, before the body is sent; only an admitted request gets 100.
 */
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { DEFAULT_LIMITS } from '../../model';
import { eventually, open, openSockets, parseAll, readAll, send } from './raw';

let backend: Backend;
let gw: RunningGateway;
let calls = 0;
let socketsBefore: number;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    calls++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      // No keep-alive towards the gateway, so socket counts settle at once.
      res.writeHead(200, { 'content-length': body.length, connection: 'close' });
      res.end(body);
    });
  });
  const post = (name: string, path: string, extra = {}) =>
    api(name, `=${path}`, http(backend.origin, '/in', { method: 'POST' }), {
      frontend: { type: 'http', rawPath: `=${path}`, match: 'exact', path, method: 'POST' },
      ...extra,
    });
  gw = await startGateway(
    gatewayConfig(
      [
        post('open', '/open', { parameters: [{ name: 'n', in: 'query', type: 'int', required: false }] }),
        post('key', '/key', { auth: { type: 'keyPair' } }),
      ],
      {
        keyPairs: [{ secretId: 'k', secretKey: { env: 'K' } }],
        usagePlans: [{ name: 'p', keyPairs: ['k'] }],
        limits: { ...DEFAULT_LIMITS, maxBodyBytes: 1024, shutdownGraceMs: 200 },
      },
    ),
    { K: 'secret' },
  );
  socketsBefore = openSockets();
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

beforeEach(() => {
  calls = 0;
});

afterEach(async () => {
  expect(
    (await send(gw.port, 'POST /open HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')).status,
  ).toBe(200);
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
  );
});

/** Sends the head with `Expect: 100-continue` and waits: what arrives before any body byte is sent. */
async function headOnly(path: string, headers: string, length: number): Promise<string> {
  const socket = await open(gw.port);
  const reading = readAll(socket, 600);
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n${headers}\r\n`,
  );
  return reading;
}

const badSignature =
  'Authorization: hmac id="k", algorithm="hmac-sha256", headers="x-date", signature="AAAA"\r\n' +
  `X-Date: ${new Date().toUTCString()}\r\n`;

describe('Expect: 100-continue', () => {
  it.each([
    ['an unknown route', '/nowhere', '', 5, 404, 'RouteNotFound'],
    ['a missing signature', '/key', '', 5, 401, 'Unauthorized'],
    ['a bad signature', '/key', badSignature, 5, 401, 'Unauthorized'],
    ['a bad parameter', '/open?n=x', '', 5, 400, 'InvalidParameter'],
    ['a declared body over the limit', '/open', '', 4096, 413, 'PayloadTooLarge'],
  ])(
    '%s gets its final answer, not 100 Continue, before the body is sent',
    async (_what, path, headers, length, status, code) => {
      const raw = await headOnly(path, headers, length);
      expect(raw.startsWith(`HTTP/1.1 ${status} `)).toBe(true);
      expect(raw).not.toContain('100 Continue');
      const [answer] = parseAll(raw);
      expect(JSON.parse(answer?.body ?? '')).toMatchObject({ code });
      expect(calls).toBe(0);
    },
  );

  it('an admitted request gets 100 Continue, then its answer once the body is sent', async () => {
    const socket = await open(gw.port);
    const reading = readAll(socket, 2000);
    socket.write(
      'POST /open HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.write('hello');
    const raw = await reading;
    expect(raw.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true);
    const [final] = parseAll(raw.slice('HTTP/1.1 100 Continue\r\n\r\n'.length));
    expect([final?.status, final?.body]).toEqual([200, 'hello']);
  });
});
