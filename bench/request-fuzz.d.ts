/** Types of `request-fuzz.js` (plain CommonJS, so that bench scripts run it without a build). */
import type { Issuer } from './request-fuzz-world';

export interface FuzzCase {
  /** Field → the value or shape chosen, for the report. */
  readonly tried: Record<string, string>;
  readonly head: Buffer;
  readonly body: Buffer;
  /** A pipelined second request, or nothing. */
  readonly tail: Buffer;
  readonly action: 'read' | 'pipeline' | 'half-close' | 'vanish' | 'trickle';
  readonly expect: 'none' | 'send' | 'await' | 'never';
  readonly isHead: boolean;
  readonly asksContinue: boolean;
  readonly complete: boolean;
  readonly exact: boolean;
}

export interface FuzzOutcome {
  /** `"<status> <code>"`, `"<status> (<backend>)"`, or what happened instead (`"(client left)"`). */
  readonly outcome: string;
  readonly ok: boolean;
  readonly why: string;
  /** The start of what the gateway sent. */
  readonly received: string;
}

export interface FuzzFailure {
  /** Rebuilds the case: `generate(prng(caseSeed), issuer)`. */
  readonly caseSeed: number;
  readonly why: string;
  readonly outcome: string;
  readonly tried: Record<string, string>;
  readonly request: string;
  readonly received: string;
}

export interface FuzzReport {
  /** Outcome → count, most frequent first. */
  readonly outcomes: Record<string, number>;
  /** Field → value → count. */
  readonly tried: Record<string, Record<string, number>>;
  readonly failures: FuzzFailure[];
}

/** The gateway's error catalogue (`Errors` of runtime/errors): code → status. */
export type Catalogue = Readonly<Record<string, { readonly status: number }>>;

/** Why reading stopped: the client has its answers, waited long enough, the gateway closed, the client left. */
export type Ended = 'answered' | 'timeout' | 'closed' | 'left';

export function prng(seed: number): () => number;
export function generate(rand: () => number, issuer: Issuer): FuzzCase;
export function runCase(port: number, c: FuzzCase, catalogue: Catalogue, waitMs?: number): Promise<FuzzOutcome>;
export function classify(text: string, c: FuzzCase, catalogue: Catalogue, ended: Ended): FuzzOutcome;
export function fuzz(options: {
  port: number;
  seed: number;
  count: number;
  issuer: Issuer;
  catalogue: Catalogue;
  concurrency?: number;
  onCase?: (c: FuzzCase, r: FuzzOutcome) => void;
}): Promise<FuzzReport>;
