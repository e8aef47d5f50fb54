/** validateConfig reports every mistake of a document at once: schema errors never hide rule errors. */
import { isCorsOrigin, toAppliedConfig, validateAppliedConfig, validateConfig, type ApiConfig } from '../../model';
import { api, gatewayConfig, http, mock } from '../helpers/config';

function issues(doc: unknown): string[] {
  return validateConfig(doc).issues.map((i) => `${i.field}: ${i.message}`);
}

function cors(allowOrigins: string[]): ApiConfig['cors'] {
  return { allowOrigins, allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false };
}

describe('validateConfig', () => {
  it('reports a schema error and the rule errors of the same API together (a 61-character name hid the rest)', () => {
    const doc = gatewayConfig([api('u'.repeat(61), '/users/{userid}', http('http://users.internal/api'))]);
    expect(issues(doc)).toEqual([
      '/apis/0/backend/origin: origin "http://users.internal/api" must not have a path, query or fragment (put the path in the backend path)',
      '/apis/0/name: must NOT have more than 60 characters',
      '/apis/0/parameters: {userid} in the path /users/{userid} must be declared as a path parameter',
    ]);
  });

  it("runs the rules on every part the schema accepts, across APIs and the service, in the schema's plainest words", () => {
    const bad = gatewayConfig(
      [
        api('a', '=/a', http('http://a.internal', '/', { timeoutMs: 0 }), { cors: cors(['https://a.example/']) }),
        api('b', '/b/{id}', mock('{}'), {
          parameters: [{ name: 'q', in: 'query', type: 'integer' as never, required: false }],
        }),
        api('a', '=/c', mock('{}'), { auth: { type: 'keyPair' } }),
      ],
      {
        keyPairs: [{ secretId: 'k', secretKey: { env: 'bad-name' } }],
        usagePlans: [
          { name: 'ok', keyPairs: ['nobody'], apis: ['b'], rateLimitPerSecond: 5 },
          { name: 'broken', keyPairs: [] },
        ],
      },
    );
    expect(issues(bad)).toEqual([
      '/apis/0/backend/timeoutMs: must be >= 1',
      '/apis/0/cors/allowOrigins/0: "https://a.example/" is not an origin: write scheme://host[:port], https://*.example.com for subdomains, or *',
      '/apis/1/parameters: {id} in the path /b/{id} must be declared as a path parameter',
      '/apis/1/parameters/0/type: must be one of "string", "int", "long", "float", "double", "boolean"',
      '/apis/2/name: API name "a" is already used by /apis/0',
      '/service/keyPairs/0/secretKey/env: must match pattern "^[A-Za-z_][A-Za-z0-9_]*$"',
      '/service/usagePlans/0/apis/0: usage plan "ok" limits API "b", which does not use key-pair authentication, so the limit never applies',
      '/service/usagePlans/0/keyPairs/0: usage plan "ok" names key pair "nobody", which the service does not declare',
      '/service/usagePlans/1/keyPairs: must NOT have fewer than 1 items',
    ]);
  });

  it('reports an empty allowOrigins once, without "must be null" or "must match a schema in anyOf"', () => {
    expect(issues(gatewayConfig([api('a', '=/a', mock('{}'), { cors: cors([]) })]))).toEqual([
      '/apis/0/cors/allowOrigins: must NOT have fewer than 1 items',
    ]);
  });

  it("narrows each API's backend to its own kind when several APIs have bad backends of different kinds", () => {
    const doc = gatewayConfig([
      api('a', '=/a', http('http://a.internal', '/', { timeoutMs: 0 })),
      api('b', '=/b', mock('{}', 600)),
      api('c', '=/c', { ...mock('{}'), type: 'grpc' } as never),
    ]);
    expect(issues(doc)).toEqual([
      '/apis/0/backend/timeoutMs: must be >= 1',
      '/apis/1/backend/statusCode: must be <= 599',
      '/apis/2/backend/type: has an unknown type',
    ]);
  });

  it('does not crash on documents of the wrong shape, and still checks what it can', () => {
    for (const doc of [null, 42, 'x', [], {}, { apis: 'x', service: 1 }, { version: 1, apis: [null, 1, 'x', {}] }]) {
      expect(validateConfig(doc).ok).toBe(false);
    }
    const noService = { version: 1, apis: [api('a', '/a/{id}', mock('{}'))] };
    expect(issues(noService)).toEqual([
      "/: must have required property 'service'",
      '/apis/0/parameters: {id} in the path /a/{id} must be declared as a path parameter',
    ]);
    const missingBackend = gatewayConfig([api('a', '/a/{id}', mock('{}'))]);
    delete (missingBackend.apis[0] as Partial<ApiConfig>).backend;
    expect(issues(missingBackend)).toEqual([
      "/apis/0: must have required property 'backend'",
      '/apis/0/parameters: {id} in the path /a/{id} must be declared as a path parameter',
    ]);
  });

  it('refuses a header constant given twice in different case (Host and host) and any doubly-set backend parameter', () => {
    const doc = gatewayConfig([
      api(
        'a',
        '=/a',
        http('http://a.internal', '/', {
          constants: [
            { in: 'header', name: 'Host', value: 'a.example' },
            { in: 'header', name: 'host', value: 'b.example' },
            { in: 'query', name: 'v', value: '1' },
          ],
          parameterMappings: [{ from: { in: 'query', name: 'version' }, to: { in: 'query', name: 'v' } }],
        }),
        { parameters: [{ name: 'version', in: 'query', type: 'string', required: false }] },
      ),
    ]);
    expect(issues(doc)).toEqual([
      '/apis/0/backend/constants/1: header "host" is set twice, by constant "Host" and by constant "host" (header names are case-insensitive)',
      '/apis/0/backend/constants/2: query "v" is set twice, by the mapping from query "version" and by constant "v"',
    ]);
  });

  it('refuses routes no request reaches and warns about routes the gateway shadows', () => {
    const doc = gatewayConfig(
      [
        api('health', '=/__apigw/health', mock('{}'), {
          frontend: {
            type: 'http',
            rawPath: '=/__apigw/health',
            match: 'exact',
            path: '/__apigw/health',
            method: 'HEAD',
          },
        }),
        api('metrics', '=/metrics', mock('{}')),
        api('push', '/__apigw/connections/{id}', mock('{}'), {
          parameters: [{ name: 'id', in: 'path', type: 'string', required: true }],
        }),
        api('prefix', '^~/__apigw/', mock('{}')),
        api('inside', '=/__apigw/mine', mock('{}')),
        api('plainMetrics', '/metrics', mock('{}')),
        api('catchAll', '^~/', mock('{}')),
        api('postHealth', '=/__apigw/health', mock('{}'), {
          frontend: {
            type: 'http',
            rawPath: '=/__apigw/health',
            match: 'exact',
            path: '/__apigw/health',
            method: 'POST',
          },
        }),
        api(
          'wsHealth',
          '=/__apigw/health',
          {
            type: 'websocket',
            origin: 'ws://chat.internal',
            path: '/',
            connectTimeoutMs: 1000,
            parameterMappings: [],
            constants: [],
            maxMessageBytes: 1024,
          },
          {
            frontend: {
              type: 'websocket',
              rawPath: '=/__apigw/health',
              match: 'exact',
              path: '/__apigw/health',
              method: 'GET',
            },
          },
        ),
      ],
      { metricsPath: '/metrics', connectionsAdminToken: { env: 'TOKEN' } },
    );
    const result = validateConfig(doc);
    expect(result.issues).toEqual([
      {
        field: '/apis/0/frontend/path',
        message:
          'the gateway answers GET and HEAD /__apigw/health itself (its health path), so no request reaches this API',
      },
      {
        field: '/apis/1/frontend/path',
        message: 'the gateway answers GET /metrics itself (its metrics path), so no request reaches this API',
      },
      {
        field: '/apis/2/frontend/path',
        message:
          'the gateway answers /__apigw/connections/ itself (its WebSocket connections endpoint), so no request reaches this API',
      },
    ]);
    expect(result.warnings).toEqual([
      {
        field: '/apis/3/frontend/path',
        message: 'the gateway answers GET and HEAD /__apigw/health itself (its health path), before any API',
      },
      {
        field: '/apis/4/frontend/path',
        message: '/__apigw/mine is under /__apigw/, which the gateway reserves for its own endpoints',
      },
      {
        field: '/apis/5/frontend/path',
        message: 'the gateway answers GET /metrics itself (its metrics path), before any API',
      },
      {
        field: '/apis/7/frontend/path',
        message: 'the gateway answers GET and HEAD /__apigw/health itself (its health path), before any API',
      },
      {
        field: '/apis/8/frontend/path',
        message: 'the gateway answers GET and HEAD /__apigw/health itself (its health path), before any API',
      },
    ]);
  });

  it('sorts issues by field, numerically', () => {
    const apis = Array.from({ length: 11 }, (_, i) => api(`a${i}`, `=/a${i}`, mock('{}')));
    (apis[10] as ApiConfig).name = 'a2';
    (apis[2] as ApiConfig).name = 'x'.repeat(61);
    expect(issues(gatewayConfig(apis)).map((i) => i.split(':')[0])).toEqual(['/apis/2/name']);
    (apis[3] as ApiConfig).name = 'a1';
    expect(issues(gatewayConfig(apis)).map((i) => i.split(':')[0])).toEqual(['/apis/2/name', '/apis/3/name']);
  });

  it('keeps the metrics listener off the other ports, and frees the metrics path of the public listeners', () => {
    const listeners = (metricsPort: number) => ({
      http: { port: 8080, host: '0.0.0.0', redirectToHttps: false },
      metrics: { port: metricsPort, host: '127.0.0.1' },
    });
    expect(issues(gatewayConfig([], { listeners: listeners(8080) }))).toEqual([
      '/service/listeners/metrics/port: the metrics listener cannot share port 8080 with the public or admin listeners',
    ]);
    // An API at the metrics path is reachable on the public listener when metrics have their own.
    const atMetrics = [api('m', '=/metrics', mock('{}'))];
    expect(issues(gatewayConfig(atMetrics, { metricsPath: '/metrics', listeners: listeners(9100) }))).toEqual([]);
    expect(issues(gatewayConfig(atMetrics, { metricsPath: '/metrics' }))).toEqual([
      '/apis/0/frontend/path: the gateway answers GET /metrics itself (its metrics path), so no request reaches this API',
    ]);
  });

  it('accepts a valid document with no issues and no warnings', () => {
    const result = validateConfig(
      gatewayConfig([api('a', '=/a', mock('{}'), { cors: cors(['https://*.example.com']) })]),
    );
    expect(result).toMatchObject({ ok: true, issues: [], warnings: [] });
  });
});

describe('CORS origins', () => {
  it.each([
    '*',
    'https://app.example.com',
    'http://localhost:3000',
    'https://*.example.com',
    'https://*.example.com:8443',
    'http://[::1]:8080',
    'capacitor://localhost',
  ])('accepts %s', (origin) => {
    expect(isCorsOrigin(origin)).toBe(true);
  });

  it.each([
    'https://app.example.com/',
    'https://app.example.com/path',
    'app.example.com',
    'https://*',
    'https://a.*.example.com',
    '*.example.com',
    'https://*example.com',
    'https://example.com:99999',
    'https://user@example.com',
    'null',
    '',
  ])('refuses %s', (origin) => {
    expect(isCorsOrigin(origin)).toBe(false);
  });
});

describe('validateConfig: two broken backends', () => {
  it('reports the field of each broken backend when two APIs have one (not "has an unknown type")', () => {
    const config = gatewayConfig([api('a', '=/a', http('http://127.0.0.1:1')), api('b', '=/b', mock('x'))]);
    const doc = JSON.parse(JSON.stringify(config)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    delete doc.apis[0].backend.origin;
    doc.apis[1].backend.statusCode = 42;
    expect(validateConfig(doc).issues).toEqual([
      { field: '/apis/0/backend', message: "must have required property 'origin'" },
      { field: '/apis/1/backend/statusCode', message: 'must be >= 100' },
    ]);
  });

  it('still says "has an unknown type" for a type no variant has', () => {
    const config = gatewayConfig([api('a', '=/a', mock('x'))]);
    const doc = JSON.parse(JSON.stringify(config)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    doc.apis[0].backend.type = 'ftp';
    expect(validateConfig(doc).issues).toEqual([{ field: '/apis/0/backend/type', message: 'has an unknown type' }]);
  });
});

describe('validateAppliedConfig', () => {
  it('checks the live part of a config: no listeners needed, none allowed', () => {
    const { service } = toAppliedConfig(gatewayConfig([api('a', '=/a', mock('x'))]));
    expect(validateAppliedConfig({ version: 1, service, apis: [api('a', '=/a', mock('x'))] }).issues).toEqual([]);
    expect(validateAppliedConfig({ version: 1, service: { ...service, listeners: {} }, apis: [] }).issues).toEqual([
      { field: '/service', message: 'unknown field "listeners"' },
    ]);
  });

  it('runs the rules over the applied config (a duplicate route)', () => {
    const { service } = toAppliedConfig(gatewayConfig([]));
    const result = validateAppliedConfig({
      version: 1,
      service,
      apis: [api('a', '=/a', mock('x')), api('b', '=/a', mock('y'))],
    });
    expect(result.issues).toEqual([
      { field: '/apis/1/frontend/path', message: 'GET =/a is already declared by /apis/0' },
    ]);
  });
});
