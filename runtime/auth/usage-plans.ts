/**
 * Usage plans: which key pairs may call which APIs, with per-key rate limits
 * and quotas. Counters live in this gateway process: limits are per instance
 * (N replicas admit up to N times the rate). They are keyed by plan name and
 * key id and belong to the gateway, not to a config generation, so a reload or
 * a live apply keeps them (a restart starts them afresh).
 */
import type { GatewayConfig, UsagePlanConfig } from '../../model';
import { Errors, GatewayError } from '../errors';

interface Counter {
  windowStart: number;
  inWindow: number;
  total: number;
}

/** Counters of one gateway process, by `plan name \0 key id`; shared by every config generation. */
export class UsageCounters {
  readonly byKey = new Map<string, Counter>();

  /** Forgets the counters of plans a new config no longer declares. */
  keepPlans(names: ReadonlySet<string>): void {
    for (const key of this.byKey.keys()) if (!names.has(key.slice(0, key.indexOf('\0')))) this.byKey.delete(key);
  }
}

export class UsagePlans {
  private readonly counters: Map<string, Counter>;

  constructor(
    private readonly config: GatewayConfig,
    counters: UsageCounters = new UsageCounters(),
  ) {
    this.counters = counters.byKey;
  }

  /** The first plan (in declaration order) that binds the key to the API. */
  planFor(secretId: string, apiName: string): UsagePlanConfig | undefined {
    return this.config.service.usagePlans.find(
      (p) => p.keyPairs.includes(secretId) && (p.apis === undefined || p.apis.includes(apiName)),
    );
  }

  /** Counts one request of the key under the plan; returns the error to answer when a limit is reached. */
  admit(plan: UsagePlanConfig, secretId: string, now = Date.now()): GatewayError | undefined {
    const key = `${plan.name}\0${secretId}`;
    let c = this.counters.get(key);
    if (!c) {
      c = { windowStart: now, inWindow: 0, total: 0 };
      this.counters.set(key, c);
    }
    if (plan.quota !== undefined && c.total >= plan.quota) {
      return new GatewayError(Errors.QuotaExceeded, `key ${secretId} has used its quota of ${plan.quota} requests`);
    }
    if (plan.rateLimitPerSecond !== undefined) {
      if (now - c.windowStart >= 1000) {
        c.windowStart = now;
        c.inWindow = 0;
      }
      if (c.inWindow >= plan.rateLimitPerSecond) {
        const retry = Math.max(1, Math.ceil((c.windowStart + 1000 - now) / 1000));
        return new GatewayError(
          Errors.RateLimited,
          `key ${secretId} exceeded ${plan.rateLimitPerSecond} requests per second`,
          {
            'retry-after': String(retry),
          },
        );
      }
      c.inWindow++;
    }
    c.total++;
    return undefined;
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
