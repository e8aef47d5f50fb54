/** Allowed CORS origins, exact and `https://*.example.com` patterns, against a running gateway. */
import { request } from 'undici';
import { api, gatewayConfig, mock } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';

let gw: RunningGateway;

beforeAll(async () => {
  gw = await startGateway(
    gatewayConfig([
      api('widgets', '=/widgets', mock('{}'), {
        cors: {
          allowOrigins: ['https://app.example.org', 'https://*.example.com', 'http://*.dev.example.net:8080'],
          allowMethods: ['GET'],
          allowHeaders: [],
          exposeHeaders: [],
          allowCredentials: true,
        },
      }),
    ]),
  );
});

afterAll(() => gw.close());

async function allowedOrigin(origin: string): Promise<string | undefined> {
  const r = await request(`${gw.base}/widgets`, { headers: { origin } });
  await r.body.dump();
  expect(r.statusCode).toBe(200);
  const allowed = r.headers['access-control-allow-origin'] as string | undefined;
  // The answer depends on the origin, so caches must key on it.
  if (allowed !== undefined) expect(r.headers.vary).toBe('Origin');
  return allowed;
}

async function preflight(origin: string): Promise<number> {
  const r = await request(`${gw.base}/widgets`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET' },
  });
  await r.body.dump();
  return r.statusCode;
}

describe('CORS origin patterns', () => {
  it.each([
    'https://a.example.com',
    'https://deep.a.example.com',
    'https://A.Example.COM',
    'https://app.example.org',
    'http://x.dev.example.net:8080',
  ])('allows %s and echoes it (serialised in lower case, as browsers send it)', async (origin) => {
    expect(await allowedOrigin(origin)).toBe(origin.toLowerCase());
    expect(await preflight(origin)).toBe(204);
  });

  it.each([
    'https://example.com', // the pattern needs a subdomain
    'https://a.example.com.evil.net', // the suffix must end the origin
    'https://evilexample.com', // not a label boundary
    'http://a.example.com', // another scheme
    'https://a.example.com:8443', // another port
    'https://evil.net/.example.com', // only host labels stand for the `*`
    'https://evil.net#.example.com',
    'https://evil.net@a.example.com',
    'https://.example.com',
    'http://x.dev.example.net', // the pattern's port is part of it
    'https://app.example.org.evil.net',
  ])('refuses %s', async (origin) => {
    expect(await allowedOrigin(origin)).toBeUndefined();
    expect(await preflight(origin)).toBe(403);
  });
});
