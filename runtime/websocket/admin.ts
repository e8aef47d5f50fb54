/**
 * The connections endpoint backends use to reach function-served WebSocket
 * connections: `POST /__apigw/connections/<id>` sends the request body as a
 * message (text, or binary for `application/octet-stream`),
 * `DELETE /__apigw/connections/<id>` closes the connection. Requests carry
 * `Authorization: Bearer <connectionsAdminToken>`; the endpoint does not exist
 * without a token. In a multi-worker process, a connection another worker
 * holds is reached through the coordinator (`ConnectionRegistry.remote`).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Errors, GatewayError, sendError } from '../errors';
import { readBody } from '../read-body';
import type { ConnectionRegistry, RemoteConnections } from './connections';

import { CONNECTIONS_PATH } from '../../model';

// The model owns the path: its rules refuse routes the endpoint would make unreachable.
export { CONNECTIONS_PATH };

export function handleConnectionsAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  requestId: string,
  token: string,
  registry: ConnectionRegistry,
  maxBodyBytes: number,
): void {
  const presented = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const ok = timingSafeEqual(
    createHash('sha256').update(presented).digest(),
    createHash('sha256').update(token).digest(),
  );
  if (!ok)
    return sendError(res, requestId, new GatewayError(Errors.Unauthorized, 'a valid connections token is required'));
  const id = decodeURIComponent(path.slice(CONNECTIONS_PATH.length));
  const ws = registry.get(id);
  if (!ws && registry.remote) return reachRemote(req, res, id, requestId, registry.remote, maxBodyBytes);
  if (!ws) return notOpen(res, requestId, id);
  if (req.method === 'DELETE') {
    ws.close(1000, 'closed by the backend');
    return done(res, requestId);
  }
  if (req.method !== 'POST') return notAllowed(res, requestId);
  readBody(req, maxBodyBytes).then(
    (body) => {
      const binary = isBinary(req);
      ws.send(binary ? body : body.toString('utf8'), { binary });
      done(res, requestId);
    },
    (err: GatewayError) => sendError(res, requestId, err),
  );
}

/** A connection this thread does not hold: the worker that does (of a multi-worker process) is asked. */
function reachRemote(
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  requestId: string,
  remote: RemoteConnections,
  maxBodyBytes: number,
): void {
  const answer = (found: boolean, onFound: () => void): void => (found ? onFound() : notOpen(res, requestId, id));
  const failed = (err: unknown): void =>
    sendError(
      res,
      requestId,
      err instanceof GatewayError
        ? err
        : new GatewayError(Errors.ServiceUnavailable, 'the connection could not be reached'),
    );
  if (req.method === 'DELETE') {
    req.resume();
    remote.close(id).then((found) => answer(found, () => done(res, requestId)), failed);
  } else if (req.method === 'POST') {
    readBody(req, maxBodyBytes)
      .then((body) => remote.send(id, body, isBinary(req)))
      .then((found) => answer(found, () => done(res, requestId)), failed);
  } else {
    req.resume();
    remote.find(id).then((found) => answer(found, () => notAllowed(res, requestId)), failed);
  }
}

function isBinary(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/octet-stream');
}

function done(res: ServerResponse, requestId: string): void {
  res.writeHead(204, { 'x-api-requestid': requestId });
  res.end();
}

function notOpen(res: ServerResponse, requestId: string, id: string): void {
  sendError(res, requestId, new GatewayError(Errors.RouteNotFound, `connection ${id} is not open on this gateway`));
}

function notAllowed(res: ServerResponse, requestId: string): void {
  sendError(res, requestId, new GatewayError(Errors.MethodNotAllowed, undefined, { allow: 'POST, DELETE' }));
}
