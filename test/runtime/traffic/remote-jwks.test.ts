/**
 * OAuth 2.0 with a JWKS URL through a real gateway and a real JWKS server on
 * 127.0.0.1 that rotates its keys, fails, stalls and goes away: keys are
 * fetched once and cached, a new `kid` is fetched after the cooldown, and an
 * endpoint that cannot deliver fails closed with 503 and a log line.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { request } from 'undici';
import type { ApiConfig } from '../../../model';
import { api, gatewayConfig, mock } from '../../helpers/config';
import { startGateway, type RunningGateway } from '../../helpers/servers';

interface Key {
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly jwk: Record<string, unknown>;
}

async function newKey(kid: string): Promise<Key> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

type Mode = 'serve' | 'error' | 'stall' | 'huge' | 'not-json';

/** One JWKS document per path, each with its own keys, mode and fetch count. */
class JwksServer {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  readonly sets = new Map<string, { keys: Key[]; mode: Mode; fetches: number }>();
  port = 0;

  constructor() {
    this.server = createServer((req, res) => this.answer(req.url ?? '/', res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  set(path: string, keys: Key[], mode: Mode = 'serve'): void {
    const prior = this.sets.get(path);
    this.sets.set(path, { keys, mode, fetches: prior?.fetches ?? 0 });
  }

  fetches(path: string): number {
    return this.sets.get(path)?.fetches ?? 0;
  }

  private answer(path: string, res: ServerResponse): void {
    const set = this.sets.get(path);
    if (!set) return void res.writeHead(404).end();
    set.fetches++;
    switch (set.mode) {
      case 'serve':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ keys: set.keys.map((k) => k.jwk) }));
      case 'error':
        return void res.writeHead(500).end('down for maintenance');
      case 'not-json':
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>');
      case 'stall':
        // The head, then nothing: jose's own timeout ends at the head.
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.write('{"keys":[');
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[],"pad":"');
        const chunk = 'x'.repeat(64 * 1024);
        const more = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', more);
        };
        return more();
      }
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const jwks = new JwksServer();
let g: RunningGateway;
let k1: Key;
let k2: Key;
let stranger: Key;
const paths = ['rotate', 'down', 'stall', 'huge', 'notjson', 'gone', 'flood'] as const;

function oauthApi(name: string, url: string): ApiConfig {
  return api(name, `=/${name}`, mock('"ok"'), {
    auth: {
      type: 'oauth2',
      verifier: {
        remoteJwks: { url, timeoutMs: 300, cooldownMs: 1000, cacheMaxAgeMs: 1000 },
        algorithms: ['RS256'],
        issuer: 'https://login.example',
        clockToleranceSec: 0,
        tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
        forwardClaims: [],
      },
    },
  });
}

const token = (key: Key, kid = key.kid): Promise<string> =>
  new SignJWT({ sub: 'user-1' })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer('https://login.example')
    .setExpirationTime('5m')
    .sign(key.privateKey);

async function call(path: string, bearer: string) {
  const res = await request(`${g.base}/${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: JSON.parse(text) as { code?: string; message?: string },
  };
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Longer than the APIs' cooldown, cache age and backoff (1 s each). */
const PAST_COOLDOWN_MS = 1100;

beforeAll(async () => {
  [k1, k2, stranger] = await Promise.all([newKey('k1'), newKey('k2'), newKey('stranger')]);
  await jwks.start();
  for (const p of paths) jwks.set(`/${p}`, [k1]);
  // The refused endpoint: a port that was free and is closed again.
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  g = await startGateway(
    gatewayConfig([
      ...paths.map((p) => oauthApi(p, `http://127.0.0.1:${jwks.port}/${p}`)),
      oauthApi('refused', `http://127.0.0.1:${closedPort}/jwks.json`),
    ]),
  );
});

afterAll(async () => {
  await g.close();
  await jwks.close();
});

describe('OAuth 2.0 with a JWKS URL', () => {
  it('fetches the keys once for concurrent requests and verifies tokens with them', async () => {
    const t = await token(k1);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('rotate', t)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(jwks.fetches('/rotate')).toBe(1);
  });

  it('picks up a rotated key without a redeploy: a new kid is fetched once the cooldown has passed', async () => {
    await call('rotate', await token(k1));
    jwks.set('/rotate', [k2]);
    await wait(PAST_COOLDOWN_MS);
    expect((await call('rotate', await token(k2))).status).toBe(200);
    // The retired key is gone from the cached set: its tokens are refused.
    const old = await call('rotate', await token(k1));
    expect(old.status).toBe(401);
    expect(old.body).toMatchObject({ code: 'Unauthorized', message: 'no known key signed the access token' });
  });

  it('does not let tokens with made-up kids make it fetch more than once per cooldown', async () => {
    await call('flood', await token(k1));
    await wait(PAST_COOLDOWN_MS);
    const before = jwks.fetches('/flood');
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await call('flood', await token(stranger, `made-up-${i}`)));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(jwks.fetches('/flood') - before).toBeLessThanOrEqual(1);
  });

  it('fails closed with 503 AuthUnavailable, Retry-After and one log line when the endpoint fails; recovers when it is back', async () => {
    const seen = g.events.length;
    const t = await token(k1);
    expect((await call('down', t)).status).toBe(200);
    jwks.set('/down', [k1], 'error');
    // Keys younger than cacheMaxAge keep serving through the outage.
    expect((await call('down', t)).status).toBe(200);
    await wait(PAST_COOLDOWN_MS);
    const refused = await call('down', t);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({
      code: 'AuthUnavailable',
      message: "the identity provider's signing keys cannot be fetched; retry later",
    });
    // Right after a failure the endpoint is not asked again for every request.
    const fetched = jwks.fetches('/down');
    expect((await call('down', t)).status).toBe(503);
    expect(jwks.fetches('/down')).toBe(fetched);
    const lines = g.events.slice(seen).filter((e) => e.event === 'jwks_fetch_failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      event: 'jwks_fetch_failed',
      api: 'down',
      error: 'Expected 200 OK from the JSON Web Key Set HTTP response',
    });
    jwks.set('/down', [k1], 'serve');
    await wait(PAST_COOLDOWN_MS);
    expect((await call('down', t)).status).toBe(200);
  });

  it.each([
    ['stalls after its head', 'stall'],
    ['sends an endless body', 'huge'],
    ['answers something that is not a JWKS', 'notjson'],
  ] as const)('refuses with 503 instead of hanging when the endpoint %s, and keeps serving', async (_name, path) => {
    jwks.set(`/${path}`, [k1], path === 'notjson' ? 'not-json' : path);
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // Without the gateway's own bounds a stalled or endless body held the shared fetch (and this request) forever.
      const r = await call(path, await token(k1));
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('AuthUnavailable');
    } finally {
      spy.mockRestore();
    }
    expect((await request(`${g.base}/__apigw/health`)).statusCode).toBe(200);
  });

  it('fails closed once the identity provider goes down for good and its cached keys age out', async () => {
    const idp = new JwksServer();
    await idp.start();
    idp.set('/jwks.json', [k1]);
    const config = gatewayConfig([oauthApi('idp', `http://127.0.0.1:${idp.port}/jwks.json`)]);
    const own = await startGateway(config);
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const t = await token(k1);
      const ask = async (): Promise<number> => {
        const res = await request(`${own.base}/idp`, { headers: { authorization: `Bearer ${t}` } });
        await res.body.text();
        return res.statusCode;
      };
      expect(await ask()).toBe(200);
      await idp.close();
      expect(await ask()).toBe(200); // cached keys still fresh
      await wait(PAST_COOLDOWN_MS);
      expect(await ask()).toBe(503);
      expect((await request(`${own.base}/__apigw/health`)).statusCode).toBe(200);
    } finally {
      spy.mockRestore();
      await own.close();
    }
  });

  it('refuses with 503 when the endpoint refuses connections', async () => {
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await call('refused', await token(k1));
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('AuthUnavailable');
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps the fetched keys across a reload, so a config change during an outage does not lock everyone out', async () => {
    const t = await token(k1);
    jwks.set('/gone', [k1]);
    await wait(PAST_COOLDOWN_MS);
    expect((await call('gone', t)).status).toBe(200);
    jwks.set('/gone', [k1], 'error');
    expect(await g.gateway.reload()).toBe(true);
    expect((await call('gone', t)).status).toBe(200);
    jwks.set('/gone', [k1]);
  });

  it('still refuses a bad token with 401 while the keys are available', async () => {
    await wait(PAST_COOLDOWN_MS);
    jwks.set('/gone', [k1]);
    expect((await call('gone', 'not-a-jwt')).status).toBe(401);
    expect((await call('gone', await token(stranger, 'k1'))).body.message).toBe(
      'the access token signature is invalid',
    );
  });
});
