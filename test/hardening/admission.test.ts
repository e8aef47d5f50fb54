/**
 * One admission for HTTP requests and WebSocket upgrades. The two paths once
 * had their own copies, which drifted: upgrades over HTTPS skipped the Host
 * check (HTTP got 421, the upgrade 101). Here the same hostile request is sent
 * both ways and must be refused the same way; and request framing Node lets
 * through (a second Host, a coding before chunked) is refused on both paths.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { DEFAULT_LIMITS, type ApiConfig, type Parameter } from '../../model';
import { signRequest } from '../../runtime/auth/sign';
import { api, mock } from '../helpers/config';
import { eventually, openSockets, parseFirst, send } from './raw';
import { handshakeLines, rawUpgrade, startWsWorld, wsApi, type WsWorld } from './ws-world';
import { tempDir } from '../helpers/temp';

const certDir = tempDir('apigw-adm-');
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=a.example'].concat([
    '-keyout',
    join(certDir, 'a.key'),
    '-out',
    join(certDir, 'a.crt'),
  ]),
  { stdio: 'ignore' },
);

const params: Parameter[] = [{ name: 'n', in: 'query', type: 'int', required: false }];
let world: WsWorld;
let httpsPort: number;
let socketsBefore: number;

beforeAll(async () => {
  const guarded = (): Partial<ApiConfig> => ({ parameters: params, auth: { type: 'keyPair' } });
  world = await startWsWorld(
    (wsBackend) => [api('h', '=/h', mock('"ok"'), guarded()), wsApi('w', '/w', wsBackend('/echo'), guarded())],
    {
      listeners: {
        http: { port: 0, host: '127.0.0.1', redirectToHttps: false },
        https: {
          port: 0,
          host: '127.0.0.1',
          minVersion: 'TLSv1.2',
          certificates: [
            { domains: ['a.example'], cert: { file: join(certDir, 'a.crt') }, key: { file: join(certDir, 'a.key') } },
          ],
        },
      },
      keyPairs: [{ secretId: 'k', secretKey: { env: 'K' } }],
      usagePlans: [{ name: 'p', keyPairs: ['k'] }],
      limits: { ...DEFAULT_LIMITS, maxPathLength: 64, shutdownGraceMs: 200 },
    },
    { K: 'secret' },
  );
  httpsPort = (world.gw.gateway as unknown as { servers: { address(): { port: number } }[] }).servers[1]!.address()
    .port;
  socketsBefore = openSockets();
});

afterAll(() => world.close());

afterEach(async () => {
  expect((await send(world.gw.port, 'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  await eventually(() => world.backendConnections() === 0, 'the backend connections to close');
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
  );
});

const signed = (): string[] =>
  Object.entries(signRequest({ secretId: 'k', secretKey: 'secret' })).map(([k, v]) => `${k}: ${v}`);

/** The same request as a plain GET of the HTTP API and as an upgrade of the WebSocket API. */
async function bothWays(target: (path: string) => string, lines: string[]) {
  const asHttp = await send(
    world.gw.port,
    `GET ${target('/h')} HTTP/1.1\r\n${['Host: gw.example', ...lines].join('\r\n')}\r\nConnection: close\r\n\r\n`,
  );
  const asUpgrade = await rawUpgrade(world.gw.port, target('/w'), handshakeLines(lines));
  return [asHttp, asUpgrade].map((r) => [r.status, r.body ? (JSON.parse(r.body) as { code: string }).code : '']);
}

describe('HTTP requests and upgrades are admitted by the same checks', () => {
  it.each<[string, (p: string) => string, string[], number, string]>([
    ['a target over maxPathLength', (p) => `${p}?${'x'.repeat(80)}`, [], 414, 'UriTooLong'],
    ['a malformed escape', (p) => `${p}%zz`, [], 400, 'BadRequest'],
    ['an unknown route', () => '/nowhere', [], 404, 'RouteNotFound'],
    ['a bad parameter', (p) => `${p}?n=x`, [], 400, 'InvalidParameter'],
    ['no signature', (p) => p, [], 401, 'Unauthorized'],
    ['a second Host header', (p) => p, ['Host: other.example'], 400, 'BadRequest'],
  ])('%s: the same answer on both paths', async (_what, target, lines, status, code) => {
    const extra = status === 401 ? lines : [...lines, ...signed()];
    expect(await bothWays(target, extra)).toEqual([
      [status, code],
      [status, code],
    ]);
  });

  it('a signed request passes both ways', async () => {
    const [h, w] = await bothWays((p) => p, signed());
    expect([h?.[0], w?.[0]]).toEqual([200, 101]);
  });
});

describe('request framing Node lets through', () => {
  it('two Host headers are 400 (RFC 9112 3.2), on HTTP requests and upgrades', async () => {
    const r = await send(
      world.gw.port,
      'GET /plain HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n',
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({
      code: 'BadRequest',
      message: 'the request has more than one Host header',
    });
  });

  it('Transfer-Encoding: gzip, chunked is 400, not a chunked body with the gzip coding dropped', async () => {
    const r = await send(
      world.gw.port,
      'POST /plain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'BadRequest' });
  });
});

describe('upgrades over HTTPS', () => {
  /** An upgrade over TLS with this SNI server name and Host header. */
  function tlsUpgrade(servername: string, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: httpsPort, servername, rejectUnauthorized: false }, () => {
        socket.write(`GET /ws HTTP/1.1\r\n${handshakeLines([], ['Host']).join('\r\n')}\r\nHost: ${host}\r\n\r\n`);
      });
      let raw = '';
      socket.on('data', (c: Buffer) => {
        raw += c.toString('latin1');
        if (raw.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(parseFirst(raw).status);
        }
      });
      socket.once('error', reject);
    });
  }

  it('a Host other than the TLS server name is 421, as for HTTP requests (it was 101)', async () => {
    expect(await tlsUpgrade('a.example', 'b.example')).toBe(421);
    expect(await tlsUpgrade('a.example', 'a.example')).toBe(101);
  });
});
