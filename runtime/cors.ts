/**
 * CORS for one API: answers preflight requests itself and decorates actual
 * responses. With CORS off the gateway adds nothing and forwards `OPTIONS`
 * like any other method (405 unless an API takes it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsConfig } from '../model';

export interface CorsPolicy {
  /** Headers for an actual (non-preflight) response, or undefined when the origin is not allowed. */
  responseHeaders(origin: string | undefined): Record<string, string> | undefined;
  /** Headers answering a preflight, or undefined when it is refused. */
  preflightHeaders(headers: IncomingHttpHeaders): Record<string, string> | undefined;
}

export function compileCors(cors: CorsConfig, apiMethod: string): CorsPolicy {
  const any = cors.allowOrigins.includes('*');
  const originAllowed = compileOrigins(cors.allowOrigins);
  const methods = cors.allowMethods.length > 0 ? cors.allowMethods : [apiMethod];
  const allowMethods = [...new Set([...methods, 'OPTIONS'])].join(', ');
  const allowHeaders = cors.allowHeaders.join(', ');
  const expose = cors.exposeHeaders.join(', ');

  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return any && !cors.allowCredentials ? '*' : undefined;
    if (any) return cors.allowCredentials ? origin : '*';
    return originAllowed(origin) ? origin : undefined;
  };
  // A response that depends on Origin must say so, or caches mix them up.
  const varyOrigin = !any || cors.allowCredentials;

  const base = (origin: string | undefined): Record<string, string> | undefined => {
    const value = allowOrigin(origin);
    if (value === undefined) return undefined;
    const h: Record<string, string> = { 'access-control-allow-origin': value };
    if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
    if (varyOrigin) h['vary'] = 'Origin';
    return h;
  };

  return {
    responseHeaders(origin) {
      const h = base(origin);
      if (h && expose) h['access-control-expose-headers'] = expose;
      return h;
    },
    preflightHeaders(headers) {
      const origin = headers.origin;
      const h = base(typeof origin === 'string' ? origin : undefined);
      if (!h) return undefined;
      const requested = headers['access-control-request-method'];
      if (typeof requested === 'string' && !methods.includes(requested) && requested !== 'OPTIONS') return undefined;
      h['access-control-allow-methods'] = allowMethods;
      const requestedHeaders = headers['access-control-request-headers'];
      // With no configured list, reflect what the browser asks for (the permissive default).
      const allow = allowHeaders || (typeof requestedHeaders === 'string' ? requestedHeaders : '');
      if (allow) h['access-control-allow-headers'] = allow;
      if (cors.maxAgeSeconds !== undefined) h['access-control-max-age'] = String(cors.maxAgeSeconds);
      return h;
    },
  };
}

/**
 * Compiles the allowed origins once: a set of exact origins and, for patterns
 * such as `https://*.example.com`, a scheme prefix and a `.example.com` suffix
 * with one or more host labels between them. `https://example.com` and
 * `https://a.example.com.evil.net` do not match that pattern.
 */
function compileOrigins(allowOrigins: readonly string[]): (origin: string) => boolean {
  const exact = new Set<string>();
  const wildcards: { readonly prefix: string; readonly suffix: string }[] = [];
  for (const o of allowOrigins) {
    const lower = o.toLowerCase();
    const star = lower.indexOf('://*.');
    if (star < 0) exact.add(lower);
    else wildcards.push({ prefix: lower.slice(0, star + 3), suffix: lower.slice(star + 4) });
  }
  if (wildcards.length === 0) return (origin) => exact.has(origin.toLowerCase());
  // HOT PATH: the Origin header is hostile; only host labels may stand for the `*`.
  return (origin) => {
    const lower = origin.toLowerCase();
    if (exact.has(lower)) return true;
    for (const w of wildcards) {
      if (lower.length > w.prefix.length + w.suffix.length && lower.startsWith(w.prefix) && lower.endsWith(w.suffix)) {
        if (SUBDOMAIN.test(lower.slice(w.prefix.length, lower.length - w.suffix.length))) return true;
      }
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
