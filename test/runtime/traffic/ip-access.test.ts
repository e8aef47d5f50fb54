/** IP allow and deny lists through a real gateway: HTTP requests, CORS preflights and WebSocket upgrades alike. */
import { request } from 'undici';
import WebSocket from 'ws';
import type { ApiConfig, GatewayConfig } from '../../../model';
import { api, gatewayConfig, http } from '../../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../../helpers/servers';
import { bundled, writeCode } from '../functions/harness';

let backend: Backend;
let hits = 0;
const running: RunningGateway[] = [];

beforeAll(async () => {
  backend = await startBackend((_req, res) => {
    hits++;
    res.end('backend');
  });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
});

afterAll(async () => {
  await backend.close();
});

async function serve(config: GatewayConfig): Promise<RunningGateway> {
  const g = await startGateway(config);
  running.push(g);
  return g;
}

async function call(base: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(base + path, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const to = (name: string, path: string, extra: Partial<ApiConfig> = {}): ApiConfig =>
  api(name, path, http(backend.origin), extra);

describe('IP allow and deny lists', () => {
  it('refuses a denied client with 403 IpDenied JSON before the backend, and admits an allowed one', async () => {
    const g = await serve(
      gatewayConfig([
        to('allowed', '=/allowed', { ipAccess: { allow: ['127.0.0.0/8'], deny: [] } }),
        to('denied', '=/denied', { ipAccess: { allow: [], deny: ['127.0.0.1'] } }),
        to('elsewhere', '=/elsewhere', { ipAccess: { allow: ['10.0.0.0/8', '2001:db8::/32'], deny: [] } }),
      ]),
    );
    expect(await call(g.base, '/allowed')).toMatchObject({ status: 200, text: 'backend' });
    const before = hits;
    for (const path of ['/denied', '/elsewhere']) {
      const r = await call(g.base, path);
      expect(r.status).toBe(403);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(JSON.parse(r.text)).toEqual({
        code: 'IpDenied',
        message: 'the client address may not call this API',
        requestId: r.headers['x-api-requestid'],
      });
    }
    expect(hits).toBe(before);
  });

  it('checks deny before allow: an address in both is refused', async () => {
    const g = await serve(
      gatewayConfig([to('both', '=/both', { ipAccess: { allow: ['127.0.0.0/8'], deny: ['127.0.0.1/32'] } })]),
    );
    expect((await call(g.base, '/both')).status).toBe(403);
  });

  it('applies the service default to APIs without their own lists; an API with empty lists opts out', async () => {
    const g = await serve(
      gatewayConfig(
        [
          to('inherits', '=/inherits'),
          to('own', '=/own', { ipAccess: { allow: ['127.0.0.1/32'], deny: [] } }),
          to('open', '=/open', { ipAccess: { allow: [], deny: [] } }),
        ],
        { apiDefaults: { ipAccess: { allow: ['192.0.2.0/24'], deny: [] } } },
      ),
    );
    expect((await call(g.base, '/inherits')).status).toBe(403);
    expect((await call(g.base, '/own')).status).toBe(200);
    expect((await call(g.base, '/open')).status).toBe(200);
  });

  it('matches IPv6 clients against IPv6 blocks, and IPv4 clients also by their IPv4-mapped address', async () => {
    const config = gatewayConfig([
      to('v6only', '=/v6only', { ipAccess: { allow: ['::1/128'], deny: [] } }),
      to('mapped', '=/mapped', { ipAccess: { allow: [], deny: ['::ffff:127.0.0.0/104'] } }),
    ]);
    config.service.listeners.http = { port: 0, host: '::1', redirectToHttps: false };
    const g6 = await serve(config);
    const base = `http://[::1]:${g6.port}`;
    expect((await call(base, '/v6only')).status).toBe(200);
    expect((await call(base, '/mapped')).status).toBe(200);
    const v4 = await serve(gatewayConfig(config.apis));
    expect((await call(v4.base, '/v6only')).status).toBe(403);
    expect((await call(v4.base, '/mapped')).status).toBe(403);
  });

  it('ignores X-Forwarded-For unless limits.trustForwardedHeaders: a client cannot claim another address', async () => {
    const apis = [to('internal', '=/internal', { ipAccess: { allow: ['10.0.0.0/8'], deny: [] } })];
    const g = await serve(gatewayConfig(apis));
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '10.1.2.3' })).status).toBe(403);
    expect((await call(g.base, '/internal', { 'x-real-ip': '10.1.2.3', forwarded: 'for=10.1.2.3' })).status).toBe(403);
  });

  it('with trustForwardedHeaders, uses the last X-Forwarded-For address (the trusted proxy appended it) and fails closed on junk', async () => {
    const base = gatewayConfig([
      to('internal', '=/internal', { ipAccess: { allow: ['10.0.0.0/8'], deny: ['10.66.0.0/16'] } }),
    ]);
    const g = await serve({
      ...base,
      service: { ...base.service, limits: { ...base.service.limits, trustForwardedHeaders: true } },
    });
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '10.1.2.3' })).status).toBe(200);
    // What the client wrote first is not what the proxy saw.
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '10.1.2.3, 203.0.113.9' })).status).toBe(403);
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '203.0.113.9, 10.66.1.1' })).status).toBe(403);
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '::ffff:10.1.2.3' })).status).toBe(200);
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '10.1.2.3, not-an-ip' })).status).toBe(403);
    expect((await call(g.base, '/internal', { 'x-forwarded-for': '' })).status).toBe(403);
    // Without the header the peer itself (127.0.0.1) is the client.
    expect((await call(g.base, '/internal')).status).toBe(403);
  });

  it('with trustForwardedHeaders, logs and hands functions the forwarded client, and appends the TCP peer for the backend', async () => {
    const seen: (string | string[] | undefined)[] = [];
    const echoFor = await startBackend((req, res) => {
      seen.push(req.headers['x-forwarded-for']);
      res.end('ok');
    });
    try {
      const code = writeCode({ 'fn/index.js': 'exports.main = async (event) => event.requestContext.sourceIp;' });
      const base = gatewayConfig([
        api('proxied', '=/proxied', http(echoFor.origin)),
        api('fn', '=/fn', { type: 'scf', function: bundled('fn', 'index.main'), responseIntegration: false }),
      ]);
      const trusting = {
        ...base,
        service: { ...base.service, limits: { ...base.service.limits, trustForwardedHeaders: true } },
      };
      const g = await startGateway(trusting, {}, code);
      running.push(g);
      const forwarded = { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' };
      expect((await call(g.base, '/proxied', forwarded)).status).toBe(200);
      expect(seen).toEqual(['198.51.100.7, 203.0.113.9, 127.0.0.1']);
      expect(JSON.parse((await call(g.base, '/fn', forwarded)).text)).toBe('203.0.113.9');
      expect(JSON.parse((await call(g.base, '/fn')).text)).toBe('127.0.0.1');
      await new Promise((r) => setTimeout(r, 100)); // the access log is flushed every 50 ms
      const clients = g.logs
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { api: string; clientIp: string }).clientIp);
      expect(clients).toEqual(['203.0.113.9', '203.0.113.9', '127.0.0.1']);

      // Without the trust, what a client claims changes nothing.
      const plain = await startGateway(base, {}, code);
      running.push(plain);
      expect(JSON.parse((await call(plain.base, '/fn', forwarded)).text)).toBe('127.0.0.1');
    } finally {
      await echoFor.close();
    }
  });

  it('refuses a denied WebSocket upgrade with 403 before any backend connection', async () => {
    let connections = 0;
    const wsBackend = await startBackend(() => undefined);
    wsBackend.server.on('upgrade', (_req, socket) => {
      connections++;
      socket.destroy();
    });
    try {
      const g = await serve(
        gatewayConfig([
          api(
            'chat',
            '=/chat',
            {
              type: 'websocket',
              origin: `ws://127.0.0.1:${wsBackend.port}`,
              path: '/',
              connectTimeoutMs: 1000,
              parameterMappings: [],
              constants: [],
              maxMessageBytes: 1024,
            },
            {
              frontend: { type: 'websocket', rawPath: '=/chat', match: 'exact', path: '/chat', method: 'GET' },
              ipAccess: { allow: [], deny: ['127.0.0.0/8'] },
            },
          ),
        ]),
      );
      const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${g.port}/chat`);
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('open', () => reject(new Error('opened')));
        ws.on('error', () => undefined);
      });
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'IpDenied' });
      expect(connections).toBe(0);
    } finally {
      await wsBackend.close();
    }
  });

  it('refuses a CORS preflight from a denied address too', async () => {
    const g = await serve(
      gatewayConfig([
        to('cors', '=/cors', {
          cors: { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false },
          ipAccess: { allow: [], deny: ['127.0.0.1'] },
        }),
      ]),
    );
    const res = await request(`${g.base}/cors`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'GET' },
    });
    const body = await res.body.json();
    expect(res.statusCode).toBe(403);
    expect(body).toMatchObject({ code: 'IpDenied' });
  });
});
