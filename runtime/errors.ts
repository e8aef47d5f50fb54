/**
 * The catalogue of everything the gateway itself answers. Each error has a
 * stable code (never reused), an HTTP status and a default message; the body
 * is always `{ "code", "message", "requestId" }` (`InvalidBody` adds
 * `fields`). Every code is documented in the README's "Error responses"
 * table (a test checks that).
 */
import type { ServerResponse } from 'node:http';

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

/** A failing part of a request body, for `InvalidBody`: a JSON pointer into the body and what is wrong. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** An error the gateway answers with its own JSON body. */
export class GatewayError extends Error {
  readonly def: ErrorDef;
  readonly headers: Readonly<Record<string, string>>;
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
    // An unread request body (too large, or refused before it was read) is not worth reading: close instead.
    ...(res.req.complete ? {} : { connection: 'close' }),
  });
  res.end(head ? undefined : body);
}
