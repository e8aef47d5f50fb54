/**
 * Invokes function targets, bundled (worker pools, one per version) or
 * remote. Shared by the SCF backend and the WebSocket function backend.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import type { BundledFunctionSource, FunctionTarget } from '../../model';
import { Errors, GatewayError } from '../errors';
import { WorkerPool } from './pool';
import { invokeRemote } from './remote';

export interface InvokerEnv {
  /** Folder of the config file; bundled `dir`s resolve against it. */
  readonly baseDir: string;
  /** Connection pool for remote functions; without it the invoker keeps its own. */
  readonly dispatcher?: Dispatcher;
  /** Workers per function version (default: the CPU count, 1 to 4). */
  readonly workersPerFunction?: number;
  /** Invocations waiting for a worker, per version, before 503 (default 1000). */
  readonly maxQueue?: number;
  /**
   * Where a bundled source's code is: for a live-applied config, the bundle
   * stored under its sha256. Default: `dir` resolved against `baseDir`.
   */
  readonly codeDir?: (source: BundledFunctionSource) => string;
}

/** The context object handed to handlers as their second argument. */
export interface FunctionContext {
  readonly request_id: string;
  readonly namespace: string;
  readonly function_name: string;
  readonly function_version: string;
  readonly time_limit_in_ms: number;
  readonly memory_limit_in_mb: number | null;
}

export interface PoolStats {
  /** `namespace/function/version`. */
  readonly function: string;
  readonly workers: number;
  readonly busy: number;
  readonly queued: number;
  readonly size: number;
}

export class FunctionInvoker {
  private readonly pools = new Map<string, WorkerPool>();
  /** The pool of each target object of the config, so an invocation skips building the key. */
  private readonly byTarget = new WeakMap<FunctionTarget, WorkerPool>();
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: Agent | undefined;
  private closed = false;

  constructor(private readonly env: InvokerEnv) {
    this.ownDispatcher = env.dispatcher ? undefined : new Agent({ keepAliveTimeout: 4_000 });
    this.dispatcher = env.dispatcher ?? (this.ownDispatcher as Agent);
  }

  /**
   * Prepares a target at config load (workers start on first use). Throws when
   * bundled code is missing, so a bad config never replaces a working one.
   */
  register(target: FunctionTarget): void {
    this.poolOf(target);
  }

  /** The pool of a bundled target, started on first use; throws when its code is missing. */
  private poolOf(target: FunctionTarget): WorkerPool | undefined {
    if (target.source.type !== 'bundled') return undefined;
    const known = this.byTarget.get(target);
    if (known) return known;
    const dir = this.env.codeDir ? this.env.codeDir(target.source) : resolve(this.env.baseDir, target.source.dir);
    const k = key(target, dir);
    let pool = this.pools.get(k);
    if (!pool) {
      checkCode(dir, target.source, functionLabel(target));
      pool = new WorkerPool({
        dir,
        handler: target.source.handler,
        memoryMb: target.source.memoryMb,
        timeoutMs: target.timeoutMs,
        size: this.env.workersPerFunction ?? Math.max(1, Math.min(4, availableParallelism())),
        maxQueue: this.env.maxQueue ?? 1000,
        label: functionLabel(target),
      });
      this.pools.set(k, pool);
    }
    this.byTarget.set(target, pool);
    return pool;
  }

  /**
   * Runs the function with `(event, context)` and resolves with its return
   * value; rejects with a `GatewayError` (`FunctionError`, `FunctionTimeout`,
   * `FunctionBadResponse` for a remote answer that is not JSON).
   */
  // HOT PATH: every function request and WebSocket message.
  invoke(target: FunctionTarget, event: unknown, requestId = ''): Promise<unknown> {
    // A retired config's late request must not start workers that nobody closes.
    if (this.closed)
      return Promise.reject(new GatewayError(Errors.ServiceUnavailable).because('stopped', 'the config was retired'));
    if (target.source.type === 'remote') return invokeRemote(this.dispatcher, target.source, target.timeoutMs, event);
    let pool: WorkerPool;
    try {
      pool = this.poolOf(target) as WorkerPool;
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const context: FunctionContext = {
      request_id: requestId,
      namespace: target.namespace,
      function_name: target.functionName,
      function_version: target.version,
      time_limit_in_ms: target.timeoutMs,
      memory_limit_in_mb: target.source.memoryMb,
    };
    return pool.invoke(event, context);
  }

  /** State of each bundled function's worker pool, for metrics. */
  poolStats(): PoolStats[] {
    const out: PoolStats[] = [];
    for (const [k, pool] of this.pools) {
      out.push({
        function: k.slice(0, k.indexOf('|')),
        workers: pool.workers,
        busy: pool.busy,
        queued: pool.queued,
        size: pool.size,
      });
    }
    return out;
  }

  /** Live worker threads over all pools. */
  get workers(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.workers;
    return n;
  }

  /** Terminates every worker; invocations in flight get 503. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
    await this.ownDispatcher?.close();
  }
}

/** `namespace/name/version`: how metrics and the event log name a function. */
export function functionLabel(t: FunctionTarget): string {
  return `${t.namespace}/${t.functionName}/${t.version}`;
}

/** One pool per function version and code (two APIs may name the same function); `dir` is where the code is. */
function key(t: FunctionTarget, dir: string): string {
  const src = t.source.type === 'bundled' ? `${dir}|${t.source.handler}|${t.source.memoryMb}` : t.source.url;
  return `${functionLabel(t)}|${src}|${t.timeoutMs}`;
}

/** The handler's file must exist: `index.main_handler` is `index.js`, `.cjs`, `.mjs`, `index` or `index/`. */
function checkCode(dir: string, source: BundledFunctionSource, name: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`function ${name}: code folder ${dir} does not exist`);
  }
  const file = resolve(dir, source.handler.slice(0, source.handler.lastIndexOf('.')));
  const candidates = [file, `${file}.js`, `${file}.cjs`, `${file}.mjs`];
  if (!candidates.some((c) => existsSync(c))) {
    throw new Error(`function ${name}: handler file for "${source.handler}" not found in ${dir}`);
  }
}
