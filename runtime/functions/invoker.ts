/**
 * Invokes function targets, bundled (worker pools, one per version) or
 * remote. Shared by the SCF backend and the WebSocket function backend.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import type { FunctionTarget } from '../../model';
import { WorkerPool } from './pool';
import { invokeRemote } from './remote';

export interface InvokerEnv {
  /** Folder of the config file; bundled `dir`s resolve against it. */
  readonly baseDir: string;
  readonly dispatcher: Dispatcher;
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

export class FunctionInvoker {
  private readonly pools = new Map<string, WorkerPool>();

  constructor(private readonly env: InvokerEnv) {}

  /** Prepares a target at config load (workers start on first use). */
  register(target: FunctionTarget): void {
    if (target.source.type !== 'bundled' || this.pools.has(key(target))) return;
    this.pools.set(
      key(target),
      new WorkerPool({
        dir: resolve(this.env.baseDir, target.source.dir),
        handler: target.source.handler,
        memoryMb: target.source.memoryMb,
        timeoutMs: target.timeoutMs,
        size: Math.max(1, Math.min(4, availableParallelism())),
        maxQueue: 1000,
        label: `${target.namespace}/${target.functionName}/${target.version}`,
      }),
    );
  }

  invoke(target: FunctionTarget, event: unknown, requestId: string): Promise<unknown> {
    if (target.source.type === 'remote')
      return invokeRemote(this.env.dispatcher, target.source, target.timeoutMs, event);
    this.register(target);
    const context: FunctionContext = {
      request_id: requestId,
      namespace: target.namespace,
      function_name: target.functionName,
      function_version: target.version,
      time_limit_in_ms: target.timeoutMs,
      memory_limit_in_mb: target.source.memoryMb,
    };
    return (this.pools.get(key(target)) as WorkerPool).invoke(event, context);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}

/** One pool per function version and code (two APIs may name the same function). */
function key(t: FunctionTarget): string {
  const src = t.source.type === 'bundled' ? `${t.source.dir}|${t.source.handler}|${t.source.memoryMb}` : t.source.url;
  return `${t.namespace}/${t.functionName}/${t.version}|${src}|${t.timeoutMs}`;
}
