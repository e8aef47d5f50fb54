/**
 * CORS for one API: answers preflight requests itself and decorates every
 * other answer of the API, the gateway's own errors included (a browser hides
 * a response without `Access-Control-Allow-Origin` from the script, JSON
 * error and all). With CORS on, the gateway owns the `Access-Control-*`
 * response headers: a backend's are dropped (see `headers.ts`), and it answers
 * preflights itself, also where an OPTIONS or ANY API would take them: that
 * API gets every other OPTIONS request. With CORS off the gateway adds nothing
 * and routes `OPTIONS` like any other method (405 unless an API takes it).
 *
 * The header sets are built at config load, one per allowed origin, so the
 * request path looks one up instead of building it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ANY_METHODS, type CorsConfig } from '../model';

export interface CorsPolicy {
  /**
   * Headers for an actual (non-preflight) answer of this API for the request's
   * `Origin`: `Access-Control-Allow-Origin` and friends for an allowed origin,
   * otherwise only `Vary: Origin` where the answer depends on the origin. Never
   * allocates; the result is shared and must not be changed.
   * HOT PATH
   */
  responseHeaders(origin: string | undefined): Readonly<Record<string, string>>;
  /** True when `origin` may call the API (for WebSocket upgrades, which browsers do not preflight). */
  allows(origin: string): boolean;
  /** Headers answering a preflight, or undefined when it is refused. */
  preflightHeaders(headers: IncomingHttpHeaders): Record<string, string> | undefined;
  /** Headers of a refused preflight's error answer. */
  readonly refusedPreflightHeaders: Readonly<Record<string, string>>;
}

/** `*` with credentials would let any site read answers with the user's cookies: refused by the model's rules. */
export function compileCors(cors: CorsConfig, apiMethod: string): CorsPolicy {
  const any = cors.allowOrigins.includes('*');
  const methods: readonly string[] =
    cors.allowMethods.length > 0 ? cors.allowMethods : apiMethod === 'ANY' ? ANY_METHODS : [apiMethod];
  const allowMethods = [...new Set([...methods, 'OPTIONS'])].join(', ');
  const allowHeaders = cors.allowHeaders.join(', ');
  const expose = cors.exposeHeaders.join(', ');

  // With `*` every answer is the same; with a list of origins it depends on Origin, so it says so.
  const vary: Record<string, string> = any ? {} : { vary: 'Origin' };
  const allowed = (value: string): Record<string, string> => {
    const h: Record<string, string> = { 'access-control-allow-origin': value };
    if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
    return Object.assign(h, vary);
  };
  const actual = (value: string): Readonly<Record<string, string>> => {
    const h = allowed(value);
    if (expose) h['access-control-expose-headers'] = expose;
    return Object.freeze(h);
  };
  // Browsers send the origin serialised in lower case (RFC 6454); the answer must repeat it exactly.
  const byOrigin = new Map<string, Readonly<Record<string, string>>>();
  for (const o of cors.allowOrigins)
    if (o !== '*' && !o.includes('://*.')) byOrigin.set(o.toLowerCase(), actual(o.toLowerCase()));
  const star = any ? actual('*') : undefined;
  const notAllowed = Object.freeze({ ...vary });
  const wildcard = compileWildcards(cors.allowOrigins);
  // Headers for origins a subdomain pattern allowed, built once per origin (bounded: origins are hostile).
  const byWildcard = new Map<string, Readonly<Record<string, string>>>();

  const lookup = (origin: string): Readonly<Record<string, string>> | undefined => {
    const hit = byOrigin.get(origin) ?? byOrigin.get(origin.toLowerCase());
    if (hit !== undefined || wildcard === undefined) return hit;
    const lower = origin.toLowerCase();
    let h = byWildcard.get(lower);
    if (h !== undefined) return h;
    if (!wildcard(lower)) return undefined;
    h = actual(lower);
    if (byWildcard.size >= 1024) byWildcard.clear();
    byWildcard.set(lower, h);
    return h;
  };

  return {
    responseHeaders(origin) {
      if (star) return star;
      return (origin === undefined ? undefined : lookup(origin)) ?? notAllowed;
    },
    allows(origin) {
      return any || lookup(origin) !== undefined;
    },
    preflightHeaders(headers) {
      const origin = headers.origin;
      if (typeof origin !== 'string' || !(any || lookup(origin))) return undefined;
      const requested = headers['access-control-request-method'];
      if (typeof requested === 'string' && !methods.includes(requested) && requested !== 'OPTIONS') return undefined;
      const h = allowed(any ? '*' : origin.toLowerCase());
      h['access-control-allow-methods'] = allowMethods;
      const requestedHeaders = headers['access-control-request-headers'];
      // With no configured list, reflect what the browser asks for (the permissive default).
      const allow = allowHeaders || (typeof requestedHeaders === 'string' ? requestedHeaders : '');
      if (allow) h['access-control-allow-headers'] = allow;
      if (!allowHeaders)
        h.vary = h.vary ? `${h.vary}, Access-Control-Request-Headers` : 'Access-Control-Request-Headers';
      if (cors.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(cors.maxAgeSeconds);
      return h;
    },
    refusedPreflightHeaders: notAllowed,
  };
}

/**
 * Matcher of the subdomain patterns (`https://*.example.com`) among the
 * allowed origins, over a lower-cased origin; undefined when there are none.
 * Only host labels may stand for the `*`: the Origin header is hostile.
 */
function compileWildcards(allowOrigins: readonly string[]): ((lowerOrigin: string) => boolean) | undefined {
  const patterns: { readonly prefix: string; readonly suffix: string }[] = [];
  for (const o of allowOrigins) {
    const lower = o.toLowerCase();
    const star = lower.indexOf('://*.');
    if (star >= 0) patterns.push({ prefix: lower.slice(0, star + 3), suffix: lower.slice(star + 4) });
  }
  if (patterns.length === 0) return undefined;
  return (lower) => {
    for (const p of patterns) {
      if (
        lower.length > p.prefix.length + p.suffix.length &&
        lower.startsWith(p.prefix) &&
        lower.endsWith(p.suffix) &&
        SUBDOMAIN.test(lower.slice(p.prefix.length, lower.length - p.suffix.length))
      )
        return true;
    }
    return false;
  };
}

/** One or more DNS labels: what the `*` of an origin pattern stands for. */
const SUBDOMAIN = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;

/** True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}
