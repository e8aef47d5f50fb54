/**
 * The state of a multi-worker gateway process that every worker's health
 * answer reports: written by the coordinator, read by the workers, in a
 * small `SharedArrayBuffer` (no message per health check).
 *
 * The health path answers, on whichever worker the request reaches:
 * - `200 ok` while every expected worker serves;
 * - `200 degraded` while fewer serve because one stopped and its replacement
 *   is starting (the instance still serves: this answer came from a worker);
 * - `503 failing` while a worker that stopped again soon after it was
 *   replaced waits for its next restart (a crash loop: the orchestrator
 *   should replace the process);
 * - `503 draining` once SIGTERM (or SIGINT) was received.
 * The body names the answering worker, the config generation it serves and
 * `{serving, expected}`.
 *
 * It also holds each worker's open client connections, which the workers sum
 * to meet `limits.maxConnections` as one instance.
 */
import type { SharedConnectionCount } from '../connection-guard';
import type { HealthAnswer } from '../handler';

const DRAINING = 0;
const SERVING = 1;
const EXPECTED = 2;
const FAILING = 3;
/** The first of one word per worker: the client connections it holds. */
const CONNECTIONS = 4;

export class InstanceState {
  private readonly words: Int32Array;

  /** `buffer`: from `allocate`, shared by the coordinator and its workers. */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
  }

  /** The shared memory of an instance of `workers` workers. */
  static allocate(workers: number): SharedArrayBuffer {
    return new SharedArrayBuffer((CONNECTIONS + workers) * Int32Array.BYTES_PER_ELEMENT);
  }

  /** Worker `worker`'s view of the instance's connections. */
  connectionCount(worker: number): SharedConnectionCount {
    const words = this.words;
    return {
      publish: (open) => Atomics.store(words, CONNECTIONS + worker, open),
      total: () => {
        let sum = 0;
        for (let i = CONNECTIONS; i < words.length; i++) sum += Atomics.load(words, i);
        return sum;
      },
    };
  }

  /** A worker stopped: its connections closed with its thread. */
  forgetConnections(worker: number): void {
    Atomics.store(this.words, CONNECTIONS + worker, 0);
  }

  get serving(): number {
    return Atomics.load(this.words, SERVING);
  }

  get expected(): number {
    return Atomics.load(this.words, EXPECTED);
  }

  set expected(n: number) {
    Atomics.store(this.words, EXPECTED, n);
  }

  /** A worker started serving (+1) or stopped (-1). */
  changeServing(delta: number): void {
    Atomics.add(this.words, SERVING, delta);
  }

  /** Workers waiting to be restarted after a crash loop. */
  changeFailing(delta: number): void {
    Atomics.add(this.words, FAILING, delta);
  }

  startDraining(): void {
    Atomics.store(this.words, DRAINING, 1);
  }

  /** The health answer of worker `worker`, itself draining or not, serving `generation`. */
  health(worker: number, draining: boolean, generation: number): HealthAnswer {
    const workers = { serving: this.serving, expected: this.expected };
    const status =
      draining || Atomics.load(this.words, DRAINING) === 1
        ? 'draining'
        : Atomics.load(this.words, FAILING) > 0
          ? 'failing'
          : workers.serving < workers.expected
            ? 'degraded'
            : 'ok';
    return {
      status: status === 'draining' || status === 'failing' ? 503 : 200,
      body: { status, worker, generation, workers },
    };
  }
}
