/**
 * Encoded-slash traversal: `/public/..%2Fadmin/x` was routed to the `^~/public/`
 * API and forwarded raw, so a backend that decodes `%2F` served `/admin/x`.
 * Escaped slashes and backslashes are now refused (or, with
 * `escapedSlashes: 'redirect'`, redirected to the unescaped, normalised path);
 * escapes that are not UTF-8, and `%00`, are refused. Each case asserts what
 * the client got, that no backend saw the request, and that the gateway still
 * serves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_LIMITS } from '../../model';
import { api, gatewayConfig, http } from '../helpers/config';
import { echo, startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { eventually, openFds, send } from './raw';

let publicBackend: Backend;
let adminBackend: Backend;
let rejecting: RunningGateway;
let redirecting: RunningGateway;
const seen: string[] = [];
let fdsBefore: number;

const record = (req: IncomingMessage, res: ServerResponse): void => {
  seen.push(req.url ?? '');
  echo(req, res);
};

beforeAll(async () => {
  publicBackend = await startBackend(record);
  adminBackend = await startBackend(record);
  const apis = [
    api('admin', '^~/admin/', http(adminBackend.origin, '/internal/')),
    api('public', '^~/public/', http(publicBackend.origin, '/srv/')),
  ];
  rejecting = await startGateway(gatewayConfig(apis));
  redirecting = await startGateway(
    gatewayConfig(apis, { limits: { ...DEFAULT_LIMITS, shutdownGraceMs: 500, escapedSlashes: 'redirect' } }),
  );
  fdsBefore = openFds();
});

afterAll(async () => {
  await rejecting.close();
  await redirecting.close();
  await publicBackend.close();
  await adminBackend.close();
});

beforeEach(() => {
  seen.length = 0;
});

afterEach(async () => {
  for (const gw of [rejecting, redirecting]) {
    const r = await get(gw, '/public/ok');
    expect(r.status).toBe(200);
  }
});

const get = (gw: RunningGateway, target: string) =>
  send(gw.port, `GET ${target} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);

describe('escaped slashes (default: reject)', () => {
  it.each([
    '/public/..%2Fadmin/x',
    '/public/..%2fadmin/x',
    '/public/..%5Cadmin/x',
    '/public/..%5cadmin/x',
    '/public/..\\admin/x',
    '/public/a%2F..%2F..%2Fadmin/x',
    '/public/%2e%2e%2Fadmin/x',
    '/public/a%2Fb',
  ])('%s → 400, nothing forwarded', async (target) => {
    const r = await get(rejecting, target);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'BadRequest', message: expect.stringContaining('escaped slash') });
    expect(seen).toEqual([]);
  });

  it('a %25-escaped percent stays escaped and is not an escaped slash', async () => {
    const r = await get(rejecting, '/public/a%252Fb');
    expect(r.status).toBe(200);
    expect(seen).toEqual(['/srv/a%252Fb']);
  });
});

describe('escaped slashes with escapedSlashes: redirect', () => {
  it.each([
    ['/public/..%2Fadmin/x', '/admin/x'],
    ['/public/..%5Cadmin/x?q=1', '/admin/x?q=1'],
    ['/public/..\\admin/x', '/admin/x'],
    ['/public/a%2Fb', '/public/a/b'],
    // Never a protocol-relative `//host` location (an open redirect).
    ['/%2F%2Fevil.example/x', '/evil.example/x'],
    ['/%5C%5Cevil.example', '/evil.example'],
  ])('%s → 307 to %s, nothing forwarded', async (target, location) => {
    const r = await get(redirecting, target);
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe(location);
    expect(seen).toEqual([]);
  });

  it('the redirect target is then routed as any other path', async () => {
    const r = await get(redirecting, '/admin/x');
    expect(r.status).toBe(200);
    expect(seen).toEqual(['/internal/x']);
  });
});

describe('escapes that are not UTF-8, and %00', () => {
  it.each([
    ['/public/%c0%ae%c0%ae/admin', 'UTF-8'], // overlong `.`
    ['/public/%C0%AF', 'UTF-8'], // overlong `/`
    ['/public/%e0%80%ae', 'UTF-8'], // overlong, three bytes
    ['/public/%ff', 'UTF-8'],
    ['/public/%80', 'UTF-8'], // a lone continuation byte
    ['/public/%e2%82', 'UTF-8'], // truncated
    ['/public/%e2%82x', 'UTF-8'], // truncated by a raw character
    ['/public/%ed%a0%80', 'UTF-8'], // a surrogate
    ['/public/%f4%90%80%80', 'UTF-8'], // past U+10FFFF
    ['/public/a%00b', '%00'],
  ])('%s → 400 (%s)', async (target, reason) => {
    for (const gw of [rejecting, redirecting]) {
      const r = await get(gw, target);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'BadRequest', message: expect.stringContaining(reason) });
    }
    expect(seen).toEqual([]);
  });

  it('valid UTF-8 escapes are forwarded as they were sent', async () => {
    const r = await get(rejecting, '/public/caf%C3%A9/%F0%9F%98%80');
    expect(r.status).toBe(200);
    expect(seen).toEqual(['/srv/caf%C3%A9/%F0%9F%98%80']);
  });
});

it('leaks no file descriptors', async () => {
  await eventually(() => openFds() <= fdsBefore, `open fds to return to ${fdsBefore} (now ${openFds()})`);
});
