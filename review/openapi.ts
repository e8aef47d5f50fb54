/**
 * An OpenAPI 3.1 document of one service: paths, methods, parameters,
 * security schemes, response samples and the declared error codes. Regular
 * expression routes cannot be written as OpenAPI paths; they are listed under
 * `x-apigw-regex-routes`.
 */
import type { ApiConfig, GatewayConfig, Parameter, ParamType } from '../model';
import { Errors } from '../runtime/errors';

type Json = Record<string, unknown>;

const SCHEMAS: Record<ParamType, Json> = {
  string: { type: 'string' },
  int: { type: 'integer', format: 'int32' },
  long: { type: 'integer', format: 'int64' },
  float: { type: 'number', format: 'float' },
  double: { type: 'number', format: 'double' },
  boolean: { type: 'boolean' },
};

export function toOpenApi(config: GatewayConfig): Json {
  const { service } = config;
  const paths: Record<string, Json> = {};
  const regexRoutes: Json[] = [];
  const schemes: Record<string, Json> = {};
  for (const api of config.apis) {
    if (api.frontend.match === 'regex') {
      regexRoutes.push({ name: api.name, method: api.frontend.method, pattern: api.frontend.path });
      continue;
    }
    const security = securityOf(api, schemes);
    const operation: Json = {
      operationId: api.name,
      ...(api.description ? { description: api.description } : {}),
      summary: api.name,
      'x-apigw-match': api.frontend.match,
      'x-apigw-protocol': api.frontend.type,
      parameters: api.parameters.map(parameter),
      responses: responses(api),
      ...(security ? { security } : {}),
    };
    const item = (paths[api.frontend.path] ??= {});
    item[api.frontend.method.toLowerCase()] = operation;
  }
  const http = service.listeners.http;
  const https = service.listeners.https;
  const servers = [
    ...(https
      ? [{ url: `https://${https.certificates[0]?.domains[0]?.replace('*.', 'api.') ?? 'localhost'}:${https.port}` }]
      : []),
    ...(http ? [{ url: `http://localhost:${http.port}` }] : []),
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: service.name,
      version: service.stage.name,
      ...(service.description ? { description: service.description } : {}),
    },
    servers,
    paths,
    components: {
      securitySchemes: schemes,
      schemas: {
        GatewayError: {
          type: 'object',
          required: ['code', 'message', 'requestId'],
          properties: {
            code: { type: 'string', enum: Object.values(Errors).map((e) => e.code) },
            message: { type: 'string' },
            requestId: { type: ['string', 'null'] },
          },
        },
      },
    },
    ...(regexRoutes.length > 0 ? { 'x-apigw-regex-routes': regexRoutes } : {}),
  };
}

function parameter(p: Parameter): Json {
  const schema: Json = {
    ...SCHEMAS[p.type],
    ...(p.default !== undefined ? { default: coerce(p.type, p.default) } : {}),
  };
  return {
    name: p.name,
    in: p.in,
    required: p.in === 'path' ? true : p.required,
    schema,
    ...(p.description ? { description: p.description } : {}),
    ...(p.sample !== undefined ? { example: coerce(p.type, p.sample) } : {}),
  };
}

function coerce(type: ParamType, value: string): unknown {
  if (type === 'boolean') return value === 'true';
  if (type === 'string') return value;
  return Number(value);
}

function securityOf(api: ApiConfig, schemes: Record<string, Json>): Json[] | undefined {
  if (api.auth.type === 'keyPair') {
    schemes.keyPair = {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description:
        'HMAC signature: `hmac id="<secretId>", algorithm="hmac-sha256", headers="x-date source", signature="<base64>"` over the listed headers; see the gateway README.',
    };
    return [{ keyPair: [] }];
  }
  if (api.auth.type === 'oauth2') {
    const v = api.auth.verifier;
    schemes.oauth2 = {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: `OAuth 2.0 access token (JWT, ${v.algorithms.join('/')})${v.issuer ? ` issued by ${v.issuer}` : ''}.`,
    };
    return [{ oauth2: [] }];
  }
  return undefined;
}

function responses(api: ApiConfig): Json {
  const contentType = api.response.contentType ?? 'application/json';
  const example = (sample: string | undefined): Json | undefined =>
    sample === undefined ? undefined : { [contentType]: { example: parseMaybe(sample) } };
  const success = example(api.response.successSample);
  const failure = example(api.response.failureSample);
  const codes = api.response.errorCodes;
  const table =
    codes.length > 0
      ? `\n\n| Code | Message | Description |\n|---|---|---|\n${codes.map((c) => `| ${c.code} | ${c.message} | ${c.description ?? ''} |`).join('\n')}`
      : '';
  return {
    '200': { description: 'Success', ...(success ? { content: success } : {}) },
    default: {
      description: `Failure${table}`,
      content: failure ?? { 'application/json': { schema: { $ref: '#/components/schemas/GatewayError' } } },
      ...(codes.length > 0 ? { 'x-apigw-error-codes': codes } : {}),
    },
  };
}

function parseMaybe(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
