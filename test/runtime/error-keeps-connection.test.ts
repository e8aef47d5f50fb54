/**
 * Regression: every gateway error on a request without a body closed the
 * keep-alive connection (`Connection: close`), so a client getting 401s or
 * 404s opened a new connection per request. A connection is closed only when
 * a request body is really left unread.
 */
import type { Socket } from 'node:net';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { open, parseFirst } from '../hardening/raw';

let gw: RunningGateway;

beforeAll(async () => {
  gw = await startGateway(
    gatewayConfig(
      [
        api('partner', '=/partner', http('http://127.0.0.1:1', '/'), { auth: { type: 'keyPair' } }),
        api('open', '=/open', mock('{}')),
      ],
      {
        keyPairs: [{ secretId: 'p', secretKey: { env: 'PARTNER_KEY' } }],
        usagePlans: [{ name: 'p', keyPairs: ['p'] }],
      },
    ),
    { PARTNER_KEY: 'partner-secret' },
  );
});
afterAll(() => gw.close());

/** Sends one request on `socket` and reads its whole response (Content-Length framed). */
function exchange(socket: Socket, request: string): Promise<ReturnType<typeof parseFirst>> {
  return new Promise((resolve, reject) => {
    let raw = '';
    const onData = (chunk: Buffer): void => {
      raw += chunk.toString('latin1');
      const head = raw.indexOf('\r\n\r\n');
      if (head < 0) return;
      const parsed = parseFirst(raw);
      if (raw.length - head - 4 < Number(parsed.headers['content-length'] ?? 0)) return;
      socket.off('data', onData);
      resolve(parsed);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`the connection closed after ${JSON.stringify(raw)}`)));
    socket.write(request);
  });
}

it('answers 401, 404 and 405 to bodiless requests on one keep-alive connection', async () => {
  const socket = await open(gw.port);
  const answers = [];
  for (const [method, path] of [
    ['GET', '/partner'],
    ['GET', '/nowhere'],
    ['POST', '/open'],
    ['DELETE', '/partner'],
    ['GET', '/partner'],
  ])
    answers.push(await exchange(socket, `${method} ${path} HTTP/1.1\r\nHost: gw\r\n\r\n`));
  expect(answers.map((a) => a.status)).toEqual([401, 404, 405, 405, 401]);
  for (const a of answers) expect(a.headers.connection).not.toBe('close');
  expect(socket.destroyed).toBe(false);
  expect(gw.gateway.clientConnections.open).toBe(1);
  socket.destroy();
});

it('reads and discards a small unread body, and serves the next request on the connection', async () => {
  const socket = await open(gw.port);
  const first = await exchange(socket, 'POST /partner HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello');
  expect(first.status).toBe(405);
  const second = await exchange(socket, 'GET /partner HTTP/1.1\r\nHost: gw\r\n\r\n');
  expect(second.status).toBe(401);
  socket.destroy();
});

it.each([
  ['a large declared body', 'Content-Length: 100000'],
  ['a chunked body', 'Transfer-Encoding: chunked'],
  ['a body held back for 100 Continue', 'Content-Length: 10\r\nExpect: 100-continue'],
])('closes the connection when the refused request has %s still to come', async (_what, header) => {
  const socket = await open(gw.port);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => undefined);
  const answer = await exchange(socket, `GET /partner HTTP/1.1\r\nHost: gw\r\n${header}\r\n\r\n`);
  expect(answer.status).toBe(401);
  expect(answer.headers.connection).toBe('close');
  await closed;
});
