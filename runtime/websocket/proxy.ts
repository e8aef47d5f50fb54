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
import { Errors, GatewayError } from '../errors';
import { backendRequestHeaders } from '../headers';
import type { Identity, RequestParams } from '../pipeline';
import { relayableClose } from './close-codes';
import { rejectUpgrade } from './raw-response';

/** Bytes queued towards one side before the other side is paused. */
const HIGH_WATER = 1024 * 1024;
const PING_INTERVAL_MS = 30_000;

export interface UpgradeInput {
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly requestId: string;
  readonly params: RequestParams;
  readonly rest: string;
  readonly rawQuery: string;
  /** The normalised request path. */
  readonly path: string;
  readonly clientIp: string;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly trustForwarded: boolean;
  readonly forwardHeaders: Readonly<Record<string, string>> | undefined;
  readonly responseHeaders: Readonly<Record<string, string>> | undefined;
  /** Who the caller is (for function backends' events). */
  readonly identity: Identity | undefined;
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

const HANDSHAKE_HEADERS = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'sec-websocket-accept',
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
      const { req, socket, head, requestId } = input;
      const target = map({ params: input.params, rest: input.rest, rawQuery: input.rawQuery });
      const flat = backendRequestHeaders(
        req.headers,
        {
          requestId,
          clientIp: input.clientIp,
          protocol: input.protocol,
          host: input.host,
          trustForwarded: input.trustForwarded,
        },
        target.setHeaders,
        target.removeHeaders,
        input.forwardHeaders,
        undefined,
      );
      const headers: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) {
        const name = flat[i] as string;
        if (!HANDSHAKE_HEADERS.has(name) && name !== 'origin') headers[name] = flat[i + 1] as string;
      }
      const requested = req.headers['sec-websocket-protocol'];
      const protocols = requested
        ? requested
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean)
        : [];
      const upstream = new WebSocket(backend.origin + target.path, protocols, {
        headers,
        handshakeTimeout: backend.connectTimeoutMs,
        maxPayload: backend.maxMessageBytes,
        perMessageDeflate: false,
        followRedirects: false,
      });
      let settled = false;
      const fail = (err: GatewayError): void => {
        if (settled) return;
        settled = true;
        upstream.terminate();
        rejectUpgrade(socket, requestId, err, input.responseHeaders ? { ...input.responseHeaders } : {});
        input.answered(err.status, err.def.code);
      };
      socket.once('close', () => {
        if (!settled) {
          settled = true;
          upstream.terminate();
        }
      });
      upstream.once('unexpected-response', (_r, res) => {
        res.resume();
        fail(new GatewayError(Errors.BadGateway, `the WebSocket backend refused the upgrade with ${res.statusCode}`));
      });
      upstream.once('error', (err: NodeJS.ErrnoException) => {
        const timeout = /timed out|timeout/i.test(err.message);
        fail(
          timeout
            ? new GatewayError(
                Errors.GatewayTimeout,
                `the WebSocket backend did not accept within ${backend.connectTimeoutMs} ms`,
              )
            : new GatewayError(Errors.BadGateway, 'the WebSocket backend could not be reached'),
        );
      });
      upstream.once('open', () => {
        if (settled) return;
        settled = true;
        upstream.removeAllListeners('error');
        if (upstream.protocol) chosenProtocol.set(req, upstream.protocol);
        wss.handleUpgrade(req, socket, head, (client) => {
          input.answered(101);
          live.add(client);
          live.add(upstream);
          bridge(client, upstream);
          client.once('close', () => live.delete(client));
          upstream.once('close', () => live.delete(upstream));
        });
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
  from.once('error', () => {
    // The close event follows and relays 1006 as 1011.
  });
}
