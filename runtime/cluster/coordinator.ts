/**
 * The main thread of a multi-worker gateway process (`service.workers` > 1).
 * It serves no public traffic: each worker thread (`gateway-worker.ts`) is a
 * full gateway on the same listeners, and the kernel spreads connections over
 * them (SO_REUSEPORT). The coordinator keeps what is one per instance:
 *
 * - the served config (`LiveConfig`: validation, the state directory, the
 *   admin listener, SIGHUP). A change is compiled on every worker (`prepare`)
 *   before any serves it (`commit`); a refusal or a worker stopping on the way
 *   abandons it on all, so the workers never serve different configs;
 * - the shared counters of rate limits and quotas (`counter-table.ts`), their
 *   slots stable across config changes;
 * - one `/metrics` for the instance: the workers' request metrics summed,
 *   then the process metrics once (on the metrics listener, or on any
 *   worker's public metrics path);
 * - the connections endpoint across workers (a worker asks here for a
 *   connection another worker holds);
 * - the workers themselves: a worker that stops unexpectedly is logged
 *   (`worker_crashed`) and replaced on the generation being served; the
 *   health answer reports the instance (`instance-state.ts`); SIGTERM drains
 *   every worker.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { ADMIN_BUNDLE_KEEP_MS, DEFAULT_LIMITS, type BundledFunctionSource, type GatewayConfig } from '../../model';
import type { EventLog, LogLevel } from '../access-log';
import { bundledSources } from '../admin/applied-config';
import { adminFailure } from '../admin/failure';
import { LiveConfig } from '../admin/live-config';
import { AdminServer } from '../admin/server';
import { readAdminToken } from '../admin/token';
import type { LoadedConfig } from '../config-loader';
import { effectiveConnectionCap } from '../connection-guard';
import type { ListenAddresses } from '../gateway';
import { Metrics, escape, processMetrics, sendExposition, sumPools, type MetricsSnapshot } from '../metrics';
import { MetricsServer } from '../metrics-server';
import { Channel } from './channel';
import { CounterSlots } from './counter-slots';
import { CounterTable } from './counter-table';
import type { Faults } from './faults';
import { InstanceState } from './instance-state';
import {
  GATEWAY_WORKER_ROLE,
  type GenerationSpec,
  type ListenAnswer,
  type ListenCall,
  type ReachCall,
  type WorkerData,
} from './protocol';

export interface CoordinatorOptions {
  readonly workers: number;
  /** The worker threads' script (`gateway-worker.js`). */
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  readonly events: EventLog;
  readonly logLevel: LogLevel;
  /** `serve --port/--host`: replace the HTTP listener's port and address. */
  readonly http?: { readonly port?: number; readonly host?: string };
  readonly stateDir?: string;
  readonly faults: Faults;
}

/** A config generation compiled on every worker, waiting for its commit. */
interface Prepared {
  readonly id: number;
  readonly spec: GenerationSpec;
}

interface WorkerHandle {
  readonly index: number;
  readonly thread: Worker;
  readonly channel: Channel;
  readonly startedAt: number;
  readonly exited: Promise<unknown>;
  /** Listening, and counted among the instance's serving workers. */
  serving: boolean;
  /** Its exit is ours (a failed start, shutdown): not a crash. */
  stopping: boolean;
  /** Its uncaught error, when it crashed. */
  error: Error | undefined;
  /** Its request metrics at the last scrape (kept when it stops, so the instance's counters never go down). */
  last: MetricsSnapshot | undefined;
  /** Its event-loop utilization at the last scrape. */
  elu: EventLoopUtilization | undefined;
}

/** A replaced worker that stops again before this long is crash-looping: replaced after a growing delay. */
const STABLE_MS = 10_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/** A worker that does not compile a config in this time refuses it. */
const PREPARE_TIMEOUT_MS = 60_000;
/** Answers the coordinator waits for from a worker for a scrape or a connection lookup. */
const ASK_TIMEOUT_MS = 5_000;

export class Coordinator {
  readonly live: LiveConfig<Prepared>;
  private readonly workers: (WorkerHandle | undefined)[];
  private readonly table: CounterTable;
  private readonly slots: CounterSlots;
  private readonly instance: InstanceState;
  /** Reloads, applies and the generation (the workers count requests). */
  private readonly metrics = new Metrics();
  /** Request metrics of workers that stopped, so that the instance's counters never go down. */
  private readonly departed = new Metrics();
  private readonly admin: AdminServer | undefined;
  private readonly metricsServer: MetricsServer | undefined;
  private readonly functionWorkers: number;
  private readonly heapLimitMb: number;
  /** The generation being served: a replacement worker starts on it. */
  private current: { readonly spec: GenerationSpec; readonly generation: number } | undefined;
  /** Where the first worker's listeners bound: the others bind the same ports. */
  private bound: ListenCall | undefined;
  /** Delay before the next replacement of each worker number, after a crash loop. */
  private readonly retryMs = new Map<number, number>();
  private restarts = 0;
  private nextId = 1;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly start: LoadedConfig,
    private readonly options: CoordinatorOptions,
  ) {
    this.workers = new Array<WorkerHandle | undefined>(options.workers).fill(undefined);
    this.instance = new InstanceState(InstanceState.allocate(options.workers));
    this.instance.expected = options.workers;
    this.table = new CounterTable(CounterTable.allocate(1024), 0);
    this.slots = new CounterSlots(this.table);
    // Function threads per version: the invoker's default (CPUs, 1 to 4) split between the workers.
    this.functionWorkers = Math.max(1, Math.ceil(Math.min(4, options.workers) / options.workers));
    // A worker that runs out of heap is stopped and replaced instead of aborting the process.
    this.heapLimitMb = Math.floor(getHeapStatistics().heap_size_limit / 1048576);
    const { events } = options;
    const adminListener = start.config.service.admin;
    const token = adminListener ? readAdminToken(adminListener, start.baseDir, options.env) : undefined;
    this.live = new LiveConfig<Prepared>(
      start,
      {
        compile: (loaded, env, codeDir) => this.prepare(loaded, env, codeDir),
        swap: (next, generation) => this.commit(next, generation),
        discard: (next) => this.abandon(next),
        metrics: this.metrics,
      },
      {
        env: options.env,
        stateDir: adminListener ? options.stateDir : undefined,
        token,
        bundleKeepMs: ADMIN_BUNDLE_KEEP_MS,
        events,
      },
    );
    if (adminListener && token !== undefined) this.admin = new AdminServer(this.live, token, adminListener, events);
    const metricsListener = start.config.service.listeners.metrics;
    if (metricsListener)
      this.metricsServer = new MetricsServer(metricsListener, {
        path: () => this.served.service.metricsPath,
        serve: (res, requestId, head) => sendExposition(res, requestId, head, this.exposition(), events),
      });
  }

  /** Starts the workers and compiles the first generation on each; throws (and stops them) when that fails. */
  static async start(start: LoadedConfig, options: CoordinatorOptions): Promise<Coordinator> {
    const coordinator = new Coordinator(start, options);
    try {
      for (let i = 0; i < options.workers; i++) coordinator.spawn(i);
      const first = await coordinator.live.openAsync();
      await coordinator.commit(first, coordinator.live.currentGeneration);
    } catch (err) {
      await coordinator.stopAll();
      await coordinator.live.close();
      throw err;
    }
    return coordinator;
  }

  /** The config being served. */
  get served(): GatewayConfig {
    return (this.current?.spec.loaded ?? this.start).config;
  }

  get generation(): number {
    return this.live.currentGeneration;
  }

  /** The instance's connection cap (its workers count their connections together against it). */
  get connectionCap(): number {
    return effectiveConnectionCap(this.served.service.limits.maxConnections ?? DEFAULT_LIMITS.maxConnections);
  }

  /**
   * Binds the public listeners on every worker (the first one first: it
   * resolves port 0; the others bind the port it got), then the admin and
   * metrics listeners. Throws when a listener cannot bind.
   */
  async listen(): Promise<ListenAddresses> {
    const handles = this.running();
    const [first, ...rest] = handles;
    const out: { -readonly [K in keyof ListenAddresses]: ListenAddresses[K] } = {};
    const { http, https } = this.bindFor();
    for (const bind of [http, https]) if (bind) await ensurePortFree(bind.port, bind.host);
    const answer = await this.listenWorker(first as WorkerHandle);
    Object.assign(out, answer);
    await Promise.all(rest.map((h) => this.listenWorker(h)));
    if (this.admin) out.admin = await this.admin.listen();
    if (this.metricsServer) out.metrics = await this.metricsServer.listen();
    if (this.options.faults.crashOnSigusr2)
      process.on('SIGUSR2', () => void this.workers[0]?.channel.call('crash').catch(() => undefined));
    return out;
  }

  /** SIGHUP: as `Gateway.reload`, compiled on every worker before any serves it. */
  reload(file?: string): Promise<boolean> {
    return this.live.reload(file);
  }

  /** SIGTERM: the health answer turns 503 on every worker at once, then every worker drains and ends. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.instance.startDraining();
    await this.admin?.close();
    await this.metricsServer?.close();
    await this.live.close();
    const grace = this.served.service.limits.shutdownGraceMs;
    await Promise.all(
      this.running().map(async (h) => {
        h.stopping = true;
        const ended = h.channel.call('drain').catch(() => undefined);
        // A worker that does not end within its grace period (and some) is stopped.
        const timer = setTimeout(() => void h.thread.terminate(), grace + 5_000);
        await Promise.all([ended, h.exited]);
        clearTimeout(timer);
      }),
    );
  }

  private running(): WorkerHandle[] {
    return this.workers.filter((h): h is WorkerHandle => h !== undefined);
  }

  private spawn(index: number): WorkerHandle {
    const data: WorkerData = {
      role: GATEWAY_WORKER_ROLE,
      index,
      workers: this.options.workers,
      start: this.start,
      env: this.options.env,
      debug: this.options.env.APIGW_DEBUG === '1',
      accessLog: this.options.env.APIGW_ACCESS_LOG !== 'off',
      logLevel: this.options.logLevel,
      counters: this.table.buffer,
      instance: this.instance.buffer,
      functionWorkers: this.functionWorkers,
      crashOnPrepare: this.options.faults.crashOnPrepare === index,
    };
    const thread = new Worker(this.options.entry, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.heapLimitMb },
    });
    const handle: WorkerHandle = {
      index,
      thread,
      channel: new Channel(thread, {
        scrape: () => this.exposition(),
        reach: (call: ReachCall) => this.reach(handle, call),
      }),
      startedAt: Date.now(),
      exited: once(thread, 'exit').catch(() => undefined),
      serving: false,
      stopping: false,
      error: undefined,
      last: undefined,
      elu: undefined,
    };
    thread.on('error', (err) => (handle.error = err));
    thread.on('exit', (code) => this.exited(handle, code));
    this.workers[index] = handle;
    return handle;
  }

  private async listenWorker(handle: WorkerHandle): Promise<ListenAnswer> {
    const answer = await handle.channel.call<ListenAnswer>('listen', this.bindFor());
    this.bound ??= {
      ...(answer.http
        ? { http: { port: answer.http.port, host: (this.bindFor().http as { host: string }).host } }
        : {}),
      ...(answer.https
        ? { https: { port: answer.https.port, host: (this.bindFor().https as { host: string }).host } }
        : {}),
    };
    handle.serving = true;
    this.instance.changeServing(1);
    return answer;
  }

  /** Where a worker binds: the config's listeners (with `--port/--host`), then the ports the first worker got. */
  private bindFor(): ListenCall {
    if (this.bound) return this.bound;
    const { http, https } = this.start.config.service.listeners;
    const override = this.options.http ?? {};
    return {
      ...(http ? { http: { port: override.port ?? http.port, host: override.host ?? http.host } } : {}),
      ...(https ? { https: { port: https.port, host: https.host } } : {}),
    };
  }

  /** A worker ended: on shutdown that is expected; otherwise it is logged and replaced. */
  private exited(handle: WorkerHandle, code: number): void {
    handle.channel.close(`worker ${handle.index} stopped (exit code ${code})`);
    if (this.workers[handle.index] === handle) this.workers[handle.index] = undefined;
    if (handle.serving) {
      handle.serving = false;
      this.instance.changeServing(-1);
    }
    // A lock it held in the shared counters would block the others for ever.
    this.table.releaseHeldBy(handle.index + 1);
    this.instance.forgetConnections(handle.index);
    if (handle.last) this.departed.add({ ...handle.last, inFlight: 0, pools: [] });
    if (this.closing || handle.stopping) return;
    const ranMs = Date.now() - handle.startedAt;
    this.options.events.error('worker_crashed', {
      worker: handle.index,
      exitCode: code,
      ranMs,
      ...(handle.error ? { error: handle.error.stack ?? String(handle.error) } : {}),
    });
    // A first crash, or one after a stable run, is replaced at once; a replacement that stops again soon is a
    // crash loop: replaced after a growing delay.
    const looping = ranMs < STABLE_MS && this.retryMs.has(handle.index);
    const delay = looping
      ? Math.min(MAX_RETRY_MS, (this.retryMs.get(handle.index) as number) * 2 || FIRST_RETRY_MS)
      : 0;
    this.retryMs.set(handle.index, delay);
    if (delay === 0) return void this.replace(handle.index, false);
    // A crash loop: the instance reports `failing` until the worker serves again.
    this.instance.changeFailing(1);
    const timer = setTimeout(() => void this.replace(handle.index, true), delay);
    timer.unref();
  }

  /** Starts worker `index` again on the generation being served, with no config change in progress. */
  private async replace(index: number, failing: boolean): Promise<void> {
    try {
      await this.replaceNow(index);
    } catch (err) {
      // The config queue is closed (shutdown): nothing to replace.
      if (!this.closing)
        this.options.events.error('worker_start_failed', { worker: index, reason: (err as Error).message });
    } finally {
      if (failing) this.instance.changeFailing(-1);
    }
  }

  private async replaceNow(index: number): Promise<void> {
    await this.live.exclusive(async () => {
      const current = this.current;
      if (this.closing || !current || this.workers[index]) return;
      const handle = this.spawn(index);
      try {
        const id = this.nextId++;
        await handle.channel.call('prepare', { id, spec: current.spec }, PREPARE_TIMEOUT_MS);
        await handle.channel.call('commit', { id, generation: current.generation });
        await this.listenWorker(handle);
        this.restarts++;
        this.options.events.info('worker_replaced', {
          worker: index,
          generation: current.generation,
          restarts: this.restarts,
        });
      } catch (err) {
        this.options.events.error('worker_start_failed', { worker: index, reason: (err as Error).message });
        // Its exit schedules the next attempt.
        void handle.thread.terminate();
      }
    });
  }

  /** Stops every worker at once (a failed start). */
  private async stopAll(): Promise<void> {
    await Promise.all(
      this.running().map(async (h) => {
        h.stopping = true;
        await h.thread.terminate();
      }),
    );
  }

  /** LiveConfig's compile: every worker compiles the generation; one refusal abandons it on all. */
  private async prepare(
    loaded: LoadedConfig,
    env: NodeJS.ProcessEnv,
    codeDir: ((source: BundledFunctionSource) => string) | undefined,
  ): Promise<Prepared> {
    const spec: GenerationSpec = {
      loaded,
      env,
      ...(codeDir ? { codeDirs: codeDirsOf(loaded.config, codeDir) } : {}),
      slots: this.slots.assign(loaded.config),
    };
    const prepared: Prepared = { id: this.nextId++, spec };
    const targets = this.running();
    if (targets.length === 0) throw adminFailure('InternalError', 'no worker is running; nothing changed');
    const results = await Promise.allSettled(
      targets.map((h) => h.channel.call('prepare', { id: prepared.id, spec }, PREPARE_TIMEOUT_MS)),
    );
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refused) {
      this.abandon(prepared);
      const reason = refused.reason as Error;
      // A worker that stopped or did not answer is the gateway's failure, not the config's.
      if (/^worker \d+ stopped|^no answer/.test(reason.message))
        throw adminFailure('InternalError', `${reason.message} while compiling the config; nothing changed`);
      throw reason;
    }
    return prepared;
  }

  /** LiveConfig's swap: every worker serves the prepared generation. */
  private async commit(prepared: Prepared, generation: number): Promise<void> {
    this.current = { spec: prepared.spec, generation };
    this.metrics.generation = generation;
    await Promise.all(
      this.running().map((h) =>
        h.channel.call('commit', { id: prepared.id, generation }).catch((err: Error) => {
          if (this.workers[h.index] !== h) return; // it stopped: its replacement starts on this generation
          this.options.events.error('worker_commit_failed', { worker: h.index, reason: err.message });
          void h.thread.terminate();
        }),
      ),
    );
    this.slots.keep(prepared.spec.loaded.config);
  }

  private abandon(prepared: Prepared): void {
    for (const h of this.running()) void h.channel.call('abandon', { id: prepared.id }).catch(() => undefined);
  }

  /** A worker's connections endpoint looks for a connection it does not hold. */
  private async reach(from: WorkerHandle, call: ReachCall): Promise<boolean> {
    const others = this.running().filter((h) => h !== from && h.serving);
    const found = await Promise.all(
      others.map((h) =>
        h.channel
          .call<boolean>('reach', { connectionId: call.connectionId, op: 'find' }, ASK_TIMEOUT_MS)
          .catch(() => false),
      ),
    );
    const owner = others[found.indexOf(true)];
    if (!owner) return false;
    if (call.op === 'find') return true;
    return owner.channel.call<boolean>('reach', call, ASK_TIMEOUT_MS);
  }

  /** The instance's metrics: the workers' request metrics summed, the coordinator's, then the process's. */
  async exposition(): Promise<string> {
    const handles = this.running().filter((h) => h.serving);
    await Promise.all(
      handles.map(async (h) => {
        try {
          h.last = await h.channel.call<MetricsSnapshot>('snapshot', null, ASK_TIMEOUT_MS);
        } catch {
          // Not answering: its last snapshot stands in.
        }
      }),
    );
    const total = new Metrics();
    total.add(this.departed.snapshot([]));
    for (const h of handles) if (h.last) total.add(h.last);
    total.reloads = this.metrics.reloads;
    total.reloadFailures = this.metrics.reloadFailures;
    total.applies = this.metrics.applies;
    total.applyFailures = this.metrics.applyFailures;
    total.generation = this.metrics.generation;
    const pools = sumPools(handles.flatMap((h) => h.last?.pools ?? []));
    return total.render(pools) + this.renderWorkers(handles) + (await processMetrics());
  }

  private renderWorkers(handles: readonly WorkerHandle[]): string {
    const out = [
      '# HELP apigw_workers Worker threads serving.',
      '# TYPE apigw_workers gauge',
      `apigw_workers ${this.instance.serving}`,
      '# HELP apigw_workers_expected Worker threads the process runs when all serve (service.workers).',
      '# TYPE apigw_workers_expected gauge',
      `apigw_workers_expected ${this.instance.expected}`,
      '# HELP apigw_worker_restarts_total Worker threads replaced after they stopped unexpectedly.',
      '# TYPE apigw_worker_restarts_total counter',
      `apigw_worker_restarts_total ${this.restarts}`,
      '# HELP apigw_worker_event_loop_utilization Share of time each worker thread was busy since the last scrape.',
      '# TYPE apigw_worker_event_loop_utilization gauge',
    ];
    for (const h of handles) {
      const now = h.thread.performance.eventLoopUtilization();
      const since = h.elu ? h.thread.performance.eventLoopUtilization(now, h.elu) : now;
      h.elu = now;
      out.push(`apigw_worker_event_loop_utilization{worker="${escape(String(h.index))}"} ${since.utilization}`);
    }
    return out.join('\n') + '\n';
  }
}

/**
 * Fails as a one-thread gateway does when the port is taken. The workers bind
 * with SO_REUSEPORT, which would let them share a port that another gateway
 * also bound with it (two instances silently splitting the traffic): a plain
 * bind first refuses a port anyone holds. (Port 0 needs no check: the first
 * worker gets a fresh port and the others bind that one.)
 */
async function ensurePortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ port, host, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** Folder of each stored bundle an applied config runs, by sha256. */
function codeDirsOf(config: GatewayConfig, codeDir: (source: BundledFunctionSource) => string): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const { source } of bundledSources(config)) if (source.sha256) dirs[source.sha256] = codeDir(source);
  return dirs;
}
