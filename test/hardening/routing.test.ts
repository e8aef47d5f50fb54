/**
 * Routing bypass: hostile request targets against a real gateway. Each case
 * asserts which API answered (or the exact error) and the path the backend
 * saw; afterEach asserts the gateway still serves.
 */
import type { IncomingMessage } from 'node:http';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { echo, startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { send } from './raw';

let publicBackend: Backend;
let adminBackend: Backend;
let gw: RunningGateway;
/** Every URL each backend received. */
const seen = { public: [] as string[], admin: [] as string[] };

const record =
  (into: string[]) =>
  (req: IncomingMessage, res: Parameters<typeof echo>[1]): void => {
    into.push(req.url ?? '');
    echo(req, res);
  };

beforeAll(async () => {
  publicBackend = await startBackend(record(seen.public));
  adminBackend = await startBackend(record(seen.admin));
  gw = await startGateway(
    gatewayConfig(
      [
        api('admin', '=/admin', http(adminBackend.origin, '/internal/admin')),
        api('public', '^~/public/', http(publicBackend.origin, '/srv/')),
        api('file', '/files/{name}', mock('"file"'), {
          parameters: [{ name: 'name', in: 'path', type: 'string', required: true }],
        }),
        api('user', '/user', mock('"user"')),
      ],
      { limits: { ...gatewayConfig([]).service.limits, maxPathLength: 256 } },
    ),
  );
});

afterAll(async () => {
  await gw.close();
  await publicBackend.close();
  await adminBackend.close();
});

beforeEach(() => {
  seen.public.length = 0;
  seen.admin.length = 0;
});

afterEach(async () => {
  const r = await send(gw.port, 'GET /__apigw/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  expect(r.status).toBe(200);
});

const get = (target: string) => send(gw.port, `GET ${target} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
const backendUrl = (r: { body: string }): string => (JSON.parse(r.body) as { url: string }).url;

describe('routing bypass', () => {
  it.each([
    // target                      API answering     path the public backend sees
    ['/public/a', 'public', '/srv/a'],
    ['/public/../admin', 'admin', undefined],
    ['/public/%2e%2e/admin', 'admin', undefined],
    ['/public/%2E%2E/%2e%2E/admin', 'admin', undefined],
    ['/public/./a/../b', 'public', '/srv/b'],
    ['//public//a///b', 'public', '/srv/a/b'],
    ['/public/%7Euser', 'public', '/srv/~user'],
    ['/public/a;/../../admin', 'admin', undefined],
    ['http://evil.example/public/a', 'public', '/srv/a'],
    ['http://evil.example/admin', 'admin', undefined],
    ['/admin?next=/public/a', 'admin', undefined],
    ['/public/a?x=/../admin', 'public', '/srv/a?x=/../admin'],
  ])('%s is served by %s', async (target, apiName, backendPath) => {
    const r = await get(target);
    expect(r.status).toBe(200);
    if (apiName === 'admin') {
      expect(backendUrl(r)).toBe('/internal/admin' + (target.includes('?') ? target.slice(target.indexOf('?')) : ''));
      expect(seen.public).toEqual([]);
    } else {
      expect(backendUrl(r)).toBe(backendPath);
      expect(seen.admin).toEqual([]);
    }
  });

  it.each([
    ['/ADMIN', 404],
    ['/Admin', 404],
    ['/admin/', 404],
    ['/admin/.', 404],
    ['/adminx', 404],
    ['/publicx', 404],
    ['/PUBLIC/a', 404],
  ])('%s keeps its case and slashes: %i', async (target, status) => {
    const r = await get(target);
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'RouteNotFound' });
    expect(seen.admin).toEqual([]);
  });

  it('plain paths match by string prefix, as the document says', async () => {
    expect((await get('/usertest')).body).toBe('"user"');
    expect((await get('/user/../files/x')).body).toBe('"file"');
  });

  it.each([
    ['/admin#frag', 'fragment'],
    ['/public/%zz', 'percent-encoding'],
    ['/public/%2', 'percent-encoding'],
    ['*', 'path'],
    ['public/a', 'malformed'],
    // Escaped slashes (see encoded-slash-traversal.test.ts).
    ['/public/..%2Fadmin', 'escaped slash'],
    ['/public/..%2fadmin', 'escaped slash'],
    ['/public/a%2F..%2F..%2Fadmin', 'escaped slash'],
    ['/public/..\\admin', 'escaped slash'],
  ])('%s is refused with 400 (%s)', async (target, reason) => {
    const r = await get(target);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'BadRequest', message: expect.stringContaining(reason) });
    expect(seen.public).toEqual([]);
    expect(seen.admin).toEqual([]);
  });

  it('refuses raw bytes outside ASCII in the path', async () => {
    const r = await send(gw.port, [
      Buffer.from('GET /public/\xff HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1').toString('latin1'),
    ]);
    expect(r.status).toBe(400);
    expect(seen.public).toEqual([]);
  });

  it('answers an overlong path with 414 before routing', async () => {
    const r = await get('/public/' + 'a'.repeat(300));
    expect(r.status).toBe(414);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'UriTooLong' });
    expect(seen.public).toEqual([]);
  });

  it('a path parameter cannot smuggle a slash or a dot segment to the backend', async () => {
    expect((await get('/files/a%2Fb')).status).toBe(400);
    expect((await get('/files/..')).status).toBe(404);
  });
});
