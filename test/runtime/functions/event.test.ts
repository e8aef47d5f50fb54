/** The event a function receives, field by field, from real requests through the SCF backend. */
import { request } from 'undici';
import type { ApiConfig } from '../../../model';
import { createScfHandler } from '../../../runtime/backends/scf';
import type { FunctionEvent } from '../../../runtime/functions/event';
import type { HttpBackendHandler, Identity } from '../../../runtime/pipeline';
import { api, gatewayConfig } from '../../helpers/config';
import { bundled, serve, writeCode, type Served } from './harness';

let root: string;
let handler: HttpBackendHandler;
let server: Served;

const theApi: ApiConfig = {
  ...api('echo', '/test/{path}', { type: 'mock', statusCode: 200, headers: {}, body: '', isBase64Encoded: false }),
  frontend: { type: 'http', rawPath: '/test/{path}', match: 'param', path: '/test/{path}', method: 'POST' },
};

beforeAll(async () => {
  root = writeCode({ 'echo/index.js': 'exports.main_handler = async (event) => event;' });
  handler = createScfHandler(
    theApi,
    { type: 'scf', function: bundled('echo', 'index.main_handler'), responseIntegration: false },
    { baseDir: root, debug: false },
  );
  server = await serve(handler, {
    api: theApi,
    config: gatewayConfig([theApi], {
      id: 'service-f94sy04v',
      stage: { name: 'release', variables: { color: 'blue' } },
    }),
    pathParams: (p) => ({ path: p.split('/')[2] ?? '' }),
    params: (req, query) => ({
      path: { path: 'value' },
      query: { foo: query.get('foo') ?? 'dflt', Refer: '' },
      header: (typeof req.headers['x-tenant'] === 'string' ? { 'x-tenant': req.headers['x-tenant'] } : {}) as Record<
        string,
        string
      >,
    }),
    identity: (req): Identity | undefined =>
      req.headers.authorization === 'key-pair'
        ? { secretId: 'AKIDabc', forwardHeaders: { 'x-api-secretid': 'AKIDabc' } }
        : req.headers.authorization === 'jwt'
          ? { claims: { sub: 'user-1', scope: 'read' }, forwardHeaders: { 'x-user': 'user-1' } }
          : undefined,
  });
});

afterAll(async () => {
  await server.close();
  await handler.close();
});

async function eventFor(path: string, opts: Parameters<typeof request>[1] = {}): Promise<FunctionEvent> {
  const res = await request(server.base + path, { method: 'POST', ...opts });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as FunctionEvent;
}

describe('function event', () => {
  it('GIVEN a POST with a JSON body WHEN invoked THEN the event has the document shape, field by field', async () => {
    const event = await eventFor('/test/value?foo=bar&bob=alice', {
      headers: { 'content-type': 'application/json', 'user-agent': 'User Agent String', 'x-tenant': 't1' },
      body: '{"test":"body"}',
    });
    const requestId = server.requestIds.at(-1);
    expect(event).toEqual({
      requestContext: {
        serviceId: 'service-f94sy04v',
        path: '/test/{path}',
        httpMethod: 'POST',
        requestId,
        identity: {},
        sourceIp: '127.0.0.1',
        stage: 'release',
      },
      headers: expect.objectContaining({
        'content-type': 'application/json',
        'user-agent': 'User Agent String',
        'x-tenant': 't1',
        'x-api-requestid': requestId,
      }) as unknown,
      body: '{"test":"body"}',
      isBase64Encoded: false,
      pathParameters: { path: 'value' },
      queryStringParameters: { foo: 'bar', Refer: '' },
      headerParameters: { 'x-tenant': 't1' },
      stageVariables: { stage: 'release', color: 'blue' },
      path: '/test/value',
      queryString: { foo: 'bar', bob: 'alice' },
      httpMethod: 'POST',
    });
  });

  it('GIVEN repeated query parameters WHEN invoked THEN queryString holds them as an array and declared defaults apply', async () => {
    const event = await eventFor('/test/x?a=1&a=2&a=3&__proto__=p');
    expect(Object.entries(event.queryString)).toEqual([
      ['a', ['1', '2', '3']],
      ['__proto__', 'p'],
    ]);
    expect(event.queryStringParameters).toEqual({ foo: 'dflt', Refer: '' });
    expect(event.body).toBe('');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('GIVEN key-pair auth passed WHEN invoked THEN identity.secretId is set and the client cannot forge gateway headers', async () => {
    const event = await eventFor('/test/x', {
      headers: { authorization: 'key-pair', 'x-api-requestid': 'forged', 'x-api-secretid': 'forged' },
    });
    expect(event.requestContext.identity).toEqual({ secretId: 'AKIDabc' });
    expect(event.headers['x-api-secretid']).toBe('AKIDabc');
    expect(event.headers['x-api-requestid']).toBe(event.requestContext.requestId);
  });

  it('GIVEN a forged x-api-secretid without auth WHEN invoked THEN the header is dropped', async () => {
    const event = await eventFor('/test/x', { headers: { 'x-api-secretid': 'forged' } });
    expect(event.headers['x-api-secretid']).toBeUndefined();
    expect(event.requestContext.identity).toEqual({});
  });

  it('GIVEN OAuth 2.0 passed WHEN invoked THEN identity.sub and the forwarded claim headers are set', async () => {
    const event = await eventFor('/test/x', { headers: { authorization: 'jwt', 'x-user': 'someone-else' } });
    expect(event.requestContext.identity).toEqual({ sub: 'user-1' });
    expect(event.headers['x-user']).toBe('user-1');
  });

  it('GIVEN a binary body WHEN invoked THEN it arrives base64-encoded with isBase64Encoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]);
    const event = await eventFor('/test/bin', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(bytes);
  });

  it('GIVEN bytes that are not UTF-8 under a text content type WHEN invoked THEN they still arrive intact as base64', async () => {
    const bytes = Buffer.from([0x68, 0x69, 0xc3, 0x28]);
    const event = await eventFor('/test/bin', { headers: { 'content-type': 'text/plain' }, body: bytes });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(bytes);
  });

  it('GIVEN UTF-8 text with a +json content type WHEN invoked THEN it arrives as text', async () => {
    const event = await eventFor('/test/t', {
      headers: { 'content-type': 'application/problem+json; charset=utf-8' },
      body: '{"name":"Zoë ✓"}',
    });
    expect(event).toMatchObject({ isBase64Encoded: false, body: '{"name":"Zoë ✓"}' });
  });
});
