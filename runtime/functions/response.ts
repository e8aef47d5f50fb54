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

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
/** Framing and hop-by-hop headers are the gateway's to set; a function cannot smuggle its own. */
const RESERVED = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'x-api-requestid',
]);
const KNOWN_FIELDS = new Set(['isBase64Encoded', 'statusCode', 'headers', 'body']);

/** Validates the integration structure; throws `FunctionBadResponse` saying what was wrong. */
export function integrationResult(value: unknown): HttpResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`expected an object with statusCode, headers and body, got ${kindOf(value)}`);
  }
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !KNOWN_FIELDS.has(k));
  const status = v.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    const hint = unknown.length > 0 ? ` (unexpected fields: ${unknown.slice(0, 5).join(', ')})` : '';
    throw bad(`statusCode must be an integer from 200 to 599, got ${kindOf(status)}${hint}`);
  }
  if (v.isBase64Encoded !== undefined && typeof v.isBase64Encoded !== 'boolean') {
    throw bad(`isBase64Encoded must be true or false, got ${kindOf(v.isBase64Encoded)}`);
  }
  const headers: Record<string, string> = {};
  if (v.headers !== undefined && v.headers !== null) {
    if (typeof v.headers !== 'object' || Array.isArray(v.headers)) {
      throw bad(`headers must be an object, got ${kindOf(v.headers)}`);
    }
    for (const [name, h] of Object.entries(v.headers as Record<string, unknown>)) {
      // The document allows only string header values ("not arrays").
      if (typeof h !== 'string') throw bad(`header "${name}" must be a string, got ${kindOf(h)}`);
      if (!TOKEN.test(name)) throw bad(`"${name}" is not a valid header name`);
      if (/[\r\n\0]/.test(h)) throw bad(`header "${name}" contains a line break`);
      const lower = name.toLowerCase();
      if (!RESERVED.has(lower)) headers[lower] = h;
    }
  }
  const body = v.body ?? '';
  if (typeof body !== 'string') throw bad(`body must be a string, got ${kindOf(body)}`);
  if (v.isBase64Encoded === true) {
    const compact = body.replace(/\s+/g, '');
    if (!BASE64.test(compact)) throw bad('body is flagged isBase64Encoded but is not base64');
    return { statusCode: status, headers, body: Buffer.from(compact, 'base64') };
  }
  return { statusCode: status, headers, body: Buffer.from(body, 'utf8') };
}

/** Passthrough: the return value itself, as JSON with status 200 (`undefined` is `null`). */
export function passthroughResult(value: unknown): HttpResult {
  let json: string;
  try {
    json = JSON.stringify(value ?? null, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (err) {
    throw bad(`the return value is not JSON-serialisable (${(err as Error).message})`);
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    // A function or symbol at the top level stringifies to undefined.
    body: Buffer.from(json ?? 'null'),
  };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** The client is told what is wrong; the log only that it was (the message quotes what the function returned). */
function bad(message: string): GatewayError {
  return new GatewayError(
    Errors.FunctionBadResponse,
    `the function returned a response of the wrong shape: ${message}`,
  ).because('bad_response');
}
