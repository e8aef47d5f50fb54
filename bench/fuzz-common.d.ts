/** Types of `fuzz-common.js` (plain CommonJS, so that bench scripts run it without a build). */
export function prng(seed: number): () => number;
export function pick<T>(rand: () => number, xs: readonly T[]): T;
export function chance(rand: () => number, p: number): boolean;
export function int(rand: () => number, lo: number, hi: number): number;
export function bytes(rand: () => number, n: number): Buffer;
export function openSockets(): number;
export function until(check: () => boolean, ms: number): Promise<boolean>;
export function printReport(
  title: string,
  report: { tried: Record<string, Record<string, number>>; outcomes: Record<string, number> },
): void;
