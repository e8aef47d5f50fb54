/**
 * One gateway process: its listeners, the config generation it serves, reload
 * and graceful shutdown.
 *
 * Reload and live applies (runtime/admin/) compile the new config completely
 * before swapping it in; a config that fails to load or compile leaves the
 * running one untouched. Requests in flight finish on the generation they
 * started with, which retires once they are done; open WebSocket connections
 * stay open across the swap.
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
import { DEFAULT_LIMITS, effectiveRateLimit, type LimitsConfig } from '../model';
import { AccessLog, DEFAULT_LOG_LEVEL, EventLog, parseLogLevel, type LogSink } from './access-log';
import { AdminServer } from './admin/server';
import { LiveConfig } from './admin/live-config';
import { readAdminToken } from './admin/token';
import { UsageCounters } from './auth/usage-plans';
import { compileGateway, type CompiledGateway } from './compile';
import { ConnectionGuard, effectiveConnectionCap } from './connection-guard';
import { loadConfigFile, type LoadedConfig } from './config-loader';
import { handleRequest, startDraining, type HandlerState } from './handler';
import { InFlightResponses } from './in-flight';
import { handleUpgrade } from './upgrade';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics-server';
import { LocalRateCounters, type RateCounters } from './rate-limit';
import { createTlsPolicy } from './tls';
import { ConnectionRegistry } from './websocket/connections';
import { rejectUpgrade } from './websocket/raw-response';
import { createServer as createHttpsServer } from 'node:https';
import { ADMIN_BUNDLE_KEEP_MS, type ApplyRequest, type ApplyResult } from '../model';
import { RetiredGenerations } from './retired-generations';
import { applyServerLimits } from './server-limits';

export interface GatewayOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Access-log sink; `null` turns the access log off. Default: stdout, unless APIGW_ACCESS_LOG=off. */
  readonly accessLog?: LogSink | null;
  /** Show function error stacks to clients. Default: APIGW_DEBUG=1. */
  readonly debug?: boolean;
  /** The event log. Default: stderr, at the level of APIGW_LOG_LEVEL (default info). */
  readonly events?: EventLog;
  /**
   * Port and address that replace the config's HTTP listener's for this process (`serve --port/--host`).
   * Only `listen()` uses them: the config is not changed, so a reload compares listeners as written.
   */
  readonly http?: { readonly port?: number; readonly host?: string };
  /**
   * State directory: applied configs, their secrets and function bundles
   * survive a restart there (`serve --state-dir`, APIGW_STATE_DIR). Used only
   * with an admin listener; without it, applies live in memory only.
   */
  readonly stateDir?: string;
  /** How long an unused function bundle is kept after its last upload or HEAD. Default: ADMIN_BUNDLE_KEEP_MS. */
  readonly bundleKeepMs?: number;
}

/** Where `listen()` bound each listener. */
export interface ListenAddresses {
  readonly http?: AddressInfo;
  readonly https?: AddressInfo;
  readonly admin?: AddressInfo;
  readonly metrics?: AddressInfo;
}

export class Gateway {
  private readonly state: HandlerState;
  private readonly servers: Server[] = [];
  /** Client connections of every listener, and their cap (fixed at start, like the listeners). */
  private readonly connections: ConnectionGuard;
  private readonly env: NodeJS.ProcessEnv;
  private readonly debug: boolean;
  private readonly httpOverride: GatewayOptions['http'];
  private readonly registry = new ConnectionRegistry();
  private readonly usageCounters = new UsageCounters();
  /** Per-API rate-limit counters: like the usage counters, kept across config generations. */
  private readonly rateCounters: RateCounters = new LocalRateCounters();
  private readonly retired = new RetiredGenerations();
  /** The served config and how it changes: applies, reverts, reloads, the state directory. */
  readonly live: LiveConfig;
  private readonly admin: AdminServer | undefined;
  /** The metrics listener, when `listeners.metrics` is set (bound at start, like the listeners). */
  private readonly metricsServer: MetricsServer | undefined;
  private closing: Promise<void> | undefined;
  readonly events: EventLog;

  private constructor(start: LoadedConfig, options: GatewayOptions) {
    this.env = options.env ?? process.env;
    this.debug = options.debug ?? this.env.APIGW_DEBUG === '1';
    this.httpOverride = options.http;
    this.events =
      options.events ??
      new EventLog(
        this.env.APIGW_LOG_LEVEL ? parseLogLevel(this.env.APIGW_LOG_LEVEL, 'APIGW_LOG_LEVEL') : DEFAULT_LOG_LEVEL,
      );
    const sink =
      options.accessLog !== undefined
        ? (options.accessLog ?? undefined)
        : this.env.APIGW_ACCESS_LOG === 'off'
          ? undefined
          : (t: string) => process.stdout.write(t);
    const adminListener = start.config.service.admin;
    const token = adminListener ? readAdminToken(adminListener, start.baseDir, this.env) : undefined;
    const metrics = new Metrics();
    this.live = new LiveConfig(
      start,
      {
        compile: (loaded, env, codeDir) =>
          compileGateway(loaded, {
            env,
            debug: this.debug,
            registry: this.registry,
            usageCounters: this.usageCounters,
            rateCounters: this.rateCounters,
            codeDir,
            current: () => this.state.current,
            events: this.events,
          }),
        swap: (next, generation) => this.swap(next, generation),
        metrics,
      },
      {
        env: this.env,
        // Only the admin API writes state: without it the file is the whole truth, so a replica of a rolling
        // deployment (or a read-only root with the image's APIGW_STATE_DIR) never serves a stale state.
        stateDir: adminListener ? options.stateDir : undefined,
        token,
        bundleKeepMs: options.bundleKeepMs ?? ADMIN_BUNDLE_KEEP_MS,
        events: this.events,
      },
    );
    const compiled = this.live.open();
    const https = start.config.service.listeners.https;
    this.state = {
      current: compiled,
      tls: https ? createTlsPolicy(https, start.baseDir, this.env) : undefined,
      draining: false,
      inFlight: new InFlightResponses(),
      registry: this.registry,
      log: new AccessLog(sink),
      events: this.events,
      metrics,
    };
    this.state.metrics.generation = this.live.currentGeneration;
    if (adminListener && token !== undefined)
      this.admin = new AdminServer(this.live, token, adminListener, this.events);
    const metricsListener = start.config.service.listeners.metrics;
    if (metricsListener) this.metricsServer = new MetricsServer(this.state, metricsListener);
    const { maxConnections } = compiled.loaded.config.service.limits;
    this.connections = new ConnectionGuard(effectiveConnectionCap(maxConnections ?? DEFAULT_LIMITS.maxConnections));
  }

  /** Loads and compiles a config file; throws (naming every bad field) without listening when it is invalid. */
  static async fromFile(file: string, options: GatewayOptions = {}): Promise<Gateway> {
    return Gateway.fromConfig(await loadConfigFile(file), options);
  }

  /** `loaded` is the start config; with a state directory holding an applied config, that one serves. */
  static fromConfig(loaded: LoadedConfig, options: GatewayOptions = {}): Gateway {
    return new Gateway(loaded, options);
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

  /** Starts the configured listeners (and the admin and metrics listeners, when configured); resolves with their bound addresses. */
  async listen(): Promise<ListenAddresses> {
    const { listeners, limits } = this.config.config.service;
    const out: { -readonly [K in keyof ListenAddresses]: ListenAddresses[K] } = {};
    // HOT PATH
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      if (this.connections.isReserve(req.socket)) return this.answerPastCap(req, res);
      handleRequest(this.state, req, res);
    };
    if (listeners.http) {
      const server = createHttpServer(serverOptions(limits), onRequest);
      const port = this.httpOverride?.port ?? listeners.http.port;
      out.http = await this.start(server, port, this.httpOverride?.host ?? listeners.http.host);
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
    if (this.admin) out.admin = await this.admin.listen();
    if (this.metricsServer) out.metrics = await this.metricsServer.listen();
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

  /**
   * `Expect: 100-continue`: the request is admitted first (routing, parameters, authentication, a declared body
   * over the limit), so a refusal reaches the client before it sends the body; `100 Continue` only when admitted.
   */
  private onCheckContinue(req: IncomingMessage, res: ServerResponse): void {
    handleRequest(this.state, req, res, true);
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
   * SIGHUP: re-reads the file while the start config serves; recompiles the
   * applied config while one serves (see LiveConfig.reload). Resolves true
   * when the new generation serves; false (with the reason logged) when refused.
   */
  reload(file?: string): Promise<boolean> {
    return this.live.reload(file);
  }

  /** Applies a config live, as PUT /v1/config does; rejects with an AdminFailure and changes nothing when refused. */
  apply(request: ApplyRequest, ifMatch?: string): Promise<ApplyResult> {
    return this.live.apply(request, ifMatch);
  }

  /** Serves `next` from now on; the generation it replaces retires after the grace period. */
  private swap(next: CompiledGateway, generation: number): void {
    const previous = this.state.current;
    this.state.current = next;
    this.state.metrics.generation = generation;
    const { limits, usagePlans } = next.loaded.config.service;
    for (const server of this.servers) applyServerLimits(server, limits);
    this.connections.setCap(effectiveConnectionCap(limits.maxConnections ?? DEFAULT_LIMITS.maxConnections));
    this.usageCounters.keepPlans(new Set(usagePlans.map((p) => p.name)));
    const { apis, service } = next.loaded.config;
    this.rateCounters.keep(
      new Set(apis.filter((a) => effectiveRateLimit(a, service) !== undefined).map((a) => a.name)),
    );
    // Requests already on the old generation keep its pools; give them the grace period.
    this.retired.retire(previous, limits.shutdownGraceMs);
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
    startDraining(this.state);
    await this.admin?.close();
    await this.metricsServer?.close();
    await this.live.close();
    void Promise.allSettled([...this.state.current.apis.values()].map((a) => a.ws?.close()));
    void this.retired.closeAll();
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
    // Admission answers an HTTP/1.1 request without Host with the JSON 400 (Node's own 400 has no body).
    requireHostHeader: false,
    // Node checks the two timeouts above only this often (default 30 s): check often enough to honour them.
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
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
