/**
 * The catalogue of everything the gateway itself answers. Each error has a
 * stable code (never reused), an HTTP status and a default message; the body
 * is always `{ "code", "message", "requestId" }` (`InvalidBody` adds
 * `fields`). Every code is documented in the README's "Error responses"
 * table (a test checks that).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ErrorDef {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

const def = (code: string, status: number, message: string): ErrorDef => ({ code, status, message });

export const Errors = {
  BadRequest: def('BadRequest', 400, 'the request is malformed'),
  InvalidParameter: def('InvalidParameter', 400, 'a parameter is missing or invalid'),
  InvalidBody: def('InvalidBody', 400, "the request body does not match the API's schema"),
  Unauthorized: def('Unauthorized', 401, 'authentication failed'),
  Forbidden: def('Forbidden', 403, 'the credentials are not allowed to call this API'),
  IpDenied: def('IpDenied', 403, 'the client address may not call this API'),
  RouteNotFound: def('RouteNotFound', 404, 'no API matches this path'),
  MethodNotAllowed: def('MethodNotAllowed', 405, 'the API does not accept this method'),
  RequestTimeout: def('RequestTimeout', 408, 'the request was not received in time'),
  MisdirectedRequest: def('MisdirectedRequest', 421, 'the Host does not match the server name of this TLS connection'),
  UpgradeRequired: def('UpgradeRequired', 426, 'this API is a WebSocket API; send an upgrade request'),
  PayloadTooLarge: def('PayloadTooLarge', 413, 'the request body is too large'),
  UnsupportedMediaType: def('UnsupportedMediaType', 415, 'this API takes JSON request bodies (application/json)'),
  ExpectationFailed: def('ExpectationFailed', 417, 'the only expectation the gateway meets is Expect: 100-continue'),
  UriTooLong: def('UriTooLong', 414, 'the request path is too long'),
  HeadersTooLarge: def('HeadersTooLarge', 431, 'the request headers are too large'),
  RateLimited: def('RateLimited', 429, 'the rate limit of this key was exceeded'),
  QuotaExceeded: def('QuotaExceeded', 429, 'the quota of this key is used up'),
  ApiRateLimited: def('ApiRateLimited', 429, 'the rate limit of this API was exceeded; retry later'),
  InternalError: def('InternalError', 500, 'the gateway failed to handle the request'),
  BadGateway: def('BadGateway', 502, 'the backend could not be reached or failed'),
  FunctionError: def('FunctionError', 502, 'the function failed'),
  FunctionBadResponse: def('FunctionBadResponse', 502, 'the function returned a response of the wrong shape'),
  ServiceUnavailable: def('ServiceUnavailable', 503, 'the gateway is shutting down'),
  ConnectionLimit: def('ConnectionLimit', 503, 'the gateway is at its connection limit; retry later'),
  AuthUnavailable: def('AuthUnavailable', 503, "the identity provider's signing keys cannot be fetched; retry later"),
  GatewayTimeout: def('GatewayTimeout', 504, 'the backend did not answer in time'),
  FunctionTimeout: def('FunctionTimeout', 504, 'the function did not finish in time'),
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof Errors;

/**
 * Why a backend or a function failed, for the event log only: the client gets
 * the catalogue's code and message, never this.
 */
export interface FailureCause {
  /**
   * A short token: the OS or undici error code (`ECONNREFUSED`, `ENOTFOUND`,
   * `ECONNRESET`, `UND_ERR_SOCKET`, ...), `timeout`, or what happened to a
   * function (`handler_not_found`, `threw`, `crashed`, `out_of_memory`, ...).
   */
  readonly cause: string;
  /** What the error said, cut to DETAIL_CHARS: never a body or a secret. */
  readonly detail?: string;
}

/** Longest `FailureCause.detail`: an error message, not a dump. */
const DETAIL_CHARS = 300;

/** A failing part of a request body, for `InvalidBody`: a JSON pointer into the body and what is wrong. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An error the gateway answers with its own JSON body. */
export class GatewayError extends Error {
  readonly def: ErrorDef;
  readonly headers: Readonly<Record<string, string>>;
  /** Why a backend or function failed (see `FailureCause`); set with `because`. */
  failure: FailureCause | undefined;
  readonly fields: readonly FieldError[] | undefined;

  constructor(
    def: ErrorDef,
    message?: string,
    headers: Readonly<Record<string, string>> = {},
    fields?: readonly FieldError[],
  ) {
    super(message ?? def.message);
    this.def = def;
    this.headers = headers;
    this.fields = fields;
  }

  get status(): number {
    return this.def.status;
  }

  /** Records why a backend or function failed, for the event log; returns this error. */
  because(cause: string, detail?: string): this {
    this.failure = { cause, ...(detail ? { detail: detail.slice(0, DETAIL_CHARS) } : {}) };
    return this;
  }
}

/**
 * The cause token of an error thrown by node:net, undici or ws: its code
 * (also on an undici wrapper's `cause`), else `fallback`.
 */
export function errorCode(err: unknown, fallback: string): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && code !== '' ? code : fallback;
}

/** The JSON body of a gateway error. */
export function errorBody(err: GatewayError, requestId: string): string {
  if (err.fields) return JSON.stringify({ code: err.def.code, message: err.message, requestId, fields: err.fields });
  return JSON.stringify({ code: err.def.code, message: err.message, requestId });
}

/**
 * Answers a request with a gateway error, unless headers were already sent
 * (then the response is cut, the only honest signal left). `extra` are the
 * API's CORS headers, so a browser can read the error.
 */
export function sendError(
  res: ServerResponse,
  requestId: string,
  err: GatewayError,
  head = false,
  extra?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(err, requestId);
  res.writeHead(err.status, {
    ...extra,
    ...err.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-api-requestid': requestId,
    ...(closeInsteadOfDraining(res.req) ? { connection: 'close' } : {}),
  });
  res.end(head ? undefined : body);
}

/**
 * A refused request's unread body of at most this many bytes is read and
 * discarded (the caller resumes the request), so the keep-alive connection
 * serves the next request; reading a larger one is not worth it.
 */
const DRAIN_MAX_BYTES = 64 * 1024;

/**
 * Whether a refusal closes the connection rather than read the rest of the
 * request body: only when body bytes are still to come and there may be many
 * (declared over DRAIN_MAX_BYTES, or of unknown length). `complete`
 * alone is false for every request while its handler runs (Node sets it once
 * the parser has seen the end, after the request event), so testing it alone
 * closed the connection of every bodiless request answered with an error.
 * HOT PATH (every gateway error)
 */
export function closeInsteadOfDraining(req: IncomingMessage): boolean {
  if (req.complete) return false;
  // Chunked, or `Expect: 100-continue` refused before `100 Continue` (the client holds its body back and may
  // never send it): nothing says how many bytes, if any, are still to come.
  if (req.headers['transfer-encoding'] !== undefined || req.headers.expect !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > DRAIN_MAX_BYTES;
}
