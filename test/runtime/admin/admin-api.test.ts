/**
 * The admin API against a real gateway: authentication, the routes of
 * model/admin.ts, applies that serve, refusals that change nothing, ETag
 * preconditions, function bundles and secrets.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { once } from 'node:events';
import { request } from 'undici';
import {
  ADMIN_MAX_CONFIG_BYTES,
  AdminErrorCode,
  toAppliedConfig,
  type AdminErrorCode as AdminErrorCodeName,
  type GatewayConfig,
} from '../../../model';
import { ADMIN_ERROR_STATUS } from '../../../runtime/admin/failure';
import { signRequest } from '../../../runtime/auth/sign';
import { runGateway } from '../../../runtime/main';
import { api, gatewayConfig, mock } from '../../helpers/config';
import {
  TOKEN,
  admin,
  apply,
  bundle,
  bundledTarget,
  captureEvents,
  startAdminGateway,
  upload,
  withAdmin,
  type AdminGateway,
} from './harness';
import { tempDir } from '../../helpers/temp';

const start = (): GatewayConfig =>
  gatewayConfig([api('one', '=/one', mock('"one"'))], { metricsPath: '/__apigw/metrics' });
const withTwo = (): GatewayConfig =>
  gatewayConfig([api('one', '=/one', mock('"one"')), api('two', '=/two', mock('"two"'))], {
    metricsPath: '/__apigw/metrics',
  });

let events: ReturnType<typeof captureEvents>;
let g: AdminGateway;

beforeEach(async () => {
  events = captureEvents();
  g = await startAdminGateway(start());
});
afterEach(async () => {
  await g.close();
  events.restore();
});

const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> => {
  const res = await request(`${g.base}${path}`, { headers });
  return { status: res.statusCode, text: await res.body.text() };
};

describe('authentication', () => {
  it('answers 401 Unauthorized without a token, with a wrong one, or with another scheme', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`]) {
      const res = await request(`${g.adminBase}/v1/config`, { headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(await res.body.json()).toEqual({
        code: 'Unauthorized',
        message: 'send the admin token as "Authorization: Bearer <token>"',
      });
    }
  });

  it('refuses an unauthenticated apply without reading it: nothing changes', async () => {
    const res = await request(`${g.adminBase}/v1/config`, {
      method: 'PUT',
      body: JSON.stringify({ config: toAppliedConfig(withTwo()), secrets: {} }),
    });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
    expect((await get('/two')).status).toBe(404);
  });

  it('refuses to start with a token shorter than 16 characters', async () => {
    await expect(startAdminGateway(start(), { env: { APIGW_ADMIN_TOKEN: 'short' } })).rejects.toThrow(
      'the admin token (environment variable APIGW_ADMIN_TOKEN) must be at least 16 characters',
    );
  });
});

describe('GET /v1/config', () => {
  it('shows the start config without its start-bound fields, generation 1, and its ETag', async () => {
    const res = await admin(g, 'GET', '/v1/config');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      generation: 1,
      etag: res.headers.etag,
      config: toAppliedConfig(start()),
      secretDigests: {},
      bundles: [],
      source: 'started',
    });
    expect(res.body.config.service.listeners).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('PUT /v1/config', () => {
  it('serves the applied config on the public listener, with a new generation and ETag', async () => {
    const before = await admin(g, 'GET', '/v1/config');
    const res = await apply(g, withTwo());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ generation: 2, etag: res.headers.etag });
    expect(res.body.etag).not.toBe(before.body.etag);
    expect(await get('/two')).toEqual({ status: 200, text: '"two"' });
    const state = await admin(g, 'GET', '/v1/config');
    expect(state.body).toMatchObject({ generation: 2, source: 'applied', config: toAppliedConfig(withTwo()) });
  });

  it('applying the config that serves again changes nothing', async () => {
    const first = await apply(g, withTwo());
    const again = await apply(g, withTwo());
    expect(again.body).toEqual(first.body);
    expect(g.gateway.metrics.generation).toBe(2);
  });

  it('refuses a config with a duplicate route and a catastrophic regex: 422 with each field, the old config serves', async () => {
    const bad = gatewayConfig([
      api('one', '=/one', mock('"one"')),
      api('dup', '=/one', mock('"dup"')),
      api('evil', '~^/(a+)+$', mock('"evil"')),
    ]);
    const res = await apply(g, bad);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('ConfigInvalid');
    expect(res.body.issues).toEqual(
      expect.arrayContaining([
        { field: '/apis/1/frontend/path', message: 'GET =/one is already declared by /apis/0' },
        expect.objectContaining({ field: '/apis/2/frontend/path', message: expect.stringContaining('backtrack') }),
      ]),
    );
    expect(await get('/one')).toEqual({ status: 200, text: '"one"' });
    expect((await admin(g, 'GET', '/v1/config')).body).toMatchObject({ generation: 1, source: 'started' });
  });

  it('names schema problems by field, with tagged unions narrowed to the backend kind', async () => {
    const applied = toAppliedConfig(withTwo()) as unknown as { apis: { backend: Record<string, unknown> }[] };
    delete applied.apis[1]!.backend.statusCode;
    const res = await admin(g, 'PUT', '/v1/config', { config: applied, secrets: {} });
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([
      { field: '/apis/1/backend', message: "must have required property 'statusCode'" },
    ]);
  });

  it('refuses start-bound fields in an applied config (they need a restart)', async () => {
    const res = await admin(g, 'PUT', '/v1/config', { config: withTwo(), secrets: {} });
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([
      {
        field: '/service/listeners',
        message: 'is bound at start and cannot be applied live: change the config file and restart the gateway',
      },
      {
        field: '/service/healthPath',
        message: 'is bound at start and cannot be applied live: change the config file and restart the gateway',
      },
    ]);
  });

  it('answers 400 for a body that is not JSON or not an apply request, and 413 for one over the limit', async () => {
    const notJson = await request(`${g.adminBase}/v1/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"config": ',
    });
    expect(notJson.statusCode).toBe(400);
    expect(await notJson.body.json()).toMatchObject({
      code: 'BadRequest',
      message: expect.stringContaining('not JSON'),
    });

    const noSecrets = await admin(g, 'PUT', '/v1/config', { config: toAppliedConfig(withTwo()) });
    expect(noSecrets.status).toBe(400);
    expect(noSecrets.body.issues).toEqual([{ field: '/', message: "must have required property 'secrets'" }]);

    // Declared larger than the limit: refused before a byte of the body is read.
    const socket = connect(g.adminPort, '127.0.0.1');
    socket.write(
      `PUT /v1/config HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-length: ${ADMIN_MAX_CONFIG_BYTES + 1}\r\n\r\n{`,
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'close');
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^HTTP\/1.1 413/);
    expect(text).toContain('"code":"PayloadTooLarge"');
  });

  it('answers 413 for a chunked body that grows over the limit, and the gateway keeps serving', async () => {
    const socket = connect(g.adminPort, '127.0.0.1');
    socket.on('error', () => undefined);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(
      `PUT /v1/config HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    const piece = Buffer.alloc(1024 * 1024, 0x20);
    for (let sent = 0; sent <= ADMIN_MAX_CONFIG_BYTES && !socket.destroyed; sent += piece.length) {
      const frame = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
      if (!socket.write(frame)) await new Promise((r) => (socket.once('drain', r), socket.once('close', r)));
    }
    if (!socket.destroyed) await new Promise((r) => socket.once('close', r));
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1.1 413[^]*"code":"PayloadTooLarge"/);
    expect((await admin(g, 'GET', '/v1/config')).status).toBe(200);
  });

  it('answers 405 with Allow for other methods and 404 for other paths', async () => {
    const post = await admin(g, 'POST', '/v1/config', {});
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, PUT, DELETE');
    expect((await admin(g, 'GET', '/v1/nothing')).body.code).toBe('NotFound');
    expect((await admin(g, 'GET', '/one')).status).toBe(404);
  });
});

describe('If-Match', () => {
  it('refuses an apply whose If-Match is not the current ETag: 409 with the current ETag, nothing changed', async () => {
    const { etag } = (await admin(g, 'GET', '/v1/config')).body as { etag: string };
    const res = await apply(g, withTwo(), {}, { 'if-match': '"0000"' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'ConfigConflict', etag });
    expect((await get('/two')).status).toBe(404);
    expect((await apply(g, withTwo(), {}, { 'if-match': etag })).status).toBe(200);
  });

  it('lets exactly one of two concurrent applies with the same If-Match win', async () => {
    const { etag } = (await admin(g, 'GET', '/v1/config')).body as { etag: string };
    const three = gatewayConfig([api('three', '=/three', mock('"three"'))]);
    const results = await Promise.all([
      apply(g, withTwo(), {}, { 'if-match': etag }),
      apply(g, three, {}, { 'if-match': etag }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.findIndex((r) => r.status === 200);
    expect((await get('/two')).status).toBe(winner === 0 ? 200 : 404);
    expect((await get('/three')).status).toBe(winner === 1 ? 200 : 404);
    expect(g.gateway.metrics.generation).toBe(2);
  });
});

describe('DELETE /v1/config', () => {
  it('returns to the start config as a new generation', async () => {
    await apply(g, withTwo());
    const res = await admin(g, 'DELETE', '/v1/config');
    expect(res.body).toEqual({ generation: 3, etag: (await admin(g, 'GET', '/v1/config')).body.etag });
    expect((await get('/two')).status).toBe(404);
    expect((await admin(g, 'GET', '/v1/config')).body.source).toBe('started');
  });
});

describe('function bundles', () => {
  const code = bundle({ 'index.js': 'exports.hello = async (e) => ({ hello: e.queryStringParameters.name });' });
  const fnConfig = (sha256: string): GatewayConfig =>
    gatewayConfig([
      api('one', '=/one', mock('"one"')),
      api(
        'hello',
        '=/hello',
        { type: 'scf', function: bundledTarget(sha256, 'hello'), responseIntegration: false },
        { parameters: [{ name: 'name', in: 'query', type: 'string', required: true }] },
      ),
    ]);

  it('stores an upload whose files hash to its name, and runs it when a config names it', async () => {
    expect((await admin(g, 'HEAD', `/v1/bundles/${code.sha256}`)).status).toBe(404);
    const res = await upload(g, code);
    expect(res).toMatchObject({ status: 200, body: { sha256: code.sha256 } });
    expect((await admin(g, 'HEAD', `/v1/bundles/${code.sha256}`)).status).toBe(200);
    expect((await apply(g, fnConfig(code.sha256))).status).toBe(200);
    expect(await get('/hello?name=ada')).toEqual({ status: 200, text: '{"hello":"ada"}' });
    expect((await admin(g, 'GET', '/v1/config')).body.bundles).toEqual([code.sha256]);
  });

  it('stores a bundle uploaded twice at once exactly once', async () => {
    const results = await Promise.all([upload(g, code), upload(g, code), upload(g, code)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await admin(g, 'GET', '/v1/config')).body.bundles).toEqual([code.sha256]);
  });

  it('refuses an upload whose files hash to another name: 422 BundleInvalid, nothing stored', async () => {
    const other = bundle({ 'index.js': 'exports.x = 1;' });
    const res = await admin(g, 'PUT', `/v1/bundles/${other.sha256}`, code.upload);
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      code: 'BundleInvalid',
      message: `the files hash to ${code.sha256}, not to the bundle's name ${other.sha256}`,
    });
    expect((await admin(g, 'HEAD', `/v1/bundles/${other.sha256}`)).status).toBe(404);
  });

  it('refuses paths that leave the bundle, and content that is not base64', async () => {
    const escape = bundle({ '../evil.js': 'x' });
    const res = await upload(g, escape);
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([
      { field: '/files/0/path', message: 'path must not contain empty, "." or ".." segments' },
    ]);
    const absolute = await admin(g, 'PUT', `/v1/bundles/${code.sha256}`, {
      files: [
        { path: '/etc/passwd', content: 'eA==' },
        { path: 'a.js', content: 'not base64!' },
      ],
    });
    expect(absolute.body.issues).toEqual([
      { field: '/files/0/path', message: 'path must be relative and use "/"' },
      { field: '/files/1/content', message: 'is not base64' },
    ]);
  });

  it('answers 404 for a bundle name that is not a sha256', async () => {
    expect((await admin(g, 'PUT', '/v1/bundles/..%2F..%2Fetc', code.upload)).status).toBe(404);
  });

  it('refuses a config naming a bundle the gateway does not hold: 422 BundleMissing naming the API and field', async () => {
    const res = await apply(g, fnConfig(code.sha256));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'BundleMissing',
      issues: [
        {
          field: '/apis/1/backend/function/source/sha256',
          message: `API hello: bundle ${code.sha256} is not stored; upload it with PUT /v1/bundles/${code.sha256}`,
        },
      ],
    });
    expect((await get('/hello?name=x')).status).toBe(404);
  });

  it('refuses bundled code without a sha256 in an applied config', async () => {
    const config = fnConfig(code.sha256);
    const backend = config.apis[1]!.backend as { function: { source: { sha256?: string } } };
    delete backend.function.source.sha256;
    const res = await apply(g, config);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'ConfigInvalid',
      issues: [{ field: '/apis/1/backend/function/source/sha256' }],
    });
  });
});

describe('secrets', () => {
  const signed = (): GatewayConfig =>
    gatewayConfig(
      [api('one', '=/one', mock('"one"')), api('signed', '=/signed', mock('"ok"'), { auth: { type: 'keyPair' } })],
      {
        keyPairs: [{ secretId: 'partner', secretKey: { env: 'PARTNER_KEY' } }],
        usagePlans: [{ name: 'partners', keyPairs: ['partner'] }],
      },
    );

  it('resolves a key-pair secret from the apply request; a signed request passes; the value shows only as a digest', async () => {
    const res = await apply(g, signed(), { PARTNER_KEY: 'partner-secret-value' });
    expect(res.status).toBe(200);
    const ok = await get('/signed', signRequest({ secretId: 'partner', secretKey: 'partner-secret-value' }));
    expect(ok).toEqual({ status: 200, text: '"ok"' });
    const wrong = await get('/signed', signRequest({ secretId: 'partner', secretKey: 'guess' }));
    expect(wrong.status).toBe(401);
    const state = await admin(g, 'GET', '/v1/config');
    expect(state.body.secretDigests).toEqual({
      PARTNER_KEY: createHmac('sha256', TOKEN).update('partner-secret-value').digest('hex'),
    });
    expect(JSON.stringify(state.body)).not.toContain('partner-secret-value');
    expect(events.text()).not.toContain('partner-secret-value');
    expect(events.text()).not.toContain(TOKEN);
  });

  it('changing only a secret changes the ETag', async () => {
    const a = await apply(g, signed(), { PARTNER_KEY: 'value-a' });
    const b = await apply(g, signed(), { PARTNER_KEY: 'value-b' });
    expect(b.body.etag).not.toBe(a.body.etag);
    expect(b.body.generation).toBe(3);
  });

  it('refuses a config whose secret is neither sent nor in the environment, naming the field', async () => {
    const res = await apply(g, signed());
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([
      {
        field: '/service/keyPairs/0/secretKey',
        message:
          'secret environment variable PARTNER_KEY is not set: send it in "secrets" or set it in the gateway\'s environment',
      },
    ]);
  });
});

describe('the admin listener is its own', () => {
  it('is never reachable on the public listener: the admin paths are ordinary route misses there', async () => {
    for (const path of ['/v1/config', `/v1/bundles/${'a'.repeat(64)}`]) {
      const res = await request(`${g.base}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.statusCode).toBe(404);
      expect(await res.body.json()).toMatchObject({ code: 'RouteNotFound' });
    }
    const put = await request(`${g.base}/v1/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ config: toAppliedConfig(withTwo()), secrets: {} }),
    });
    expect(put.statusCode).toBe(404);
    await put.body.dump();
    expect((await get('/two')).status).toBe(404);
  });

  it('logs each admin request as an event (never in the access log), and counts applies and failures', async () => {
    await apply(g, withTwo());
    await apply(g, gatewayConfig([api('dup', '=/x', mock('1')), api('dup', '=/y', mock('1'))]));
    await request(`${g.adminBase}/v1/config`).then((r) => r.body.dump());
    const requests = events.events.filter((e) => e.event === 'admin_request');
    expect(requests.map((e) => [e.method, e.path, e.status, e.error])).toEqual([
      ['PUT', '/v1/config', 200, undefined],
      ['PUT', '/v1/config', 422, 'ConfigInvalid'],
      ['GET', '/v1/config', 401, 'Unauthorized'],
    ]);
    g.gateway['state'].log.flush();
    expect(g.accessLog.join('')).not.toContain('/v1/config');
    const metrics = (await get('/__apigw/metrics')).text;
    expect(metrics).toContain('apigw_config_applies_total 1');
    expect(metrics).toContain('apigw_config_apply_failures_total 1');
    expect(metrics).toContain('apigw_config_generation 2');
  });
});

describe('the check command', () => {
  it('checks the admin token as serve does, and never reads or writes the state directory', async () => {
    const file = join(tempDir('apigw-check-'), 'gateway.json');
    writeFileSync(file, JSON.stringify(withAdmin(start())));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const args = ['check', '--config', file, '--state-dir', '/nonexistent/state'];
      expect(await runGateway(args, { APIGW_ADMIN_TOKEN: 'a-token-long-enough-to-start' })).toBe(0);
      expect(await runGateway(args, {})).toBe(1);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain('APIGW_ADMIN_TOKEN');
      // --no-secrets (the image build) checks the schema and rules only.
      expect(await runGateway(['check', '--no-secrets', '--config', file], {})).toBe(0);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('documentation', () => {
  it('documents every admin error code with its status in the README', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const codes = AdminErrorCode.anyOf.map((s) => s.const as AdminErrorCodeName);
    expect([...codes].sort()).toEqual(Object.keys(ADMIN_ERROR_STATUS).sort());
    for (const code of codes) expect(readme).toContain(`| \`${code}\` | ${ADMIN_ERROR_STATUS[code]} |`);
  });
});
