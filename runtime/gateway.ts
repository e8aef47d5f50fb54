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
import type { AddressInfo } from 'node:net';
import { AccessLog, DEFAULT_LOG_LEVEL, EventLog, parseLogLevel, type LogSink } from './access-log';
import { AdminServer } from './admin/server';
import { LiveConfig } from './admin/live-config';
import { readAdminToken } from './admin/token';
import type { CompiledGateway } from './compile';
import { loadConfigFile, type LoadedConfig } from './config-loader';
import type { Server } from 'node:http';
import { serveMetrics, type HandlerState } from './handler';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics-server';
import { ServingGateway } from './serving-gateway';
import { ADMIN_BUNDLE_KEEP_MS, type ApplyRequest, type ApplyResult } from '../model';

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

/**
 * A gateway on the thread that creates it: what tests, `apigw dev` and a
 * one-worker `serve` run. (`service.workers` is the process's business:
 * `runtime/main.ts` starts worker threads when it asks for more than one.)
 */
export class Gateway {
  private readonly serving: ServingGateway;
  private readonly env: NodeJS.ProcessEnv;
  private readonly debug: boolean;
  private readonly httpOverride: GatewayOptions['http'];
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
    this.serving = new ServingGateway({
      start,
      env: this.env,
      debug: this.debug,
      log: new AccessLog(sink),
      events: this.events,
      metrics,
    });
    this.live = new LiveConfig<CompiledGateway>(
      start,
      {
        compile: (loaded, env, codeDir) => this.serving.compile(loaded, env, codeDir),
        swap: (next, generation) => this.serving.swap(next, generation),
        discard: (next) => void next.close(),
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
    this.serving.begin(this.live.open(), this.live.currentGeneration);
    if (adminListener && token !== undefined)
      this.admin = new AdminServer(this.live, token, adminListener, this.events);
    const metricsListener = start.config.service.listeners.metrics;
    if (metricsListener)
      this.metricsServer = new MetricsServer(metricsListener, {
        path: () => this.serving.current.loaded.config.service.metricsPath,
        serve: (res, requestId, head) => serveMetrics(this.serving.handlerState, res, requestId, head),
      });
  }

  /** The request path's state (tests read it). */
  protected get state(): HandlerState {
    return this.serving.handlerState;
  }

  /** The public listeners' servers, HTTP first (tests read the HTTPS port). */
  protected get servers(): readonly Server[] {
    return this.serving.servers;
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
    return this.serving.current.loaded;
  }

  get metrics(): Metrics {
    return this.serving.handlerState.metrics;
  }

  /** Open client connections on all listeners, and the cap on them (`limits.maxConnections`, lowered to fit the open-file limit). */
  get clientConnections(): { readonly open: number; readonly cap: number } {
    return this.serving.clientConnections;
  }

  /** Starts the configured listeners (and the admin and metrics listeners, when configured); resolves with their bound addresses. */
  async listen(): Promise<ListenAddresses> {
    const out: { -readonly [K in keyof ListenAddresses]: ListenAddresses[K] } = await this.serving.listen({
      http: this.httpOverride,
    });
    if (this.admin) out.admin = await this.admin.listen();
    if (this.metricsServer) out.metrics = await this.metricsServer.listen();
    return out;
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
    this.serving.startDraining();
    await this.admin?.close();
    await this.metricsServer?.close();
    await this.live.close();
    await this.serving.close();
  }
}
