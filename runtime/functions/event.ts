/** The function event, in the shape of the document's API gateway trigger. */
import { isUtf8 } from 'node:buffer';
import type { RequestContext } from '../pipeline';

export interface FunctionEvent {
  readonly requestContext: {
    readonly serviceId: string;
    /** The API's path template, for example `/test/{path}`. */
    readonly path: string;
    /** The API's method. */
    readonly httpMethod: string;
    readonly requestId: string;
    /** `secretId` when key-pair authentication passed; `sub` when OAuth 2.0 passed. */
    readonly identity: Record<string, string>;
    readonly sourceIp: string;
    readonly stage: string;
  };
  /** Request headers, names in lower case, repeated values joined with `, `. */
  readonly headers: Record<string, string>;
  /** The body as UTF-8 text, or base64 when `isBase64Encoded`. */
  readonly body: string;
  readonly isBase64Encoded: boolean;
  /** Declared parameters, after checks and defaults. */
  readonly pathParameters: Record<string, string>;
  readonly queryStringParameters: Record<string, string>;
  readonly headerParameters: Record<string, string>;
  readonly stageVariables: Record<string, string>;
  /** The path of this request. */
  readonly path: string;
  /** Every query parameter of the request; a repeated one is an array. */
  readonly queryString: Record<string, string | string[]>;
  /** The method of this request. */
  readonly httpMethod: string;
}

const TEXTUAL = /^\s*(text\/|application\/(json|xml|x-www-form-urlencoded|javascript|graphql)\b|[^;]*\+(json|xml)\b)/i;
/** Headers a client cannot set: the gateway's own (the HTTP backend drops the same ones). */
const GATEWAY_HEADERS = new Set(['x-api-requestid', 'x-api-secretid']);

/**
 * Builds the event from the request and its whole body. A body travels as
 * text when its content type is textual (or absent) and it is valid UTF-8;
 * anything else is base64 with `isBase64Encoded: true`.
 */
export function buildEvent(ctx: RequestContext, body: Buffer): FunctionEvent {
  const { req, config } = ctx;
  const headers = dict<string>();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined && !GATEWAY_HEADERS.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  Object.assign(headers, ctx.identity?.forwardHeaders);
  headers['x-api-requestid'] = ctx.requestId;

  const contentType = headers['content-type'];
  const binary = body.length > 0 && ((contentType !== undefined && !TEXTUAL.test(contentType)) || !isUtf8(body));

  const queryString = dict<string | string[]>();
  for (const [k, v] of ctx.query) {
    const prior = queryString[k];
    queryString[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }

  const identity: Record<string, string> = {};
  if (ctx.identity?.secretId) identity.secretId = ctx.identity.secretId;
  if (typeof ctx.identity?.claims?.sub === 'string') identity.sub = ctx.identity.claims.sub;

  const method = req.method ?? 'GET';
  return {
    requestContext: {
      serviceId: config.service.id,
      path: ctx.api.frontend.path,
      httpMethod: ctx.api.frontend.method,
      requestId: ctx.requestId,
      identity,
      sourceIp: ctx.clientIp,
      stage: config.service.stage.name,
    },
    headers,
    body: binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: binary,
    pathParameters: { ...ctx.params.path },
    queryStringParameters: { ...ctx.params.query },
    headerParameters: { ...ctx.params.header },
    stageVariables: { stage: config.service.stage.name, ...config.service.stage.variables },
    path: ctx.path,
    queryString,
    httpMethod: method,
  };
}

/** Keys come from the client: `__proto__` must stay an ordinary key. */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
