/** Answers an upgrade request that will not be upgraded, on the raw socket, with the catalogue's JSON body. */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type GatewayError } from '../errors';

export function rejectUpgrade(
  socket: Duplex,
  requestId: string,
  err: GatewayError,
  extra: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(err, requestId);
  const headers = {
    ...err.headers,
    ...extra,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-api-requestid': requestId,
    connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.end(`HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n${head}\r\n\r\n${body}`);
}
