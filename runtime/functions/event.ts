/** The function event, in the shape of the document's API gateway trigger: one builder for HTTP and WebSocket APIs. */
import { isUtf8 } from 'node:buffer';
import { eventHeaders } from '../headers';
import type { AdmittedRequest } from '../pipeline';

export interface FunctionEvent {
  readonly requestContext: {
    readonly serviceId: string;
    /** The API's path template, for example `/test/{path}`. */
    readonly path: string;
    /** The API's method (`ANY` for an ANY API; `httpMethod` is the request's). */
    readonly httpMethod: string;
    readonly requestId: string;
    /** `secretId` when key-pair authentication passed; `sub` when OAuth 2.0 passed. */
    readonly identity: Record<string, string>;
    readonly sourceIp: string;
    readonly stage: string;
  };
  /** Request headers minus the gateway-owned ones (see `headers.ts`), names in lower case, repeated values joined with `, `. */
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

/** The event of a WebSocket API served by functions: the function event plus the connection and the event kind. */
export interface WebSocketFunctionEvent extends FunctionEvent {
  readonly requestContext: FunctionEvent['requestContext'] & {
    readonly connectionId: string;
    readonly websocketEvent: 'connecting' | 'message' | 'closing';
  };
}

const TEXTUAL = /^\s*(text\/|application\/(json|xml|x-www-form-urlencoded|javascript|graphql)\b|[^;]*\+(json|xml)\b)/i;

/**
 * Builds the event of an HTTP request from the request and its whole body. A
 * body travels as text when its content type is textual (or absent) and it
 * is valid UTF-8; anything else is base64 with `isBase64Encoded: true`.
 */
export function buildEvent(ctx: AdmittedRequest, body: Buffer): FunctionEvent {
  const base = eventBase(ctx);
  const contentType = base.headers['content-type'];
  const binary = body.length > 0 && ((contentType !== undefined && !TEXTUAL.test(contentType)) || !isUtf8(body));
  return { ...base, body: binary ? body.toString('base64') : body.toString('utf8'), isBase64Encoded: binary };
}

/**
 * The events of one WebSocket connection, built from its admitted upgrade
 * request by the same rules as HTTP events (gateway-owned headers stripped,
 * identity and forwarded claims added). `body` is a message: text, or
 * base64 with `isBase64Encoded` for a binary one.
 */
export function webSocketEvents(
  ctx: AdmittedRequest,
  connectionId: string,
): (
  kind: WebSocketFunctionEvent['requestContext']['websocketEvent'],
  body?: string,
  isBase64Encoded?: boolean,
) => WebSocketFunctionEvent {
  const base = eventBase(ctx);
  return (websocketEvent, body = '', isBase64Encoded = false) => ({
    ...base,
    requestContext: { ...base.requestContext, connectionId, websocketEvent },
    body,
    isBase64Encoded,
  });
}

/** Everything of an event but the body, from the admitted request. */
function eventBase(ctx: AdmittedRequest): Omit<FunctionEvent, 'body' | 'isBase64Encoded'> {
  const { req, config } = ctx;
  const queryString = dict<string | string[]>();
  for (const [k, v] of ctx.query) {
    const prior = queryString[k];
    queryString[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  const identity: Record<string, string> = {};
  if (ctx.identity?.secretId) identity.secretId = ctx.identity.secretId;
  if (typeof ctx.identity?.claims?.sub === 'string') identity.sub = ctx.identity.claims.sub;
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
    headers: eventHeaders(ctx),
    pathParameters: { ...ctx.params.path },
    queryStringParameters: { ...ctx.params.query },
    headerParameters: { ...ctx.params.header },
    stageVariables: { stage: config.service.stage.name, ...config.service.stage.variables },
    path: ctx.path,
    queryString,
    httpMethod: req.method ?? 'GET',
  };
}

/** Keys come from the client: `__proto__` must stay an ordinary key. */
function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
