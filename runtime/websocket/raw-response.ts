/** Answers an upgrade request that will not be upgraded, on the raw socket, with the catalogue's JSON body. */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody, type GatewayError } from '../errors';

export function rejectUpgrade(
  socket: Duplex,
  requestId: string,
  err: GatewayError,
  extra: Readonly<Record<string, string>> = {},
): void {
  const body = errorBody(err, requestId);
  writeAndClose(
    socket,
    err.status,
    {
      ...extra,
      ...err.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-api-requestid': requestId,
      connection: 'close',
    },
    body,
  );
}

/** `308` to the same target over HTTPS (`redirectHttpToHttps`), as for HTTP requests (`httpsRedirectLocation`). */
export function redirectUpgrade(socket: Duplex, requestId: string, location: string): void {
  writeAndClose(
    socket,
    308,
    {
      location,
      'content-length': '0',
      'x-api-requestid': requestId,
      connection: 'close',
    },
    '',
  );
}

/** How long a refused client may take to read the answer before its socket is destroyed. */
const LINGER_MS = 2000;

/** Writes the answer and closes; a client that never closes its side is cut after `LINGER_MS`. */
function writeAndClose(socket: Duplex, status: number, headers: Record<string, string>, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n\r\n${body}`);
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}
