/**
 * Per-API rate limits (`rateLimitPerSecond`, or the service's `apiDefaults`):
 * all callers of an API together, separate from usage plans (which count per
 * key). A fixed one-second window per API, started by the first request after
 * the previous window ended, as the usage plans count: at most N requests
 * per window, then `429 ApiRateLimited` with `Retry-After` until it ends.
 *
 * Counted per gateway instance. The counters belong to the gateway, not to a
 * config generation, so a reload or a live apply keeps them (by API name);
 * they sit behind `RateCounters` so that a gateway running on several threads
 * can swap in counters they share.
 */
import { Errors, GatewayError } from './errors';

/** Request counters by key (an API name); one instance per gateway process. */
export interface RateCounters {
  /**
   * Counts one request of `key` against `limit` requests per window of
   * `windowMs`; returns 0 when admitted, else the milliseconds until the
   * window ends (the request is not counted). HOT PATH
   */
  take(key: string, limit: number, windowMs: number, now: number): number;
  /** Forgets the counters of keys not in the set (after a config change). */
  keep(keys: ReadonlySet<string>): void;
}

interface Window {
  start: number;
  count: number;
}

/** Counters in this thread's memory. */
export class LocalRateCounters implements RateCounters {
  private readonly windows = new Map<string, Window>();

  take(key: string, limit: number, windowMs: number, now: number): number {
    let w = this.windows.get(key);
    if (w === undefined) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    } else if (now - w.start >= windowMs) {
      w.start = now;
      w.count = 0;
    }
    if (w.count >= limit) return w.start + windowMs - now;
    w.count++;
    return 0;
  }

  keep(keys: ReadonlySet<string>): void {
    for (const key of this.windows.keys()) if (!keys.has(key)) this.windows.delete(key);
  }
}

export interface ApiRateLimit {
  /** The error to answer, or undefined when the request is admitted (and counted). HOT PATH */
  admit(now: number): GatewayError | undefined;
}

const WINDOW_MS = 1000;

/** The rate limit of one API, counting on the gateway's counters. */
export function compileRateLimit(apiName: string, perSecond: number, counters: RateCounters): ApiRateLimit {
  const message = `API ${apiName} admits ${perSecond} request${perSecond === 1 ? '' : 's'} per second`;
  return {
    admit(now) {
      const waitMs = counters.take(apiName, perSecond, WINDOW_MS, now);
      if (waitMs === 0) return undefined;
      return new GatewayError(Errors.ApiRateLimited, message, {
        'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))),
      });
    },
  };
}
