/** Small config documents built by tests. */
import { DEFAULT_LIMITS, parsePathSyntax, type ApiConfig, type BackendConfig, type GatewayConfig } from '../../model';

export function api(name: string, rawPath: string, backend: BackendConfig, extra: Partial<ApiConfig> = {}): ApiConfig {
  const { match, path } = parsePathSyntax(rawPath);
  return {
    name,
    frontend: { type: 'http', rawPath, match, path, method: 'GET' },
    auth: { type: 'none' },
    cors: null,
    parameters: [],
    backend,
    response: { errorCodes: [] },
    ...extra,
  };
}

export function mock(body: string, statusCode = 200): BackendConfig {
  return { type: 'mock', statusCode, headers: {}, body, isBase64Encoded: false };
}

export function http(
  origin: string,
  path = '/',
  extra: Partial<Extract<BackendConfig, { type: 'http' }>> = {},
): BackendConfig {
  return { type: 'http', origin, path, method: 'GET', timeoutMs: 2000, parameterMappings: [], constants: [], ...extra };
}

export function gatewayConfig(apis: ApiConfig[], service: Partial<GatewayConfig['service']> = {}): GatewayConfig {
  return {
    version: 1,
    service: {
      name: 'test',
      id: 'service-test',
      stage: { name: 'release', variables: {} },
      listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } },
      healthPath: '/__apigw/health',
      limits: { ...DEFAULT_LIMITS, shutdownGraceMs: 500 },
      keyPairs: [],
      usagePlans: [],
      ...service,
    },
    apis,
  };
}
