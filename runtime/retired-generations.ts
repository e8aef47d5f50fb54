/**
 * Config generations a reload or apply replaced. Each one gets the grace
 * period for the requests that started on it, then retires: its connection
 * pools and function workers stop. Its open WebSocket connections stay open
 * (a config change never drops them; function-served ones run the new
 * generation's functions); it is kept here until they close, and shutdown
 * closes them with 1001.
 */
import type { CompiledGateway } from './compile';

export class RetiredGenerations {
  private readonly held = new Set<CompiledGateway>();
  private readonly retired = new WeakSet<CompiledGateway>();
  private readonly timers = new Set<NodeJS.Timeout>();

  retire(generation: CompiledGateway, graceMs: number): void {
    this.held.add(generation);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.retired.add(generation);
      void generation.retire();
      this.release();
    }, graceMs);
    // A pending retirement must not keep the process alive; shutdown closes what is left.
    timer.unref();
    this.timers.add(timer);
  }

  /** Shutdown: closes every held generation, WebSocket connections included. */
  async closeAll(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const all = [...this.held];
    this.held.clear();
    await Promise.allSettled(all.map((g) => g.close()));
  }

  /** Lets go of retired generations whose last WebSocket connection closed. */
  private release(): void {
    for (const g of this.held) if (this.retired.has(g) && g.webSocketConnections() === 0) this.held.delete(g);
  }
}
