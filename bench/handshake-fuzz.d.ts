/** Types of `handshake-fuzz.js` (plain CommonJS, so that bench scripts run it without a build). */
export interface FuzzCase {
  /** Field → the value or shape chosen, for the report. */
  readonly tried: Record<string, string>;
  readonly request: Buffer;
  readonly action: string;
}

export interface FuzzOutcome {
  readonly status: number;
  readonly code: string;
  readonly ok: boolean;
  readonly why: string;
}

export interface FuzzReport {
  /** `"<status> <code>"` → count, most frequent first. */
  readonly outcomes: Record<string, number>;
  /** Field → value → count. */
  readonly tried: Record<string, Record<string, number>>;
  readonly failures: { why: string; status: number; tried: Record<string, string>; request: string }[];
}

export const DOCUMENTED: ReadonlySet<number>;
export function prng(seed: number): () => number;
export function generate(rand: () => number, paths: readonly string[], allowedOrigin: string): FuzzCase;
export function runCase(port: number, c: FuzzCase, waitMs?: number): Promise<FuzzOutcome>;
export function fuzz(options: {
  port: number;
  seed: number;
  count: number;
  paths: readonly string[];
  allowedOrigin: string;
  concurrency?: number;
  onCase?: (c: FuzzCase, r: FuzzOutcome) => void;
}): Promise<FuzzReport>;
