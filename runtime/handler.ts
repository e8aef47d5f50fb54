/**
 * The request path for HTTP: admission (`admission.ts`: target, framing,
 * server name, routing, parameters, CORS, authentication), the gateway's own
 * answers (health, metrics, connections endpoint, CORS preflight, redirect),
 * then the API's backend. Every failure is answered with the catalogue's
 * status and JSON body; nothing here throws to Node.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessLog, EventLog } from './access-log';
import { admit, httpsRedirectLocation, Local, requestInfo, type LocalRoute, type RequestInfo } from './admission';
import type { CompiledApi, CompiledGateway } from './compile';
import type { CorsPolicy } from './cors';
import { Errors, GatewayError, sendError } from './errors';
import { sendExposition, type Metrics } from './metrics';
import type { AdmittedRequest, RequestContext } from './pipeline';
import { functionLabel } from './functions/invoker';
import type { InFlightResponses } from './in-flight';
import type { TlsPolicy } from './tls';
import { handleConnectionsAdmin } from './websocket/admin';
import type { ConnectionRegistry } from './websocket/connections';

export { requestInfo, type RequestInfo } from './admission';

export interface HandlerState {
  /** The config generation new requests use; swapped atomically on reload. */
  current: CompiledGateway;
  /** The HTTPS listener's server-name policy, when HTTPS is on. */
  tls: TlsPolicy | undefined;
  draining: boolean;
  /** Responses whose head is not written yet may still be told to close (see `startDraining`). */
  readonly inFlight: InFlightResponses;
  readonly registry: ConnectionRegistry;
  readonly log: AccessLog;
  readonly events: EventLog;
  readonly metrics: Metrics;
  /** The health answer of a thread that is one of several workers (`cluster/instance-state.ts`). */
  readonly health?: (draining: boolean) => HealthAnswer;
}

/** What the health path answers. */
export interface HealthAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/**
 * Starts the drain: from now on every response says `Connection: close`,
 * those already in flight included, so keep-alive clients move on instead of
 * holding the process open.
 */
export function startDraining(state: HandlerState): void {
  state.draining = true;
  for (const res of state.inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
}

/**
 * Serves one request. With `expectContinue` (the client sent
 * `Expect: 100-continue` and waits), `100 Continue` is sent only once the
 * request was admitted, so a refusal reaches the client before its body.
 * HOT PATH
 */
export function handleRequest(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
  expectContinue = false,
): void {
  const info = requestInfo(req, state.current.loaded.config.service.limits.trustForwardedHeaders);

  if (state.draining) res.shouldKeepAlive = false;
  state.metrics.inFlight++;
  const entry = state.inFlight.add(res);
  // `once`, not `on`: a listener left on the response keeps the whole request (context, headers, parameters)
  // reachable from it after the request is over; measured, `on` cost ~3 µs of GC per request (bench/README.md).
  res.once('close', () => {
    state.metrics.inFlight--;
    state.inFlight.remove(entry);
    recordFinished(state, req, info, res.writableFinished ? res.statusCode : 499);
  });

  const admitted = admit(state, req, res, info);
  if (admitted instanceof GatewayError) return refuse(state, req, res, info, admitted);
  if (typeof admitted === 'number') return answerLocally(state, req, res, info, admitted);
  if (admitted instanceof Promise) {
    admitted.then((a) =>
      a instanceof GatewayError ? refuse(state, req, res, info, a) : serve(state, a, info.api, expectContinue),
    );
    return;
  }
  serve(state, admitted, info.api, expectContinue);
}

/** HOT PATH */
function serve(state: HandlerState, ctx: RequestContext, api: CompiledApi | undefined, expectContinue: boolean): void {
  if (expectContinue) {
    const declared = Number(ctx.req.headers['content-length'] ?? 0);
    if (declared > state.current.loaded.config.service.limits.maxBodyBytes) {
      return sendError(
        ctx.res,
        ctx.requestId,
        new GatewayError(Errors.PayloadTooLarge),
        false,
        ctx.extraResponseHeaders,
      );
    }
    ctx.res.writeContinue();
  }
  // Admission only admits HTTP requests to APIs with a backend.
  (api as CompiledApi).backend?.handle(ctx);
}

function refuse(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  err: GatewayError,
): void {
  // The body may still be arriving; drain it so the connection stays usable.
  req.resume();
  sendError(res, info.requestId, err, req.method === 'HEAD', info.cors);
  if (state.events.enabled('debug')) logRefusal(state.events, info, err);
}

/** `request_refused` (debug): why the gateway answered a request itself with an error, for "why did I get a 401?". */
export function logRefusal(events: EventLog, info: RequestInfo, err: GatewayError): void {
  events.debug('request_refused', {
    requestId: info.requestId,
    api: info.apiName,
    status: err.status,
    code: err.def.code,
    message: err.message,
  });
}

/**
 * Counts a finished request or upgrade (metrics, a backend failure's event)
 * and writes its access-log line; the one place both paths record an outcome.
 * HOT PATH
 */
export function recordFinished(state: HandlerState, req: IncomingMessage, info: RequestInfo, status: number): void {
  const durationMs = performance.now() - info.startedAt;
  const apiName = info.apiName;
  state.metrics.record(apiName, status, durationMs / 1000);
  const ctx = info.ctx;
  if (ctx?.backendFailure !== undefined && apiName !== null) {
    state.metrics.backendFailure(apiName, ctx.backendFailure);
    logBackendFailure(state.events, ctx, status);
  }
  if (state.log.enabled) {
    state.log.write({
      time: state.log.now(),
      requestId: info.requestId,
      method: req.method ?? 'GET',
      path: info.path,
      api: apiName,
      status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      backendMs: ctx?.backendMs === undefined ? null : Math.round(ctx.backendMs * 1000) / 1000,
      clientIp: info.clientIp,
    });
  }
}

/**
 * `backend_failed` (error): a backend or function failed and the client got a
 * 5xx, or a response it had started was cut. Says why (`cause`), which the
 * client is never told.
 */
export function logBackendFailure(events: EventLog, ctx: AdmittedRequest, status: number): void {
  const b = ctx.api.backend;
  events.error('backend_failed', {
    requestId: ctx.requestId,
    api: ctx.api.name,
    backend: b.type,
    ...(b.type === 'scf' ? { function: functionLabel(b.function) } : {}),
    status,
    error: ctx.backendFailure,
    cause: ctx.failure?.cause ?? 'unknown',
    ...(ctx.failure?.detail ? { detail: ctx.failure.detail } : {}),
    ...(ctx.backendMs !== undefined ? { backendMs: Math.round(ctx.backendMs * 1000) / 1000 } : {}),
  });
}

function answerLocally(
  state: HandlerState,
  req: IncomingMessage,
  res: ServerResponse,
  info: RequestInfo,
  route: LocalRoute,
): void {
  const gw = state.current;
  const head = req.method === 'HEAD';
  switch (route) {
    case Local.Health: {
      const health: HealthAnswer = state.health
        ? state.health(state.draining)
        : { status: state.draining ? 503 : 200, body: { status: state.draining ? 'draining' : 'ok' } };
      return sendJson(res, info.requestId, health.status, health.body, head);
    }
    case Local.Metrics:
      return serveMetrics(state, res, info.requestId, head);
    case Local.Connections: {
      info.apiName = '(connections)';
      const { limits } = gw.loaded.config.service;
      return handleConnectionsAdmin(
        req,
        res,
        info.path,
        info.requestId,
        gw.adminToken as string,
        state.registry,
        limits.maxBodyBytes,
      );
    }
    case Local.Preflight: {
      const cors = (info.api as CompiledApi).cors as CorsPolicy;
      const headers = cors.preflightHeaders(req.headers);
      if (!headers) {
        info.cors = cors.refusedPreflightHeaders;
        return refuse(state, req, res, info, new GatewayError(Errors.Forbidden, 'the CORS preflight was refused'));
      }
      req.resume();
      res.writeHead(204, { ...headers, 'x-api-requestid': info.requestId, 'content-length': 0 });
      res.end();
      return;
    }
    case Local.Unescape:
      // `escapedSlashes: 'redirect'`: 307 keeps the method and body; `info.path` is the unescaped path and query.
      req.resume();
      res.writeHead(307, { location: info.path, 'content-length': 0, 'x-api-requestid': info.requestId });
      res.end();
      return;
    case Local.Redirect: {
      const location = httpsRedirectLocation(gw.loaded.config.service.listeners, info, req.url ?? '/');
      req.resume();
      res.writeHead(308, { location, 'content-length': 0, 'x-api-requestid': info.requestId });
      res.end();
      return;
    }
  }
}

/** A scrape: on the public listener at `metricsPath`, or on the metrics listener (`metrics-server.ts`). */
export function serveMetrics(state: HandlerState, res: ServerResponse, requestId: string, head: boolean): void {
  sendExposition(res, requestId, head, state.metrics.exposition(state.current.invoker.poolStats()), state.events);
}

function sendJson(res: ServerResponse, requestId: string, status: number, body: unknown, head: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-api-requestid': requestId,
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : text);
}
