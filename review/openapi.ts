/**
 * An OpenAPI 3.1 document of one service. Every API appears:
 *
 * - under `paths`, the APIs that serve a literal path or a path template:
 *   exact (`=/a`), template (`/a/{id}`) and plain (`/a`, which also serves
 *   the paths it prefixes, said in its description);
 * - under `x-apigw-routes`, the APIs OpenAPI cannot express, each with the
 *   operation it would have and the reason: prefix routes (`^~/a` serves
 *   every path that starts with `/a`, not the literal `/a`), regular
 *   expression routes, WebSocket APIs, and a plain API whose literal path an
 *   exact API of the same method already holds.
 *
 * An ANY API has one operation per method it serves at its path (the others
 * are the operations of the APIs of those methods), each with
 * `x-apigw-api` naming it and `x-apigw-method: ANY`.
 *
 * When the runtime's own router serves a documented path with another API
 * (a prefix route in front of a plain one), the operation says so in
 * `x-apigw-served-by`. Responses: the success and failure samples, the API's
 * declared error codes (under their status when they have one: those the
 * gateway converts backend answers to, and documented ones), and each
 * gateway error the API can answer, with the catalogue's codes
 * (`runtime/errors.ts`). An API's body schema is its `requestBody`.
 */
import {
  ANY_METHODS,
  routeMethodsFor,
  type ApiConfig,
  type ErrorCodeDoc,
  type GatewayConfig,
  type Parameter,
  type ParamType,
} from '../model';
import { Errors, type ErrorDef } from '../runtime/errors';
import { Router } from '../runtime/router';
import { BODY_METHODS, gatewayErrorsOf } from './gateway-errors';
import { probes } from './risks';

type Json = Record<string, unknown>;

const SCHEMAS: Record<ParamType, Json> = {
  string: { type: 'string' },
  int: { type: 'integer', format: 'int32' },
  long: { type: 'integer', format: 'int64' },
  float: { type: 'number', format: 'float' },
  double: { type: 'number', format: 'double' },
  boolean: { type: 'boolean' },
};

const REASONS = {
  prefix: 'a prefix route serves every path that starts with its path; OpenAPI paths are literal',
  regex: 'a regular expression route; OpenAPI paths cannot hold regular expressions',
  websocket: 'a WebSocket API; OpenAPI describes HTTP request/response operations only',
} as const;

export function toOpenApi(config: GatewayConfig): Json {
  const { service } = config;
  const router = new Router(config.apis);
  const schemes: Record<string, Json> = {};
  const paths: Record<string, Record<string, Json>> = {};
  const extra: Json[] = [];
  const route = (api: ApiConfig, reason: string, operation: Json): void => {
    extra.push({
      api: api.name,
      protocol: api.frontend.type,
      method: api.frontend.method,
      match: api.frontend.match,
      rawPath: api.frontend.rawPath,
      reason,
      operation,
    });
  };

  // Exact routes first: they hold their literal path against a plain route of the same path. ANY routes last:
  // at their path, the routes of each method win (model/methods.ts), so an ANY API documents the rest.
  const order = (api: ApiConfig): number =>
    (api.frontend.match === 'exact' ? 0 : 1) + (api.frontend.method === 'ANY' ? 2 : 0);
  for (const api of [...config.apis].sort((a, b) => order(a) - order(b))) {
    const { match, method, path } = api.frontend;
    if (api.frontend.type === 'websocket') route(api, REASONS.websocket, operation(api, config, schemes, method));
    else if (match === 'prefix' || match === 'regex')
      route(api, REASONS[match], operation(api, config, schemes, method));
    else if (method !== 'ANY') {
      const op = operation(api, config, schemes, method);
      const holder = paths[path]?.[method.toLowerCase()];
      if (holder)
        route(api, `the literal path ${path} is served by ${String(holder.operationId)} (${method} ${path})`, op);
      else place(api, method, op);
    } else {
      // One operation per method the API serves there (`x-apigw-api` names the API): not those a route of the
      // same path prefers (HEAD goes to a GET route), nor those another API documents there; none left: an extension.
      const preferred = (m: string): boolean => {
        const preference = routeMethodsFor(m);
        return config.apis.some((other) => {
          const rank = preference.indexOf(other.frontend.method);
          const samePath = other.frontend.match === match && other.frontend.path === path;
          return samePath && other.frontend.type === 'http' && rank >= 0 && rank < preference.indexOf('ANY');
        });
      };
      const free = ANY_METHODS.filter((m) => !preferred(m) && paths[path]?.[m.toLowerCase()] === undefined);
      if (free.length === 0) {
        route(
          api,
          `every method of the literal path ${path} is served by another API`,
          operation(api, config, schemes, method),
        );
        continue;
      }
      for (const m of free) {
        const op = operation(api, config, schemes, m);
        op.operationId = `${api.name}.${m.toLowerCase()}`;
        op['x-apigw-api'] = api.name;
        op['x-apigw-method'] = 'ANY';
        place(api, m, op);
      }
    }
  }

  /** Puts the operation of `api` for `method` at its path, saying when a higher-priority route serves it. */
  function place(api: ApiConfig, method: string, op: Json): void {
    const { path } = api.frontend;
    const served = servedBy(router, api, method);
    if (served) {
      op['x-apigw-served-by'] = served.name;
      op.description = join(
        op.description,
        `Requests to ${path} itself are served by \`${served.name}\` (\`${served.frontend.rawPath}\`), a route of higher priority.`,
      );
    }
    (paths[path] ??= {})[method.toLowerCase()] = op;
  }

  // Where the gateway is reached is not in the config: the host is a server variable.
  const http = service.listeners.http;
  const https = service.listeners.https;
  const server = (scheme: string, port: number, host: string): Json => ({
    url: `${scheme}://{host}:${port}`,
    variables: { host: { default: host, description: 'the host name the gateway is reached at' } },
  });
  const httpsHost = https?.certificates[0]?.domains[0]?.replace('*.', 'api.');
  const servers = [
    ...(https ? [server('https', https.port, httpsHost ?? 'localhost')] : []),
    ...(http ? [server('http', http.port, 'localhost')] : []),
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
      ...(Object.keys(schemes).length > 0 ? { securitySchemes: schemes } : {}),
      schemas: {
        ApiError: {
          type: 'object',
          description:
            "An error code of the API's own (`response.errorCodes`), answered by the gateway in place of the backend's answer.",
          required: ['code', 'message', 'requestId'],
          properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
        },
        GatewayError: {
          type: 'object',
          description: 'An error the gateway answers itself (see the README, "Error responses").',
          required: ['code', 'message', 'requestId'],
          properties: {
            code: { type: 'string', enum: Object.values(Errors).map((e) => e.code) },
            message: { type: 'string' },
            requestId: { type: ['string', 'null'] },
          },
        },
      },
    },
    ...(extra.length > 0 ? { 'x-apigw-routes': extra } : {}),
  };
}

/** The API the runtime serves at this API's own path with `method`, when it is another one. */
function servedBy(router: Router, api: ApiConfig, method: string): ApiConfig | undefined {
  const path = probes(api)[0];
  if (path === undefined) return undefined;
  const found = router.find(method, path);
  return found.kind === 'found' && found.api.name !== api.name ? found.api : undefined;
}

/** The operation of `api` for requests of `method` (its own, or one of those an ANY API serves). */
function operation(api: ApiConfig, config: GatewayConfig, schemes: Record<string, Json>, method: string): Json {
  const { match, path } = api.frontend;
  const prefixNote =
    match === 'plain'
      ? `Serves ${path} and, as a plain prefix of lowest priority, every path that starts with ${path}.`
      : match === 'prefix'
        ? `Serves every path that starts with ${path}; the rest of the path is appended to the backend path.`
        : undefined;
  const description = join(api.description, prefixNote);
  return {
    operationId: api.name,
    summary: api.name,
    ...(description ? { description } : {}),
    'x-apigw-match': match,
    'x-apigw-path': api.frontend.rawPath,
    parameters: api.parameters.map(parameter),
    ...(BODY_METHODS.has(method) || api.bodySchema !== undefined ? { requestBody: requestBody(api, config) } : {}),
    responses: responses(api, config),
    security: securityOf(api, schemes),
  };
}

function join(...parts: (unknown | undefined)[]): string | undefined {
  const text = parts.filter((p): p is string => typeof p === 'string' && p !== '').join('\n\n');
  return text === '' ? undefined : text;
}

function requestBody(api: ApiConfig, config: GatewayConfig): Json {
  const max = config.service.limits.maxBodyBytes;
  if (api.bodySchema !== undefined) {
    return {
      description: `A JSON body the schema accepts, at most ${max} bytes; checked by the gateway before the backend (400 \`InvalidBody\` otherwise).`,
      required: true,
      content: { 'application/json': { schema: parseMaybe(api.bodySchema) } },
    };
  }
  return {
    description: `Forwarded to the backend as sent; at most ${config.service.limits.maxBodyBytes} bytes.`,
    required: false,
    content: { '*/*': { schema: {} } },
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

function securityOf(api: ApiConfig, schemes: Record<string, Json>): Json[] {
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
  return []; // public: no authentication
}

function responses(api: ApiConfig, config: GatewayConfig): Json {
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
  const out: Json = { '200': { description: 'Success', ...(success ? { content: success } : {}) } };
  const byStatus = new Map<number, { gateway: ErrorDef[]; declared: ErrorCodeDoc[] }>();
  const at = (status: number) => {
    let entry = byStatus.get(status);
    if (!entry) byStatus.set(status, (entry = { gateway: [], declared: [] }));
    return entry;
  };
  for (const e of gatewayErrorsOf(api, config)) at(e.status).gateway.push(e);
  for (const c of codes) if (c.status !== undefined) at(c.status).declared.push(c);
  for (const [status, { gateway, declared }] of [...byStatus].sort(([a], [b]) => a - b)) {
    const schemas: Json[] = [];
    if (gateway.length > 0)
      schemas.push({
        allOf: [
          { $ref: '#/components/schemas/GatewayError' },
          { type: 'object', properties: { code: { enum: gateway.map((d) => d.code) } } },
        ],
      });
    if (declared.length > 0)
      schemas.push({
        allOf: [
          { $ref: '#/components/schemas/ApiError' },
          { type: 'object', properties: { code: { enum: declared.map((d) => d.code) } } },
        ],
      });
    const description = join(
      gateway.length > 0
        ? `Answered by the gateway: ${gateway.map((d) => `\`${d.code}\` (${d.message})`).join('; ')}.`
        : undefined,
      declared.length > 0 ? `Error codes of this API: ${declared.map(describeCode).join('; ')}.` : undefined,
    );
    out[String(status)] = {
      description,
      content: { 'application/json': { schema: schemas.length === 1 ? schemas[0] : { anyOf: schemas } } },
    };
  }
  out.default = {
    description: `Failure from the backend${table}`,
    ...(failure ? { content: failure } : {}),
    ...(codes.length > 0 ? { 'x-apigw-error-codes': codes } : {}),
  };
  return out;
}

/** A declared error code, and what the gateway converts to it. */
function describeCode(c: ErrorCodeDoc): string {
  const from =
    c.from === undefined
      ? ''
      : c.from.type === 'backendStatus'
        ? `, for backend status ${c.from.statuses.join(', ')}`
        : `, for function error code ${c.from.errorCodes.join(', ')}`;
  return `\`${c.code}\` (${c.message}${from})`;
}

function parseMaybe(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
