/**
 * A pool of worker threads running one bundled function version. Each worker
 * runs one invocation at a time; a timeout terminates the worker (a runaway
 * loop cannot be interrupted any other way) and a crash or out-of-memory
 * kills only that worker. Replacements start on demand.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Errors, GatewayError } from '../errors';

export interface PoolOptions {
  readonly dir: string;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** Workers at most. */
  readonly size: number;
  /** Invocations waiting for a worker at most; beyond it callers get 503. */
  readonly maxQueue: number;
  /** Label for error messages: `namespace/name/version`. */
  readonly label: string;
}

export interface FunctionFailure {
  readonly message: string;
  readonly stack?: string;
}

/** A function threw or rejected; carries what the function reported. */
export class FunctionThrew extends GatewayError {
  constructor(readonly failure: FunctionFailure) {
    super(Errors.FunctionError, 'the function failed');
  }
}

interface Job {
  readonly event: unknown;
  readonly context: unknown;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** The worker script sits next to the bundled gateway, or in this folder when running from sources. */
export const WORKER_PATH = join(__dirname, 'worker.js');

let nextId = 0;

export class WorkerPool {
  private readonly idle: Slot[] = [];
  private readonly busy = new Set<Slot>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  invoke(event: unknown, context: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new GatewayError(Errors.ServiceUnavailable));
    return new Promise((resolve, reject) => {
      const job: Job = { event, context, resolve, reject };
      const slot = this.idle.pop() ?? (this.busy.size < this.options.size ? this.spawn() : undefined);
      if (slot) this.run(slot, job);
      else if (this.queue.length < this.options.maxQueue) this.queue.push(job);
      else reject(new GatewayError(Errors.ServiceUnavailable, 'the function is saturated; retry later'));
    });
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_PATH, {
      workerData: { dir: this.options.dir, handler: this.options.handler },
      resourceLimits: {
        maxOldGenerationSizeMb: this.options.memoryMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.floor(this.options.memoryMb / 8)),
      },
      // Functions do not see the gateway's environment (it holds secrets).
      env: { NODE_ENV: process.env.NODE_ENV ?? 'production', TZ: process.env.TZ ?? 'UTC' },
    });
    const slot: Slot = { worker, job: undefined, timer: undefined };
    worker.on('message', (msg: { ok: boolean; result?: unknown; error?: FunctionFailure }) => {
      const job = slot.job;
      if (!job) return;
      this.finish(slot);
      if (msg.ok) job.resolve(msg.result);
      else job.reject(new FunctionThrew(msg.error ?? { message: 'unknown error' }));
      this.release(slot);
    });
    const fail = (reason: string): void => {
      const job = slot.job;
      this.finish(slot);
      this.discard(slot);
      job?.reject(new GatewayError(Errors.FunctionError, reason));
      this.drainQueue();
    };
    worker.on('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'the function ran out of memory' : 'the function crashed'),
    );
    worker.on('exit', () => fail('the function exited'));
    worker.unref();
    this.busy.add(slot);
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    this.busy.add(slot);
    slot.job = job;
    slot.timer = setTimeout(() => {
      slot.job = undefined;
      this.discard(slot);
      void slot.worker.terminate();
      job.reject(
        new GatewayError(Errors.FunctionTimeout, `the function did not finish within ${this.options.timeoutMs} ms`),
      );
      this.drainQueue();
    }, this.options.timeoutMs);
    slot.worker.postMessage({ id: nextId++, event: job.event, context: job.context });
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.job = undefined;
  }

  private discard(slot: Slot): void {
    this.busy.delete(slot);
    const i = this.idle.indexOf(slot);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private release(slot: Slot): void {
    const next = this.queue.shift();
    if (next) {
      this.run(slot, next);
      return;
    }
    this.busy.delete(slot);
    this.idle.push(slot);
  }

  private drainQueue(): void {
    while (this.queue.length > 0 && this.busy.size < this.options.size && !this.closed) {
      this.run(this.spawn(), this.queue.shift() as Job);
    }
  }

  /** Number of live workers (for tests and metrics). */
  get workers(): number {
    return this.idle.length + this.busy.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new GatewayError(Errors.ServiceUnavailable));
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(all.map((s) => s.worker.terminate()));
  }
}
