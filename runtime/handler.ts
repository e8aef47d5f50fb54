/**
 * The request pipeline for HTTP APIs:
 * target checks → normalisation → health/metrics → CORS preflight → routing
 * → parameters → CORS → authentication → backend. Every failure is answered
 * with the catalogue's status and JSON body; nothing here throws to Node.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AccessLog } from './access-log';
import type { CompiledApi, CompiledGateway } from './compile';
import { isPreflight } from './cors';
import { Errors, GatewayError, sendError } from './errors';
import type { Metrics } from './metrics';
import { normalizeTarget } from './normalize';
import type { TlsPolicy } from './tls';
import { CONNECTIONS_PATH, handleConnectionsAdmin } from './websocket/admin';
import type { ConnectionRegistry } from './websocket/connections';
import type { Identity, RequestContext } from './pipeline';

/** Shared by requests without a query string; never mutated. */
const EMPTY_QUERY = new URLSearchParams();

export interface HandlerState {
  /** The config generation new requests use; swapped atomically on reload. */
  current: CompiledGateway;
  /** The HTTPS listener's server-name policy, when HTTPS is on. */
  tls: TlsPolicy | undefined;
  draining: boolean;
  readonly registry: ConnectionRegistry;
  readonly log: AccessLog;
  readonly metrics: Metrics;
}

export interface RequestInfo {
  readonly requestId: string;
  readonly startedAt: bigint;
  readonly clientIp: string;
  readonly protocol: 'http' | 'https';
  readonly host: string;
}

/** Facts about a request every stage needs, computed once. */
export function requestInfo(req: IncomingMessage): RequestInfo {
  const socket = req.socket as TLSSocket;
  const protocol = socket.encrypted ? 'https' : 'http';
  let clientIp = socket.remoteAddress ?? '';
  if (clientIp.startsWith('::ffff:')) clientIp = clientIp.slice(7);
  return {
    requestId: randomUUID(),
    startedAt: process.hrtime.bigint(),
    clientIp,
    protocol,
    host: req.headers.host ?? '',
  };
}

export function handleRequest(state: HandlerState, req: IncomingMessage, res: ServerResponse): void {
  const gw = state.current;
  const { config } = gw.loaded;
  const { limits } = config.service;
  const info = requestInfo(req);
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  let apiName: string | null = null;
  let pathForLog = '';
  // Filled in once the request reaches a backend; read when the response closes.
  const late: { ctx?: RequestContext } = {};

  // While draining, answer and close, so keep-alive clients move on instead of holding the process open.
  if (state.draining) res.shouldKeepAlive = false;
  state.metrics.inFlight++;
  res.once('close', () => {
    state.metrics.inFlight--;
    const status = res.writableFinished ? res.statusCode : 499;
    const durationMs = Number(process.hrtime.bigint() - info.startedAt) / 1e6;
    state.metrics.record(apiName, status, durationMs / 1000);
    if (late.ctx?.backendFailure !== undefined && apiName !== null)
      state.metrics.backendFailure(apiName, late.ctx.backendFailure);
    if (state.log.enabled) {
      state.log.write({
        time: state.log.now(),
        requestId: info.requestId,
        method,
        path: pathForLog,
        api: apiName,
        status,
        durationMs: Math.round(durationMs * 1000) / 1000,
        backendMs: late.ctx?.backendMs === undefined ? null : Math.round(late.ctx.backendMs * 1000) / 1000,
        clientIp: info.clientIp,
      });
    }
  });

  const fail = (err: GatewayError, extra?: Readonly<Record<string, string>>): void => {
    // The body may still be arriving; drain it so the connection stays usable.
    req.resume();
    sendError(
      res,
      info.requestId,
      extra ? new GatewayError(err.def, err.message, { ...err.headers, ...extra }) : err,
      head,
    );
  };

  const target = req.url ?? '/';
  if (target.length > limits.maxPathLength) return fail(new GatewayError(Errors.UriTooLong));
  const normal = normalizeTarget(target, limits.escapedSlashes);
  if (!normal.ok) {
    if (normal.location === undefined) return fail(new GatewayError(Errors.BadRequest, normal.reason));
    // `escapedSlashes: 'redirect'`: send the client to the unescaped, normalised path (307 keeps method and body).
    req.resume();
    res.writeHead(307, { location: normal.location, 'content-length': 0, 'x-api-requestid': info.requestId });
    res.end();
    return;
  }
  const { path, query: rawQuery } = normal;
  pathForLog = path;

  if (info.protocol === 'https') {
    if (!state.tls?.allows((req.socket as TLSSocket).servername, req.headers.host)) {
      return fail(new GatewayError(Errors.MisdirectedRequest));
    }
  } else if (
    config.service.listeners.http?.redirectToHttps &&
    config.service.listeners.https &&
    path !== config.service.healthPath
  ) {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!host) return fail(new GatewayError(Errors.BadRequest, 'the Host header is missing'));
    const port = config.service.listeners.https.port;
    const location = `https://${host}${port === 443 ? '' : `:${port}`}${target.startsWith('/') ? target : path}`;
    req.resume();
    res.writeHead(308, { location, 'content-length': 0, 'x-api-requestid': info.requestId });
    res.end();
    return;
  }

  if (path === config.service.healthPath && (method === 'GET' || head)) {
    return sendJson(
      res,
      info.requestId,
      state.draining ? 503 : 200,
      { status: state.draining ? 'draining' : 'ok' },
      head,
    );
  }
  if (path === config.service.metricsPath && method === 'GET') {
    const body = state.metrics.render(gw.invoker.poolStats());
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }

  if (gw.adminToken !== undefined && path.startsWith(CONNECTIONS_PATH)) {
    apiName = '(connections)';
    return handleConnectionsAdmin(req, res, path, info.requestId, gw.adminToken, state.registry, limits.maxBodyBytes);
  }

  if (isPreflight(method, req.headers)) {
    const requested = String(req.headers['access-control-request-method']);
    let m = gw.router.find(requested, path);
    // The API may take another method and still allow this one through its CORS methods.
    if (m.kind === 'methodNotAllowed') m = gw.router.find(m.allow[0] as string, path);
    const compiled = m.kind === 'found' ? gw.apis.get(m.api) : undefined;
    if (compiled?.cors) {
      apiName = compiled.api.name;
      const headers = compiled.cors.preflightHeaders(req.headers);
      req.resume();
      res.writeHead(headers ? 204 : 403, { ...headers, 'x-api-requestid': info.requestId, 'content-length': 0 });
      res.end();
      return;
    }
  }

  const match = gw.router.find(method, path);
  if (match.kind === 'notFound') return fail(new GatewayError(Errors.RouteNotFound, `no API matches ${path}`));
  if (match.kind === 'methodNotAllowed') {
    return fail(
      new GatewayError(Errors.MethodNotAllowed, `${path} does not accept ${method}`, { allow: match.allow.join(', ') }),
    );
  }
  const compiled = gw.apis.get(match.api) as CompiledApi;
  apiName = compiled.api.name;
  const cors = compiled.cors?.responseHeaders(typeof req.headers.origin === 'string' ? req.headers.origin : undefined);

  if (!compiled.backend) {
    return fail(new GatewayError(Errors.UpgradeRequired), { ...cors, upgrade: 'websocket', connection: 'Upgrade' });
  }

  // HOT PATH: one query parser per request, none without a query string.
  const query = rawQuery ? new URLSearchParams(rawQuery) : EMPTY_QUERY;
  const params = compiled.params({ headers: req.headers, query, pathParams: match.params });
  if (params instanceof GatewayError) return fail(params, cors);

  const ctx: RequestContext = {
    req,
    res,
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
    clientIp: info.clientIp,
    protocol: info.protocol,
    host: info.host,
    rest: match.rest,
    extraResponseHeaders: cors,
    backendMs: undefined,
  };
  late.ctx = ctx;

  const backend = compiled.backend;
  if (!compiled.auth) {
    backend.handle(ctx);
    return;
  }
  const run = (identity: Identity | GatewayError): void => {
    if (identity instanceof GatewayError) return fail(identity, cors);
    ctx.identity = identity;
    backend.handle(ctx);
  };
  let result: ReturnType<typeof compiled.auth.authenticate>;
  try {
    result = compiled.auth.authenticate(ctx);
  } catch {
    return fail(new GatewayError(Errors.InternalError), cors);
  }
  if (result instanceof Promise) {
    result.then(run, () => fail(new GatewayError(Errors.InternalError), cors));
  } else {
    run(result);
  }
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
