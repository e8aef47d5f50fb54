/**
 * Maps a frontend request onto the backend request: the backend path template
 * (with `{param}` values and, for prefix and plain routes, the unmatched rest
 * of the path), parameter mappings and constant parameters. Shared by the
 * HTTP and WebSocket backends.
 */
import type { ConstantParameter, ParamLocation, ParameterMapping } from '../../model';
import type { RequestParams } from '../pipeline';

export interface BackendTarget {
  /** Path and query to send, already percent-encoded. */
  readonly path: string;
  /** Headers to set (lower-case names); a header mapped away is listed in `removeHeaders`. */
  readonly setHeaders: Readonly<Record<string, string>>;
  readonly removeHeaders: readonly string[];
}

export interface MappingInput {
  readonly params: RequestParams;
  /** The part of the request path after the matched prefix (prefix and plain routes). */
  readonly rest: string;
  /** The request's raw query string (forwarded as is when nothing changes it). */
  readonly rawQuery: string;
}

const TEMPLATE_PARAM = /\{([^{}/]+)\}/g;

const NO_HEADERS: readonly string[] = Object.freeze([]);

/**
 * The backend path template split once, at config load, into literal text and
 * placeholder names (`/v1/pets/{id}` → `['/v1/pets/', 'id', '']`: literals at
 * even places, names at odd ones), so that a request renders it without a regex.
 */
function compileTemplate(template: string): readonly string[] {
  return template.split(new RegExp(TEMPLATE_PARAM.source));
}

/** HOT PATH: the template with each placeholder's value percent-encoded (a missing one renders empty). */
function renderTemplate(parts: readonly string[], values: Readonly<Record<string, string>>): string {
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    out += encodeURIComponent(values[parts[i] as string] ?? '') + (parts[i + 1] as string);
  }
  return out;
}

/** HOT PATH: the matched rest of the path, appended; then the query, when there is one. */
function finishPath(path: string, rest: string, qs: string): string {
  if (rest) path = path.endsWith('/') && rest.startsWith('/') ? path + rest.slice(1) : path + rest;
  return qs ? `${path}?${qs}` : path;
}

/** The query to forward without a rebuild: the client's, plus the form-encoded defaults of absent parameters. */
function appendDefaults(rawQuery: string, queryAppend: string | undefined): string {
  if (queryAppend === undefined) return rawQuery;
  return rawQuery ? `${rawQuery}&${queryAppend}` : queryAppend;
}

/** Compiles an API's mapping once, at config load. */
export function compileMapping(
  template: string,
  mappings: readonly ParameterMapping[],
  constants: readonly ConstantParameter[],
): (input: MappingInput) => BackendTarget {
  const parts = compileTemplate(template);
  const touchesQuery =
    mappings.some((m) => m.from.in === 'query' || m.to.in === 'query') || constants.some((c) => c.in === 'query');
  const headerMappings = mappings.filter((m) => m.to.in === 'header' || m.from.in === 'header');
  const headerConstants = constants.filter((c) => c.in === 'header');

  if (mappings.length === 0 && constants.length === 0) {
    // HOT PATH. Nothing mapped: the path values and declared headers are forwarded as they are.
    return ({ params, rest, rawQuery }) => {
      const qs = params.queryRewrite
        ? rebuildQuery(rawQuery, params.query)
        : appendDefaults(rawQuery, params.queryAppend);
      // Declared headers with applied defaults still reach the backend.
      return {
        path: finishPath(renderTemplate(parts, params.path), rest, qs),
        setHeaders: params.header,
        removeHeaders: NO_HEADERS,
      };
    };
  }

  return ({ params, rest, rawQuery }) => {
    // Values the backend request carries, by location, after mappings.
    const pathValues: Record<string, string> = { ...params.path };
    let query: URLSearchParams | undefined;
    const setHeaders: Record<string, string> = {};
    const removeHeaders: string[] = [];

    if (touchesQuery || params.queryRewrite) query = declaredQuery(rawQuery, params.query);
    for (const m of mappings) {
      const value = lookup(params, m.from.in, m.from.name);
      if (value === undefined) continue;
      remove(m.from.in, m.from.name);
      assign(m.to.in, m.to.name, value);
    }
    for (const c of constants) assign(c.in, c.name, c.value);
    if (headerMappings.length === 0 && headerConstants.length === 0) {
      // Declared headers with applied defaults still reach the backend.
      for (const [k, v] of Object.entries(params.header)) setHeaders[k] = v;
    } else {
      for (const [k, v] of Object.entries(params.header))
        if (!Object.hasOwn(setHeaders, k) && !removeHeaders.includes(k)) setHeaders[k] = v;
    }

    const qs = query ? query.toString() : appendDefaults(rawQuery, params.queryAppend);
    return { path: finishPath(renderTemplate(parts, pathValues), rest, qs), setHeaders, removeHeaders };

    function remove(where: ParamLocation, name: string): void {
      if (where === 'query') query?.delete(name);
      else if (where === 'header') removeHeaders.push(name.toLowerCase());
      else delete pathValues[name];
    }
    function assign(where: ParamLocation, name: string, value: string): void {
      if (where === 'query') query?.set(name, value);
      else if (where === 'header') setHeaders[name.toLowerCase()] = value;
      else pathValues[name] = value;
    }
  };
}

/** The request's query with the declared parameters set to their values after defaults. */
function declaredQuery(rawQuery: string, declared: Readonly<Record<string, string>>): URLSearchParams {
  const query = new URLSearchParams(rawQuery);
  for (const [k, v] of Object.entries(declared)) query.set(k, v);
  return query;
}

function rebuildQuery(rawQuery: string, declared: Readonly<Record<string, string>>): string {
  return declaredQuery(rawQuery, declared).toString();
}

function lookup(params: RequestParams, where: ParamLocation, name: string): string | undefined {
  return where === 'header' ? params.header[name.toLowerCase()] : params[where][name];
}
