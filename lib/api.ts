/** One API of a service. */
import { Annotations, Aspects } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import { routeRegexLiteral, type ApiConfig, type HttpMethod, type ParamLocation, type ParamType } from '../model';
import { findingsFromHost } from './api-findings';
import { ApiPath } from './api-path';
import { Auth } from './auth';
import type { Backend, FunctionBundle, HandlerCheck } from './backends/backend';
import { PROBE_TIMEOUT_MS, probeHandler, type ProbeResult } from './backends/handler-probe';
import { checkApi, Problems, type PropProblem } from './checks';
import { Cors } from './cors';
import { Messages } from './messages';
import { ipAccessConfig, type ErrorSource, type IpAccessOptions } from './traffic-policies';

/** An input parameter of an API. */
export interface ParameterOptions {
  /** Parameter name, 1 to 128 characters (header names are case-insensitive). */
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
  /** Error codes the API returns (in the OpenAPI document); with `from`, backend answers converted to them. @default - none */
  readonly errorCodes?: ErrorCodeOptions[];
}

/** An error code of an API. */
export interface ErrorCodeOptions {
  /** The code, as the client reads it in `code`. */
  readonly code: string;
  /** The message the client reads. */
  readonly message: string;
  /** What it means, for documentation. @default - none */
  readonly description?: string;
  /** HTTP status the client gets with it (400 to 599); needed with `from`. @default - not documented */
  readonly status?: number;
  /**
   * Backend answers the gateway replaces with `{ "code", "message", "requestId" }` and `status`:
   * `ErrorSource.backendStatus(404)` or `ErrorSource.functionError('PetNotFound')`.
   * @default - documentation only
   */
  readonly from?: ErrorSource;
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
  /**
   * HTTP method: `GET`, `POST`, `PUT`, `DELETE`, `HEAD`, `PATCH`, `OPTIONS`, or `ANY` for all of these.
   *
   * A GET API also serves HEAD. At the same path, an API of the request's own method wins over an `ANY` API
   * (see the README's "Route matching"). With `cors` on, the gateway answers CORS preflights itself, so an
   * `OPTIONS` or `ANY` API gets only the other `OPTIONS` requests. WebSocket APIs use GET.
   * @default 'GET'
   */
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
  /** IP allow/deny lists; replaces the service's `apiDefaults.ipAccess`. @default - the service's default */
  readonly ipAccess?: IpAccessOptions;
  /**
   * Requests per second the API admits from all callers together, per gateway instance (`429 ApiRateLimited`
   * with `Retry-After` beyond it); separate from usage plans. Replaces the service's default.
   * @default - the service's `apiDefaults.rateLimitPerSecond`, else unlimited
   */
  readonly rateLimitPerSecond?: number;
  /**
   * JSON Schema (2020-12) of the request body, as an object or JSON text: requests must carry a JSON body
   * (`application/json`) it accepts, or get `400 InvalidBody` (or `415`) before the backend is called.
   * Such an API reads its bodies whole (up to `limits.maxBodyBytes`) instead of streaming them.
   * @default - bodies are not checked
   */
  readonly bodySchema?: Record<string, unknown> | boolean | string;
}

/** Props of {@link Api}. */
export type ApiProps = ApiOptions;

/**
 * An API of a {@link Service}: a frontend (path, method, protocol), its
 * checks (parameters, auth, CORS) and a backend.
 *
 * Its mistakes are reported at synth under its own construct path, all at
 * once: the props it checks itself, the rules of the config its service
 * validates, and bundled function handlers that the code does not export.
 */
export class Api extends Construct {
  /** The API's name in the config. */
  readonly apiName: string;
  private readonly props: ApiProps;
  private built: BuiltApi | undefined;
  private handlers: ApiFindingsList | undefined;
  private warned = false;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.props = props;
    this.apiName = props.apiName ?? id;
    this.node.addValidation({ validate: () => this.validateApi() });
    // Warnings are annotations, added once the tree is final.
    Aspects.of(this).add({
      visit: (node: IConstruct) => {
        if (node === this) this.addWarnings();
      },
    });
    const resolved = (typeof props.path === 'string' ? ApiPath.parse(props.path) : props.path).resolve();
    if ('match' in resolved && resolved.match === 'regex' && routeRegexLiteral(resolved.path) === undefined) {
      Annotations.of(this).addWarning(Messages.unindexedRegex(resolved.path));
    }
  }

  /**
   * This API's config, the function code it needs bundled, and the mistakes
   * in its props (each with the config field it stands for).
   */
  toConfig(): { config: ApiConfig; bundles: readonly FunctionBundle[]; problems: readonly PropProblem[] } {
    this.built ??= this.build();
    return this.built;
  }

  private build(): BuiltApi {
    const p = this.props;
    const problems = new Problems();
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
          ...(e.status !== undefined ? { status: e.status } : {}),
          ...(e.from !== undefined ? { from: e.from.config } : {}),
        })),
      },
      ...(p.ipAccess ? { ipAccess: ipAccessConfig(p.ipAccess) } : {}),
      ...(p.rateLimitPerSecond !== undefined ? { rateLimitPerSecond: p.rateLimitPerSecond } : {}),
      ...(p.bodySchema !== undefined ? { bodySchema: bodySchemaText(p.bodySchema, problems) } : {}),
    };
    checkApi(config, 'error' in resolved ? resolved.error : undefined, problems);
    for (const problem of binding.problems ?? []) problems.add(problem.field, problem.message);
    return { config, bundles: binding.bundles, problems: problems.list, handlers: binding.handlers ?? [] };
  }

  /** Every mistake of this API, in prop order; cdktf prints the construct path in front of each. */
  private validateApi(): string[] {
    const own = this.toConfig().problems;
    const found = findingsFromHost(this).errors;
    return byProp([...own, ...found, ...this.checkHandlers().errors]).map((p) => p.message);
  }

  private addWarnings(): void {
    if (this.warned) return;
    this.warned = true;
    const warnings = [...findingsFromHost(this).warnings, ...this.checkHandlers().warnings];
    for (const w of byProp(warnings)) Annotations.of(this).addWarning(w.message);
  }

  /** Loads each bundled handler once per synth; a missing export is an error, code that cannot load a warning. */
  private checkHandlers(): ApiFindingsList {
    if (this.handlers) return this.handlers;
    this.toConfig();
    const { problems, handlers } = this.built as BuiltApi;
    const errors: PropProblem[] = [];
    const warnings: PropProblem[] = [];
    for (const h of handlers) {
      // A handler already reported as malformed is not loaded.
      if (problems.some((p) => p.field.startsWith(h.field))) continue;
      const finding = describeProbe(h, probeOnce(this.node.root, h));
      if (finding)
        (finding.warning ? warnings : errors).push({ field: `${h.field}/handler`, message: finding.message });
    }
    this.handlers = { errors, warnings };
    return this.handlers;
  }
}

/** The schema as the config holds it: JSON text. */
function bodySchemaText(schema: Record<string, unknown> | boolean | string, problems: Problems): string {
  if (typeof schema === 'string') return schema;
  try {
    return JSON.stringify(schema);
  } catch (err) {
    problems.add('/bodySchema', Messages.notJson('bodySchema', (err as Error).message));
    return '{}';
  }
}

interface BuiltApi {
  readonly config: ApiConfig;
  readonly bundles: readonly FunctionBundle[];
  readonly problems: readonly PropProblem[];
  readonly handlers: readonly HandlerCheck[];
}

interface ApiFindingsList {
  readonly errors: PropProblem[];
  readonly warnings: PropProblem[];
}

/** One probe per handler and app: many APIs often share one function. */
const probes = new WeakMap<IConstruct, Map<string, ProbeResult>>();

function probeOnce(root: IConstruct, h: HandlerCheck): ProbeResult {
  let cache = probes.get(root);
  if (!cache) {
    cache = new Map();
    probes.set(root, cache);
  }
  const key = `${h.dir}\0${h.handler}\0${h.memoryMb}`;
  let result = cache.get(key);
  if (!result) {
    result = probeHandler(h.dir, h.handler, h.memoryMb);
    cache.set(key, result);
  }
  return result;
}

function describeProbe(h: HandlerCheck, result: ProbeResult): { message: string; warning: boolean } | undefined {
  const dot = h.handler.lastIndexOf('.');
  const file = h.handler.slice(0, dot);
  const name = h.handler.slice(dot + 1);
  switch (result.kind) {
    case 'exported':
      return undefined;
    case 'no-folder':
      return { message: Messages.codeFolderMissing(h.prop.replace(/ handler$/, ''), h.dir), warning: false };
    case 'not-exported':
      return { message: Messages.handlerNotExported(h.prop, file, name, result.functions), warning: false };
    case 'not-found':
      return { message: Messages.handlerNotFound(h.prop, file, h.dir, result.reason), warning: false };
    case 'load-failed':
      return { message: Messages.handlerLoadFailed(h.prop, file, name, result.reason), warning: true };
    case 'timed-out':
      return { message: Messages.handlerLoadTimedOut(h.prop, file, name, PROBE_TIMEOUT_MS / 1000), warning: true };
  }
}

/** The order props are written in: name, path and method, parameters, auth, CORS, backend, response. */
const PROP_ORDER = [
  '/name',
  '/frontend',
  '/parameters',
  '/auth',
  '/cors',
  '/ipAccess',
  '/rateLimitPerSecond',
  '/bodySchema',
  '/backend',
  '/response',
];

function byProp<T extends PropProblem>(list: readonly T[]): T[] {
  const rank = (p: PropProblem): number => {
    const i = PROP_ORDER.findIndex((f) => p.field === f || p.field.startsWith(`${f}/`));
    return i < 0 ? PROP_ORDER.length : i;
  };
  return [...list].sort((a, b) => rank(a) - rank(b));
}
