/** One API of a service. */
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { routeRegexLiteral, type ApiConfig, type HttpMethod, type ParamLocation, type ParamType } from '../model';
import { ApiPath } from './api-path';
import { Auth } from './auth';
import type { Backend, FunctionBundle } from './backends/backend';
import { Cors } from './cors';
import { Messages } from './messages';

/** An input parameter of an API. */
export interface ParameterOptions {
  /** Parameter name (header names are case-insensitive). */
  readonly name: string;
  /** Where the parameter is read. */
  readonly in: ParamLocation;
  /** Data type the value must have. @default 'string' */
  readonly type?: ParamType;
  /** A request without it is refused with 400. @default false (path parameters are always required) */
  readonly required?: boolean;
  /** Value used when the request has none. @default - none */
  readonly default?: string;
  /** An example value, for documentation. @default - none */
  readonly sample?: string;
  /** What the parameter means, for documentation. @default - none */
  readonly description?: string;
}

/** Documentation of an API's responses. */
export interface ResponseOptions {
  /** Content type of successful responses. @default - not documented */
  readonly contentType?: string;
  /** A successful response body. @default - none */
  readonly successSample?: string;
  /** A failed response body. @default - none */
  readonly failureSample?: string;
  /** Error codes the API returns. @default - none */
  readonly errorCodes?: { readonly code: string; readonly message: string; readonly description?: string }[];
}

/** Options of {@link Service.addApi}. */
export interface ApiOptions {
  /** API name, unique in the service, at most 60 characters. @default - the construct id */
  readonly apiName?: string;
  /** What the API does. @default - none */
  readonly description?: string;
  /** Frontend type. @default 'http' */
  readonly protocol?: 'http' | 'websocket';
  /**
   * Frontend path, in the document's syntax (`=/user`, `^~/user`, `/user/{id}`,
   * `~^/user/[0-9]+$`, `/user`) or as an {@link ApiPath}.
   */
  readonly path: string | ApiPath;
  /** HTTP method. WebSocket APIs use GET. @default 'GET' */
  readonly method?: HttpMethod;
  /** Authentication. @default Auth.none() */
  readonly auth?: Auth;
  /** CORS: `true` means `Access-Control-Allow-Origin: *`. @default - off */
  readonly cors?: boolean | Cors;
  /** Input parameters. Every `{param}` of the path must be declared here with `in: 'path'`. @default - none */
  readonly parameters?: ParameterOptions[];
  /** Where requests go. */
  readonly backend: Backend;
  /** Response documentation. @default - none */
  readonly response?: ResponseOptions;
}

/** Props of {@link Api}. */
export type ApiProps = ApiOptions;

/**
 * An API of a {@link Service}: a frontend (path, method, protocol), its
 * checks (parameters, auth, CORS) and a backend.
 */
export class Api extends Construct {
  /** The API's name in the config. */
  readonly apiName: string;
  private readonly props: ApiProps;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.props = props;
    this.apiName = props.apiName ?? id;
    const resolved = (typeof props.path === 'string' ? ApiPath.parse(props.path) : props.path).resolve();
    if ('match' in resolved && resolved.match === 'regex' && routeRegexLiteral(resolved.path) === undefined) {
      Annotations.of(this).addWarning(Messages.unindexedRegex(resolved.path));
    }
  }

  /** This API's config and the function code it needs bundled. */
  toConfig(): { config: ApiConfig; bundles: readonly FunctionBundle[]; pathError?: string } {
    const p = this.props;
    const path = typeof p.path === 'string' ? ApiPath.parse(p.path) : p.path;
    const resolved = path.resolve();
    const method = p.method ?? 'GET';
    const binding = p.backend.bind({ frontendMethod: method });
    const cors = p.cors === true ? Cors.ALL_ORIGINS : p.cors === false || p.cors === undefined ? undefined : p.cors;
    const config: ApiConfig = {
      name: this.apiName,
      ...(p.description !== undefined ? { description: p.description } : {}),
      frontend: {
        type: p.protocol ?? 'http',
        rawPath: path.raw,
        match: 'error' in resolved ? 'plain' : resolved.match,
        path: 'error' in resolved ? path.raw : resolved.path,
        method,
      },
      auth: (p.auth ?? Auth.none()).config,
      cors: cors ? cors.config : null,
      parameters: (p.parameters ?? []).map((x) => ({
        name: x.name,
        in: x.in,
        type: x.type ?? 'string',
        required: x.in === 'path' ? true : (x.required ?? false),
        ...(x.default !== undefined ? { default: x.default } : {}),
        ...(x.sample !== undefined ? { sample: x.sample } : {}),
        ...(x.description !== undefined ? { description: x.description } : {}),
      })),
      backend: binding.config,
      response: {
        ...(p.response?.contentType !== undefined ? { contentType: p.response.contentType } : {}),
        ...(p.response?.successSample !== undefined ? { successSample: p.response.successSample } : {}),
        ...(p.response?.failureSample !== undefined ? { failureSample: p.response.failureSample } : {}),
        errorCodes: (p.response?.errorCodes ?? []).map((e) => ({
          code: e.code,
          message: e.message,
          ...(e.description !== undefined ? { description: e.description } : {}),
        })),
      },
    };
    return { config, bundles: binding.bundles, ...('error' in resolved ? { pathError: resolved.error } : {}) };
  }
}
