/** Request body validation through a real gateway and a real backend: checked before the backend, bounded, never a crash. */
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { ApiConfig, GatewayConfig } from '../../../model';
import { api, gatewayConfig, http, mock } from '../../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../../helpers/servers';

const schema = {
  type: 'object',
  required: ['name', 'age'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 40 },
    age: { type: 'integer', minimum: 0 },
    tags: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 20 } },
  },
};
const nested = { $defs: { n: { type: 'array', items: { $ref: '#/$defs/n' } } }, $ref: '#/$defs/n' };

let backend: Backend;
/** What the backend received, in order. */
const received: { method: string; headers: Record<string, unknown>; body: Buffer }[] = [];
let g: RunningGateway;

const post = (name: string, path: string, extra: Partial<ApiConfig> = {}): ApiConfig => {
  const a = api(name, path, http(backend.origin, '/', { method: 'POST' }), extra);
  return { ...a, frontend: { ...a.frontend, method: 'POST' } };
};

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.end('stored');
    });
  });
  const config: GatewayConfig = gatewayConfig([
    post('people', '=/people', { bodySchema: JSON.stringify(schema) }),
    post('nested', '=/nested', { bodySchema: JSON.stringify(nested) }),
    post('free', '=/free'),
    { ...post('mocked', '=/mocked', { bodySchema: JSON.stringify(schema) }), backend: mock('"mock"') },
  ]);
  g = await startGateway({
    ...config,
    service: { ...config.service, limits: { ...config.service.limits, maxBodyBytes: 256 * 1024 } },
  });
});

afterAll(async () => {
  await g.close();
  await backend.close();
});

async function send(
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const res = await request(g.base + path, { method: 'POST', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe('request body validation', () => {
  it('forwards a body the schema accepts, byte for byte', async () => {
    const body = '{ "name": "Ada",\n  "age": 36, "tags": ["x"] }';
    received.length = 0;
    const r = await send('/people', body, { 'content-type': 'application/json; charset=utf-8' });
    expect(r).toMatchObject({ status: 200, text: 'stored' });
    expect(received).toHaveLength(1);
    expect(received[0]?.body.toString()).toBe(body);
    expect(received[0]?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('refuses a body that does not match with 400 InvalidBody, listing the failing fields, and never calls the backend', async () => {
    received.length = 0;
    const r = await send('/people', JSON.stringify({ name: '', extra: 1, tags: [3] }));
    expect(r.status).toBe(400);
    const body = r.json();
    expect(body.code).toBe('InvalidBody');
    expect(body.message).toBe("the request body does not match the API's schema: /age is required");
    expect(body.fields).toEqual(
      expect.arrayContaining([
        { field: '/age', message: 'is required' },
        { field: '/extra', message: 'is not allowed' },
        { field: '/name', message: 'must NOT have fewer than 1 characters' },
        { field: '/tags/0', message: 'must be string' },
      ]),
    );
    expect(received).toHaveLength(0);
  });

  it('lists at most 10 fields, and only the first failure of a large body', async () => {
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const r = await send('/people', JSON.stringify({ name: 'a', age: 1, ...many }));
    expect((r.json().fields as unknown[]).length).toBe(10);
    const big = JSON.stringify({
      name: 'a',
      age: 1,
      tags: Array.from({ length: 100 }, () => 'x'.repeat(21)),
      pad: 'p'.repeat(70_000),
    });
    const large = await send('/people', big);
    expect(large.status).toBe(400);
    expect(large.json().fields).toHaveLength(1);
  });

  it.each([
    ['no body', undefined, { 'content-type': 'application/json' }, 400, 'InvalidBody', 'the request needs a JSON body'],
    ['a text body', '{"name":"a","age":1}', { 'content-type': 'text/plain' }, 415, 'UnsupportedMediaType', undefined],
    ['no content type', '{"name":"a","age":1}', {}, 415, 'UnsupportedMediaType', undefined],
    [
      'invalid JSON',
      '{"name":',
      { 'content-type': 'application/json' },
      400,
      'InvalidBody',
      'the request body is not valid JSON',
    ],
    [
      'a byte order mark',
      '\ufeff{"name":"a","age":1}',
      { 'content-type': 'application/json' },
      400,
      'InvalidBody',
      'the request body is not valid JSON',
    ],
  ])('refuses %s', async (_name, body, headers, status, code, message) => {
    received.length = 0;
    const r = await send('/people', body, headers as Record<string, string>);
    expect(r.status).toBe(status);
    expect(r.json().code).toBe(code);
    if (message) expect(r.json().message).toBe(message);
    expect(received).toHaveLength(0);
  });

  it('accepts application/*+json', async () => {
    expect(
      (await send('/people', '{"name":"a","age":1}', { 'content-type': 'application/merge-patch+json' })).status,
    ).toBe(200);
  });

  it('refuses bytes that are not UTF-8 (the validator and the backend would read different strings)', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","age":1}')]);
    const r = await send('/people', body);
    expect(r.status).toBe(400);
    expect(r.json().message).toBe('the request body is not UTF-8');
  });

  it('validates a chunked body and sends it to the backend with its length', async () => {
    received.length = 0;
    const body = '{"name":"chunked","age":2}';
    const res = await request(g.base + '/people', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from([Buffer.from(body.slice(0, 10)), Buffer.from(body.slice(10))]),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(received[0]?.body.toString()).toBe(body);
    expect(received[0]?.headers['content-length']).toBe(String(body.length));
    expect(received[0]?.headers['transfer-encoding']).toBeUndefined();
  });

  it('answers 413 for a body over maxBodyBytes, declared or chunked, before validating', async () => {
    const huge = JSON.stringify({ name: 'a', age: 1, pad: 'x'.repeat(300 * 1024) });
    expect((await send('/people', huge)).status).toBe(413);
    const res = await request(g.base + '/people', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Readable.from(Array.from({ length: 30 }, () => Buffer.alloc(16 * 1024, 0x20))),
    }).catch((err: Error) => err);
    // The gateway answers 413 and closes; the client may see the answer or a reset while still sending.
    if (!(res instanceof Error)) {
      expect(res.statusCode).toBe(413);
      await res.body.text();
    }
    expect((await send('/people', '{"name":"still up","age":1}')).status).toBe(200);
  });

  it('survives hostile nesting against a recursive schema: 400, and the gateway keeps serving', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = await send('/nested', deep);
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ code: 'InvalidBody', message: 'the request body is nested too deeply' });
    expect((await send('/nested', '[[],[[]]]')).status).toBe(200);
  });

  it('streams bodies of APIs without a schema as before (no content type needed)', async () => {
    received.length = 0;
    expect((await send('/free', 'not json at all', { 'content-type': 'text/plain' })).status).toBe(200);
    expect(received[0]?.body.toString()).toBe('not json at all');
  });

  it('validates before a mock backend too', async () => {
    expect((await send('/mocked', '{"name":"a","age":1}')).text).toBe('"mock"');
    expect((await send('/mocked', '{}')).status).toBe(400);
  });

  it('refuses with Expect: 100-continue only after the body arrives, as any body check must', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(g.port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.startsWith('HTTP/1.1 100')) {
          out = '';
          socket.write('{"name":1}');
        } else if (out.includes('\r\n\r\n') && out.includes('}')) {
          socket.destroy();
          resolve(out);
        }
      });
      socket.write(
        'POST /people HTTP/1.1\r\nhost: a\r\ncontent-type: application/json\r\ncontent-length: 10\r\nexpect: 100-continue\r\n\r\n',
      );
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answer).toContain('"code":"InvalidBody"');
  });
});
