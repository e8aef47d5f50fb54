/**
 * Usage plans: which key pairs may call which APIs, with per-key rate limits
 * and quotas. Counters are per gateway instance (N replicas admit up to N
 * times the rate; the worker threads of one process share theirs, see
 * `cluster/shared-counters.ts`). They are keyed by plan name and key id and
 * belong to the gateway, not to a config generation, so a reload or a live
 * apply keeps them (a restart starts them afresh).
 */
import type { GatewayConfig, UsagePlanConfig } from '../../model';
import { Errors, GatewayError } from '../errors';

interface Counter {
  windowStart: number;
  inWindow: number;
  total: number;
}

/** The rate window of a usage plan's `rateLimitPerSecond`. */
export const USAGE_WINDOW_MS = 1000;

/** Usage counters of one gateway instance, by plan name and key id; shared by every config generation. */
export interface UsageCounters {
  /**
   * Counts one request of key `secretId` under plan `plan`: 0 when admitted,
   * -1 when its quota is used up, else the milliseconds until its rate window
   * ends; a refused request is not counted. Infinity means no limit. HOT PATH
   */
  take(plan: string, secretId: string, perSecond: number, quota: number, now: number): number;
  /** Forgets the counters of plans a new config no longer declares. */
  keepPlans(names: ReadonlySet<string>): void;
}

/** Counters in this thread's memory, by `plan name \0 key id`. */
export class LocalUsageCounters implements UsageCounters {
  private readonly byKey = new Map<string, Counter>();

  take(plan: string, secretId: string, perSecond: number, quota: number, now: number): number {
    const key = `${plan}\0${secretId}`;
    let c = this.byKey.get(key);
    if (!c) {
      c = { windowStart: now, inWindow: 0, total: 0 };
      this.byKey.set(key, c);
    }
    if (c.total >= quota) return -1;
    if (perSecond !== Infinity) {
      if (now - c.windowStart >= USAGE_WINDOW_MS) {
        c.windowStart = now;
        c.inWindow = 0;
      }
      if (c.inWindow >= perSecond) return c.windowStart + USAGE_WINDOW_MS - now;
      c.inWindow++;
    }
    c.total++;
    return 0;
  }

  keepPlans(names: ReadonlySet<string>): void {
    for (const key of this.byKey.keys()) if (!names.has(key.slice(0, key.indexOf('\0')))) this.byKey.delete(key);
  }
}

export class UsagePlans {
  constructor(
    private readonly config: GatewayConfig,
    private readonly counters: UsageCounters = new LocalUsageCounters(),
  ) {}

  /** The first plan (in declaration order) that binds the key to the API. */
  planFor(secretId: string, apiName: string): UsagePlanConfig | undefined {
    return this.config.service.usagePlans.find(
      (p) => p.keyPairs.includes(secretId) && (p.apis === undefined || p.apis.includes(apiName)),
    );
  }

  /** Counts one request of the key under the plan; returns the error to answer when a limit is reached. */
  admit(plan: UsagePlanConfig, secretId: string, now = Date.now()): GatewayError | undefined {
    const taken = this.counters.take(
      plan.name,
      secretId,
      plan.rateLimitPerSecond ?? Infinity,
      plan.quota ?? Infinity,
      now,
    );
    if (taken === 0) return undefined;
    if (taken < 0)
      return new GatewayError(Errors.QuotaExceeded, `key ${secretId} has used its quota of ${plan.quota} requests`);
    return new GatewayError(
      Errors.RateLimited,
      `key ${secretId} exceeded ${plan.rateLimitPerSecond} requests per second`,
      {
        'retry-after': String(Math.max(1, Math.ceil(taken / 1000))),
      },
    );
  }
}

const perConfig = new WeakMap<GatewayConfig, UsagePlans>();

/**
 * The usage plans of a config generation (shared by its APIs). The compiler
 * calls it first with the gateway's counters, so the authenticators that call
 * it later with the config alone count on the same counters.
 */
export function usagePlansOf(config: GatewayConfig, counters?: UsageCounters): UsagePlans {
  let plans = perConfig.get(config);
  if (!plans) {
    plans = new UsagePlans(config, counters);
    perConfig.set(config, plans);
  }
  return plans;
}
