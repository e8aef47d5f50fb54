/**
 * The upgrade path for WebSocket APIs: the same admission as HTTP requests
 * (`admission.ts`), plus the whole WebSocket handshake, then the API's
 * WebSocket backend. Refusals are HTTP responses with the catalogue's JSON
 * body, written on the raw socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { admit, httpsRedirectLocation, requestInfo, type RequestInfo } from './admission';
import type { CompiledApi } from './compile';
import { Errors, GatewayError } from './errors';
import { logRefusal, recordFinished, type HandlerState } from './handler';
import type { AdmittedRequest } from './pipeline';
import { rejectUpgrade, redirectUpgrade } from './websocket/raw-response';

export function handleUpgrade(state: HandlerState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const info = requestInfo(req, state.current.loaded.config.service.limits.trustForwardedHeaders);
  socket.on('error', () => socket.destroy());
  // Upgrades count in the same metrics and access log as HTTP requests: by API and status (101 when opened),
  // logged once the upgrade is answered.
  const record = (status: number, backendFailure?: string): void => {
    if (backendFailure !== undefined && status >= 500 && info.ctx) info.ctx.backendFailure = backendFailure;
    recordFinished(state, req, info, status);
  };
  const refuse = (err: GatewayError): void => refuseOnSocket(state, req, socket, info, err);
  const proceed = (ctx: AdmittedRequest): void => {
    // The client may have gone while authentication ran: then no backend leg is opened.
    if (!socket.writable) {
      socket.destroy();
      return record(499);
    }
    (info.api as CompiledApi).ws?.handle({ ctx, socket, head, protocols: info.protocols, answered: record });
  };

  if (state.draining) return refuse(new GatewayError(Errors.ServiceUnavailable));
  const admitted = admit(state, req, undefined, info);
  if (admitted instanceof GatewayError) return refuse(admitted);
  if (typeof admitted === 'number') {
    // The only local answer for an upgrade: plain HTTP is redirected to HTTPS.
    const location = httpsRedirectLocation(state.current.loaded.config.service.listeners, info, req.url ?? '/');
    redirectUpgrade(socket, info.requestId, location);
    return record(308);
  }
  if (admitted instanceof Promise) {
    admitted.then((a) => (a instanceof GatewayError ? refuse(a) : proceed(a)));
    return;
  }
  proceed(admitted);
}

/**
 * Answers a request the gateway took over from Node's HTTP parser (an upgrade, a CONNECT) with its error, on
 * the raw socket, and records it as a finished request (metrics, access log, the debug refusal event).
 */
export function refuseOnSocket(
  state: HandlerState,
  req: IncomingMessage,
  socket: Duplex,
  info: RequestInfo,
  err: GatewayError,
): void {
  rejectUpgrade(socket, info.requestId, err, info.cors);
  recordFinished(state, req, info, err.status);
  if (state.events.enabled('debug')) logRefusal(state.events, info, err);
}
