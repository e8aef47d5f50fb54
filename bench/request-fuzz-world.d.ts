/** Types of `request-fuzz-world.js` (plain CommonJS, so that bench scripts run it without a build). */
import type { GatewayConfig, LimitsConfig } from '../model';

export const MARKER: string;
export const BACKEND_STATUSES: Readonly<Record<string, readonly number[]>>;
export const HOST: string;
export const KEY_ID: string;
export const KEY_SECRET: string;
export const ENV: Readonly<Record<string, string>>;
export const ALLOWED_ORIGIN: string;
export const HEALTH_PATH: string;
export const IPS: { readonly allowed: string; readonly denied: string; readonly outside: string };
export const LIMITS: Required<LimitsConfig>;

export interface Issuer {
  readonly jwks: string;
  token(claims: Record<string, unknown>, options?: { header?: Record<string, unknown>; foreignKey?: boolean }): string;
  unsigned(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
  claims(extra?: Record<string, unknown>): Record<string, unknown>;
}

export interface EchoBackend {
  readonly origin: string;
  connections(): number;
  requests(): number;
  readonly violations: readonly { why: string; method: string | undefined; url: string | undefined }[];
  close(): Promise<void>;
}

export function createIssuer(): Issuer;
export function startEchoBackend(): Promise<EchoBackend>;
export function worldConfig(options: { echoOrigin: string; jwks: string }): GatewayConfig;
export function writeFunctionCode(dir: string): void;
export function get(port: number, path: string): Promise<number>;
export function warmUp(port: number): Promise<void>;
