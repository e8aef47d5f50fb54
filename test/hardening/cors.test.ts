/**
 * CORS on APIs that turn it on: the gateway's own errors must be readable by
 * an allowed origin, every answer that depends on Origin says so, a backend
 * cannot widen the policy, and a policy that would hand any site the user's
 * cookies is refused before it serves.
 */
import { generateKeyPairSync } from 'node:crypto';
import { Cors } from '../../lib';
import { checkConfigRules, type ApiConfig, type CorsConfig } from '../../model';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { eventually, openSockets, send } from './raw';

const ALLOWED = 'https://app.example';
const cors = (extra: Partial<CorsConfig> = {}): CorsConfig => ({
  allowOrigins: [ALLOWED],
  allowMethods: [],
  allowHeaders: [],
  exposeHeaders: ['x-api-requestid'],
  allowCredentials: true,
  ...extra,
});
const publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();

let wide: Backend;
let silent: Backend;
let gw: RunningGateway;
let socketsBefore: number;

beforeAll(async () => {
  // A backend that would let every site in, cookies included.
  wide = await startBackend((req, res) => {
    req.resume();
    res.writeHead(200, {
      'access-control-allow-origin': '*',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-secret',
      vary: 'Accept-Encoding',
      'content-length': 2,
      connection: 'close',
    });
    res.end('ok');
  });
  // A backend that never answers.
  silent = await startBackend(() => undefined);
  const apis: ApiConfig[] = [
    api('wide', '=/wide', http(wide.origin), { cors: cors() }),
    api('down', '=/down', http('http://127.0.0.1:1'), { cors: cors() }),
    api('slow', '=/slow', http(silent.origin, '/', { timeoutMs: 200 }), { cors: cors() }),
    api('guarded', '=/guarded', http(wide.origin), {
      cors: cors(),
      auth: {
        type: 'oauth2',
        verifier: {
          publicKeyPem,
          algorithms: ['RS256'],
          clockToleranceSec: 0,
          tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
          forwardClaims: [],
        },
      },
    }),
    api('any', '=/any', http(wide.origin), { cors: cors({ allowOrigins: ['*'], allowCredentials: false }) }),
  ];
  gw = await startGateway(gatewayConfig(apis));
  socketsBefore = openSockets();
});

afterAll(async () => {
  await gw.close();
  await wide.close();
  await silent.close();
});

afterEach(async () => {
  expect((await get('/wide', ALLOWED)).status).toBe(200);
  silent.server.closeAllConnections();
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
  );
});

function get(path: string, origin?: string, method = 'GET', more = '') {
  return send(
    gw.port,
    `${method} ${path} HTTP/1.1\r\nHost: gw.example\r\n${origin ? `Origin: ${origin}\r\n` : ''}${more}Connection: close\r\n\r\n`,
  );
}

describe('the gateway’s own errors on CORS APIs', () => {
  it.each([
    ['502 BadGateway', '/down', 502],
    ['504 GatewayTimeout', '/slow', 504],
    ['401 Unauthorized', '/guarded', 401],
  ])('%s carries Access-Control-Allow-Origin for an allowed origin', async (_name, path, status) => {
    const r = await get(path, ALLOWED);
    expect(r.status).toBe(status);
    expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(r.headers['access-control-allow-credentials']).toBe('true');
    expect(r.headers.vary).toBe('Origin');
    expect(JSON.parse(r.body)).toHaveProperty('requestId', r.headers['x-api-requestid']);
  });

  it.each([
    ['a disallowed origin', 'https://evil.example'],
    ['no origin', undefined],
  ])('answers for %s carry Vary: Origin and no Access-Control-Allow-Origin', async (_name, origin) => {
    for (const path of ['/down', '/wide', '/guarded']) {
      const r = await get(path, origin);
      expect(r.headers.vary).toContain('Origin');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});

describe('the backend’s CORS headers', () => {
  it('never reach a disallowed origin (the gateway owns Access-Control-* on CORS APIs)', async () => {
    const r = await get('/wide', 'https://evil.example');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
    for (const h of [
      'access-control-allow-origin',
      'access-control-allow-credentials',
      'access-control-expose-headers',
    ])
      expect(r.headers[h]).toBeUndefined();
    expect(r.headers.vary).toBe('Accept-Encoding, Origin');
  });

  it('are replaced by the gateway’s for an allowed origin, with the backend’s Vary kept', async () => {
    const r = await get('/wide', ALLOWED);
    expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(r.headers['access-control-expose-headers']).toBe('x-api-requestid');
    expect(r.headers.vary).toBe('Accept-Encoding, Origin');
  });

  it('with allowOrigins * the answer does not depend on Origin: * for everyone, no credentials', async () => {
    const r = await get('/any', 'https://evil.example');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('preflights', () => {
  it('a refused preflight gets 403 Forbidden with the JSON body and Vary: Origin', async () => {
    const r = await get('/wide', 'https://evil.example', 'OPTIONS', 'Access-Control-Request-Method: GET\r\n');
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'Forbidden', requestId: r.headers['x-api-requestid'] });
    expect(r.headers.vary).toBe('Origin');
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an allowed preflight is 204', async () => {
    const r = await get('/wide', ALLOWED, 'OPTIONS', 'Access-Control-Request-Method: GET\r\n');
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(ALLOWED);
  });
});

describe('allowOrigins * with allowCredentials', () => {
  const anyWithCredentials = cors({ allowOrigins: ['*'], allowCredentials: true });

  it('is refused at synth by Cors.custom', () => {
    expect(() => Cors.custom({ allowOrigins: ['*'], allowCredentials: true })).toThrow(
      'allowCredentials cannot be combined with allowOrigins ["*"]',
    );
  });

  it('is refused by the model rules (synth and load)', () => {
    const issues = checkConfigRules(gatewayConfig([api('x', '=/x', http(wide.origin), { cors: anyWithCredentials })]));
    expect(issues).toEqual([{ field: '/apis/0/cors', message: expect.stringContaining('allowCredentials') }]);
  });

  it('is refused when the gateway loads the config', async () => {
    await expect(
      startGateway(gatewayConfig([api('x', '=/x', http(wide.origin), { cors: anyWithCredentials })])),
    ).rejects.toThrow('/apis/0/cors');
  });
});
