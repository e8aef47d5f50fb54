/**
 * Admission: every check a request passes before a backend sees it, written
 * once for HTTP requests (`handler.ts`) and WebSocket upgrades (`upgrade.ts`),
 * in this order:
 *
 *   target length (414) → normalisation (400) → framing: one `Host`, no
 *   transfer coding but `chunked`, header names with `_` when refused (400),
 *   no `Expect` but `100-continue` (417)
 *   → TLS server name against `Host` (421), or the HTTP → HTTPS redirect
 *   → [HTTP] health, metrics, connections endpoint, CORS preflight (after the
 *   API's IP lists, 403) → routing (404, 405) → the API's IP allow/deny
 *   lists (403) → the API's rate limit (429) → API kind: HTTP (426 for a WebSocket API) or
 *   [upgrade] WebSocket, with the whole handshake checked (400, 426) and an
 *   `Origin` the API's CORS settings allow (403) → parameters (400)
 *   → authentication (401, 403, 429).
 *
 * Nothing here writes to the client: the caller answers what admission
 * decided. The request path is hot: no closures and one object (the context)
 * per admitted request.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ListenersConfig } from '../model';
import type { CompiledApi } from './compile';
import { isPreflight } from './cors';
import { forwardedClient } from './ip-access';
import { Errors, GatewayError } from './errors';
import type { HandlerState } from './handler';
import { normalizeTarget } from './normalize';
import type { AdmittedRequest, Authenticator, Identity, RequestContext } from './pipeline';
import { CONNECTIONS_PATH } from './websocket/admin';
import { checkHandshake } from './websocket/handshake';

/** Requests the HTTP handler answers itself, without an API. */
export const Local = { Health: 1, Metrics: 2, Connections: 3, Preflight: 4, Redirect: 5, Unescape: 6 } as const;
export type LocalRoute = (typeof Local)[keyof typeof Local];

export type Admission<T> = T | GatewayError | LocalRoute | Promise<T | GatewayError>;

/** Facts about one request, computed once; admission fills in what it learns. */
export interface RequestInfo {
  readonly requestId: string;
  /** performance.now() at arrival, in milliseconds. */
  readonly startedAt: number;
  /** The TCP peer (an IPv4-mapped address unmapped): what the gateway appends to `X-Forwarded-For`. */
  readonly peerIp: string;
  /**
   * The client: the TCP peer, or with `limits.trustForwardedHeaders` the address the trusted proxy appended to
   * `X-Forwarded-For` (see ip-access.ts). What IP lists check, the access log shows and functions get as `sourceIp`.
   */
  readonly clientIp: string;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  /** The normalised path, once known (for the access log). */
  path: string;
  /** The API the request was routed to, once known. */
  api: CompiledApi | undefined;
  /** The API name for metrics and the access log, once known. */
  apiName: string | null;
  /** The API's CORS headers for this request's `Origin` (defined when the API has CORS on). */
  cors: Readonly<Record<string, string>> | undefined;
  /** The admitted request, once built. */
  ctx: AdmittedRequest | undefined;
  /** Upgrades: the subprotocols the client offered, checked. */
  protocols: readonly string[];
}

/** Shared by requests without a query string; never mutated. */
const EMPTY_QUERY = new URLSearchParams();
const NONE: readonly string[] = Object.freeze([]);

export function requestInfo(req: IncomingMessage, trustForwarded: boolean): RequestInfo {
  const socket = req.socket as TLSSocket;
  let peerIp = socket.remoteAddress ?? '';
  if (peerIp.startsWith('::ffff:')) peerIp = peerIp.slice(7);
  return {
    requestId: randomUUID(),
    startedAt: performance.now(),
    peerIp,
    clientIp: trustForwarded ? (forwardedClient(req) ?? peerIp) : peerIp,
    protocol: socket.encrypted ? 'https' : 'http',
    host: req.headers.host ?? '',
    path: '',
    api: undefined,
    apiName: null,
    cors: undefined,
    ctx: undefined,
    protocols: NONE,
  };
}

/**
 * Admits an HTTP request (`res` given) or a WebSocket upgrade (`res`
 * undefined). Returns the admitted request, a promise of it (authentication
 * in progress), the error to answer, or a `Local` route for the HTTP handler.
 * HOT PATH
 */
export function admit(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
): Admission<RequestContext>;
export function admit(
  state: HandlerState,
  req: IncomingMessage,
  res: undefined,
  info: RequestInfo,
): Admission<AdmittedRequest>;
export function admit(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse | undefined,
  info: RequestInfo,
): Admission<AdmittedRequest> {
  const upgrade = res === undefined;
  const gw = state.current;
  const { config } = gw.loaded;
  const { service } = config;
  const { limits } = service;
  const method = req.method ?? 'GET';

  const target = req.url ?? '/';
  if (target.length > limits.maxPathLength) return new GatewayError(Errors.UriTooLong);
  const normal = normalizeTarget(target, limits.escapedSlashes);
  if (!normal.ok) {
    // `escapedSlashes: 'redirect'`: an HTTP client is sent to the unescaped path (`info.path` holds it);
    // an upgrade cannot follow a redirect, so it is refused like any bad target.
    if (normal.location === undefined || upgrade) return new GatewayError(Errors.BadRequest, normal.reason);
    info.path = normal.location;
    return Local.Unescape;
  }
  const { path, query: rawQuery } = normal;
  info.path = path;

  const framing = checkFraming(req, limits.headersWithUnderscores === 'reject');
  if (framing) return framing;

  if (info.protocol === 'https') {
    // Also for upgrades: a resumed TLS session skips the SNI callback, so every request is checked.
    if (!state.tls?.allows((req.socket as TLSSocket).servername, req.headers.host)) {
      return new GatewayError(Errors.MisdirectedRequest);
    }
  } else if (service.listeners.http?.redirectToHttps && service.listeners.https && path !== service.healthPath) {
    if (!info.host) return new GatewayError(Errors.BadRequest, 'the Host header is missing');
    return Local.Redirect;
  }

  if (!upgrade) {
    if (path === service.healthPath && (method === 'GET' || method === 'HEAD')) return Local.Health;
    // With a metrics listener, metrics are served there only: here the path is an ordinary one.
    if (path === service.metricsPath && method === 'GET' && !service.listeners.metrics) return Local.Metrics;
    if (gw.adminToken !== undefined && path.startsWith(CONNECTIONS_PATH)) return Local.Connections;
    if (isPreflight(method, req.headers)) {
      let m = gw.router.find(String(req.headers['access-control-request-method']), path);
      // The API may take another method and still allow this one through its CORS methods.
      if (m.kind === 'methodNotAllowed') m = gw.router.find(m.allow[0] as string, path);
      const compiled = m.kind === 'found' ? gw.apis.get(m.api) : undefined;
      if (compiled?.cors) {
        info.api = compiled;
        info.apiName = compiled.api.name;
        const denied = compiled.ipAccess?.check(info.clientIp);
        if (denied) return denied;
        return Local.Preflight;
      }
    }
  }

  const match = gw.router.find(method, path);
  if (match.kind === 'notFound') return new GatewayError(Errors.RouteNotFound, `no API matches ${path}`);
  if (match.kind === 'methodNotAllowed') {
    return new GatewayError(Errors.MethodNotAllowed, `${path} does not accept ${method}`, {
      allow: match.allow.join(', '),
    });
  }
  const compiled = gw.apis.get(match.api) as CompiledApi;
  info.api = compiled;
  info.apiName = compiled.api.name;
  const origin = req.headers.origin;
  if (compiled.cors) info.cors = compiled.cors.responseHeaders(origin);

  // Traffic policies before anything else of the API: a refused caller costs no parameter or auth work.
  if (compiled.ipAccess) {
    const denied = compiled.ipAccess.check(info.clientIp);
    if (denied) return denied;
  }
  if (compiled.rateLimit) {
    const limited = compiled.rateLimit.admit(Date.now());
    if (limited) return limited;
  }

  if (upgrade) {
    if (!compiled.ws) return new GatewayError(Errors.BadRequest, `${path} is not a WebSocket API`);
    // The whole handshake, before a backend leg opens or a registration function runs.
    const offered = checkHandshake(req);
    if (offered instanceof GatewayError) return offered;
    info.protocols = offered;
    // Browsers do not preflight WebSockets: the Origin check is the only guard against cross-site use.
    if (compiled.cors && origin !== undefined && !compiled.cors.allows(origin)) {
      return new GatewayError(Errors.Forbidden, `origin ${origin} is not allowed`);
    }
  } else if (!compiled.backend) {
    return new GatewayError(Errors.UpgradeRequired, undefined, { upgrade: 'websocket', connection: 'Upgrade' });
  }

  // HOT PATH: one query parser per request, none without a query string.
  const query = rawQuery ? new URLSearchParams(rawQuery) : EMPTY_QUERY;
  const params = compiled.params({ headers: req.headers, query, pathParams: match.params });
  if (params instanceof GatewayError) return params;

  const ctx: RequestContext = {
    req,
    // Upgrades have no response object: their context is only read as an AdmittedRequest.
    res: res as ServerResponse,
    requestId: info.requestId,
    startedAt: info.startedAt,
    api: compiled.api,
    config,
    path,
    rawQuery,
    query,
    pathParams: match.params,
    params,
    identity: undefined,
    peerIp: info.peerIp,
    clientIp: info.clientIp,
    protocol: info.protocol,
    host: info.host,
    rest: match.rest,
    headerPolicy: compiled.headerPolicy,
    extraResponseHeaders: info.cors,
    backendMs: undefined,
  };
  info.ctx = ctx;
  return compiled.auth ? authenticate(compiled.auth, ctx) : ctx;
}

/**
 * The `Location` of the HTTP → HTTPS redirect (`Local.Redirect`, for requests
 * and upgrades alike): the request's host and target on the port clients
 * reach HTTPS at — `listeners.http.redirectPort` (a published port that
 * differs from the container's), else the HTTPS listener's port; none for 443.
 */
export function httpsRedirectLocation(listeners: ListenersConfig, info: RequestInfo, target: string): string {
  const port = listeners.http?.redirectPort ?? listeners.https?.port ?? 443;
  const host = info.host.replace(/:\d+$/, '');
  return `https://${host}${port === 443 ? '' : `:${port}`}${target.startsWith('/') ? target : info.path}`;
}

/**
 * Request framing Node's parser lets through: no `Host` in HTTP/1.1 or a
 * second one (RFC 9112 3.2: 400), a transfer coding other than `chunked` (the gateway would drop it),
 * — when `limits.headersWithUnderscores` is `reject` — header names with `_`, and an expectation other
 * than `100-continue` (RFC 9110 10.1.1: 417; any HTTP version, upgrades too).
 * HOT PATH: one pass over the raw header names.
 */
function checkFraming(req: IncomingMessage, rejectUnderscores: boolean): GatewayError | undefined {
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) hosts++;
    else if (rejectUnderscores && name.includes('_')) {
      return new GatewayError(Errors.BadRequest, `header names must not contain "_" (${name})`);
    }
  }
  if (hosts > 1) return new GatewayError(Errors.BadRequest, 'the request has more than one Host header');
  if (hosts === 0 && req.httpVersion === '1.1')
    return new GatewayError(Errors.BadRequest, 'the Host header is missing');
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.toLowerCase() !== 'chunked') {
    return new GatewayError(Errors.BadRequest, 'only the chunked transfer coding is accepted');
  }
  const expect = req.headers.expect;
  if (expect !== undefined && !CONTINUE.test(expect)) return new GatewayError(Errors.ExpectationFailed);
  return undefined;
}

/**
 * An `Expect` that asks for `100 Continue`: Node's own test, so that every request it hands to `checkContinue`
 * passes and every one it hands to `checkExpectation` (where it would answer a bare 417 itself) is refused here.
 */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

function authenticate<T extends AdmittedRequest>(
  auth: Authenticator,
  ctx: T,
): T | GatewayError | Promise<T | GatewayError> {
  let result: ReturnType<Authenticator['authenticate']>;
  try {
    result = auth.authenticate(ctx);
  } catch {
    return new GatewayError(Errors.InternalError);
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => settle(ctx, r),
      () => new GatewayError(Errors.InternalError),
    );
  }
  return settle(ctx, result);
}

function settle<T extends AdmittedRequest>(ctx: T, result: Identity | GatewayError): T | GatewayError {
  if (result instanceof GatewayError) return result;
  ctx.identity = result;
  return ctx;
}
