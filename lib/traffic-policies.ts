/**
 * Traffic policies of an API (or of every API, as the service's
 * `apiDefaults`): IP allow/deny lists and a rate limit for all callers; and
 * the sources an error code converts. Each turns into the config fields of
 * `model/schema.ts`; the rules there report malformed entries at synth.
 */
import type { ApiDefaultsConfig, ErrorCodeSource, IpAccessConfig } from '../model';

/**
 * Client addresses an API admits: IPv4 and IPv6 addresses or CIDR blocks
 * (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`; a block is written by its
 * network address). An address in `deny` is refused with `403 IpDenied`;
 * then, when `allow` is given, any address outside it. The client address is
 * the TCP peer, or, with `limits.trustForwardedHeaders`, the last
 * `X-Forwarded-For` address (the one your proxy appended).
 */
export interface IpAccessOptions {
  /** Blocks that may call; when given, every other address is refused. @default - any address not denied */
  readonly allow?: string[];
  /** Blocks refused, checked before `allow`. @default - none */
  readonly deny?: string[];
}

/** Policies of every API of a service that does not declare its own (an API's own replaces the default whole). */
export interface ApiDefaultsOptions {
  /** IP allow/deny lists. @default - any address */
  readonly ipAccess?: IpAccessOptions;
  /**
   * Requests per second each API admits from all callers together, per gateway instance (each API is
   * counted on its own; `429 ApiRateLimited` with `Retry-After` beyond it).
   * @default - unlimited
   */
  readonly rateLimitPerSecond?: number;
}

export function ipAccessConfig(options: IpAccessOptions): IpAccessConfig {
  return { allow: options.allow ?? [], deny: options.deny ?? [] };
}

export function apiDefaultsConfig(options: ApiDefaultsOptions): ApiDefaultsConfig {
  return {
    ...(options.ipAccess ? { ipAccess: ipAccessConfig(options.ipAccess) } : {}),
    ...(options.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: options.rateLimitPerSecond } : {}),
  };
}

/**
 * Which backend answers an error code replaces: the gateway answers them with
 * `{ "code", "message", "requestId" }` and the error code's `status`.
 */
export class ErrorSource {
  /**
   * Responses of an HTTP backend (or integration responses of a function) with one of these statuses
   * (400 to 599); the backend's body is dropped.
   */
  static backendStatus(...statuses: number[]): ErrorSource {
    return new ErrorSource({ type: 'backendStatus', statuses });
  }
  /**
   * A function's error codes: the `errorCode` of what it returns (`{ errorCode: 'PetNotFound' }`, a
   * string or an integer) or the `code` of the error it throws, compared as text.
   */
  static functionError(...errorCodes: (string | number)[]): ErrorSource {
    return new ErrorSource({ type: 'functionError', errorCodes: errorCodes.map(String) });
  }

  private constructor(
    /** The `from` of the error code's config. */
    readonly config: ErrorCodeSource,
  ) {}
}
