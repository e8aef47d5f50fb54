/**
 * CORS for one API: answers preflight requests itself and decorates every
 * other answer of the API, the gateway's own errors included (a browser hides
 * a response without `Access-Control-Allow-Origin` from the script, JSON
 * error and all). With CORS on, the gateway owns the `Access-Control-*`
 * response headers: a backend's are dropped (see `headers.ts`). With CORS off
 * the gateway adds nothing and forwards `OPTIONS` like any other method
 * (405 unless an API takes it).
 *
 * The header sets are built at config load, one per allowed origin, so the
 * request path looks one up instead of building it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsConfig } from '../model';

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
  const methods = cors.allowMethods.length > 0 ? cors.allowMethods : [apiMethod];
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
  for (const o of cors.allowOrigins) if (o !== '*') byOrigin.set(o.toLowerCase(), actual(o.toLowerCase()));
  const star = any ? actual('*') : undefined;
  const notAllowed = Object.freeze({ ...vary });

  const lookup = (origin: string): Readonly<Record<string, string>> | undefined =>
    byOrigin.get(origin) ?? byOrigin.get(origin.toLowerCase());

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

/** True for a CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}
