/**
 * One gateway process: its listeners, the config generation it serves, reload
 * and graceful shutdown.
 *
 * Reload compiles the new config completely before swapping it in; a config
 * that fails to load or compile leaves the running one untouched. Requests in
 * flight finish on the generation they started with, which is closed once
 * they are done.
 */
import {
  STATUS_CODES,
  createServer as createHttpServer,
  type Server,
  type IncomingMessage,
  type ServerResponse,
  type ServerOptions,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Errors, GatewayError, errorBody, sendError } from './errors';
import { DEFAULT_LIMITS, type LimitsConfig } from '../model';
import { AccessLog, logEvent, type LogSink } from './access-log';
import { compileGateway, type CompiledGateway } from './compile';
import { ConnectionGuard, effectiveConnectionCap } from './connection-guard';
import { loadConfigFile, type LoadedConfig } from './config-loader';
import { handleRequest, type HandlerState } from './handler';
import { handleUpgrade } from './upgrade';
import { Metrics } from './metrics';
import { createTlsPolicy } from './tls';
import { ConnectionRegistry } from './websocket/connections';
import { rejectUpgrade } from './websocket/raw-response';
import { createServer as createHttpsServer } from 'node:https';

export interface GatewayOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Access-log sink; `null` turns the access log off. Default: stdout, unless APIGW_ACCESS_LOG=off. */
  readonly accessLog?: LogSink | null;
  /** Show function error stacks to clients. Default: APIGW_DEBUG=1. */
  readonly debug?: boolean;
}

export class Gateway {
  private readonly state: HandlerState;
  private readonly servers: Server[] = [];
  /** Client connections of every listener, and their cap (fixed at start, like the listeners). */
  private readonly connections: ConnectionGuard;
  private readonly env: NodeJS.ProcessEnv;
  private readonly debug: boolean;
  private closing: Promise<void> | undefined;

  private constructor(
    compiled: CompiledGateway,
    private readonly registry: ConnectionRegistry,
    options: GatewayOptions,
  ) {
    this.env = options.env ?? process.env;
    this.debug = options.debug ?? this.env.APIGW_DEBUG === '1';
    const sink =
      options.accessLog !== undefined
        ? (options.accessLog ?? undefined)
        : this.env.APIGW_ACCESS_LOG === 'off'
          ? undefined
          : (t: string) => process.stdout.write(t);
    const https = compiled.loaded.config.service.listeners.https;
    this.state = {
      current: compiled,
      tls: https ? createTlsPolicy(https, compiled.loaded.baseDir, this.env) : undefined,
      draining: false,
      registry,
      log: new AccessLog(sink),
      metrics: new Metrics(),
    };
    this.state.metrics.generation = 1;
    const { maxConnections } = compiled.loaded.config.service.limits;
    this.connections = new ConnectionGuard(effectiveConnectionCap(maxConnections ?? DEFAULT_LIMITS.maxConnections));
  }

  /** Loads and compiles a config file; throws (naming every bad field) without listening when it is invalid. */
  static async fromFile(file: string, options: GatewayOptions = {}): Promise<Gateway> {
    return Gateway.fromConfig(await loadConfigFile(file), options);
  }

  static fromConfig(loaded: LoadedConfig, options: GatewayOptions = {}): Gateway {
    const env = options.env ?? process.env;
    const registry = new ConnectionRegistry();
    const compiled = compileGateway(loaded, { env, debug: options.debug ?? env.APIGW_DEBUG === '1', registry });
    return new Gateway(compiled, registry, options);
  }

  get config(): LoadedConfig {
    return this.state.current.loaded;
  }

  get metrics(): Metrics {
    return this.state.metrics;
  }

  /** Open client connections on all listeners, and the cap on them (`limits.maxConnections`, lowered to fit the open-file limit). */
  get clientConnections(): { readonly open: number; readonly cap: number } {
    return { open: this.connections.size, cap: this.connections.cap };
  }

  /** Starts the configured listeners; resolves with their bound addresses. */
  async listen(): Promise<{ http?: AddressInfo; https?: AddressInfo }> {
    const { listeners, limits } = this.config.config.service;
    const out: { http?: AddressInfo; https?: AddressInfo } = {};
    // HOT PATH
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      if (this.connections.isReserve(req.socket)) return this.answerPastCap(req, res);
      handleRequest(this.state, req, res);
    };
    if (listeners.http) {
      const server = createHttpServer(serverOptions(limits), onRequest);
      out.http = await this.start(server, listeners.http.port, listeners.http.host);
    }
    if (listeners.https && this.state.tls) {
      const server = createHttpsServer(
        {
          ...this.state.tls.options,
          ...serverOptions(limits),
          handshakeTimeout: limits.tlsHandshakeTimeoutMs ?? DEFAULT_LIMITS.tlsHandshakeTimeoutMs,
        },
        onRequest,
      );
      // A failed or timed-out handshake (unknown server name) is the client's problem, not an error of ours.
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      server.on('secureConnection', (socket: TLSSocket) => this.connections.secured(socket));
      out.https = await this.start(server, listeners.https.port, listeners.https.host);
    }
    return out;
  }

  /**
   * A request on a connection admitted past the cap: the health path is served
   * (so that orchestrators still see the process), anything else gets 503; the
   * connection closes after the answer either way.
   */
  private answerPastCap(req: IncomingMessage, res: ServerResponse): void {
    res.shouldKeepAlive = false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === this.config.config.service.healthPath && (req.method === 'GET' || req.method === 'HEAD')) {
      handleRequest(this.state, req, res);
      return;
    }
    req.resume();
    sendError(res, randomUUID(), new GatewayError(Errors.ConnectionLimit), req.method === 'HEAD');
  }

  /** `Expect: 100-continue`: refuse a declared body over the limit before the client sends it. */
  private onCheckContinue(req: IncomingMessage, res: ServerResponse): void {
    const { maxBodyBytes } = this.config.config.service.limits;
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      sendError(res, randomUUID(), new GatewayError(Errors.PayloadTooLarge));
      return;
    }
    res.writeContinue();
    handleRequest(this.state, req, res);
  }

  private async start(server: Server, port: number, host: string): Promise<AddressInfo> {
    server.on('connection', (socket: Socket) => this.connections.admit(socket));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.connections.isReserve(socket)) {
        socket.on('error', () => socket.destroy());
        rejectUpgrade(socket, randomUUID(), new GatewayError(Errors.ConnectionLimit));
        return;
      }
      this.connections.upgraded(socket);
      handleUpgrade(this.state, req, socket, head);
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => onClientError(err, socket));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.onCheckContinue(req, res));
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /**
   * Replaces the served config with the file's. Resolves true when the new
   * config serves; false (with the reason logged) when it was refused.
   */
  async reload(file = this.config.file): Promise<boolean> {
    let next: CompiledGateway;
    try {
      const loaded = await loadConfigFile(file);
      const problem = listenerChange(this.config, loaded);
      if (problem) throw new Error(problem);
      next = compileGateway(loaded, { env: this.env, debug: this.debug, registry: this.registry });
    } catch (err) {
      this.state.metrics.reloadFailures++;
      logEvent('reload_refused', { file, reason: (err as Error).message });
      return false;
    }
    const previous = this.state.current;
    this.state.current = next;
    this.state.metrics.reloads++;
    this.state.metrics.generation++;
    logEvent('reloaded', { file, apis: next.loaded.config.apis.length, generation: this.state.metrics.generation });
    // Requests already on the old generation keep its pools; give them the grace period.
    setTimeout(() => void previous.close(), next.loaded.config.service.limits.shutdownGraceMs).unref();
    return true;
  }

  /**
   * Graceful stop: the health path turns 503, listeners stop accepting, idle
   * keep-alive connections close, and requests in flight get up to the grace
   * period before their connections are cut.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.state.draining = true;
    void Promise.allSettled([...this.state.current.apis.values()].map((a) => a.ws?.close()));
    const grace = this.config.config.service.limits.shutdownGraceMs;
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of this.servers) s.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const socket of this.connections.sockets()) socket.destroy();
    }, grace);
    await closed;
    clearTimeout(timer);
    this.state.log.flush();
    await this.state.current.close();
  }
}

/** Server limits from the config. */
function serverOptions(limits: LimitsConfig): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above only this often (default 30 s): check often enough to honour them.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** Listeners are bound once; a reload cannot move them (restart the container instead). */
function listenerChange(a: LoadedConfig, b: LoadedConfig): string | undefined {
  const before = JSON.stringify(a.config.service.listeners);
  const after = JSON.stringify(b.config.service.listeners);
  return before === after ? undefined : 'listeners changed; restart the gateway to apply listener changes';
}

/** Connections already given their error answer: the parser may report the same error again. */
const answered = new WeakSet<Duplex>();

/**
 * Malformed requests Node's parser rejects, and requests not received in time:
 * answer with the catalogue's JSON where the socket allows, then close (the
 * connection guard destroys the socket if the client does not close it).
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  if (answered.has(socket)) return;
  answered.add(socket);
  const def =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? Errors.HeadersTooLarge
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT'
        ? Errors.RequestTimeout
        : Errors.BadRequest;
  const requestId = randomUUID();
  const body = errorBody(new GatewayError(def), requestId);
  const answer =
    `HTTP/1.1 ${def.status} ${STATUS_CODES[def.status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nx-api-requestid: ${requestId}\r\nconnection: close\r\n\r\n${body}`;
  afterResponsesInFlight(socket, (current) => {
    // The broken request may have a response started already (its body was malformed or late): then
    // nothing more can be said on this connection without corrupting it.
    if (socket.writable && !current?.headersSent) socket.end(answer);
    else socket.destroy();
  });
}

/**
 * Runs `then` once the responses to the complete requests before the broken
 * one (pipelined on the same connection) are written: Node keeps the response
 * it is writing as `socket._httpMessage` and assigns the next queued one when
 * it finishes. `then` gets the broken request's own response, if it has one.
 */
function afterResponsesInFlight(socket: Duplex, then: (current: ServerResponse | undefined) => void): void {
  const current = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
  if (current?.req.complete) current.once('close', () => afterResponsesInFlight(socket, then));
  else then(current);
}
