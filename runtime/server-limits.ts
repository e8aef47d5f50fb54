/**
 * Puts a changed config's server limits on listening servers. node:http
 * reads these properties while it serves, in Node 20 and 24 alike (checked
 * against both): `maxHeaderSize` when a connection's parser is set up (new
 * connections), `headersTimeout` and `requestTimeout` at each periodic check
 * of open connections (every `connectionsCheckingInterval`, fixed at start:
 * a quarter of the start config's headersTimeoutMs, 50 ms to 1 s), and
 * `keepAliveTimeout` after each response. A TLS server reads its handshake
 * timeout (`tlsHandshakeTimeoutMs`) for each new connection from an internal
 * symbol property (`handshake-timeout`, node:_tls_wrap, Node 20 and 24).
 */
import type { Server } from 'node:http';
import { DEFAULT_LIMITS, type LimitsConfig } from '../model';

export function applyServerLimits(server: Server, limits: LimitsConfig): void {
  // Not in @types/node's Server, but a property node:http reads (lib/_http_server.js).
  (server as Server & { maxHeaderSize: number }).maxHeaderSize = limits.maxHeaderBytes;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const handshake = Object.getOwnPropertySymbols(server).find((s) => s.description === 'handshake-timeout');
  if (handshake !== undefined)
    (server as unknown as Record<symbol, number>)[handshake] =
      limits.tlsHandshakeTimeoutMs ?? DEFAULT_LIMITS.tlsHandshakeTimeoutMs;
}
