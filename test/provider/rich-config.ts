/** An applied config that uses every field kind: every backend, auth kind, CORS, parameters, usage plans, key pairs, limits. */
import { DEFAULT_LIMITS, type AppliedConfig, type FunctionTarget } from '../../model';

const target = (name: string, source: FunctionTarget['source']): FunctionTarget => ({
  namespace: 'default',
  functionName: name,
  version: '$LATEST',
  timeoutMs: 3000,
  source,
});

const bundled = (dir: string, sha256?: string): FunctionTarget['source'] => ({
  type: 'bundled',
  dir,
  handler: 'index.main_handler',
  memoryMb: 128,
  ...(sha256 ? { sha256 } : {}),
});

export function richConfig(): AppliedConfig {
  return {
    version: 1,
    service: {
      name: 'pets',
      id: 'service-pets',
      description: 'Pet store',
      stage: { name: 'release', variables: { env: 'prod', 'x.y': 'z' } },
      metricsPath: '/__apigw/metrics',
      limits: {
        ...DEFAULT_LIMITS,
        maxBodyBytes: 1024,
        headersWithUnderscores: 'reject',
        maxConnections: 500,
        tlsHandshakeTimeoutMs: 5000,
        escapedSlashes: 'redirect',
      },
      keyPairs: [
        { secretId: 'AKID1', secretKey: { env: 'KEY_ONE' } },
        { secretId: 'AKID2', secretKey: { file: '/run/secrets/key2' } },
      ],
      usagePlans: [
        { name: 'gold', keyPairs: ['AKID1', 'AKID2'], apis: ['signed'], rateLimitPerSecond: 10, quota: 1000 },
        { name: 'all', keyPairs: ['AKID1'] },
      ],
      connectionsAdminToken: { env: 'PUSH_TOKEN' },
      apiDefaults: { ipAccess: { allow: ['10.0.0.0/8'], deny: ['10.9.0.0/16'] }, rateLimitPerSecond: 100 },
    },
    apis: [
      {
        name: 'getPet',
        description: 'one pet',
        frontend: { type: 'http', rawPath: '/pets/{id}', match: 'param', path: '/pets/{id}', method: 'GET' },
        auth: { type: 'none' },
        cors: {
          allowOrigins: ['https://a.example'],
          allowMethods: ['GET'],
          allowHeaders: ['x-a'],
          exposeHeaders: ['x-b'],
          allowCredentials: true,
          maxAgeSeconds: 60,
        },
        parameters: [
          { name: 'id', in: 'path', type: 'int', required: true, sample: '1', description: 'pet id' },
          { name: 'verbose', in: 'query', type: 'boolean', required: false, default: 'false' },
        ],
        backend: {
          type: 'http',
          origin: 'http://127.0.0.1:9000',
          path: '/v1/pets/{petId}',
          method: 'GET',
          timeoutMs: 5000,
          parameterMappings: [{ from: { in: 'path', name: 'id' }, to: { in: 'path', name: 'petId' } }],
          constants: [{ in: 'header', name: 'host', value: 'pets.internal' }],
        },
        response: {
          contentType: 'application/json',
          successSample: '{"id":1}',
          failureSample: '{"error":"x"}',
          errorCodes: [
            { code: 'NotFound', message: 'no such pet', description: 'the id is unknown' },
            { code: 'PetGone', message: 'gone', status: 410, from: { type: 'backendStatus', statuses: [404, 410] } },
          ],
        },
        ipAccess: { allow: [], deny: ['2001:db8::/32'] },
        rateLimitPerSecond: 50,
      },
      {
        name: 'signed',
        frontend: { type: 'http', rawPath: '=/signed', match: 'exact', path: '/signed', method: 'POST' },
        auth: { type: 'keyPair', forwardAuthorization: true, requireSignedRequestTarget: true },
        cors: null,
        parameters: [],
        backend: {
          type: 'mock',
          statusCode: 201,
          headers: { 'x-m': '1', 'x-${k}': '%{v}' },
          body: 'aGk=',
          isBase64Encoded: true,
        },
        response: { errorCodes: [] },
        bodySchema: '{"type":"object","required":["name"],"properties":{"name":{"type":"string","maxLength":64}}}',
      },
      {
        name: 'jwt',
        frontend: { type: 'http', rawPath: '^~/jwt', match: 'prefix', path: '/jwt', method: 'GET' },
        auth: {
          type: 'oauth2',
          verifier: {
            jwks: '{"keys":[{"kty":"oct"}]}',
            algorithms: ['RS256', 'ES256'],
            issuer: 'https://issuer.example',
            audience: ['a', 'b'],
            clockToleranceSec: 30,
            requireExp: false,
            forwardToken: true,
            tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
            forwardClaims: [{ claim: 'sub', header: 'x-user' }],
          },
        },
        cors: null,
        parameters: [],
        backend: {
          type: 'scf',
          function: target('hello', bundled('functions/hello', 'a'.repeat(64))),
          responseIntegration: true,
        },
        response: {
          errorCodes: [
            {
              code: 'NoPet',
              message: 'no such pet',
              status: 404,
              from: { type: 'functionError', errorCodes: ['E404'] },
            },
          ],
        },
      },
      {
        name: 'pem',
        frontend: { type: 'http', rawPath: '=/pem', match: 'exact', path: '/pem', method: 'GET' },
        auth: {
          type: 'oauth2',
          verifier: {
            publicKeyPem:
              '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n',
            algorithms: ['ES256'],
            clockToleranceSec: 0,
            tokenLocation: { from: 'cookie', name: 'session' },
            forwardClaims: [],
          },
        },
        cors: null,
        parameters: [],
        backend: { type: 'mock', statusCode: 200, headers: {}, body: '', isBase64Encoded: false },
        response: { errorCodes: [] },
      },
      {
        name: 'token',
        frontend: { type: 'http', rawPath: '/oauth/token', match: 'plain', path: '/oauth/token', method: 'POST' },
        auth: { type: 'oauth2Endpoint' },
        cors: null,
        parameters: [],
        backend: {
          type: 'scf',
          function: target('remote', { type: 'remote', url: 'http://127.0.0.1:9001/invoke', headers: { 'x-k': 'v' } }),
          responseIntegration: false,
        },
        response: { errorCodes: [] },
      },
      {
        name: 'regex',
        frontend: {
          type: 'http',
          rawPath: '~^/r/(?<n>[0-9]+)$',
          match: 'regex',
          path: '^/r/(?<n>[0-9]+)$',
          method: 'GET',
        },
        auth: { type: 'none' },
        cors: null,
        parameters: [{ name: 'n', in: 'path', type: 'long', required: true }],
        backend: {
          type: 'mock',
          statusCode: 200,
          headers: {},
          body: '${not.a.template} %{if x} $${y} %%{z} $$ %',
          isBase64Encoded: false,
        },
        response: { errorCodes: [] },
      },
      {
        name: 'ws',
        frontend: { type: 'websocket', rawPath: '/ws', match: 'plain', path: '/ws', method: 'GET' },
        auth: { type: 'none' },
        cors: null,
        parameters: [{ name: 'room', in: 'query', type: 'string', required: false }],
        backend: {
          type: 'websocket',
          origin: 'ws://127.0.0.1:9002',
          path: '/chat',
          connectTimeoutMs: 1000,
          parameterMappings: [{ from: { in: 'query', name: 'room' }, to: { in: 'header', name: 'x-room' } }],
          constants: [],
          maxMessageBytes: 65536,
        },
        response: { errorCodes: [] },
      },
      {
        name: 'wsfn',
        frontend: { type: 'websocket', rawPath: '/wsfn', match: 'plain', path: '/wsfn', method: 'GET' },
        auth: { type: 'none' },
        cors: null,
        parameters: [],
        backend: {
          type: 'websocketFunctions',
          register: target('reg', bundled('functions/reg', 'b'.repeat(64))),
          transfer: target('xfer', bundled('functions/xfer', 'c'.repeat(64))),
          cleanup: target('bye', { type: 'remote', url: 'http://127.0.0.1:9003/bye', headers: {} }),
          maxMessageBytes: 1024,
        },
        response: { errorCodes: [] },
      },
    ],
  };
}

/** The fields `richConfig` cannot also hold (the other half of a one-of, other function source kinds). */
export function otherRichConfig(): AppliedConfig {
  const base = richConfig();
  return {
    ...base,
    service: {
      ...base.service,
      usagePlans: [{ name: 'all', keyPairs: ['AKID1'] }],
      connectionsAdminToken: { file: '/run/secrets/push' },
    },
    apis: [
      {
        name: 'remoteKeys',
        frontend: { type: 'http', rawPath: '=/remote-keys', match: 'exact', path: '/remote-keys', method: 'GET' },
        auth: {
          type: 'oauth2',
          verifier: {
            remoteJwks: {
              url: 'https://login.example/.well-known/jwks.json',
              timeoutMs: 2000,
              cooldownMs: 10_000,
              cacheMaxAgeMs: 300_000,
            },
            algorithms: ['RS256'],
            clockToleranceSec: 30,
            tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
            forwardClaims: [],
          },
        },
        cors: null,
        parameters: [],
        backend: { type: 'mock', statusCode: 200, headers: {}, body: '', isBase64Encoded: false },
        response: { errorCodes: [] },
      },
      {
        name: 'ws2',
        frontend: { type: 'websocket', rawPath: '/ws2', match: 'plain', path: '/ws2', method: 'GET' },
        auth: { type: 'none' },
        cors: null,
        parameters: [],
        backend: {
          type: 'websocket',
          origin: 'wss://127.0.0.1:9004',
          path: '/',
          connectTimeoutMs: 1000,
          parameterMappings: [],
          constants: [{ in: 'header', name: 'x-tenant', value: 'a' }],
          maxMessageBytes: 1024,
        },
        response: { errorCodes: [] },
      },
      {
        name: 'wsfn2',
        frontend: { type: 'websocket', rawPath: '/wsfn2', match: 'plain', path: '/wsfn2', method: 'GET' },
        auth: { type: 'none' },
        cors: null,
        parameters: [],
        backend: {
          type: 'websocketFunctions',
          register: target('reg', { type: 'remote', url: 'http://127.0.0.1:9005/reg', headers: { a: 'b' } }),
          transfer: target('xfer', { type: 'remote', url: 'http://127.0.0.1:9005/xfer', headers: {} }),
          cleanup: target('bye', bundled('functions/bye', 'd'.repeat(64))),
          maxMessageBytes: 1024,
        },
        response: { errorCodes: [] },
      },
    ],
  };
}
