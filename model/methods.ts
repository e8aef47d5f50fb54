/**
 * Which routes take a request's method, and which of them wins at one path.
 *
 * Route priority (README "Route matching", `runtime/router.ts`) picks the
 * path first: exact, prefix, template, regex, plain. Among the routes of that
 * one path, the request's method is served by, in this order: the route of
 * that method; for HEAD, the GET route; the ANY route. This file is the one
 * place that order is written; the router, CORS and `apigw openapi` use it.
 */
import type { HttpMethod } from './schema';

/** The methods an `ANY` route takes, in the order `Allow` lists them. */
export const ANY_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export type ConcreteMethod = (typeof ANY_METHODS)[number];

const PREFERENCE = new Map<string, readonly HttpMethod[]>(
  ANY_METHODS.map((m) => [m, Object.freeze(m === 'HEAD' ? ['HEAD', 'GET', 'ANY'] : [m, 'ANY'])]),
);
const NONE: readonly HttpMethod[] = Object.freeze([]);

/**
 * The route methods that serve a request of `method`, most preferred first
 * (`HEAD` → HEAD, GET, ANY); empty for a method no route takes (TRACE,
 * CONNECT, WebDAV's, an unknown token): such a request is `405` where a route
 * matches the path. HOT PATH: a map lookup.
 */
export function routeMethodsFor(method: string): readonly HttpMethod[] {
  return PREFERENCE.get(method) ?? NONE;
}

/** The methods a route of `method` takes (an ANY route: all of `ANY_METHODS`; a GET route: GET and HEAD). */
export function methodsTakenBy(method: HttpMethod): readonly ConcreteMethod[] {
  return ANY_METHODS.filter((m) => routeMethodsFor(m).includes(method));
}
