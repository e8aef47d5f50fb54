/**
 * Input parameters: each API's declared header, query and path parameters are
 * extracted, type-checked and defaulted before auth and the backend run. A
 * failure names the parameter and the problem (400 InvalidParameter).
 */
import { checkParamValue, type ApiConfig, type Parameter } from '../model';
import { Errors, GatewayError } from './errors';
import { decodeComponent } from './normalize';
import type { RequestParams } from './pipeline';
import type { IncomingHttpHeaders } from 'node:http';

export interface ParamSources {
  readonly headers: IncomingHttpHeaders;
  readonly query: URLSearchParams;
  /** Raw (still percent-encoded) values of `{param}` placeholders. */
  readonly pathParams: Readonly<Record<string, string>>;
}

export type ParamChecker = (sources: ParamSources) => RequestParams | GatewayError;

const LOCATION_WORD = { header: 'header', query: 'query parameter', path: 'path parameter' } as const;

/** Compiles an API's parameter checks once, at config load. */
export function compileParams(api: ApiConfig): ParamChecker {
  const declared: readonly Parameter[] = api.parameters.map((p) =>
    p.in === 'header' ? { ...p, name: p.name.toLowerCase() } : p,
  );
  // Query defaults are encoded once here, so a defaulted request appends text instead of rebuilding its query.
  const encodedDefault = new Map<Parameter, string>();
  for (const p of declared) {
    if (p.in === 'query' && p.default !== undefined)
      encodedDefault.set(p, new URLSearchParams([[p.name, p.default]]).toString());
  }
  // HOT PATH
  return (sources) => {
    const out: RequestParams = { path: {}, query: {}, header: {} };
    // Path placeholders are always forwarded, declared or not.
    const pathParams = sources.pathParams;
    for (const name in pathParams) {
      const value = decodeComponent(pathParams[name] as string);
      if (value === undefined) return invalid(`path parameter "${name}" is not valid percent-encoded UTF-8`);
      out.path[name] = value;
    }
    for (const p of declared) {
      let value: string | undefined;
      if (p.in === 'header') {
        const v = sources.headers[p.name];
        value = Array.isArray(v) ? v.join(', ') : v;
      } else if (p.in === 'query') {
        value = sources.query.get(p.name) ?? undefined;
      } else {
        value = out.path[p.name];
      }
      if (value === undefined || value === '') {
        if (p.default !== undefined) {
          value = p.default;
          if (p.in === 'query') {
            if (sources.query.has(p.name)) out.queryRewrite = true;
            else {
              const pair = encodedDefault.get(p) as string;
              out.queryAppend = out.queryAppend === undefined ? pair : `${out.queryAppend}&${pair}`;
            }
          }
        } else if (p.required) return invalid(`${LOCATION_WORD[p.in]} "${p.name}" is required`);
        else continue;
      }
      const problem = checkParamValue(p.type, value);
      if (problem) return invalid(`${LOCATION_WORD[p.in]} "${p.name}" ${problem}`);
      out[p.in][p.name] = value;
    }
    return out;
  };
}

function invalid(message: string): GatewayError {
  return new GatewayError(Errors.InvalidParameter, message);
}
