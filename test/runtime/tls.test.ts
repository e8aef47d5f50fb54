/** HTTPS with mandatory SNI, over real TLS connections. */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import {
  connect as connectTcp,
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { DEFAULT_LIMITS } from '../../model';
import { api, gatewayConfig, mock } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

const dir = tempDir('apigw-tls-');
function cert(name: string, cn: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.crt`),
    ],
    { stdio: 'ignore' },
  );
}

let gw: RunningGateway;
let httpsPort = 0;

beforeAll(async () => {
  cert('a', 'a.example');
  cert('w', '*.wild.example');
  gw = await startGateway(
    gatewayConfig([api('hello', '=/hello', mock('"hi"'))], {
      listeners: {
        http: { port: 0, host: '127.0.0.1', redirectToHttps: true },
        https: {
          port: 0,
          host: '127.0.0.1',
          minVersion: 'TLSv1.2',
          certificates: [
            { domains: ['a.example'], cert: { file: join(dir, 'a.crt') }, key: { file: join(dir, 'a.key') } },
            { domains: ['*.wild.example'], cert: { file: join(dir, 'w.crt') }, key: { env: 'W_KEY' } },
          ],
        },
      },
      limits: { ...DEFAULT_LIMITS, shutdownGraceMs: 200 },
    }),
    { W_KEY: execFileSync('cat', [join(dir, 'w.key')]).toString() },
  );
  httpsPort = (gw.gateway as unknown as { servers: { address(): { port: number } }[] }).servers[1]!.address().port;
});

afterAll(() => gw.close());

function handshake(
  servername: string | undefined,
  session?: Buffer,
): Promise<{ cn: string | undefined; socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: httpsPort,
      rejectUnauthorized: false,
      ...(servername ? { servername } : {}),
      ...(session ? { session } : {}),
    });
    socket.once('secureConnect', () =>
      resolve({ cn: socket.getPeerCertificate().subject?.CN as string | undefined, socket }),
    );
    socket.once('error', reject);
  });
}

function get(servername: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: httpsPort,
        path: '/hello',
        servername,
        headers: { host },
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS', () => {
  it('serves the certificate of the requested server name, wildcards included', async () => {
    const a = await handshake('a.example');
    expect(a.cn).toBe('a.example');
    a.socket.destroy();
    const w = await handshake('api.wild.example');
    expect(w.cn).toBe('*.wild.example');
    w.socket.destroy();
  });

  it('refuses unknown server names and clients without SNI when there is no default domain', async () => {
    await expect(handshake('evil.example')).rejects.toThrow();
    await expect(handshake(undefined)).rejects.toThrow();
  });

  it('serves requests whose Host matches the connection, and answers 421 otherwise', async () => {
    expect(await get('a.example', 'a.example')).toEqual({ status: 200, body: '"hi"' });
    const misdirected = await get('a.example', 'x.wild.example');
    expect(misdirected.status).toBe(421);
    expect(JSON.parse(misdirected.body)).toMatchObject({ code: 'MisdirectedRequest' });
  });

  it('does not let a resumed session skip the server-name check', async () => {
    const first = await handshake('a.example');
    const session = await new Promise<Buffer | undefined>((resolve) => {
      first.socket.once('session', (s: Buffer) => resolve(s));
      first.socket.write('GET /hello HTTP/1.1\r\nHost: a.example\r\n\r\n');
      setTimeout(() => resolve(first.socket.getSession()), 300);
    });
    expect(session).toBeDefined();
    first.socket.destroy();
    // Resuming a.example's session while asking for a name we have no certificate for must fail.
    await expect(handshake('evil.example', session)).rejects.toThrow();
    const other = await handshake('b.wild.example', session);
    expect(other.socket.isSessionReused()).toBe(false);
    other.socket.destroy();
  });

  it('redirects HTTP to HTTPS', async () => {
    const req = httpRequest(`${gw.base}/hello?x=1`, { headers: { host: 'a.example:80' } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe(`https://a.example:0/hello?x=1`);
  });
});

describe('HTTP → HTTPS redirect behind published ports', () => {
  // Regression: a container published 20443→20543 redirected to :20543's container side, the HTTPS
  // listener's own port. Here a TCP forwarder stands for the published port in front of the HTTPS listener.
  let published: Server;
  let behind: RunningGateway;
  let gatewayHttps = 0;
  let publishedPort = 0;
  const forwarded = new Set<Socket>();

  beforeAll(async () => {
    published = createTcpServer((client) => {
      const upstream = connectTcp(gatewayHttps, '127.0.0.1');
      forwarded.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => published.listen(0, '127.0.0.1', () => r()));
    publishedPort = (published.address() as AddressInfo).port;
    behind = await startGateway(
      gatewayConfig([api('hello', '=/hello', mock('"hi"'))], {
        listeners: {
          http: { port: 0, host: '127.0.0.1', redirectToHttps: true, redirectPort: publishedPort },
          https: {
            port: 0,
            host: '127.0.0.1',
            minVersion: 'TLSv1.2',
            certificates: [
              { domains: ['a.example'], cert: { file: join(dir, 'a.crt') }, key: { file: join(dir, 'a.key') } },
            ],
          },
        },
      }),
    );
    gatewayHttps = (behind.addresses.https as AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of forwarded) socket.destroy();
    await behind.close();
    await new Promise<void>((r) => published.close(() => r()));
  });

  it('redirects to the published HTTPS port, where the client reaches the API', async () => {
    const req = httpRequest(`${behind.base}/hello?x=1`, { headers: { host: `a.example:${behind.port}` } });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    expect(res.statusCode).toBe(308);
    expect(res.headers.location).toBe(`https://a.example:${publishedPort}/hello?x=1`);
    expect(gatewayHttps).not.toBe(publishedPort);

    // Following it (a.example is 127.0.0.1 here) reaches the API through the published port.
    const location = new URL(res.headers.location as string);
    const followed = request({
      host: '127.0.0.1',
      port: Number(location.port),
      path: `${location.pathname}${location.search}`,
      servername: location.hostname,
      headers: { host: location.host },
      rejectUnauthorized: false,
    });
    followed.end();
    const [answer] = (await once(followed, 'response')) as [IncomingMessage];
    let body = '';
    for await (const chunk of answer) body += String(chunk);
    expect({ status: answer.statusCode, body }).toEqual({ status: 200, body: '"hi"' });
  });

  it('redirects WebSocket upgrades to the same place', async () => {
    const socket = connectTcp(behind.port, '127.0.0.1');
    socket.write(
      'GET /chat HTTP/1.1\r\nHost: a.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    let raw = '';
    for await (const chunk of socket) raw += String(chunk);
    expect(raw).toMatch(/^HTTP\/1\.1 308 /);
    expect(raw).toContain(`location: https://a.example:${publishedPort}/chat\r\n`);
  });
});
