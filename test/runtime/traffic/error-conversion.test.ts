/** Error-code conversion through a real gateway: HTTP backend statuses, function error codes, integration statuses. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { ApiConfig, BackendConfig, ErrorCodeDoc, FunctionTarget } from '../../../model';
import { api, gatewayConfig, http } from '../../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../../helpers/servers';
import { tempDir } from '../../helpers/temp';

const CODE = `
exports.returns = async (event) => ({ errorCode: event.queryString.code ?? 'E_NONE', detail: 'internal detail' });
exports.numeric = async () => ({ errorCode: 1001 });
exports.throws = async () => { throw Object.assign(new Error('secret internals'), { code: 'PET_NOT_FOUND' }); };
exports.throwsOther = async () => { throw Object.assign(new Error('secret internals'), { code: 'SOMETHING_ELSE' }); };
exports.integration = async (event) => ({ statusCode: Number(event.queryString.status), headers: { 'content-type': 'text/plain' }, body: 'from the function' });
`;

const petGone: ErrorCodeDoc = {
  code: 'PetGone',
  message: 'the pet is gone',
  status: 404,
  from: { type: 'backendStatus', statuses: [404, 410] },
};
const petMissing: ErrorCodeDoc = {
  code: 'PetMissing',
  message: 'no such pet',
  status: 404,
  from: { type: 'functionError', errorCodes: ['PET_NOT_FOUND', '1001'] },
};
const backendDown: ErrorCodeDoc = {
  code: 'PetStoreDown',
  message: 'the pet store is down',
  status: 503,
  from: { type: 'backendStatus', statuses: [500] },
};

let backend: Backend;
let g: RunningGateway;
let connections = 0;

const fn = (handler: string): FunctionTarget => ({
  namespace: 'default',
  functionName: 'pets',
  version: '$LATEST',
  timeoutMs: 2000,
  source: { type: 'bundled', dir: 'functions/pets', handler: `index.${handler}`, memoryMb: 64 },
});
const scf = (handler: string, responseIntegration = false): BackendConfig => ({
  type: 'scf',
  function: fn(handler),
  responseIntegration,
});
const withCodes = (a: ApiConfig, ...errorCodes: ErrorCodeDoc[]): ApiConfig => ({ ...a, response: { errorCodes } });

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size') ?? 0);
    res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': 'yes' });
    res.end(size > 0 ? 'b'.repeat(size) : `backend said ${status}`);
  });
  backend.server.on('connection', () => connections++);
  const dir = tempDir('apigw-conv-');
  mkdirSync(join(dir, 'functions', 'pets'), { recursive: true });
  writeFileSync(join(dir, 'functions', 'pets', 'index.js'), CODE);
  g = await startGateway(
    gatewayConfig([
      withCodes(api('http', '^~/http', http(backend.origin, '/')), petGone, backendDown, {
        code: 'Documented',
        message: 'only documented',
        status: 409,
      }),
      withCodes(
        {
          ...api('cors', '=/cors', http(backend.origin, '/')),
          cors: {
            allowOrigins: ['https://app.example'],
            allowMethods: [],
            allowHeaders: [],
            exposeHeaders: [],
            allowCredentials: false,
          },
        },
        petGone,
      ),
      withCodes(api('returns', '=/returns', scf('returns')), petMissing),
      withCodes(api('numeric', '=/numeric', scf('numeric')), petMissing),
      withCodes(api('throws', '=/throws', scf('throws')), petMissing),
      withCodes(api('throwsOther', '=/throws-other', scf('throwsOther')), petMissing),
      withCodes(api('integration', '=/integration', scf('integration', true)), petGone),
    ]),
    {},
    dir,
  );
});

afterAll(async () => {
  await g.close();
  await backend.close();
});

async function call(path: string, headers: Record<string, string> = {}) {
  const res = await request(g.base + path, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

describe('error-code conversion', () => {
  it('replaces a declared backend status with the declared code, status and message', async () => {
    for (const status of [404, 410]) {
      const r = await call(`/http?status=${status}`);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(r.headers['x-backend']).toBeUndefined();
      expect(JSON.parse(r.text)).toEqual({
        code: 'PetGone',
        message: 'the pet is gone',
        requestId: r.headers['x-api-requestid'],
      });
    }
    const down = await call('/http?status=500');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toMatchObject({ code: 'PetStoreDown' });
  });

  it('passes other statuses through unchanged (a documented code without `from` converts nothing)', async () => {
    for (const status of [200, 409, 502]) {
      const r = await call(`/http?status=${status}`);
      expect(r).toMatchObject({ status, text: `backend said ${status}` });
    }
  });

  it('drops a converted response body and keeps the backend connection when the body is small', async () => {
    await call('/http?status=200');
    const before = connections;
    for (let i = 0; i < 5; i++) expect((await call('/http?status=404')).status).toBe(404);
    expect((await call('/http?status=200')).status).toBe(200);
    expect(connections).toBe(before);
  });

  it('answers a converted response with a large body at once, and keeps serving', async () => {
    const r = await call('/http?status=404&size=5000000');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toMatchObject({ code: 'PetGone' });
    expect((await call('/http?status=200')).status).toBe(200);
  });

  it('carries the API CORS headers on a converted answer', async () => {
    const r = await call('/cors?status=404', { origin: 'https://app.example' });
    expect(r.status).toBe(404);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it("converts a function's returned errorCode (string or integer), without the function's other fields", async () => {
    const r = await call('/returns?code=PET_NOT_FOUND');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toEqual({
      code: 'PetMissing',
      message: 'no such pet',
      requestId: r.headers['x-api-requestid'],
    });
    expect(r.text).not.toContain('internal detail');
    expect((await call('/numeric')).status).toBe(404);
  });

  it('passes a result with an undeclared errorCode through as before', async () => {
    const r = await call('/returns?code=OTHER');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ errorCode: 'OTHER', detail: 'internal detail' });
  });

  it('converts the code of an error a function throws; another thrown error stays 502 FunctionError without its message', async () => {
    const r = await call('/throws');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toMatchObject({ code: 'PetMissing', message: 'no such pet' });
    const other = await call('/throws-other');
    expect(other.status).toBe(502);
    expect(JSON.parse(other.text)).toMatchObject({ code: 'FunctionError' });
    expect(other.text).not.toContain('secret internals');
  });

  it("converts a function's integration response status", async () => {
    const r = await call('/integration?status=410');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toMatchObject({ code: 'PetGone' });
    expect(await call('/integration?status=418')).toMatchObject({ status: 418, text: 'from the function' });
  });
});
