/**
 * Turns a function's return value into the HTTP response: with response
 * integration, the `{statusCode, headers, body, isBase64Encoded}` structure;
 * without it (passthrough), the value itself as JSON.
 */
import { Errors, GatewayError } from '../errors';

export interface HttpResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export function integrationResult(value: unknown): HttpResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('the function must return an object with statusCode, headers and body');
  }
  const v = value as Record<string, unknown>;
  const status = v.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw bad('statusCode must be an integer from 100 to 599');
  }
  const headers: Record<string, string> = {};
  if (v.headers !== undefined) {
    if (typeof v.headers !== 'object' || v.headers === null || Array.isArray(v.headers))
      throw bad('headers must be an object');
    for (const [k, h] of Object.entries(v.headers as Record<string, unknown>)) {
      // The document allows only string header values.
      if (typeof h !== 'string') throw bad(`header "${k}" must be a string`);
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\r\n\0]/.test(h))
        throw bad(`header "${k}" is not a valid header`);
      headers[k.toLowerCase()] = h;
    }
  }
  const body = v.body ?? '';
  if (typeof body !== 'string') throw bad('body must be a string');
  const base64 = v.isBase64Encoded === true;
  return { statusCode: status, headers, body: Buffer.from(body, base64 ? 'base64' : 'utf8') };
}

export function passthroughResult(value: unknown): HttpResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(value ?? null)),
  };
}

function bad(message: string): GatewayError {
  return new GatewayError(
    Errors.FunctionBadResponse,
    `the function returned a response of the wrong shape: ${message}`,
  );
}
