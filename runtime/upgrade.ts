/**
 * The upgrade path for WebSocket APIs: the same normalisation, routing,
 * parameter checks, origin (CORS) rules and authentication as HTTP requests,
 * then the API's WebSocket backend. Refusals are HTTP responses with the
 * catalogue's JSON body, written on the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { Errors, GatewayError } from './errors';
import { requestInfo, type HandlerState } from './handler';
import { normalizeTarget } from './normalize';
import type { Identity, RequestContext } from './pipeline';
import { rejectUpgrade } from './websocket/raw-response';

export function handleUpgrade(state: HandlerState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const gw = state.current;
  const { config } = gw.loaded;
  const { limits } = config.service;
  const info = requestInfo(req);
  socket.on('error', () => socket.destroy());
  // Upgrades count in the same metrics as HTTP requests: by API and status (101 when opened).
  let apiName: string | null = null;
  const record = (status: number, backendFailure?: string): void => {
    state.metrics.record(apiName, status, Number(process.hrtime.bigint() - info.startedAt) / 1e9);
    if (backendFailure !== undefined && apiName !== null && status >= 500)
      state.metrics.backendFailure(apiName, backendFailure);
  };
  const refuse = (err: GatewayError, extra?: Record<string, string>): void => {
    rejectUpgrade(socket, info.requestId, err, extra);
    record(err.status);
  };

  if (state.draining) return refuse(new GatewayError(Errors.ServiceUnavailable));
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    return refuse(new GatewayError(Errors.BadRequest, 'only WebSocket upgrades are supported'));
  }
  const target = req.url ?? '/';
  if (target.length > limits.maxPathLength) return refuse(new GatewayError(Errors.UriTooLong));
  const normal = normalizeTarget(target);
  if (!normal.ok) return refuse(new GatewayError(Errors.BadRequest, normal.reason));
  const match = gw.router.find(req.method ?? 'GET', normal.path);
  if (match.kind === 'notFound') return refuse(new GatewayError(Errors.RouteNotFound, `no API matches ${normal.path}`));
  if (match.kind === 'methodNotAllowed') {
    return refuse(new GatewayError(Errors.MethodNotAllowed, undefined, { allow: match.allow.join(', ') }));
  }
  const compiled = gw.apis.get(match.api);
  if (compiled) apiName = compiled.api.name;
  if (!compiled?.ws) {
    return refuse(new GatewayError(Errors.BadRequest, `${normal.path} is not a WebSocket API`));
  }
  const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
  let cors: Record<string, string> | undefined;
  if (compiled.cors && origin !== undefined) {
    // Browsers do not preflight WebSockets: the Origin check is the only guard against cross-site use.
    cors = compiled.cors.responseHeaders(origin);
    if (!cors) return refuse(new GatewayError(Errors.Forbidden, `origin ${origin} is not allowed`));
  }
  const params = compiled.params({
    headers: req.headers,
    query: new URLSearchParams(normal.query),
    pathParams: match.params,
  });
  if (params instanceof GatewayError) return refuse(params);

  const proceed = (identity: Identity | undefined): void => {
    compiled.ws?.handle({
      req,
      socket,
      head,
      requestId: info.requestId,
      params,
      rest: match.rest,
      rawQuery: normal.query,
      path: normal.path,
      clientIp: info.clientIp,
      protocol: info.protocol,
      host: info.host,
      trustForwarded: limits.trustForwardedHeaders,
      forwardHeaders: identity?.forwardHeaders,
      responseHeaders: cors,
      identity,
      answered: record,
    });
  };
  if (!compiled.auth) return proceed(undefined);
  const ctx: RequestContext = {
    req,
    // Authenticators only read the request; the response object is never written on this path.
    res: new ServerResponse(req),
    requestId: info.requestId,
    startedAt: info.startedAt,
    api: compiled.api,
    config,
    path: normal.path,
    rawQuery: normal.query,
    query: new URLSearchParams(normal.query),
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
  Promise.resolve()
    .then(() => compiled.auth?.authenticate(ctx))
    .then(
      (result) => (result instanceof GatewayError ? refuse(result) : proceed(result)),
      () => refuse(new GatewayError(Errors.InternalError)),
    );
}
