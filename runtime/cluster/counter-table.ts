/**
 * Request counters in shared memory, so that the worker threads of one
 * gateway process count usage-plan rate limits and quotas and per-API rate
 * limits per instance, as one thread does. The coordinator owns the buffer
 * (a growable `SharedArrayBuffer`) and gives every counted key a slot
 * (`counter-slots.ts`); a slot keeps its key across config changes.
 *
 * A slot is 32 bytes: an Int32 lock word, then three Float64s — the start of
 * its rate window (ms since the epoch), the requests counted in that window,
 * and the requests counted in all (the quota). A take holds the slot's lock
 * for a few loads and stores (no call, no loop, so nothing can interrupt it
 * half-way); the lock word holds the taking worker's number, so that when a
 * worker dies the coordinator can release a lock it held (`releaseHeldBy`).
 */

/** Bytes per slot. */
export const SLOT_BYTES = 32;
/** Most slots a table grows to (32 MiB of address space, reserved and not committed until used). */
export const MAX_SLOTS = 1 << 20;

/** ES2024's growable SharedArrayBuffer (Node >= 20), not in the project's ES2022 lib. */
interface Growable {
  grow(byteLength: number): void;
}
type GrowableConstructor = new (byteLength: number, options: { maxByteLength: number }) => SharedArrayBuffer;

const INT32_PER_SLOT = SLOT_BYTES / 4;
const FLOAT64_PER_SLOT = SLOT_BYTES / 8;
/** Spins on a held lock before sleeping a little: its holder may have been descheduled. */
const SPINS = 128;

export class CounterTable {
  private locks!: Int32Array;
  private values!: Float64Array;

  /** `owner` is the lock value of this thread (a worker's number + 1; 0 means free). */
  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly owner = 1,
  ) {
    this.view();
  }

  /**
   * Views of the buffer's current length. Length-tracking views (which would see the buffer grow by
   * themselves) make every access ~80 ns slower on Node 24 (bench/workers.mjs): these fixed-length
   * ones are made again when a slot lies past them, after the coordinator grew the buffer.
   */
  private view(): void {
    const bytes = this.buffer.byteLength;
    this.locks = new Int32Array(this.buffer, 0, bytes / 4);
    this.values = new Float64Array(this.buffer, 0, bytes / 8);
  }

  /** A new table of `slots` slots, growable to MAX_SLOTS. */
  static allocate(slots: number): SharedArrayBuffer {
    return new (SharedArrayBuffer as GrowableConstructor)(Math.min(MAX_SLOTS, Math.max(1, slots)) * SLOT_BYTES, {
      maxByteLength: MAX_SLOTS * SLOT_BYTES,
    });
  }

  get capacity(): number {
    return this.buffer.byteLength / SLOT_BYTES;
  }

  /** Grows the table to at least `slots` slots (existing counts stay where they are). */
  growTo(slots: number): void {
    if (slots <= this.capacity) return;
    if (slots > MAX_SLOTS) throw new Error(`more than ${MAX_SLOTS} counted keys`);
    (this.buffer as unknown as Growable).grow(Math.min(MAX_SLOTS, Math.max(slots, this.capacity * 2)) * SLOT_BYTES);
  }

  /**
   * Counts one request on `slot` against `perWindow` requests per window of
   * `windowMs` (a window starts at the first request after the previous one
   * ended) and `quota` requests in all (Infinity for none). Returns 0 when
   * admitted, -1 when the quota is used up, else the milliseconds until the
   * window ends; a refused request is not counted. HOT PATH
   */
  take(slot: number, perWindow: number, quota: number, windowMs: number, now: number): number {
    const lock = slot * INT32_PER_SLOT;
    const at = slot * FLOAT64_PER_SLOT;
    if (lock >= this.locks.length) this.view();
    this.acquire(lock);
    const values = this.values;
    const total = values[at + 3] as number;
    let answer = 0;
    if (total >= quota) answer = -1;
    else if (perWindow !== Infinity) {
      let start = values[at + 1] as number;
      let inWindow = values[at + 2] as number;
      if (now - start >= windowMs) {
        start = now;
        inWindow = 0;
        values[at + 1] = now;
      }
      if (inWindow >= perWindow) answer = start + windowMs - now;
      else values[at + 2] = inWindow + 1;
    }
    if (answer === 0) values[at + 3] = total + 1;
    Atomics.store(this.locks, lock, 0);
    return answer;
  }

  /** Zeroes a slot (before it counts for another key). */
  reset(slot: number): void {
    const lock = slot * INT32_PER_SLOT;
    const at = slot * FLOAT64_PER_SLOT;
    if (lock >= this.locks.length) this.view();
    this.acquire(lock);
    this.values[at + 1] = 0;
    this.values[at + 2] = 0;
    this.values[at + 3] = 0;
    Atomics.store(this.locks, lock, 0);
  }

  /** Releases every lock held by `owner` (a worker that died; its thread cannot release them any more). */
  releaseHeldBy(owner: number): number {
    this.view();
    let released = 0;
    for (let slot = 0; slot < this.capacity; slot++)
      if (Atomics.compareExchange(this.locks, slot * INT32_PER_SLOT, owner, 0) === owner) released++;
    return released;
  }

  private acquire(lock: number): void {
    let spins = 0;
    while (Atomics.compareExchange(this.locks, lock, 0, this.owner) !== 0) {
      // The holder is between two statements; when it stays held, it was descheduled: sleep 50 µs at a time.
      if (++spins > SPINS) Atomics.wait(this.locks, lock, Atomics.load(this.locks, lock), 0.05);
    }
  }
}
