/**
 * Error-code conversion: an API's declared error codes (`response.errorCodes`)
 * with a `from` replace the backend's answer with the gateway's JSON body
 * `{ code, message, requestId }` and the declared status, as the document's
 * gateway converts API error codes. Compiled at load into lookups; the
 * backends ask once per response.
 *
 * - `backendStatus`: the status of an HTTP backend's response (its body is
 *   discarded), or of a function's integration response.
 * - `functionError`: a function's error code, which is the `errorCode` of
 *   what it returns (`{ "errorCode": "PetNotFound" }`, a string or an
 *   integer, as a function platform reports a failed invocation), or the
 *   `code` of the error a bundled function throws or rejects with
 *   (`throw Object.assign(new Error('no pet'), { code: 'PetNotFound' })`).
 *   Undeclared codes change nothing.
 */
import type { ApiConfig } from '../model';
import { GatewayError, type ErrorDef } from './errors';

export interface ErrorConversion {
  /** The answer replacing a backend response of this status, if converted. HOT PATH */
  byStatus(status: number): GatewayError | undefined;
  /** The answer replacing a function result (or thrown error) with this error code, if converted. */
  byFunctionCode(code: unknown): GatewayError | undefined;
}

/** The API's conversions, or undefined when none of its error codes converts anything. */
export function compileErrorConversion(api: ApiConfig): ErrorConversion | undefined {
  const statuses = new Map<number, GatewayError>();
  const codes = new Map<string, GatewayError>();
  for (const e of api.response.errorCodes) {
    if (!e.from || e.status === undefined) continue;
    const def: ErrorDef = { code: e.code, status: e.status, message: e.message };
    // Immutable: one answer object per declared code, shared by its requests.
    const answer = new GatewayError(def);
    if (e.from.type === 'backendStatus') for (const s of e.from.statuses) statuses.set(s, answer);
    else for (const c of e.from.errorCodes) codes.set(c, answer);
  }
  if (statuses.size === 0 && codes.size === 0) return undefined;
  return {
    byStatus: (status) => (statuses.size === 0 ? undefined : statuses.get(status)),
    byFunctionCode: (code) =>
      typeof code === 'string' || (typeof code === 'number' && Number.isInteger(code))
        ? codes.get(String(code))
        : undefined,
  };
}

/** The error code of a function's result: `errorCode` of a returned object. */
export function resultErrorCode(value: unknown): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as { errorCode?: unknown }).errorCode
    : undefined;
}
