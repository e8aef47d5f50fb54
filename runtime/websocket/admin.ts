/**
 * The connections endpoint backends use to reach function-served WebSocket
 * connections: `POST /__apigw/connections/<id>` sends the request body as a
 * message (text, or binary for `application/octet-stream`),
 * `DELETE /__apigw/connections/<id>` closes the connection. Requests carry
 * `Authorization: Bearer <connectionsAdminToken>`; the endpoint does not exist
 * without a token.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Errors, GatewayError, sendError } from '../errors';
import { readBody } from '../read-body';
import type { ConnectionRegistry } from './connections';

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
  if (!ws)
    return sendError(
      res,
      requestId,
      new GatewayError(Errors.RouteNotFound, `connection ${id} is not open on this gateway`),
    );
  if (req.method === 'DELETE') {
    ws.close(1000, 'closed by the backend');
    res.writeHead(204, { 'x-api-requestid': requestId });
    res.end();
    return;
  }
  if (req.method !== 'POST') {
    return sendError(res, requestId, new GatewayError(Errors.MethodNotAllowed, undefined, { allow: 'POST, DELETE' }));
  }
  readBody(req, maxBodyBytes).then(
    (body) => {
      const binary = (req.headers['content-type'] ?? '').startsWith('application/octet-stream');
      ws.send(binary ? body : body.toString('utf8'), { binary });
      res.writeHead(204, { 'x-api-requestid': requestId });
      res.end();
    },
    (err: GatewayError) => sendError(res, requestId, err),
  );
}
