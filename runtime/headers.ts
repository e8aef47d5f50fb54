/**
 * Header rules shared by every backend and by function events, so that the
 * HTTP backend, the WebSocket backend and functions see the same request:
 *
 * - hop-by-hop headers (and any header a `Connection` header names) never
 *   cross the gateway in either direction;
 * - the gateway owns some request headers and sets them itself, so a client's
 *   value never reaches a backend: the request id, the key-pair id, the API's
 *   forwarded-claim headers, `X-Forwarded-*`, `X-Real-IP` and `Forwarded`
 *   (the last three kept from the client only with `limits.trustForwardedHeaders`),
 *   and the credentials the gateway verified (unless the API forwards them);
 * - header names with `_` are dropped (or refused by admission), as Envoy's
 *   `headers_with_underscores_action`, so `X_User_Id` cannot pass beside `x-user-id`
 *   to a backend that folds `_` into `-`;
 * - with CORS on, the gateway owns the `Access-Control-*` response headers.
 *
 * The per-API sets are compiled once, at config load (`compileHeaderPolicy`).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ApiConfig, LimitsConfig } from '../model';
import type { AdmittedRequest } from './pipeline';

/** RFC 9110 7.6.1 hop-by-hop headers. */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
const HOP_BY_HOP_SET = new Set(HOP_BY_HOP);

/** Request headers the gateway answers or sets itself: never forwarded as the client sent them. */
const FRAMING = ['expect', 'host', 'content-length'];

/** Headers the gateway sets on every backend request and function event: a client cannot. */
export const GATEWAY_HEADERS = ['x-api-requestid', 'x-api-secretid'];

/** Forwarding headers: replaced by what the gateway saw, unless `limits.trustForwardedHeaders`. */
const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded'];

/**
 * Which request headers of one API the gateway owns. `owned` holds the
 * gateway's own headers (a client's value never reaches a backend or a
 * function); `dropped` adds hop-by-hop and framing headers, for backend
 * requests.
 */
export interface HeaderPolicy {
  readonly owned: ReadonlySet<string>;
  readonly dropped: ReadonlySet<string>;
  readonly trustForwarded: boolean;
}

/** The request-header policy of an API, at config load. */
export function compileHeaderPolicy(api: ApiConfig, limits: LimitsConfig): HeaderPolicy {
  const owned = new Set(GATEWAY_HEADERS);
  if (!limits.trustForwardedHeaders) for (const h of FORWARDING) owned.add(h);
  const { auth } = api;
  if (auth.type === 'keyPair' && auth.forwardAuthorization !== true) owned.add('authorization');
  if (auth.type === 'oauth2') {
    const v = auth.verifier;
    for (const { header } of v.forwardClaims) owned.add(header.toLowerCase());
    if (v.tokenLocation.from === 'header' && v.forwardToken !== true) owned.add(v.tokenLocation.name.toLowerCase());
  }
  const dropped = new Set([...owned, ...HOP_BY_HOP, ...FRAMING]);
  // With trust, the gateway still sets X-Forwarded-For/-Proto/-Host itself (appending or keeping the client's).
  for (const h of FORWARDING.slice(0, 3)) dropped.add(h);
  return { owned, dropped, trustForwarded: limits.trustForwardedHeaders };
}

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

/**
 * True for a request header a client may pass on: not owned by the gateway,
 * no `_` in its name (those are dropped or refused), not `X-Forwarded-*`
 * (unless trusted, for the three the gateway extends).
 * HOT PATH
 */
function clientMayForward(name: string, skip: ReadonlySet<string>): boolean {
  if (skip.has(name) || name.includes('_')) return false;
  return !(name.charCodeAt(0) === 0x78 && name.startsWith('x-forwarded-'));
}

/**
 * The headers to send to an HTTP or WebSocket backend, as a flat
 * `[name, value, ...]` array (undici's fastest form, and duplicates survive).
 * HOT PATH
 */
export function backendRequestHeaders(
  ctx: AdmittedRequest,
  setHeaders: Readonly<Record<string, string>>,
  removeHeaders: readonly string[],
  contentLength: string | undefined,
): string[] {
  const headers = ctx.req.headers;
  const policy = ctx.headerPolicy;
  const listed = connectionListed(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    if (!clientMayForward(name, policy.dropped)) continue;
    // Own properties only: a client header named `constructor` is not one the gateway sets.
    if (listed?.has(name) || Object.hasOwn(setHeaders, name) || removeHeaders.includes(name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  for (const name in setHeaders) out.push(name, setHeaders[name] as string);
  const extra = ctx.identity?.forwardHeaders;
  if (extra) for (const name in extra) out.push(name, extra[name] as string);
  if (contentLength !== undefined) out.push('content-length', contentLength);

  const trust = policy.trustForwarded;
  const priorFor = trust ? headers['x-forwarded-for'] : undefined;
  const prior = Array.isArray(priorFor) ? priorFor.join(', ') : priorFor;
  out.push('x-forwarded-for', prior ? `${prior}, ${ctx.peerIp}` : ctx.peerIp);
  out.push('x-forwarded-proto', (trust && first(headers['x-forwarded-proto'])) || ctx.protocol);
  out.push('x-forwarded-host', (trust && first(headers['x-forwarded-host'])) || ctx.host);
  out.push('x-api-requestid', ctx.requestId);
  return out;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A function event's request headers: the client's, minus the gateway-owned
 * ones and names with `_`, plus the identity headers and the request id.
 * Names are lower case; repeated values are joined with `, `.
 */
export function eventHeaders(ctx: AdmittedRequest): Record<string, string> {
  // Keys come from the client: `__proto__` must stay an ordinary key.
  const out = Object.create(null) as Record<string, string>;
  const headers = ctx.req.headers;
  for (const name in headers) {
    if (!clientMayForward(name, ctx.headerPolicy.owned)) continue;
    const v = headers[name];
    if (v !== undefined) out[name] = Array.isArray(v) ? v.join(', ') : v;
  }
  Object.assign(out, ctx.identity?.forwardHeaders);
  out['x-api-requestid'] = ctx.requestId;
  return out;
}

/**
 * The response head for a backend's (or function's) response headers: minus
 * hop-by-hop ones; with CORS on, minus the backend's `Access-Control-*`
 * headers and plus the gateway's (a `Vary` of both is merged); and the request id.
 * HOT PATH
 */
export function responseHeaders(
  source: IncomingHttpHeaders | Readonly<Record<string, string>>,
  ctx: AdmittedRequest,
): OutgoingHttpHeaders {
  const cors = ctx.extraResponseHeaders;
  const listed = connectionListed(source.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in source) {
    if (HOP_BY_HOP_SET.has(name) || listed?.has(name)) continue;
    if (cors !== undefined && name.startsWith('access-control-')) continue;
    const value = source[name];
    if (value !== undefined) out[name] = value;
  }
  out['x-api-requestid'] = ctx.requestId;
  if (cors !== undefined) {
    for (const name in cors) {
      const value = cors[name] as string;
      out[name] = name === 'vary' && out.vary !== undefined ? mergeVary(out.vary, value) : value;
    }
  }
  return out;
}

function mergeVary(backend: OutgoingHttpHeaders[string], ours: string): string {
  const text = Array.isArray(backend) ? backend.join(', ') : String(backend);
  if (text.trim() === '*') return text;
  const have = text.toLowerCase().split(',');
  return have.some((t) => t.trim() === ours.toLowerCase()) ? text : `${text}, ${ours}`;
}
