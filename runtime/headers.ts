/**
 * Header rules shared by every backend: hop-by-hop headers (and any header a
 * `Connection` header names) never cross the gateway in either direction, and
 * the gateway owns `x-api-*` and the `X-Forwarded-*` headers it sets.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 7.6.1 hop-by-hop headers, plus `expect` and `host`, which the gateway answers or sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const REQUEST_ONLY_DROPPED = new Set(['expect', 'host', 'content-length', 'x-api-requestid', 'x-api-secretid']);

function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  // The common values name no header: skip the split.
  if (typeof value === 'string' && value.length <= 10) {
    const v = value.toLowerCase();
    if (v === 'keep-alive' || v === 'close') return undefined;
  }
  const list = (Array.isArray(value) ? value.join(',') : value)
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t && t !== 'close' && t !== 'keep-alive');
  return list.length > 0 ? new Set(list) : undefined;
}

export interface ForwardInfo {
  readonly requestId: string;
  readonly clientIp: string;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly trustForwarded: boolean;
}

/**
 * The headers to send to an HTTP backend, as a flat `[name, value, ...]`
 * array (undici's fastest form, and duplicates survive).
 */
export function backendRequestHeaders(
  headers: IncomingHttpHeaders,
  info: ForwardInfo,
  setHeaders: Readonly<Record<string, string>>,
  removeHeaders: readonly string[],
  extra: Readonly<Record<string, string>> | undefined,
  contentLength: string | undefined,
): string[] {
  const listed = connectionListed(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || REQUEST_ONLY_DROPPED.has(name)) continue;
    if (listed?.has(name) || name in setHeaders || removeHeaders.includes(name)) continue;
    if (name.startsWith('x-forwarded-')) continue;
    if (extra && name in extra) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  for (const name in setHeaders) out.push(name, setHeaders[name] as string);
  if (extra) for (const name in extra) out.push(name, extra[name] as string);
  if (contentLength !== undefined) out.push('content-length', contentLength);

  const priorFor = info.trustForwarded ? headers['x-forwarded-for'] : undefined;
  const prior = Array.isArray(priorFor) ? priorFor.join(', ') : priorFor;
  out.push('x-forwarded-for', prior ? `${prior}, ${info.clientIp}` : info.clientIp);
  out.push('x-forwarded-proto', forwarded(headers['x-forwarded-proto'], info) ?? info.protocol);
  out.push('x-forwarded-host', forwarded(headers['x-forwarded-host'], info) ?? info.host);
  out.push('x-api-requestid', info.requestId);
  return out;
}

function forwarded(value: string | string[] | undefined, info: ForwardInfo): string | undefined {
  if (!info.trustForwarded || value === undefined) return undefined;
  return Array.isArray(value) ? value[0] : value;
}

/** Copies a backend response's headers minus hop-by-hop ones, into `into`. */
export function copyResponseHeaders(headers: IncomingHttpHeaders, into: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionListed(headers.connection);
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) into[name] = value;
  }
  return into;
}
