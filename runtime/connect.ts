/**
 * `CONNECT` asks for a tunnel, and the gateway is not a forward proxy. Node
 * hands CONNECT requests to `connect` listeners on the raw socket — with none,
 * it closes the connection without a word, so a client could not tell a
 * refusal from a crash. They are answered like a request with any method no
 * route takes (`model/methods.ts`): admission's answer — `400` for the usual
 * authority-form target (`host:443`), `404`, or `405` with `Allow` where APIs
 * serve the path — with the catalogue's JSON body on the raw socket, and the
 * connection is closed. Nothing is tunnelled and no backend is called.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { admit, requestInfo } from './admission';
import { Errors, GatewayError } from './errors';
import type { HandlerState } from './handler';
import { refuseOnSocket } from './upgrade';

export function handleConnect(state: HandlerState, req: IncomingMessage, socket: Duplex): void {
  const info = requestInfo(req, state.current.loaded.config.service.limits.trustForwardedHeaders);
  socket.on('error', () => socket.destroy());
  // No route takes CONNECT, so admission refuses it (as it would any such method); whatever else it might
  // say (a redirect to HTTPS) is no answer to a tunnel request.
  const admitted = state.draining ? new GatewayError(Errors.ServiceUnavailable) : admit(state, req, undefined, info);
  const err =
    admitted instanceof GatewayError
      ? admitted
      : new GatewayError(Errors.MethodNotAllowed, 'CONNECT is not served: the gateway is not a forward proxy');
  refuseOnSocket(state, req, socket, info, err);
}
