/** A real gateway on 127.0.0.1 in front of real backends. */
import { request } from 'undici';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { echo, startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';

let backend: Backend;
let slow: Backend;
let gw: RunningGateway;

beforeAll(async () => {
  backend = await startBackend(echo);
  slow = await startBackend((req, res) => {
    if (req.url?.startsWith('/stall-body')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      return; // never ends
    }
    setTimeout(() => echo(req, res), 1000);
  });
  gw = await startGateway(
    gatewayConfig([
      api('hello', '=/hello', mock('{"hi":true}'), {
        cors: { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false },
      }),
      api(
        'pet',
        '/pets/{id}',
        http(backend.origin, '/v1/pets/{id}', {
          constants: [{ in: 'header', name: 'x-const', value: 'c' }],
          parameterMappings: [{ from: { in: 'query', name: 'q' }, to: { in: 'header', name: 'x-q' } }],
        }),
        {
          parameters: [
            { name: 'id', in: 'path', type: 'int', required: true },
            { name: 'q', in: 'query', type: 'string', required: false },
            { name: 'limit', in: 'query', type: 'int', required: false, default: '10' },
            { name: 'x-tenant', in: 'header', type: 'string', required: true },
          ],
        },
      ),
      api('upload', '=/upload', http(backend.origin, '/in', { method: 'PUT' }), {
        frontend: { type: 'http', rawPath: '=/upload', match: 'exact', path: '/upload', method: 'POST' },
      }),
      api('static', '^~/static/', http(backend.origin, '/files/')),
      api('search', '=/search', http(backend.origin, '/s'), {
        parameters: [
          { name: 'page', in: 'query', type: 'int', required: false, default: '1' },
          { name: 'sort', in: 'query', type: 'string', required: false, default: 'a b' },
        ],
      }),
      api('slow', '=/slow', http(slow.origin, '/', { timeoutMs: 200 })),
      api('stall', '=/stall', http(slow.origin, '/stall-body', { timeoutMs: 300 })),
      api('down', '=/down', http('http://127.0.0.1:1', '/')),
      api('browser', '=/browser', mock('{}'), {
        cors: {
          allowOrigins: ['https://app.example'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['x-a'],
          exposeHeaders: ['x-api-requestid'],
          allowCredentials: true,
          maxAgeSeconds: 60,
        },
      }),
    ]),
  );
});

afterAll(async () => {
  await gw.close();
  await backend.close();
  await slow.close();
});

async function get(path: string, opts: Parameters<typeof request>[1] = {}) {
  const res = await request(gw.base + path, opts);
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text) as Record<string, unknown>,
  };
}

describe('HTTP pipeline', () => {
  it('answers a mock API with its body, a request id and CORS', async () => {
    const r = await get('/hello');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ hi: true });
    expect(r.headers['x-api-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers['access-control-allow-origin']).toBe('*');
  });

  it('maps path, query and header parameters, applies defaults and constants, and sets forwarding headers', async () => {
    const r = await get('/pets/7?q=find&keep=1', { headers: { 'x-tenant': 'acme', 'x-forwarded-for': '6.6.6.6' } });
    expect(r.status).toBe(200);
    const seen = r.json() as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/v1/pets/7?keep=1&limit=10');
    expect(seen.headers['x-q']).toBe('find');
    expect(seen.headers['x-const']).toBe('c');
    expect(seen.headers['x-tenant']).toBe('acme');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-api-requestid']).toBe(r.headers['x-api-requestid']);
  });

  it.each([
    ['/search', '/s?page=1&sort=a+b'],
    ['/search?x=%20y', '/s?x=%20y&page=1&sort=a+b'],
    ['/search?page=3', '/s?page=3&sort=a+b'],
    // Present but empty: the default replaces the empty value.
    ['/search?page=&x=1', '/s?page=1&x=1&sort=a+b'],
  ])('sends query defaults to the backend: %s → %s', async (path, backendUrl) => {
    expect((await get(path)).json()).toMatchObject({ url: backendUrl });
  });

  it('removes headers named in Connection before forwarding', async () => {
    const req = httpRequest(`${gw.base}/static/x`, {
      headers: { connection: 'keep-alive, x-drop', 'x-drop': 'gone', 'keep-alive': 'timeout=5', 'x-keep': 'kept' },
    });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const seen = JSON.parse(Buffer.concat(chunks).toString()) as { headers: Record<string, string> };
    expect(seen.headers['x-drop']).toBeUndefined();
    expect(seen.headers['x-keep']).toBe('kept');
  });

  it('refuses bad parameters with 400 naming the parameter', async () => {
    const bad = await get('/pets/abc', { headers: { 'x-tenant': 'a' } });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'InvalidParameter', message: 'path parameter "id" must be an int' });
    const missing = await get('/pets/1');
    expect(missing.json()).toMatchObject({ message: 'header "x-tenant" is required' });
  });

  it('streams request bodies and changes the method', async () => {
    const body = 'x'.repeat(200_000);
    // node:http, because undici refuses to send Expect (curl sends it for uploads).
    const req = httpRequest(`${gw.base}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', expect: '100-continue', 'content-length': body.length },
    });
    req.on('continue', () => req.end(body));
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toMatchObject({ method: 'PUT', url: '/in', body });
  });

  it('appends the rest of the path for prefix routes', async () => {
    const r = await get('/static/css/site.css');
    expect(r.json()).toMatchObject({ url: '/files/css/site.css' });
  });

  it('answers 404 and 405 with Allow', async () => {
    const nf = await get('/nope');
    expect(nf.status).toBe(404);
    expect(nf.json()).toMatchObject({ code: 'RouteNotFound' });
    const na = await get('/hello', { method: 'DELETE' });
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe('GET, HEAD');
  });

  it('serves HEAD without a body', async () => {
    const r = await get('/hello', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('answers 504 when the backend is slower than the timeout', async () => {
    const r = await get('/slow');
    expect(r.status).toBe(504);
    expect(r.json()).toMatchObject({ code: 'GatewayTimeout' });
  });

  it('cuts a response whose body stalls past the timeout', async () => {
    const res = await request(gw.base + '/stall');
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
  });

  it('answers 502 when the backend refuses connections', async () => {
    const r = await get('/down');
    expect(r.status).toBe(502);
    expect(r.json()).toMatchObject({ code: 'BadGateway' });
  });

  it('answers CORS preflights with the configured policy', async () => {
    const ok = await get('/browser', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(ok.headers['access-control-allow-credentials']).toBe('true');
    expect(ok.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(ok.headers['access-control-max-age']).toBe('60');
    const denied = await get('/browser', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(denied.status).toBe(403);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers the health path and logs every request as JSON', async () => {
    const r = await get('/__apigw/health');
    expect(r.json()).toEqual({ status: 'ok' });
    await new Promise((r2) => setImmediate(r2));
    const lines = gw.logs
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.api === 'hello' && l.status === 200)).toBe(true);
  });

  it('answers a malformed request with 400 JSON instead of forwarding it', async () => {
    const socket = connect(gw.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'close');
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^HTTP\/1.1 400/);
    expect(text).toContain('"code":"BadRequest"');
  });
});

describe('reload', () => {
  it('swaps in a valid config and refuses a bad one, keeping the old config serving', async () => {
    const g = await startGateway(gatewayConfig([api('one', '=/one', mock('"one"'))]));
    try {
      const file = join(g.dir, 'gateway.json');
      writeFileSync(file, JSON.stringify(gatewayConfig([api('two', '=/two', mock('"two"'))])));
      expect(await g.gateway.reload()).toBe(true);
      expect((await request(`${g.base}/two`)).statusCode).toBe(200);
      writeFileSync(file, '{"version": 1, "apis": "nope"}');
      expect(await g.gateway.reload()).toBe(false);
      const still = await request(`${g.base}/two`);
      expect(await still.body.text()).toBe('"two"');
      expect(g.gateway.metrics.reloadFailures).toBe(1);
    } finally {
      await g.close();
    }
  });
});
