/**
 * WebSocket backend: a full-duplex proxy between the client and a ws(s)://
 * backend. The backend is connected first; only when it accepts is the client
 * upgraded (so a refusing backend gives the client an HTTP error, not a hang).
 * Frames pass unchanged (text stays text, binary stays binary), close codes
 * are relayed both ways, and a slow reader pauses the other side instead of
 * making the gateway buffer without bound.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { WebSocketBackendConfig } from '../../model';
import { compileMapping } from '../backends/mapping';
import { Errors, GatewayError, errorCode } from '../errors';
import { backendRequestHeaders } from '../headers';
import type { AdmittedRequest } from '../pipeline';
import { relayableClose } from './close-codes';
import { rejectUpgrade } from './raw-response';

/** Bytes queued towards one side before the other side is paused. */
const HIGH_WATER = 1024 * 1024;
const PING_INTERVAL_MS = 30_000;

export interface UpgradeInput {
  /** The admitted upgrade request (routing, handshake, parameters, origin and authentication passed). */
  readonly ctx: AdmittedRequest;
  readonly socket: Duplex;
  readonly head: Buffer;
  /** The subprotocols the client offered, checked by admission. */
  readonly protocols: readonly string[];
  /**
   * Called once the upgrade is answered: 101 when the connection opened, or
   * the error status, with the error code when the backend (or function) failed.
   */
  readonly answered: (status: number, backendFailure?: string) => void;
}

export interface WebSocketProxy {
  handle(input: UpgradeInput): void;
  close(): Promise<void>;
}

/** The backend leg makes its own handshake: the client's handshake headers (and Origin) are not copied. */
const HANDSHAKE_HEADERS = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
  'origin',
]);

export function createWebSocketProxy(backend: WebSocketBackendConfig): WebSocketProxy {
  const map = compileMapping(backend.path, backend.parameterMappings, backend.constants);
  const live = new Set<WebSocket>();
  const chosenProtocol = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: backend.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (_protocols, req) => chosenProtocol.get(req) ?? false,
  });

  return {
    handle(input) {
      const { ctx, socket, head } = input;
      const { req, requestId } = ctx;
      const target = map({ params: ctx.params, rest: ctx.rest, rawQuery: ctx.rawQuery });
      const flat = backendRequestHeaders(ctx, target.setHeaders, target.removeHeaders, undefined);
      const headers: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) {
        const name = flat[i] as string;
        if (!HANDSHAKE_HEADERS.has(name)) headers[name] = flat[i + 1] as string;
      }
      const refuse = (err: GatewayError): void => {
        // The upgrade path logs it (`backend_failed`), as for an HTTP request.
        ctx.failure = err.failure;
        rejectUpgrade(socket, requestId, err, ctx.extraResponseHeaders);
        input.answered(err.status, err.def.code);
      };
      let upstream: WebSocket;
      try {
        upstream = new WebSocket(backend.origin + target.path, [...input.protocols], {
          headers,
          handshakeTimeout: backend.connectTimeoutMs,
          maxPayload: backend.maxMessageBytes,
          perMessageDeflate: false,
          followRedirects: false,
        });
      } catch (err) {
        // Admission checked what ws checks; a throw here is a request the backend leg cannot carry.
        return refuse(
          new GatewayError(Errors.BadGateway, 'the WebSocket backend request could not be made').because(
            'bad_request',
            (err as Error).message,
          ),
        );
      }
      // connecting → upgrading (backend open, client handshake under way) → bridged, or done.
      let phase: 'connecting' | 'upgrading' | 'bridged' | 'done' = 'connecting';
      const fail = (err: GatewayError): void => {
        if (phase !== 'connecting') return;
        phase = 'done';
        upstream.terminate();
        refuse(err);
      };
      // Until the two legs are bridged, a client that goes away takes the backend leg with it.
      socket.once('close', () => {
        if (phase === 'bridged' || phase === 'done') return;
        phase = 'done';
        upstream.terminate();
      });
      upstream.once('unexpected-response', (_r, res) => {
        res.on('error', () => undefined);
        res.resume();
        fail(
          new GatewayError(
            Errors.BadGateway,
            `the WebSocket backend refused the upgrade with ${res.statusCode}`,
          ).because('upgrade_refused', `the backend answered ${res.statusCode}`),
        );
      });
      // Never removed: an error after the handshake (an oversize message, a reset) must not reach Node as unhandled.
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (phase === 'connecting') {
          const timeout = /timed out|timeout/i.test(err.message);
          return fail(
            timeout
              ? new GatewayError(
                  Errors.GatewayTimeout,
                  `the WebSocket backend did not accept within ${backend.connectTimeoutMs} ms`,
                ).because('timeout', err.message)
              : new GatewayError(Errors.BadGateway, 'the WebSocket backend could not be reached').because(
                  errorCode(err, 'failed'),
                  err.message,
                ),
          );
        }
        // Bridged: the 'close' event follows and is relayed (1006 as 1011). Before that, nothing to relay to.
        if (phase === 'upgrading') {
          phase = 'done';
          upstream.terminate();
          socket.destroy();
        }
      });
      upstream.once('open', () => {
        if (phase !== 'connecting') return;
        phase = 'upgrading';
        if (!socket.writable) {
          phase = 'done';
          upstream.terminate();
          socket.destroy();
          return input.answered(499);
        }
        if (upstream.protocol) chosenProtocol.set(req, upstream.protocol);
        wss.handleUpgrade(req, socket, head, (client) => {
          if (phase !== 'upgrading') return void client.terminate();
          phase = 'bridged';
          input.answered(101);
          live.add(client);
          live.add(upstream);
          bridge(client, upstream);
          client.once('close', () => live.delete(client));
          upstream.once('close', () => live.delete(upstream));
        });
        // ws refused the client (it cannot, after admission) or the client went away: the socket closes,
        // and the 'close' listener above ends the backend leg.
      });
    },
    async close() {
      for (const ws of live) ws.close(1001, 'gateway shutting down');
      wss.close();
    },
  };
}

/** Relays frames and closes both ways, with backpressure and keep-alive pings. */
function bridge(client: WebSocket, upstream: WebSocket): void {
  relay(client, upstream);
  relay(upstream, client);
  let alive = true;
  client.on('pong', () => (alive = true));
  const ping = setInterval(() => {
    if (!alive) {
      client.terminate();
      return;
    }
    alive = false;
    client.ping();
  }, PING_INTERVAL_MS);
  ping.unref();
  client.once('close', () => clearInterval(ping));
}

function relay(from: WebSocket, to: WebSocket): void {
  from.on('message', (data: Buffer, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, () => {
      if (to.bufferedAmount < HIGH_WATER && from.isPaused) from.resume();
    });
    if (to.bufferedAmount >= HIGH_WATER) from.pause();
  });
  from.once('close', (code: number, reason: Buffer) => {
    if (to.readyState === WebSocket.OPEN || to.readyState === WebSocket.CONNECTING) {
      const c = relayableClose(code, reason);
      to.close(c.code, c.reason);
    }
  });
  from.on('error', () => {
    // The close event follows and relays 1006 as 1011.
  });
}
