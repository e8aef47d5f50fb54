/**
 * The serving side of a gateway on one thread: its public listeners (HTTP,
 * HTTPS) and their connections, the config generation new requests use, and
 * what outlives generations (rate-limit and usage-plan counters, the
 * WebSocket connection registry, retired generations).
 *
 * `Gateway` drives one with its `LiveConfig` (reloads, applies, the admin and
 * metrics listeners); each worker thread of a multi-worker process drives one
 * from the coordinator (`cluster/`), with counters shared by the workers.
 * Either way a config is compiled completely before `swap` serves it.
 */
import {
  STATUS_CODES,
  createServer as createHttpServer,
  type Server,
  type IncomingMessage,
  type ServerResponse,
  type ServerOptions,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Errors, GatewayError, errorBody, sendError } from './errors';
import {
  DEFAULT_LIMITS,
  effectiveRateLimit,
  type BundledFunctionSource,
  type LimitsConfig,
  type ListenersConfig,
} from '../model';
import type { AccessLog, EventLog } from './access-log';
import { LocalUsageCounters, type UsageCounters } from './auth/usage-plans';
import { compileGateway, type CompiledGateway } from './compile';
import { ConnectionGuard, effectiveConnectionCap, type SharedConnectionCount } from './connection-guard';
import type { LoadedConfig } from './config-loader';
import { handleRequest, startDraining, type HandlerState, type HealthAnswer } from './handler';
import { InFlightResponses } from './in-flight';
import { handleUpgrade } from './upgrade';
import { handleConnect } from './connect';
import type { Metrics } from './metrics';
import { LocalRateCounters, type RateCounters } from './rate-limit';
import { createTlsPolicy, type TlsPolicy } from './tls';
import { ConnectionRegistry } from './websocket/connections';
import { rejectUpgrade } from './websocket/raw-response';
import { RetiredGenerations } from './retired-generations';
import { applyServerLimits } from './server-limits';

export interface ServingOptions {
  /** The config the process started with: its HTTPS listener (bound at start) gives the TLS policy. */
  readonly start: LoadedConfig;
  readonly env: NodeJS.ProcessEnv;
  readonly debug: boolean;
  readonly log: AccessLog;
  readonly events: EventLog;
  readonly metrics: Metrics;
  /** Counters of the instance; default: this thread's own. */
  readonly usageCounters?: UsageCounters;
  readonly rateCounters?: RateCounters;
  /** Function worker threads per function version; default: the invoker's (CPUs, 1 to 4). */
  readonly functionWorkers?: number;
  /** The instance's connections when this thread is one of several workers sharing `limits.maxConnections`. */
  readonly sharedConnections?: SharedConnectionCount;
  /** The health answer when the thread is one of several (see `cluster/instance-state.ts`). */
  readonly health?: (draining: boolean) => HealthAnswer;
}

/** Where a listener binds; `reusePort` lets every worker thread bind the same port (Node >= 22.12). */
export interface BindOptions {
  readonly http?: { readonly port?: number; readonly host?: string };
  readonly https?: { readonly port?: number; readonly host?: string };
  readonly reusePort?: boolean;
}

export class ServingGateway {
  private state!: HandlerState;
  /** The public listeners' servers, HTTP first. */
  readonly servers: Server[] = [];
  /** Client connections of every listener, and their cap (fixed at start, like the listeners). */
  private connections!: ConnectionGuard;
  readonly registry = new ConnectionRegistry();
  private readonly usageCounters: UsageCounters;
  /** Per-API rate-limit counters: like the usage counters, kept across config generations. */
  private readonly rateCounters: RateCounters;
  private readonly retired = new RetiredGenerations();
  private readonly tls: TlsPolicy | undefined;

  constructor(private readonly options: ServingOptions) {
    this.usageCounters = options.usageCounters ?? new LocalUsageCounters();
    this.rateCounters = options.rateCounters ?? new LocalRateCounters();
    const https = options.start.config.service.listeners.https;
    this.tls = https ? createTlsPolicy(https, options.start.baseDir, options.env) : undefined;
  }

  /** Compiles a config with this thread's long-lived parts; throws a `CompileError` naming the field. */
  compile(
    loaded: LoadedConfig,
    env: NodeJS.ProcessEnv,
    codeDir: ((source: BundledFunctionSource) => string) | undefined,
  ): CompiledGateway {
    return compileGateway(loaded, {
      env,
      debug: this.options.debug,
      registry: this.registry,
      usageCounters: this.usageCounters,
      rateCounters: this.rateCounters,
      codeDir,
      current: () => this.state.current,
      events: this.options.events,
      functionWorkers: this.options.functionWorkers,
    });
  }

  /** Serves the first generation (before `listen`). */
  begin(first: CompiledGateway, generation: number): void {
    this.state = {
      current: first,
      tls: this.tls,
      draining: false,
      inFlight: new InFlightResponses(),
      registry: this.registry,
      log: this.options.log,
      events: this.options.events,
      metrics: this.options.metrics,
      health: this.options.health,
    };
    this.state.metrics.generation = generation;
    const { maxConnections } = first.loaded.config.service.limits;
    this.connections = new ConnectionGuard(connectionCap(maxConnections), this.options.sharedConnections);
  }

  /** What the request path reads: the generation it serves, the drain flag, the logs. */
  get handlerState(): HandlerState {
    return this.state;
  }

  get current(): CompiledGateway {
    return this.state.current;
  }

  get clientConnections(): { readonly open: number; readonly cap: number } {
    return { open: this.connections.size, cap: this.connections.cap };
  }

  /** Starts the public listeners of the start config; resolves with their bound addresses. */
  async listen(bind: BindOptions = {}): Promise<{ http?: AddressInfo; https?: AddressInfo }> {
    // The listeners are the start config's (bound at start); the limits the served generation's.
    const { listeners, limits } = this.state.current.loaded.config.service;
    const out: { http?: AddressInfo; https?: AddressInfo } = {};
    // HOT PATH
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      if (this.connections.isReserve(req.socket)) return this.answerPastCap(req, res);
      handleRequest(this.state, req, res);
    };
    if (listeners.http) {
      const server = createHttpServer(serverOptions(limits), onRequest);
      out.http = await this.start(server, listeners.http, bind.http, bind.reusePort);
    }
    if (listeners.https && this.tls) {
      const server = createHttpsServer(
        {
          ...this.tls.options,
          ...serverOptions(limits),
          handshakeTimeout: limits.tlsHandshakeTimeoutMs ?? DEFAULT_LIMITS.tlsHandshakeTimeoutMs,
        },
        onRequest,
      );
      // A failed or timed-out handshake (unknown server name) is the client's problem, not an error of ours.
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      server.on('secureConnection', (socket: TLSSocket) => this.connections.secured(socket));
      out.https = await this.start(server, listeners.https, bind.https, bind.reusePort);
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
    if (
      path === this.state.current.loaded.config.service.healthPath &&
      (req.method === 'GET' || req.method === 'HEAD')
    ) {
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

  private async start(
    server: Server,
    listener: NonNullable<ListenersConfig['http'] | ListenersConfig['https']>,
    bind: BindOptions['http'],
    reusePort: boolean | undefined,
  ): Promise<AddressInfo> {
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
    // CONNECT (a tunnel request): Node would close the connection without a word; it is refused with JSON.
    server.on('connect', (req: IncomingMessage, socket: Duplex) => handleConnect(this.state, req, socket));
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => onClientError(err, socket));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.onCheckContinue(req, res));
    // Any other expectation: Node would answer a bare 417 itself; served as a request, admission refuses it
    // with the catalogue's 417.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
    this.servers.push(server);
    const options: ListenOptions & { reusePort?: boolean } = {
      port: bind?.port ?? listener.port,
      host: bind?.host ?? listener.host,
      ...(reusePort ? { reusePort: true } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server.address() as AddressInfo;
  }

  /** Serves `next` from now on; the generation it replaces retires after the grace period. */
  swap(next: CompiledGateway, generation: number): void {
    const previous = this.state.current;
    this.state.current = next;
    this.state.metrics.generation = generation;
    const { limits, usagePlans } = next.loaded.config.service;
    for (const server of this.servers) applyServerLimits(server, limits);
    this.connections.setCap(connectionCap(limits.maxConnections));
    this.usageCounters.keepPlans(new Set(usagePlans.map((p) => p.name)));
    const { apis, service } = next.loaded.config;
    this.rateCounters.keep(
      new Set(apis.filter((a) => effectiveRateLimit(a, service) !== undefined).map((a) => a.name)),
    );
    // Requests already on the old generation keep its pools; give them the grace period.
    this.retired.retire(previous, limits.shutdownGraceMs);
  }

  /** From now on the health path answers 503 and every response closes its connection. */
  startDraining(): void {
    if (this.state) startDraining(this.state);
  }

  /**
   * Graceful stop: draining starts, listeners stop accepting, idle
   * keep-alive connections close, and requests in flight get up to the grace
   * period before their connections are cut.
   */
  async close(): Promise<void> {
    if (!this.state) return;
    startDraining(this.state);
    void Promise.allSettled([...this.state.current.apis.values()].map((a) => a.ws?.close()));
    void this.retired.closeAll();
    const grace = this.state.current.loaded.config.service.limits.shutdownGraceMs;
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

/** The instance's cap: the configured one, lowered to fit the open-file limit (shared by every worker thread). */
function connectionCap(configured: number | undefined): number {
  return effectiveConnectionCap(configured ?? DEFAULT_LIMITS.maxConnections);
}
