/**
 * Loads a bundled function's module at synth, the way the gateway will: in
 * the runtime's own function worker (`worker.js` of the runtime bundle, in
 * probe mode), in a worker thread with the function's memory limit, the
 * runtime's function environment (none of the synth's variables) and a
 * timeout, so user code can neither hang synth nor read its secrets.
 *
 * Synth is synchronous: the caller blocks on `Atomics.wait` until the worker
 * has answered or the timeout passed, and reads the answer with
 * `receiveMessageOnPort`.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { runtimeBundleDir } from '../package-files';

export type ProbeResult =
  | { readonly kind: 'exported' }
  | { readonly kind: 'not-exported'; readonly functions: readonly string[] }
  | { readonly kind: 'not-found'; readonly reason: string }
  | { readonly kind: 'load-failed'; readonly reason: string }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'no-folder' };

interface ProbeReply {
  readonly ok: boolean;
  /** The handler's export is a function (exactly the gateway's test). */
  readonly exported?: boolean;
  /** Enumerable function exports, for the message. */
  readonly functions?: string[];
  readonly code?: string;
  readonly message?: string;
}

/** How long a module may take to load at synth. */
export const PROBE_TIMEOUT_MS = 5000;

/** Loads `handler` (`file.export`) from `dir` and says whether the export is a function. */
export function probeHandler(
  dir: string,
  handler: string,
  memoryMb: number,
  timeoutMs = PROBE_TIMEOUT_MS,
): ProbeResult {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { kind: 'no-folder' };
  const signal = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  let worker: Worker;
  try {
    worker = new Worker(join(runtimeBundleDir(), 'worker.js'), {
      workerData: { dir, handler, probe: { port: port2, signal } },
      transferList: [port2],
      resourceLimits: {
        maxOldGenerationSizeMb: memoryMb,
        maxYoungGenerationSizeMb: Math.max(4, Math.floor(memoryMb / 8)),
      },
      // As in the gateway's pool: functions never see the environment of the process that runs them.
      env: { NODE_ENV: 'production', TZ: 'UTC' },
      // Whatever the module prints while loading is not synth's output.
      stdout: true,
      stderr: true,
    });
  } catch (err) {
    port1.close();
    return { kind: 'load-failed', reason: (err as Error).message };
  }
  worker.unref();
  // A module that throws after loading (a timer, a rejected promise) must not take synth down.
  worker.on('error', () => undefined);
  try {
    Atomics.wait(new Int32Array(signal), 0, 0, timeoutMs);
    const reply = receiveMessageOnPort(port1)?.message as ProbeReply | undefined;
    if (!reply) return { kind: 'timed-out' };
    if (reply.ok)
      return reply.exported ? { kind: 'exported' } : { kind: 'not-exported', functions: reply.functions ?? [] };
    const reason = firstLine(reply.message ?? 'unknown error');
    return reply.code === 'MODULE_NOT_FOUND' || reply.code === 'ERR_MODULE_NOT_FOUND'
      ? { kind: 'not-found', reason }
      : { kind: 'load-failed', reason };
  } finally {
    port1.close();
    void worker.terminate();
  }
}

function firstLine(message: string): string {
  // Node's "Cannot find module" carries a require stack on the following lines.
  return (message.split('\n')[0] ?? message).trim();
}
