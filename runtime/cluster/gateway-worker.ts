/**
 * A worker thread of a multi-worker gateway process: a full gateway
 * (`ServingGateway`) on the same listeners as the other workers (SO_REUSEPORT:
 * the kernel spreads new connections over them), driven by the coordinator:
 *
 * - `prepare` compiles a config generation and holds it; `commit` serves it,
 *   `abandon` frees it. The coordinator commits only once every worker has
 *   prepared, so a config one worker refuses serves on none.
 * - `listen` binds the public listeners; `drain` stops as SIGTERM does, then
 *   the thread ends.
 * - `snapshot` hands over the request metrics; `reach` finds, messages or
 *   closes a WebSocket connection of this thread for another worker's
 *   connections endpoint.
 *
 * Rate limits and quotas count on the process's shared counters; a scrape of
 * the public metrics path, the health answer and a connection held elsewhere
 * are the instance's (asked of the coordinator, or read from shared memory).
 *
 * Loaded as the worker's script (`gateway-worker.js`, next to the coordinator
 * or the bundle); it runs only in a thread started with `WorkerData`.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { AccessLog, EventLog } from '../access-log';
import type { CompiledGateway } from '../compile';
import { Metrics, type MetricsSnapshot } from '../metrics';
import { ServingGateway } from '../serving-gateway';
import { Channel } from './channel';
import { CounterTable } from './counter-table';
import { InstanceState } from './instance-state';
import {
  GATEWAY_WORKER_ROLE,
  type CommitCall,
  type ListenAnswer,
  type ListenCall,
  type PrepareCall,
  type ReachCall,
  type WorkerData,
} from './protocol';
import { SharedRateCounters, SharedUsageCounters } from './shared-counters';

/** Runs the worker; `data` is the thread's `workerData`. */
export function runGatewayWorker(data: WorkerData): void {
  const port = parentPort;
  if (!port) throw new Error('a gateway worker runs in a worker thread');
  const events = new EventLog(data.logLevel, undefined, { worker: data.index });
  const table = new CounterTable(data.counters, data.index + 1);
  const rateCounters = new SharedRateCounters(table);
  const usageCounters = new SharedUsageCounters(table);
  const instance = new InstanceState(data.instance);
  const metrics = new Metrics();
  const serving = new ServingGateway({
    start: data.start,
    env: data.env,
    debug: data.debug,
    log: new AccessLog(data.accessLog ? (t: string) => process.stdout.write(t) : undefined),
    events,
    metrics,
    usageCounters,
    rateCounters,
    functionWorkers: data.functionWorkers,
    sharedConnections: instance.connectionCount(data.index),
    health: (draining) => instance.health(data.index, draining, metrics.generation),
  });
  /** Generations compiled and waiting for their commit, by id. */
  const prepared = new Map<number, CompiledGateway>();
  let started = false;

  const channel: Channel = new Channel(port, {
    prepare: ({ id, spec }: PrepareCall): true | Promise<never> => {
      if (data.crashOnPrepare && started) return crash();
      rateCounters.assign(spec.slots);
      usageCounters.assign(spec.slots);
      const dirs = spec.codeDirs;
      const codeDir = dirs ? (source: { sha256?: string }) => dirs[source.sha256 as string] as string : undefined;
      prepared.set(id, serving.compile(spec.loaded, spec.env, codeDir));
      return true;
    },
    commit: ({ id, generation }: CommitCall): true => {
      const next = prepared.get(id);
      if (!next) throw new Error(`generation ${generation} was not prepared on worker ${data.index}`);
      prepared.delete(id);
      if (started) serving.swap(next, generation);
      else {
        serving.begin(next, generation);
        started = true;
      }
      return true;
    },
    abandon: ({ id }: { id: number }): true => {
      void prepared.get(id)?.close();
      prepared.delete(id);
      return true;
    },
    listen: async (bind: ListenCall): Promise<ListenAnswer> => {
      const bound = await serving.listen({ ...bind, reusePort: true });
      return {
        ...(bound.http ? { http: bound.http } : {}),
        ...(bound.https ? { https: bound.https } : {}),
      };
    },
    drain: async (): Promise<true> => {
      await serving.close();
      for (const next of prepared.values()) void next.close();
      // The thread ends once this answer is on its way (stdout and stderr are flushed to the main thread first).
      setImmediate(() => process.exit(0));
      return true;
    },
    snapshot: (): MetricsSnapshot => metrics.snapshot(started ? serving.current.invoker.poolStats() : []),
    reach: ({ connectionId, op, data: message, binary }: ReachCall): boolean => {
      const ws = serving.registry.get(connectionId);
      if (!ws) return false;
      if (op === 'send') {
        const body = Buffer.from(message as Uint8Array);
        ws.send(binary ? body : body.toString('utf8'), { binary });
      } else if (op === 'close') ws.close(1000, 'closed by the backend');
      return true;
    },
    // Fault injection (`faults.ts`): the coordinator asks for it only with APIGW_TEST_FAULTS=crash-on-sigusr2.
    crash: () => crash(),
  });

  /** An uncaught error on this thread, never answered. */
  function crash(): Promise<never> {
    setImmediate(() => {
      throw new Error(`injected crash of worker ${data.index}`);
    });
    return new Promise<never>(() => undefined);
  }

  metrics.instanceExposition = () => channel.call<string>('scrape');
  serving.registry.remote = {
    find: (id) => channel.call<boolean>('reach', { connectionId: id, op: 'find' } satisfies ReachCall),
    send: (id, message, binary) =>
      channel.call<boolean>('reach', { connectionId: id, op: 'send', data: message, binary } satisfies ReachCall),
    close: (id) => channel.call<boolean>('reach', { connectionId: id, op: 'close' } satisfies ReachCall),
  };
}

// The worker's script: started by the coordinator with its WorkerData.
if (!isMainThread && (workerData as Partial<WorkerData> | null)?.role === GATEWAY_WORKER_ROLE) {
  runGatewayWorker(workerData as WorkerData);
}
