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
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Errors, GatewayError, errorBody, sendError } from './errors';
import type { LimitsConfig } from '../model';
import { AccessLog, type LogSink } from './access-log';
import { AdminServer } from './admin/server';
import { LiveConfig } from './admin/live-config';
import { readAdminToken } from './admin/token';
import { UsageCounters } from './auth/usage-plans';
import { compileGateway, type CompiledGateway } from './compile';
import { loadConfigFile, type LoadedConfig } from './config-loader';
import { handleRequest, type HandlerState } from './handler';
import { handleUpgrade } from './upgrade';
import { Metrics } from './metrics';
import { createTlsPolicy } from './tls';
import { ConnectionRegistry } from './websocket/connections';
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
  /**
   * State directory: applied configs, their secrets and function bundles
   * survive a restart there (`serve --state-dir`, APIGW_STATE_DIR). Used only
   * with an admin listener; without it, applies live in memory only.
   */
  readonly stateDir?: string;
  /** How long an unused function bundle is kept after its last upload or HEAD. Default: ADMIN_BUNDLE_KEEP_MS. */
  readonly bundleKeepMs?: number;
}

export class Gateway {
  private readonly state: HandlerState;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly env: NodeJS.ProcessEnv;
  private readonly debug: boolean;
  private readonly registry = new ConnectionRegistry();
  private readonly usageCounters = new UsageCounters();
  private readonly retired = new RetiredGenerations();
  /** The served config and how it changes: applies, reverts, reloads, the state directory. */
  readonly live: LiveConfig;
  private readonly admin: AdminServer | undefined;
  private closing: Promise<void> | undefined;

  private constructor(start: LoadedConfig, options: GatewayOptions) {
    this.env = options.env ?? process.env;
    this.debug = options.debug ?? this.env.APIGW_DEBUG === '1';
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
            codeDir,
            current: () => this.state.current,
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
      },
    );
    const compiled = this.live.open();
    const https = start.config.service.listeners.https;
    this.state = {
      current: compiled,
      tls: https ? createTlsPolicy(https, start.baseDir, this.env) : undefined,
      draining: false,
      registry: this.registry,
      log: new AccessLog(sink),
      metrics,
    };
    this.state.metrics.generation = this.live.currentGeneration;
    if (adminListener && token !== undefined) this.admin = new AdminServer(this.live, token, adminListener);
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

  /** Starts the configured listeners (and the admin listener, when configured); resolves with their bound addresses. */
  async listen(): Promise<{ http?: AddressInfo; https?: AddressInfo; admin?: AddressInfo }> {
    const { listeners, limits } = this.config.config.service;
    const out: { http?: AddressInfo; https?: AddressInfo; admin?: AddressInfo } = {};
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => handleRequest(this.state, req, res);
    if (listeners.http) {
      const server = createHttpServer(serverOptions(limits), onRequest);
      out.http = await this.start(server, listeners.http.port, listeners.http.host);
    }
    if (listeners.https && this.state.tls) {
      const server = createHttpsServer({ ...this.state.tls.options, ...serverOptions(limits) }, onRequest);
      // A failed handshake (unknown server name) is the client's problem, not an error of ours.
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      out.https = await this.start(server, listeners.https.port, listeners.https.host);
    }
    if (this.admin) out.admin = await this.admin.listen();
    return out;
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
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      handleUpgrade(this.state, req, socket, head),
    );
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
    this.usageCounters.keepPlans(new Set(usagePlans.map((p) => p.name)));
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
    this.state.draining = true;
    await this.admin?.close();
    await this.live.close();
    void Promise.allSettled([...this.state.current.apis.values()].map((a) => a.ws?.close()));
    void this.retired.closeAll();
    const grace = this.config.config.service.limits.shutdownGraceMs;
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of this.servers) s.closeIdleConnections();
    const timer = setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
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

/** Malformed requests Node's parser rejects: answer with the catalogue's JSON where the socket allows. */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const def =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? Errors.HeadersTooLarge
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT'
        ? Errors.RequestTimeout
        : Errors.BadRequest;
  const requestId = randomUUID();
  const body = errorBody(new GatewayError(def), requestId);
  socket.end(
    `HTTP/1.1 ${def.status} ${STATUS_CODES[def.status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nx-api-requestid: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
  );
}
