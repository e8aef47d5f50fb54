/** Key-pair and OAuth 2.0 authentication through a real gateway. */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK, importPKCS8 } from 'jose';
import { request } from 'undici';
import { signRequest } from '../../../runtime/auth/sign';
import { sign } from '../../../runtime/auth/signature';
import { Gateway } from '../../../runtime/gateway';
import { api, gatewayConfig, http } from '../../helpers/config';
import { echo, startBackend, startGateway, type Backend, type RunningGateway } from '../../helpers/servers';

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let backend: Backend;
let gw: RunningGateway;
const env = { KEY_A: 'secret-a', KEY_B: 'secret-b' };

beforeAll(async () => {
  backend = await startBackend(echo);
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  const verifier = {
    algorithms: ['RS256' as const],
    issuer: 'https://issuer.example',
    audience: ['gateway'],
    clockToleranceSec: 0,
    tokenLocation: { from: 'header' as const, name: 'authorization', scheme: 'Bearer' },
    forwardClaims: [{ claim: 'sub', header: 'x-user' }],
  };
  gw = await startGateway(
    gatewayConfig(
      [
        api('signed', '=/signed', http(backend.origin, '/'), { auth: { type: 'keyPair' } }),
        api('limited', '=/limited', http(backend.origin, '/'), { auth: { type: 'keyPair' } }),
        api('jwt', '=/jwt', http(backend.origin, '/'), {
          auth: { type: 'oauth2', verifier: { ...verifier, publicKeyPem: publicPem } },
        }),
        api('jwks', '=/jwks', http(backend.origin, '/'), {
          auth: {
            type: 'oauth2',
            verifier: {
              ...verifier,
              jwks: JSON.stringify({ keys: [jwk] }),
              tokenLocation: { from: 'query', name: 'access_token' },
            },
          },
        }),
      ],
      {
        keyPairs: [
          { secretId: 'A', secretKey: { env: 'KEY_A' } },
          { secretId: 'B', secretKey: { env: 'KEY_B' } },
        ],
        usagePlans: [
          { name: 'all', keyPairs: ['A'], apis: ['signed'] },
          { name: 'tight', keyPairs: ['A'], apis: ['limited'], rateLimitPerSecond: 2, quota: 3 },
          { name: 'b', keyPairs: ['B'], apis: ['limited'] },
        ],
      },
    ),
    env,
  );
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

async function call(path: string, headers: Record<string, string> = {}) {
  const res = await request(gw.base + path, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
}

describe('key-pair authentication', () => {
  it('admits a correctly signed request and shows the backend the key id, never the secret', async () => {
    for (const algorithm of ['hmac-sha1', 'hmac-sha256'] as const) {
      const r = await call(
        '/signed',
        signRequest({ secretId: 'A', secretKey: 'secret-a', algorithm, headers: { source: 'tests' } }),
      );
      expect(r.status).toBe(200);
      const seen = r.body.headers as Record<string, string>;
      expect(seen['x-api-secretid']).toBe('A');
      expect(JSON.stringify(r.body)).not.toContain('secret-a');
    }
  });

  it('signs exactly the documented string', () => {
    const headers = signRequest({
      secretId: 'A',
      secretKey: 'k',
      algorithm: 'hmac-sha1',
      headers: { source: 's' },
      date: new Date(0),
    });
    const expected = sign('hmac-sha1', 'k', 'x-date: Thu, 01 Jan 1970 00:00:00 GMT\nsource: s');
    expect(headers.authorization).toBe(
      `hmac id="A", algorithm="hmac-sha1", headers="x-date source", signature="${expected}"`,
    );
  });

  it.each([
    ['no header', {}, 'the Authorization header is missing'],
    ['another scheme', { authorization: 'Basic abc' }, 'the Authorization header must use the hmac scheme'],
    ['a malformed header', { authorization: 'hmac id=A' }, 'the Authorization header is malformed'],
  ])('refuses %s with 401', async (_name, headers, message) => {
    const r = await call('/signed', headers as Record<string, string>);
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'Unauthorized', message });
  });

  it('refuses unknown keys, bad signatures, stale dates, unsigned dates and unbound keys', async () => {
    const good = signRequest({ secretId: 'A', secretKey: 'secret-a' });
    expect((await call('/signed', signRequest({ secretId: 'Z', secretKey: 'x' }))).body.message).toBe(
      'the signature does not match',
    );
    expect((await call('/signed', signRequest({ secretId: 'A', secretKey: 'wrong' }))).body.message).toBe(
      'the signature does not match',
    );
    const stale = signRequest({ secretId: 'A', secretKey: 'secret-a', date: new Date(Date.now() - 16 * 60 * 1000) });
    expect((await call('/signed', stale)).body.message).toBe(
      "the x-date header is more than 15 minutes from the gateway's clock",
    );
    const noDate = { ...good, authorization: (good.authorization as string).replace('headers="x-date"', 'headers=""') };
    expect((await call('/signed', noDate)).body.message).toBe('the signed headers must include x-date or date');
    // A different second for sure (the date has second resolution), still within the 15 minutes.
    const tampered = { ...good, 'x-date': new Date(Date.now() - 60_000).toUTCString() };
    expect((await call('/signed', tampered)).body.message).toBe('the signature does not match');
    const b = await call('/signed', signRequest({ secretId: 'B', secretKey: 'secret-b' }));
    expect(b.body.message).toBe('key B is not bound to this API by a usage plan');
  });

  // The gateway remembers the last date that passed its format check (clients repeat it for a second);
  // what it remembers must never stand in for another request's missing, empty or malformed date.
  it('refuses a missing, empty or malformed date right after the same key passed with a good one', async () => {
    const good = signRequest({ secretId: 'A', secretKey: 'secret-a' });
    expect((await call('/signed', good)).status).toBe(200);
    const notADate = 'the x-date header is missing or not an RFC 7231 date (Sun, 06 Nov 1994 08:49:37 GMT)';
    const { 'x-date': _dropped, ...withoutDate } = good;
    for (const headers of [withoutDate, { ...good, 'x-date': '' }, { ...good, 'x-date': 'yesterday' }]) {
      const r = await call('/signed', headers as Record<string, string>);
      expect(r.status).toBe(401);
      expect(r.body.message).toBe(notADate);
    }
    expect((await call('/signed', good)).status).toBe(200);
  });

  it('applies the usage plan rate limit (429 with Retry-After) and quota', async () => {
    const send = () => call('/limited', signRequest({ secretId: 'A', secretKey: 'secret-a' }));
    const first = [await send(), await send(), await send()];
    const statuses = first.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const limited = first.find((r) => r.status === 429);
    if (limited) expect(limited.headers['retry-after']).toBeDefined();
    await new Promise((r) => setTimeout(r, 1100));
    let quota = await send();
    if (quota.status === 200) quota = await send();
    expect(quota.body).toMatchObject({ code: 'QuotaExceeded' });
    expect((await call('/limited', signRequest({ secretId: 'B', secretKey: 'secret-b' }))).status).toBe(200);
  });

  it('refuses to start when a key secret is missing', async () => {
    const config = gatewayConfig([api('s', '=/s', http(backend.origin), { auth: { type: 'keyPair' } })], {
      keyPairs: [{ secretId: 'A', secretKey: { env: 'NOT_SET' } }],
      usagePlans: [{ name: 'p', keyPairs: ['A'] }],
    });
    expect(() => Gateway.fromConfig({ config, file: 'x.json', baseDir: '/tmp' }, { env: {} })).toThrow(
      'secret environment variable NOT_SET is not set',
    );
  });
});

describe('OAuth 2.0', () => {
  const token = async (claims: Record<string, unknown> = {}, expiresIn = '5m', issuer = 'https://issuer.example') =>
    new SignJWT({ sub: 'user-1', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience('gateway')
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(await importPKCS8(privatePem, 'RS256'));

  it('admits a valid token and forwards the configured claims', async () => {
    const r = await call('/jwt', { authorization: `Bearer ${await token()}` });
    expect(r.status).toBe(200);
    expect((r.body.headers as Record<string, string>)['x-user']).toBe('user-1');
  });

  it('reads tokens from the query with a JWKS', async () => {
    const res = await request(`${gw.base}/jwks?access_token=${await token()}`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });

  it('refuses missing, expired, foreign and tampered tokens, saying why', async () => {
    expect((await call('/jwt')).body.message).toBe('an access token is required');
    const expired = await new SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer('https://issuer.example')
      .setAudience('gateway')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(await importPKCS8(privatePem, 'RS256'));
    expect((await call('/jwt', { authorization: `Bearer ${expired}` })).body.message).toBe(
      'the access token has expired',
    );
    const foreign = await token({}, '5m', 'https://other.example');
    expect((await call('/jwt', { authorization: `Bearer ${foreign}` })).body.message).toBe(
      'the access token\'s "iss" claim is not accepted',
    );
    const t = await token();
    const tampered = t.slice(0, -4) + (t.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const r = await call('/jwt', { authorization: `Bearer ${tampered}` });
    expect(r.status).toBe(401);
    expect(r.body.message).toBe('the access token signature is invalid');
  });
});
