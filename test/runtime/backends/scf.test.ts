/** Bundled and remote functions behind a real gateway. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { BackendConfig, FunctionTarget } from '../../../model';
import type { FunctionEvent } from '../../../runtime/functions/event';
import { api, gatewayConfig } from '../../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../../helpers/servers';
import { tempDir } from '../../helpers/temp';

const CODE = `
exports.integration = async (event, context) => ({
  statusCode: 201,
  headers: { 'content-type': 'application/json', 'x-fn': context.function_version },
  body: JSON.stringify({ event, context }),
});
exports.passthrough = async (event) => ({ got: event.queryStringParameters });
exports.thrower = async () => { throw new Error('secret internals'); };
exports.loop = () => { for (;;) {} };
exports.wrongShape = async () => ({ statusCode: 'nope' });
exports.binary = async () => ({ statusCode: 200, isBase64Encoded: true, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]).toString('base64') });
exports.callback = (event, context, cb) => { setTimeout(() => cb(null, { via: 'callback' }), 5); };
exports.hog = async () => { const a = []; for (;;) a.push(new Array(1e6).fill(1)); };
`;

let dir: string;
let gw: RunningGateway;
let remote: Backend;

function fn(handler: string, extra: Partial<FunctionTarget> = {}): FunctionTarget {
  return {
    namespace: 'default',
    functionName: 'demo',
    version: '$LATEST',
    timeoutMs: 500,
    source: { type: 'bundled', dir: 'functions/demo', handler: `index.${handler}`, memoryMb: 64 },
    ...extra,
  };
}
const scf = (f: FunctionTarget, responseIntegration = true): BackendConfig => ({
  type: 'scf',
  function: f,
  responseIntegration,
});

beforeAll(async () => {
  dir = tempDir('apigw-fn-');
  mkdirSync(join(dir, 'functions', 'demo'), { recursive: true });
  writeFileSync(join(dir, 'functions', 'demo', 'index.js'), CODE);
  mkdirSync(join(dir, 'functions', 'v1'), { recursive: true });
  writeFileSync(join(dir, 'functions', 'v1', 'index.js'), 'exports.h = async () => ({ version: "1" });');
  remote = await startBackend((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString()) as { path: string };
      if (event.path === '/remote-slow') return void setTimeout(() => res.end('{}'), 1000);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ remote: true, path: event.path }));
    });
  });
  const remoteFn = (timeoutMs: number): FunctionTarget => ({
    ...fn('x', { timeoutMs }),
    source: { type: 'remote', url: `${remote.origin}/invoke`, headers: {} },
  });
  gw = await startGateway(
    gatewayConfig(
      [
        api('integration', '/integration/{id}', scf(fn('integration')), {
          parameters: [{ name: 'id', in: 'path', type: 'int', required: true }],
        }),
        api('passthrough', '=/passthrough', scf(fn('passthrough'), false), {
          parameters: [{ name: 'q', in: 'query', type: 'string', required: false, default: 'dflt' }],
        }),
        api('thrower', '=/thrower', scf(fn('thrower'))),
        api('loop', '=/loop', scf(fn('loop', { functionName: 'loop' }))),
        api('wrongShape', '=/wrong', scf(fn('wrongShape'))),
        api('binary', '=/binary', scf(fn('binary'))),
        api('callback', '=/callback', scf(fn('callback'), false)),
        api('hog', '=/hog', scf(fn('hog', { functionName: 'hog', timeoutMs: 5000 }))),
        api(
          'v1',
          '=/v1',
          scf(
            {
              ...fn('h', { version: '1' }),
              source: { type: 'bundled', dir: 'functions/v1', handler: 'index.h', memoryMb: 64 },
            },
            false,
          ),
        ),
        api('remote', '=/remote', scf(remoteFn(500), false)),
        api('remoteSlow', '=/remote-slow', scf(remoteFn(200), false)),
      ],
      { stage: { name: 'prod', variables: { color: 'blue' } } },
    ),
    {},
    dir,
  );
});

afterAll(async () => {
  await gw.close();
  await remote.close();
});

async function call(path: string, opts: Parameters<typeof request>[1] = {}) {
  const res = await request(gw.base + path, opts);
  const buf = Buffer.from(await res.body.arrayBuffer());
  return {
    status: res.statusCode,
    headers: res.headers,
    buf,
    json: () => JSON.parse(buf.toString()) as Record<string, unknown>,
  };
}

describe('function backend', () => {
  it('sends the document event and maps the integration response', async () => {
    const r = await call('/integration/7?a=1&a=2', { headers: { 'x-custom': 'v' } });
    expect(r.status).toBe(201);
    expect(r.headers['x-fn']).toBe('$LATEST');
    const { event, context } = r.json() as { event: FunctionEvent; context: Record<string, unknown> };
    expect(event.requestContext).toMatchObject({
      serviceId: 'service-test',
      path: '/integration/{id}',
      httpMethod: 'GET',
      stage: 'prod',
      sourceIp: '127.0.0.1',
    });
    expect(event.requestContext.requestId).toBe(r.headers['x-api-requestid']);
    expect(event).toMatchObject({
      path: '/integration/7',
      pathParameters: { id: '7' },
      queryString: { a: ['1', '2'] },
      stageVariables: { stage: 'prod', color: 'blue' },
      httpMethod: 'GET',
    });
    expect(event.headers['x-custom']).toBe('v');
    expect(context).toMatchObject({ function_name: 'demo', namespace: 'default', time_limit_in_ms: 500 });
  });

  it('passes the return value through as JSON without response integration', async () => {
    const r = await call('/passthrough');
    expect(r.json()).toEqual({ got: { q: 'dflt' } });
  });

  it('turns a thrown error into 502 without leaking the message or stack', async () => {
    const r = await call('/thrower');
    expect(r.status).toBe(502);
    expect(r.json()).toMatchObject({ code: 'FunctionError' });
    expect(r.buf.toString()).not.toContain('secret internals');
  });

  it('stops a runaway function at its time limit with 504, and serves the next call', async () => {
    const r = await call('/loop');
    expect(r.status).toBe(504);
    expect(r.json()).toMatchObject({ code: 'FunctionTimeout' });
    expect((await call('/passthrough')).status).toBe(200);
  });

  it('refuses a result of the wrong shape with 502', async () => {
    const r = await call('/wrong');
    expect(r.status).toBe(502);
    expect(r.json()).toMatchObject({ code: 'FunctionBadResponse' });
  });

  it('decodes base64 bodies and supports callback handlers and versions', async () => {
    expect([...(await call('/binary')).buf]).toEqual([0, 1, 2, 255]);
    expect((await call('/callback')).json()).toEqual({ via: 'callback' });
    expect((await call('/v1')).json()).toEqual({ version: '1' });
  });

  it('survives a function that exhausts its memory', async () => {
    const r = await call('/hog');
    expect(r.status).toBe(502);
    expect((await call('/passthrough')).status).toBe(200);
  });

  it('serves parallel calls', async () => {
    const all = await Promise.all(Array.from({ length: 12 }, () => call('/callback')));
    expect(all.map((r) => r.status)).toEqual(Array(12).fill(200));
  });

  it('invokes remote functions and applies their timeout', async () => {
    expect((await call('/remote')).json()).toEqual({ remote: true, path: '/remote' });
    const slow = await call('/remote-slow');
    expect(slow.status).toBe(504);
    expect(slow.json()).toMatchObject({ code: 'FunctionTimeout' });
  });
});
