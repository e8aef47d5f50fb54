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
  /** The function's response time: it covers waiting for a worker and running. */
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
  /**
   * Set by the worker when the handler could not be loaded: `handler_not_found` (the module does not export it),
   * `module_not_found`, or `load_failed` (the module threw while loading).
   */
  readonly load?: string;
  /** The thrown error's `code` (a string or an integer), for error-code conversion. */
  readonly code?: string | number;
}

/**
 * A function threw or rejected, or its handler could not be loaded; carries
 * what the function reported (shown to clients only in debug mode; its message
 * is logged).
 */
export class FunctionThrew extends GatewayError {
  constructor(readonly thrown: FunctionFailure) {
    super(Errors.FunctionError, 'the function failed');
    this.because(thrown.load ?? 'threw', thrown.message);
  }
}

interface Job {
  readonly event: unknown;
  readonly context: unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  slot: Slot | undefined;
  done: boolean;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  dead: boolean;
}

interface WorkerReply {
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: FunctionFailure;
}

/** The worker script sits next to the bundled gateway, or in this folder when running from sources. */
export const WORKER_PATH = join(__dirname, 'worker.js');

const CANNOT_START = 'the function worker could not be started';

let nextId = 0;

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly idle: Slot[] = [];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** Runs the handler with `(event, context)`; rejects with a `GatewayError`. */
  invoke(event: unknown, context: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new GatewayError(Errors.ServiceUnavailable));
    return new Promise((resolve, reject) => {
      const job: Job = { event, context, resolve, reject, timer: undefined, slot: undefined, done: false };
      job.timer = setTimeout(() => this.timedOut(job), this.options.timeoutMs);
      let slot = this.idle.pop();
      if (!slot && this.slots.size < this.options.size) {
        slot = this.spawn();
        if (!slot)
          return this.fail(job, new GatewayError(Errors.FunctionError, CANNOT_START).because('worker_start_failed'));
      }
      if (slot) this.run(slot, job);
      else if (this.queue.length < this.options.maxQueue) this.queue.push(job);
      else
        this.fail(
          job,
          new GatewayError(Errors.ServiceUnavailable, 'the function is saturated; retry later').because(
            'saturated',
            `${this.options.size} workers busy and ${this.options.maxQueue} invocations waiting`,
          ),
        );
    });
  }

  /** Live workers (for tests and metrics). */
  get workers(): number {
    return this.slots.size;
  }

  /** Invocations waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Workers running an invocation. */
  get busy(): number {
    return this.slots.size - this.idle.length;
  }

  /** Most workers this pool runs. */
  get size(): number {
    return this.options.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stopping = new GatewayError(Errors.ServiceUnavailable).because('stopped', 'the function pool was closed');
    for (const job of this.queue.splice(0)) this.fail(job, stopping);
    const all = [...this.slots];
    this.slots.clear();
    this.idle.length = 0;
    for (const slot of all) {
      slot.dead = true;
      if (slot.job) this.fail(slot.job, stopping);
    }
    await Promise.all(all.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot | undefined {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_PATH, {
        workerData: { dir: this.options.dir, handler: this.options.handler },
        resourceLimits: {
          maxOldGenerationSizeMb: this.options.memoryMb,
          maxYoungGenerationSizeMb: Math.max(4, Math.floor(this.options.memoryMb / 8)),
        },
        // Functions do not see the gateway's environment (it holds secrets).
        env: { NODE_ENV: process.env.NODE_ENV ?? 'production', TZ: process.env.TZ ?? 'UTC' },
      });
    } catch {
      return undefined;
    }
    const slot: Slot = { worker, job: undefined, dead: false };
    worker.on('message', (msg: WorkerReply) => {
      const job = slot.job;
      if (slot.dead || !job) return;
      slot.job = undefined;
      if (msg.ok) this.succeed(job, msg.result);
      else this.fail(job, new FunctionThrew(msg.error ?? { message: 'unknown error' }));
      const next = this.queue.shift();
      if (next) this.run(slot, next);
      else this.idle.push(slot);
    });
    // An uncaught error or out-of-memory comes as 'error' then 'exit'; process.exit() only as 'exit'.
    worker.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? this.lost(slot, 'the function ran out of memory', 'out_of_memory', err.message)
        : this.lost(slot, 'the function crashed', 'crashed', err.message),
    );
    worker.on('exit', (code) => this.lost(slot, 'the function exited', 'exited', `exit code ${code}`));
    // Idle workers must not keep the process alive; close() terminates them.
    worker.unref();
    this.slots.add(slot);
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    job.slot = slot;
    slot.worker.postMessage({ id: nextId++, event: job.event, context: job.context });
  }

  private timedOut(job: Job): void {
    if (job.done) return;
    const slot = job.slot;
    if (slot) {
      this.remove(slot);
      void slot.worker.terminate();
    } else {
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
    }
    this.fail(
      job,
      new GatewayError(
        Errors.FunctionTimeout,
        `the function did not finish within ${this.options.timeoutMs} ms`,
      ).because('timeout', slot ? 'the worker was stopped' : 'it waited for a worker the whole time'),
    );
    this.refill();
  }

  /** A worker died: its invocation fails and waiting invocations get a replacement. */
  private lost(slot: Slot, reason: string, cause: string, detail: string): void {
    if (slot.dead) return;
    this.remove(slot);
    if (slot.job) this.fail(slot.job, new GatewayError(Errors.FunctionError, reason).because(cause, detail));
    this.refill();
  }

  private remove(slot: Slot): void {
    slot.dead = true;
    this.slots.delete(slot);
    const i = this.idle.indexOf(slot);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private refill(): void {
    while (!this.closed && this.queue.length > 0 && this.slots.size < this.options.size) {
      const slot = this.spawn();
      const job = this.queue.shift() as Job;
      if (slot) this.run(slot, job);
      else this.fail(job, new GatewayError(Errors.FunctionError, CANNOT_START).because('worker_start_failed'));
    }
  }

  private succeed(job: Job, value: unknown): void {
    if (this.settle(job)) job.resolve(value);
  }

  private fail(job: Job, err: Error): void {
    if (this.settle(job)) job.reject(err);
  }

  private settle(job: Job): boolean {
    if (job.done) return false;
    job.done = true;
    clearTimeout(job.timer);
    if (job.slot?.job === job) job.slot.job = undefined;
    job.slot = undefined;
    return true;
  }
}
