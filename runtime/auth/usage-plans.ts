/**
 * Usage plans: which key pairs may call which APIs, with per-key rate limits
 * and quotas. Counters live in this gateway process: limits are per instance
 * (N replicas admit up to N times the rate), and a reload starts them afresh.
 */
import type { GatewayConfig, UsagePlanConfig } from '../../model';
import { Errors, GatewayError } from '../errors';

interface Counter {
  windowStart: number;
  inWindow: number;
  total: number;
}

export class UsagePlans {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly config: GatewayConfig) {}

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

/** The usage plans of a config generation (shared by its APIs). */
export function usagePlansOf(config: GatewayConfig): UsagePlans {
  let plans = perConfig.get(config);
  if (!plans) {
    plans = new UsagePlans(config);
    perConfig.set(config, plans);
  }
  return plans;
}
