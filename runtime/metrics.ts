/**
 * Prometheus metrics of one gateway process (text exposition format 0.0.4):
 * the gateway's own `apigw_*` metrics, then the process and runtime metrics
 * (`process_*`, `nodejs_*`) of prom-client's default collectors.
 *
 * The `apigw_*` metrics stay hand-rendered: the hot path only bumps numbers
 * in maps keyed by API (about 20 ns per request), and label strings are built
 * when the metrics are scraped. The same counters and histogram kept by
 * prom-client cost about 0.5 µs per request (bench/README.md).
 */
import type { ServerResponse } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { EventLog } from './access-log';
import { Errors, GatewayError, sendError } from './errors';
import type { PoolStats } from './functions/invoker';

/** The `Content-Type` of a scrape's answer. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * prom-client's default collectors, in a registry of their own, created on the
 * first scrape: a gateway that is never scraped runs none of them (the event
 * loop monitor, the GC observer). They describe the process, so every gateway
 * of the process shares them.
 */
let processRegistry: Registry | undefined;

export function processMetrics(): Promise<string> {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry.metrics();
}

/** Upper bounds (seconds) of the request-duration histogram buckets. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface ApiSeries {
  /** status → count */
  readonly byStatus: Map<number, number>;
  /** Per-bucket counts (not cumulative); the last slot is +Inf. */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
  /** failure code (the error catalogue's) → count */
  readonly backendFailures: Map<string, number>;
}

/** One thread's `apigw_*` request metrics as plain data, for a multi-worker process to sum (`Metrics.add`). */
export interface MetricsSnapshot {
  readonly apis: readonly {
    readonly api: string;
    readonly byStatus: readonly (readonly [number, number])[];
    readonly buckets: readonly number[];
    readonly sum: number;
    readonly count: number;
    readonly backendFailures: readonly (readonly [string, number])[];
  }[];
  readonly inFlight: number;
  readonly pools: readonly PoolStats[];
}

export class Metrics {
  private readonly apis = new Map<string, ApiSeries>();
  /**
   * Set on a worker thread of a multi-worker process: a scrape answers the
   * instance's metrics, which the coordinator sums over the workers.
   */
  instanceExposition: (() => Promise<string>) | undefined;
  inFlight = 0;
  reloads = 0;
  reloadFailures = 0;
  /** Configs applied (or reverted) through the admin API. */
  applies = 0;
  /** Admin applies that changed nothing: refused (409, 422) or failed (500). */
  applyFailures = 0;
  generation = 0;

  private series(api: string | null): ApiSeries {
    const name = api ?? '';
    let s = this.apis.get(name);
    if (!s) {
      s = {
        byStatus: new Map(),
        buckets: new Float64Array(DURATION_BUCKETS.length + 1),
        sum: 0,
        count: 0,
        backendFailures: new Map(),
      };
      this.apis.set(name, s);
    }
    return s;
  }

  /** One answered request. `api` is null when no API matched. */
  record(api: string | null, status: number, seconds: number): void {
    const s = this.series(api);
    s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[i] as number)) i++;
    s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    s.sum += seconds;
    s.count++;
  }

  /** A backend (HTTP, function or WebSocket) failed; `code` is the error the client got, or `ResponseCut`. */
  backendFailure(api: string, code: string): void {
    const m = this.series(api).backendFailures;
    m.set(code, (m.get(code) ?? 0) + 1);
  }

  /** The whole scrape: the gateway's metrics, then the process's. */
  async exposition(pools: readonly PoolStats[] = []): Promise<string> {
    if (this.instanceExposition) return this.instanceExposition();
    return this.render(pools) + (await processMetrics());
  }

  /** The request metrics counted so far, and the function pools' state. */
  snapshot(pools: readonly PoolStats[]): MetricsSnapshot {
    return {
      apis: [...this.apis].map(([api, s]) => ({
        api,
        byStatus: [...s.byStatus],
        buckets: [...s.buckets],
        sum: s.sum,
        count: s.count,
        backendFailures: [...s.backendFailures],
      })),
      inFlight: this.inFlight,
      pools,
    };
  }

  /** Adds another thread's request metrics to these (counters, histogram and the in-flight gauge). */
  add(other: MetricsSnapshot): void {
    for (const a of other.apis) {
      const s = this.series(a.api);
      for (const [code, v] of a.byStatus) s.byStatus.set(code, (s.byStatus.get(code) ?? 0) + v);
      a.buckets.forEach((v, i) => (s.buckets[i] = (s.buckets[i] ?? 0) + v));
      s.sum += a.sum;
      s.count += a.count;
      for (const [code, v] of a.backendFailures) s.backendFailures.set(code, (s.backendFailures.get(code) ?? 0) + v);
    }
    this.inFlight += other.inFlight;
  }

  /** The gateway's own `apigw_*` metrics. */
  render(pools: readonly PoolStats[] = []): string {
    const out: string[] = [];
    const help = (name: string, type: string, text: string): void => {
      out.push(`# HELP ${name} ${text}`, `# TYPE ${name} ${type}`);
    };

    help('apigw_requests_total', 'counter', 'Requests answered, by API and status code.');
    for (const [api, s] of this.apis) {
      for (const [code, v] of s.byStatus) out.push(`apigw_requests_total{api="${escape(api)}",code="${code}"} ${v}`);
    }

    help(
      'apigw_request_duration_seconds',
      'histogram',
      'Time from request arrival to the end of the response, by API.',
    );
    for (const [api, s] of this.apis) {
      const a = escape(api);
      let cumulative = 0;
      DURATION_BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i] as number;
        out.push(`apigw_request_duration_seconds_bucket{api="${a}",le="${le}"} ${cumulative}`);
      });
      out.push(`apigw_request_duration_seconds_bucket{api="${a}",le="+Inf"} ${s.count}`);
      out.push(`apigw_request_duration_seconds_sum{api="${a}"} ${s.sum}`);
      out.push(`apigw_request_duration_seconds_count{api="${a}"} ${s.count}`);
    }

    help('apigw_backend_failures_total', 'counter', 'Backend failures, by API and the error the client got.');
    for (const [api, s] of this.apis) {
      for (const [code, v] of s.backendFailures)
        out.push(`apigw_backend_failures_total{api="${escape(api)}",error="${escape(code)}"} ${v}`);
    }

    help('apigw_requests_in_flight', 'gauge', 'Requests being answered.');
    out.push(`apigw_requests_in_flight ${this.inFlight}`);

    help('apigw_function_workers', 'gauge', 'Live worker threads, by function version.');
    for (const p of pools) out.push(`apigw_function_workers{function="${escape(p.function)}"} ${p.workers}`);
    help('apigw_function_workers_busy', 'gauge', 'Worker threads running an invocation, by function version.');
    for (const p of pools) out.push(`apigw_function_workers_busy{function="${escape(p.function)}"} ${p.busy}`);
    help('apigw_function_workers_max', 'gauge', 'Most worker threads a function version may run.');
    for (const p of pools) out.push(`apigw_function_workers_max{function="${escape(p.function)}"} ${p.size}`);
    help('apigw_function_queue', 'gauge', 'Invocations waiting for a worker, by function version.');
    for (const p of pools) out.push(`apigw_function_queue{function="${escape(p.function)}"} ${p.queued}`);

    help('apigw_config_reloads_total', 'counter', 'Successful config reloads.');
    out.push(`apigw_config_reloads_total ${this.reloads}`);
    help('apigw_config_reload_failures_total', 'counter', 'Rejected config reloads.');
    out.push(`apigw_config_reload_failures_total ${this.reloadFailures}`);
    help('apigw_config_applies_total', 'counter', 'Configs applied or reverted through the admin API.');
    out.push(`apigw_config_applies_total ${this.applies}`);
    help('apigw_config_apply_failures_total', 'counter', 'Admin applies refused (409, 422) or failed (500).');
    out.push(`apigw_config_apply_failures_total ${this.applyFailures}`);
    help('apigw_config_generation', 'gauge', 'Config generation being served.');
    out.push(`apigw_config_generation ${this.generation}`);
    return out.join('\n') + '\n';
  }
}

/** Answers a scrape with `body`, or the catalogue's 500 (logged as `metrics_failed`) when it failed. */
export function sendExposition(
  res: ServerResponse,
  requestId: string,
  head: boolean,
  body: Promise<string>,
  events: EventLog,
): void {
  body.then(
    (text) => {
      if (res.destroyed) return;
      res.writeHead(200, {
        'content-type': METRICS_CONTENT_TYPE,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      res.end(head ? undefined : text);
    },
    (err: unknown) => {
      events.error('metrics_failed', { requestId, reason: (err as Error).message });
      sendError(res, requestId, new GatewayError(Errors.InternalError), head);
    },
  );
}

/** Pool stats of several threads, summed by function version. */
export function sumPools(pools: readonly PoolStats[]): PoolStats[] {
  const byFunction = new Map<string, { -readonly [K in keyof PoolStats]: PoolStats[K] }>();
  for (const p of pools) {
    const sum = byFunction.get(p.function);
    if (!sum) byFunction.set(p.function, { ...p });
    else {
      sum.workers += p.workers;
      sum.busy += p.busy;
      sum.queued += p.queued;
      sum.size += p.size;
    }
  }
  return [...byFunction.values()];
}

export function escape(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
