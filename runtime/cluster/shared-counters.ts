/**
 * The rate-limit and usage-plan counters of a worker thread: slots of the
 * process's shared `CounterTable`, so every worker counts on the same numbers
 * and a limit of N per second admits N per second per instance. The
 * coordinator assigns the slots (`counter-slots.ts`) and sends them with each
 * config; a key without a slot (none is expected) counts on this thread alone.
 */
import { LocalUsageCounters, USAGE_WINDOW_MS, type UsageCounters } from '../auth/usage-plans';
import { LocalRateCounters, type RateCounters } from '../rate-limit';
import type { SlotAssignments } from './counter-slots';
import type { CounterTable } from './counter-table';

export class SharedRateCounters implements RateCounters {
  private readonly slots = new Map<string, number>();
  private readonly fallback = new LocalRateCounters();

  constructor(private readonly table: CounterTable) {}

  assign(slots: SlotAssignments): void {
    for (const [key, slot] of slots.rate) this.slots.set(key, slot);
  }

  // HOT PATH
  take(key: string, limit: number, windowMs: number, now: number): number {
    const slot = this.slots.get(key);
    if (slot === undefined) return this.fallback.take(key, limit, windowMs, now);
    return this.table.take(slot, limit, Infinity, windowMs, now);
  }

  keep(keys: ReadonlySet<string>): void {
    for (const key of this.slots.keys()) if (!keys.has(key)) this.slots.delete(key);
    this.fallback.keep(keys);
  }
}

export class SharedUsageCounters implements UsageCounters {
  private readonly slots = new Map<string, number>();
  private readonly fallback = new LocalUsageCounters();

  constructor(private readonly table: CounterTable) {}

  assign(slots: SlotAssignments): void {
    for (const [key, slot] of slots.usage) this.slots.set(key, slot);
  }

  // HOT PATH
  take(plan: string, secretId: string, perSecond: number, quota: number, now: number): number {
    const slot = this.slots.get(`${plan}\0${secretId}`);
    if (slot === undefined) return this.fallback.take(plan, secretId, perSecond, quota, now);
    return this.table.take(slot, perSecond, quota, USAGE_WINDOW_MS, now);
  }

  keepPlans(names: ReadonlySet<string>): void {
    for (const key of this.slots.keys()) if (!names.has(key.slice(0, key.indexOf('\0')))) this.slots.delete(key);
    this.fallback.keepPlans(names);
  }
}
