/**
 * Headers a client must not be able to set for a backend: forwarded claims,
 * the key id, the request id, forwarding headers from untrusted peers, names
 * with `_` that a backend may fold into `-`, and the credentials the gateway
 * verified. Checked on every path a request reaches a backend: the HTTP
 * backend, function events (HTTP and WebSocket) and the WebSocket backend leg.
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { SignJWT, importPKCS8 } from 'jose';
import WebSocket from 'ws';
import { DEFAULT_LIMITS, type ApiConfig, type AuthConfig } from '../../model';
import { signRequest } from '../../runtime/auth/sign';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { eventually, openSockets, send } from './raw';
import { fnTarget, startWsWorld, wsApi, type WsWorld } from './ws-world';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const SECRET = 'partner-secret';

const oauth = (extra: Record<string, unknown> = {}): AuthConfig => ({
  type: 'oauth2',
  verifier: {
    publicKeyPem,
    algorithms: ['RS256'],
    clockToleranceSec: 5,
    tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
    forwardClaims: [{ claim: 'sub', header: 'X-User-Id' }],
    ...extra,
  },
});

async function token(claims: Record<string, unknown>, exp: string | null = '5m'): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setIssuedAt();
  if (exp) jwt.setExpirationTime(exp);
  return jwt.sign(await importPKCS8(privatePem, 'RS256'));
}

let echo: Backend;
let seen: IncomingHttpHeaders = {};
let world: WsWorld;
let trusting: RunningGateway;
let socketsBefore: number;

beforeAll(async () => {
  echo = await startBackend((req, res) => {
    seen = req.headers;
    req.resume();
    // No keep-alive: every gateway connection to this backend is closed once answered, so socket counts settle.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2, connection: 'close' });
    res.end('ok');
  });
  const httpApis = (): ApiConfig[] => [
    api('open', '=/open', http(echo.origin)),
    api('claims', '=/claims', http(echo.origin), { auth: oauth() }),
    api('claimsFwd', '=/claims-fwd', http(echo.origin), { auth: oauth({ forwardToken: true }) }),
    api('noExp', '=/no-exp', http(echo.origin), { auth: oauth({ requireExp: false }) }),
    api('key', '=/key', http(echo.origin), { auth: { type: 'keyPair' } }),
    api('keyFwd', '=/key-fwd', http(echo.origin), { auth: { type: 'keyPair', forwardAuthorization: true } }),
    api('event', '=/event', { type: 'scf', function: fnTarget('echo'), responseIntegration: false }, { auth: oauth() }),
  ];
  const keys = {
    keyPairs: [{ secretId: 'partner', secretKey: { env: 'PARTNER_KEY' } }],
    usagePlans: [{ name: 'p', keyPairs: ['partner'] }],
  };
  world = await startWsWorld(
    (wsBackend) => [
      ...httpApis(),
      wsApi('wsClaims', '/ws-claims', wsBackend('/echo'), { auth: oauth() }),
      wsApi(
        'fnClaims',
        '/fn-claims',
        { type: 'websocketFunctions', transfer: fnTarget('transfer'), maxMessageBytes: 65536 },
        { auth: oauth() },
      ),
    ],
    keys,
    { PARTNER_KEY: SECRET },
  );
  trusting = await startGateway(
    gatewayConfig(httpApis().slice(0, 1), { limits: { ...DEFAULT_LIMITS, trustForwardedHeaders: true } }),
  );
  socketsBefore = openSockets();
});

afterAll(async () => {
  await world.close();
  await trusting.close();
  await echo.close();
});

afterEach(async () => {
  seen = {};
  expect((await send(world.gw.port, 'GET /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  await eventually(() => world.backendConnections() === 0, 'the WebSocket backend connections to close');
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
  );
});

const get = (port: number, path: string, lines: string[]) =>
  send(
    port,
    `GET ${path} HTTP/1.1\r\nHost: gw.example\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`,
  );

/** Opens a WebSocket with these headers, sends one message and returns the reply (the function event, for /fn*). */
async function wsRoundTrip(path: string, headers: Record<string, string>): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${world.gw.port}${path}`, { headers });
  await once(ws, 'open');
  ws.send('hi');
  const [reply] = (await once(ws, 'message')) as [Buffer];
  ws.close();
  await once(ws, 'close');
  return reply.toString();
}

const FORGED = ['X-User-Id: admin', 'X_User_Id: admin', 'X-Api-SecretId: partner', 'X-Api-RequestId: forged'];
const FORGED_OBJECT = {
  'X-User-Id': 'admin',
  X_User_Id: 'admin',
  'X-Api-SecretId': 'partner',
  'X-Api-RequestId': 'forged',
};

describe('forwarded claims and gateway-owned headers', () => {
  it('a token without sub plus a client X-User-Id / X_User_Id: the HTTP backend sees neither', async () => {
    const jwt = await token({});
    const r = await get(world.gw.port, '/claims', [`Authorization: Bearer ${jwt}`, ...FORGED]);
    expect(r.status).toBe(200);
    expect(seen['x-user-id']).toBeUndefined();
    expect(seen['x_user_id']).toBeUndefined();
    expect(seen['x-api-secretid']).toBeUndefined();
    expect(seen['x-api-requestid']).toBe(r.headers['x-api-requestid']);
  });

  it('a token with sub: the backend sees the verified value once, not the client’s beside it', async () => {
    const jwt = await token({ sub: 'user-7' });
    const r = await get(world.gw.port, '/claims', [`Authorization: Bearer ${jwt}`, ...FORGED]);
    expect(r.status).toBe(200);
    expect(seen['x-user-id']).toBe('user-7');
    expect(seen['x_user_id']).toBeUndefined();
  });

  it('function events (HTTP) carry the verified claims and identity, never the forged headers', async () => {
    const jwt = await token({ sub: 'user-7' });
    const r = await get(world.gw.port, '/event', [`Authorization: Bearer ${jwt}`, ...FORGED]);
    expect(r.status).toBe(200);
    const e = JSON.parse(r.body) as { headers: Record<string, string>; requestContext: { identity: object } };
    expect(e.headers['x-user-id']).toBe('user-7');
    expect(e.headers['x_user_id']).toBeUndefined();
    expect(e.headers['x-api-secretid']).toBeUndefined();
    expect(e.headers.authorization).toBeUndefined();
    expect(e.headers['x-api-requestid']).toBe(r.headers['x-api-requestid']);
    expect(e.requestContext.identity).toEqual({ sub: 'user-7' });
  });

  it('WebSocket function events carry the verified claims and identity, never the forged headers', async () => {
    const jwt = await token({ sub: 'user-7' });
    const reply = await wsRoundTrip('/fn-claims', { authorization: `Bearer ${jwt}`, ...FORGED_OBJECT });
    const e = JSON.parse(reply) as {
      headers: Record<string, string>;
      requestContext: { identity: object; websocketEvent: string };
    };
    expect(e.requestContext).toMatchObject({ identity: { sub: 'user-7' }, websocketEvent: 'message' });
    expect(e.headers['x-user-id']).toBe('user-7');
    expect(e.headers['x_user_id']).toBeUndefined();
    expect(e.headers['x-api-secretid']).toBeUndefined();
    expect(e.headers['x-api-requestid']).not.toBe('forged');
    expect(e.headers.authorization).toBeUndefined();
  });

  it('the WebSocket backend leg gets the verified claims, never the forged headers', async () => {
    const jwt = await token({});
    expect(await wsRoundTrip('/ws-claims', { authorization: `Bearer ${jwt}`, ...FORGED_OBJECT })).toBe('hi');
    const h = world.upgradeHeaders.at(-1) as IncomingHttpHeaders;
    expect(h['x-user-id']).toBeUndefined();
    expect(h['x_user_id']).toBeUndefined();
    expect(h['x-api-secretid']).toBeUndefined();
    expect(h['x-api-requestid']).not.toBe('forged');
    expect(h.authorization).toBeUndefined();
  });
});

describe('header names with underscores', () => {
  it('are dropped before the backend by default', async () => {
    const r = await get(world.gw.port, '/open', ['X_Custom: 1', 'X-Custom: 2']);
    expect(r.status).toBe(200);
    expect(seen['x_custom']).toBeUndefined();
    expect(seen['x-custom']).toBe('2');
  });

  it('are read where the API declares them (a header parameter, mapped), and still not forwarded as sent', async () => {
    const declared = await startGateway(
      gatewayConfig([
        api(
          'tenant',
          '=/tenant',
          http(echo.origin, '/', {
            parameterMappings: [{ from: { in: 'header', name: 'X_Tenant' }, to: { in: 'header', name: 'x-tenant' } }],
          }),
          { parameters: [{ name: 'X_Tenant', in: 'header', type: 'string', required: true }] },
        ),
      ]),
    );
    try {
      expect((await get(declared.port, '/tenant', ['X_Tenant: acme'])).status).toBe(200);
      expect(seen['x-tenant']).toBe('acme');
      expect(seen['x_tenant']).toBeUndefined();
      expect((await get(declared.port, '/tenant', [])).status).toBe(400);
    } finally {
      await declared.close();
    }
  });

  it('are refused with 400 when limits.headersWithUnderscores is reject', async () => {
    const strict = await startGateway(
      gatewayConfig([api('open', '=/open', http(echo.origin))], {
        limits: { ...DEFAULT_LIMITS, headersWithUnderscores: 'reject' },
      }),
    );
    try {
      const r = await get(strict.port, '/open', ['X_Custom: 1']);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'BadRequest' });
      expect(JSON.parse(r.body).message).toContain('X_Custom');
      expect((await get(strict.port, '/open', ['X-Custom: 1'])).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('X-Real-IP and Forwarded', () => {
  const spoof = ['X-Real-IP: 6.6.6.6', 'Forwarded: for=6.6.6.6;proto=https'];

  it('from an untrusted peer never reach the backend', async () => {
    expect((await get(world.gw.port, '/open', spoof)).status).toBe(200);
    expect(seen['x-real-ip']).toBeUndefined();
    expect(seen.forwarded).toBeUndefined();
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('are kept with limits.trustForwardedHeaders', async () => {
    expect((await get(trusting.port, '/open', spoof)).status).toBe(200);
    expect(seen['x-real-ip']).toBe('6.6.6.6');
    expect(seen.forwarded).toBe('for=6.6.6.6;proto=https');
  });
});

describe('credentials the gateway verified', () => {
  const signed = () => signRequest({ secretId: 'partner', secretKey: SECRET });
  const lines = (h: Record<string, string>) => Object.entries(h).map(([k, v]) => `${k}: ${v}`);

  it('key-pair APIs do not forward Authorization by default; the backend gets the key id', async () => {
    expect((await get(world.gw.port, '/key', lines(signed()))).status).toBe(200);
    expect(seen.authorization).toBeUndefined();
    expect(seen['x-api-secretid']).toBe('partner');
  });

  it('key-pair APIs with forwardAuthorization forward it', async () => {
    const h = signed();
    expect((await get(world.gw.port, '/key-fwd', lines(h))).status).toBe(200);
    expect(seen.authorization).toBe(h.authorization);
  });

  it('OAuth 2.0 APIs do not forward the bearer token by default, and do with forwardToken', async () => {
    const jwt = await token({ sub: 'u' });
    expect((await get(world.gw.port, '/claims', [`Authorization: Bearer ${jwt}`])).status).toBe(200);
    expect(seen.authorization).toBeUndefined();
    expect((await get(world.gw.port, '/claims-fwd', [`Authorization: Bearer ${jwt}`])).status).toBe(200);
    expect(seen.authorization).toBe(`Bearer ${jwt}`);
  });
});

describe('OAuth 2.0 tokens without exp', () => {
  it('are refused by default (they would be valid forever)', async () => {
    const r = await get(world.gw.port, '/claims', [`Authorization: Bearer ${await token({ sub: 'u' }, null)}`]);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'Unauthorized', message: 'the access token has no "exp" claim' });
  });

  it('are accepted where the API opts out with requireExp: false', async () => {
    const r = await get(world.gw.port, '/no-exp', [`Authorization: Bearer ${await token({ sub: 'u' }, null)}`]);
    expect(r.status).toBe(200);
  });
});
