/**
 * Calls and answers between the coordinator and a worker thread over their
 * message port: `call(type, body)` runs the other side's handler for `type`
 * and resolves with what it returns (or rejects with its error's message and,
 * for a config that does not compile, the field). Closing the channel (its
 * worker exited) rejects the calls still waiting.
 */
import { CompileError } from '../compile';

/** The side of a message port we use: a `Worker`, or a worker's `parentPort`. */
export interface Port {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
}

type Handler = (body: never) => unknown;

interface Call {
  readonly kind: 'call';
  readonly id: number;
  readonly type: string;
  readonly body: unknown;
}

interface Answer {
  readonly kind: 'answer';
  readonly id: number;
  readonly value?: unknown;
  readonly error?: { readonly message: string; readonly field?: string };
}

interface Waiting {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

export class Channel {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed: string | undefined;

  constructor(
    private readonly port: Port,
    private readonly handlers: Readonly<Record<string, Handler>>,
  ) {
    port.on('message', (message) => this.receive(message as Call | Answer));
  }

  /** Runs the other side's handler for `type`; rejects after `timeoutMs` when given. */
  call<T>(type: string, body: unknown = null, timeoutMs?: number): Promise<T> {
    if (this.closed !== undefined) return Promise.reject(new Error(this.closed));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiting.delete(id);
              reject(new Error(`no answer to ${type} within ${timeoutMs} ms`));
            }, timeoutMs);
      timer?.unref();
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.port.postMessage({ kind: 'call', id, type, body } satisfies Call);
    });
  }

  /** No more calls: those waiting are rejected with `reason`. */
  close(reason: string): void {
    this.closed = reason;
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new Error(reason));
    }
    this.waiting.clear();
  }

  private receive(message: Call | Answer): void {
    if (message === null || typeof message !== 'object') return;
    if (message.kind === 'answer') {
      const w = this.waiting.get(message.id);
      if (!w) return;
      this.waiting.delete(message.id);
      clearTimeout(w.timer);
      if (message.error) w.reject(remoteError(message.error));
      else w.resolve(message.value);
      return;
    }
    if (message.kind !== 'call') return;
    const handler = this.handlers[message.type];
    const answer = (a: Omit<Answer, 'kind' | 'id'>): void => {
      if (this.closed === undefined) this.port.postMessage({ kind: 'answer', id: message.id, ...a } satisfies Answer);
    };
    const failed = (err: unknown): void =>
      answer({
        error: {
          message: err instanceof Error ? err.message : String(err),
          ...(err instanceof CompileError ? { field: err.field } : {}),
        },
      });
    if (!handler) return failed(new Error(`no handler for ${message.type}`));
    try {
      Promise.resolve((handler as (body: unknown) => unknown)(message.body)).then((value) => answer({ value }), failed);
    } catch (err) {
      failed(err);
    }
  }
}

/** The other side's error: a `CompileError` when it named a field. */
function remoteError(error: NonNullable<Answer['error']>): Error {
  return error.field !== undefined ? new CompileError(error.field, error.message) : new Error(error.message);
}
