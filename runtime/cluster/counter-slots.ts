/**
 * Which counter slot each counted key has (coordinator side of
 * `counter-table.ts`): per-API rate limits by API name, usage plans by plan
 * name and key id. A key keeps its slot across config changes, so its window
 * and quota carry over as on one thread; a key the served config no longer
 * counts gives its slot back (dropped as `LocalRateCounters.keep` and
 * `keepPlans` drop theirs), and a slot is zeroed when it is given again.
 */
import { effectiveRateLimit, type GatewayConfig } from '../../model';
import type { CounterTable } from './counter-table';

/** The slots of a config's keys, as the workers receive them. */
export interface SlotAssignments {
  /** API name → slot. */
  readonly rate: readonly (readonly [string, number])[];
  /** `plan name \0 key id` → slot. */
  readonly usage: readonly (readonly [string, number])[];
}

export class CounterSlots {
  private readonly rate = new Map<string, number>();
  private readonly usage = new Map<string, number>();
  private readonly free: number[] = [];
  private used = 0;

  constructor(private readonly table: CounterTable) {}

  /** The slots of every key `config` counts on; new keys get a zeroed slot (the table grows when full). */
  assign(config: GatewayConfig): SlotAssignments {
    const rate = rateKeys(config).map((k) => [k, this.slotOf(this.rate, k)] as const);
    const usage = usageKeys(config).map((k) => [k, this.slotOf(this.usage, k)] as const);
    return { rate, usage };
  }

  /** Once `config` serves: the keys it no longer counts give their slots back. */
  keep(config: GatewayConfig): void {
    const rate = new Set(rateKeys(config));
    const plans = new Set(config.service.usagePlans.map((p) => p.name));
    for (const [key, slot] of this.rate) if (!rate.has(key)) this.release(this.rate, key, slot);
    for (const [key, slot] of this.usage)
      if (!plans.has(key.slice(0, key.indexOf('\0')))) this.release(this.usage, key, slot);
  }

  private slotOf(map: Map<string, number>, key: string): number {
    let slot = map.get(key);
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) {
        slot = this.used++;
        this.table.growTo(this.used);
      }
      this.table.reset(slot);
      map.set(key, slot);
    }
    return slot;
  }

  private release(map: Map<string, number>, key: string, slot: number): void {
    map.delete(key);
    this.free.push(slot);
  }
}

function rateKeys(config: GatewayConfig): string[] {
  return config.apis.filter((a) => effectiveRateLimit(a, config.service) !== undefined).map((a) => a.name);
}

/** Every key of every plan: a plan's keys keep their counters while the plan stays (as on one thread). */
function usageKeys(config: GatewayConfig): string[] {
  return config.service.usagePlans.flatMap((p) => p.keyPairs.map((k) => `${p.name}\0${k}`));
}
