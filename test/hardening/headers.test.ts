/**
 * Header handling at the trust boundary: hop-by-hop headers in both
 * directions, client-supplied X-Forwarded-* under both trust settings, and
 * request ids a client cannot forge.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_LIMITS } from '../../model';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { send } from './raw';

let backend: Backend;
let untrusting: RunningGateway;
let trusting: RunningGateway;
let lastSeen: IncomingHttpHeaders = {};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    lastSeen = req.headers;
    // A backend that sends hop-by-hop headers and names a private one in Connection.
    res.writeHead(200, {
      'content-type': 'text/plain',
      connection: 'keep-alive, x-backend-private',
      'x-backend-private': 'secret',
      'keep-alive': 'timeout=5',
      'proxy-authenticate': 'Basic',
      upgrade: 'h2c',
      'x-backend-public': 'ok',
      'content-length': 2,
    });
    res.end('ok');
  });
  const apis = [api('h', '=/h', http(backend.origin, '/h'))];
  untrusting = await startGateway(gatewayConfig(apis));
  trusting = await startGateway(gatewayConfig(apis, { limits: { ...DEFAULT_LIMITS, trustForwardedHeaders: true } }));
});

afterAll(async () => {
  await untrusting.close();
  await trusting.close();
  await backend.close();
});

afterEach(async () => {
  for (const gw of [untrusting, trusting]) {
    expect((await send(gw.port, 'GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  }
});

const request = (gw: RunningGateway, headers: string) =>
  send(gw.port, `GET /h HTTP/1.1\r\nHost: gw.example\r\n${headers}Connection: close\r\n\r\n`);

describe('client headers named like object properties', () => {
  it('forwards a header named constructor (it used to be taken for one the gateway sets, and dropped)', async () => {
    const r = await request(untrusting, 'Constructor: yes\r\nToString: too\r\n');
    expect(r.status).toBe(200);
    expect(lastSeen.constructor).toBe('yes');
    expect(lastSeen.tostring).toBe('too');
  });
});

describe('hop-by-hop headers', () => {
  it('drops hop-by-hop and Connection-listed request headers before the backend', async () => {
    const r = await send(
      untrusting.port,
      'GET /h HTTP/1.1\r\nHost: gw.example\r\nConnection: close, X-Client-Private\r\n' +
        'X-Client-Private: 1\r\nKeep-Alive: timeout=1\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n' +
        'Proxy-Authorization: Basic abc\r\nUpgrade: h2c\r\nX-Client-Public: yes\r\n\r\n',
    );
    expect(r.status).toBe(200);
    for (const h of ['x-client-private', 'keep-alive', 'proxy-connection', 'te', 'proxy-authorization', 'upgrade']) {
      expect(lastSeen[h]).toBeUndefined();
    }
    expect(lastSeen['x-client-public']).toBe('yes');
  });

  it('drops hop-by-hop and Connection-listed response headers before the client', async () => {
    const r = await request(untrusting, '');
    expect(r.status).toBe(200);
    for (const h of ['x-backend-private', 'keep-alive', 'proxy-authenticate', 'upgrade']) {
      expect(r.headers[h]).toBeUndefined();
    }
    expect(r.headers['x-backend-public']).toBe('ok');
    expect(r.body).toBe('ok');
  });
});

describe('X-Forwarded-* trust', () => {
  const spoof = 'X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n';

  it('by default replaces client-supplied X-Forwarded-* with what the gateway saw', async () => {
    await request(untrusting, spoof);
    expect(lastSeen['x-forwarded-for']).toBe('127.0.0.1');
    expect(lastSeen['x-forwarded-proto']).toBe('http');
    expect(lastSeen['x-forwarded-host']).toBe('gw.example');
  });

  it('with trustForwardedHeaders appends the peer to X-Forwarded-For and keeps proto and host', async () => {
    await request(trusting, spoof);
    expect(lastSeen['x-forwarded-for']).toBe('6.6.6.6, 127.0.0.1');
    expect(lastSeen['x-forwarded-proto']).toBe('https');
    expect(lastSeen['x-forwarded-host']).toBe('evil.example');
  });
});

describe('request ids', () => {
  it('ignores a client-supplied x-api-requestid: the backend, the client and the log see the gateway’s', async () => {
    const before = untrusting.logs.length;
    const r = await request(untrusting, 'X-Api-RequestId: forged-id\r\n');
    const id = r.headers['x-api-requestid'] as string;
    expect(id).toMatch(UUID);
    expect(lastSeen['x-api-requestid']).toBe(id);
    await new Promise((res) => setTimeout(res, 50));
    const lines = untrusting.logs
      .slice(before)
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { requestId: string });
    expect(lines.map((l) => l.requestId)).toContain(id);
    expect(untrusting.logs.join('')).not.toContain('forged-id');
  });

  it('keeps each access-log entry one JSON line whatever the path holds', async () => {
    const before = untrusting.logs.length;
    await send(
      untrusting.port,
      'GET /h%0d%0a%7B%22requestId%22:%22x%22%7D HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    await new Promise((res) => setTimeout(res, 50));
    const lines = untrusting.logs.slice(before).join('').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect((JSON.parse(line) as { requestId: string }).requestId).toMatch(UUID);
  });
});
