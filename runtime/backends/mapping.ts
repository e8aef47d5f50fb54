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

/** Compiles an API's mapping once, at config load. */
export function compileMapping(
  template: string,
  mappings: readonly ParameterMapping[],
  constants: readonly ConstantParameter[],
): (input: MappingInput) => BackendTarget {
  const hasTemplate = template.includes('{');
  const touchesQuery =
    mappings.some((m) => m.from.in === 'query' || m.to.in === 'query') || constants.some((c) => c.in === 'query');
  const headerMappings = mappings.filter((m) => m.to.in === 'header' || m.from.in === 'header');
  const headerConstants = constants.filter((c) => c.in === 'header');

  return ({ params, rest, rawQuery }) => {
    // Values the backend request carries, by location, after mappings.
    const pathValues: Record<string, string> = { ...params.path };
    let query: URLSearchParams | undefined;
    const setHeaders: Record<string, string> = {};
    const removeHeaders: string[] = [];

    if (touchesQuery || params.queryRewrite) {
      query = new URLSearchParams(rawQuery);
      // Declared query parameters after defaults.
      for (const [k, v] of Object.entries(params.query)) query.set(k, v);
    }
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
        if (!(k in setHeaders) && !removeHeaders.includes(k)) setHeaders[k] = v;
    }

    let path = hasTemplate
      ? template.replace(TEMPLATE_PARAM, (_, name: string) => encodeURIComponent(pathValues[name] ?? ''))
      : template;
    if (rest) path = path.endsWith('/') && rest.startsWith('/') ? path + rest.slice(1) : path + rest;
    const qs = query
      ? query.toString()
      : params.queryAppend === undefined
        ? rawQuery
        : rawQuery
          ? `${rawQuery}&${params.queryAppend}`
          : params.queryAppend;
    return { path: qs ? `${path}?${qs}` : path, setHeaders, removeHeaders };

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

function lookup(params: RequestParams, where: ParamLocation, name: string): string | undefined {
  return where === 'header' ? params.header[name.toLowerCase()] : params[where][name];
}
