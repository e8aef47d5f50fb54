/**
 * The shapes that connect the server to the per-API stages (parameters, auth,
 * CORS, backends). Each API is compiled once, at config load, into a
 * `CompiledApi`; the request path only runs what that object holds.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiConfig, GatewayConfig } from '../model';
import type { FailureCause, GatewayError } from './errors';
import type { HeaderPolicy } from './headers';

/** Who the caller is, after authentication. Never holds a secret. */
export interface Identity {
  /** Key-pair id, when key-pair authentication passed. */
  readonly secretId?: string;
  /** Verified JWT claims, when OAuth 2.0 passed. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Headers to add to the backend request (for example forwarded claims). */
  readonly forwardHeaders?: Readonly<Record<string, string>>;
}

/** Declared parameters after extraction, checks and defaults. Header names are lower-case. */
export interface RequestParams {
  readonly path: Record<string, string>;
  readonly query: Record<string, string>;
  readonly header: Record<string, string>;
  /** Defaults of absent query parameters, form-encoded (`a=1&b=2`), to append to the backend query. */
  queryAppend?: string;
  /** A query parameter was present but empty and got its default: the backend query must be rebuilt. */
  queryRewrite?: boolean;
}

/**
 * A request that passed admission (routing, parameters, CORS origin and, once
 * set, authentication): what authenticators, backends and function events
 * read. Built once per request by `admission.ts`, for HTTP requests and
 * WebSocket upgrades alike.
 */
export interface AdmittedRequest {
  readonly req: IncomingMessage;
  readonly requestId: string;
  /** performance.now() when the request arrived (milliseconds; a number, so no BigInt per request). */
  readonly startedAt: number;
  readonly api: ApiConfig;
  readonly config: GatewayConfig;
  /** The normalised path the router matched (see README "Path normalisation"). */
  readonly path: string;
  /** The raw query string, without `?` (may be empty). */
  readonly rawQuery: string;
  /** All query parameters of the request (declared or not). */
  readonly query: URLSearchParams;
  /** Values of `{param}` placeholders, from the router. */
  readonly pathParams: Readonly<Record<string, string>>;
  params: RequestParams;
  identity: Identity | undefined;
  /** The TCP peer, appended to `X-Forwarded-For`. */
  readonly peerIp: string;
  /** The client by the trusted-proxy rule (`RequestInfo.clientIp`): the function event's `sourceIp`. */
  readonly clientIp: string;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  /** For prefix and plain routes: the path after the matched prefix (appended to the backend path). */
  readonly rest: string;
  /** Which request headers the gateway owns and drops (see `headers.ts`); compiled per API at load. */
  readonly headerPolicy: HeaderPolicy;
  /**
   * Headers every response of this request carries (CORS), added by the backend when it writes the head.
   * Defined exactly when the API has CORS on (then the gateway owns the `Access-Control-*` response headers).
   */
  extraResponseHeaders: Readonly<Record<string, string>> | undefined;
  /** Milliseconds the backend took, set by the backend for the access log. */
  backendMs: number | undefined;
  /**
   * Set by the backend when it failed with a 5xx (or cut a response it had
   * started): the error code the client got, or `ResponseCut` (for metrics and
   * the `backend_failed` event).
   */
  backendFailure?: string;
  /** Why the backend failed, for the `backend_failed` event (never sent to the client). */
  failure?: FailureCause;
}

/** An admitted HTTP request and the response it must answer. */
export interface RequestContext extends AdmittedRequest {
  readonly res: ServerResponse;
  /** The whole request body, when a stage before the backend read it (body validation); the backend sends it. */
  body?: Buffer;
}

/** Serves an HTTP API's requests once routing, parameters and auth passed. */
export interface HttpBackendHandler {
  /** Must answer `ctx.res` exactly once; errors go through `sendError`, never a throw. */
  handle(ctx: RequestContext): void;
  /** Frees pools, workers and sockets when a config is retired. */
  close(): Promise<void>;
}

/** Checks credentials; returns the identity or the error to answer. Reads the request only (also for upgrades). */
export interface Authenticator {
  authenticate(ctx: AdmittedRequest): Identity | GatewayError | Promise<Identity | GatewayError>;
}
