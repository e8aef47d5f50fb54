/**
 * Rules of the gateway config that JSON Schema cannot express. Shared by the
 * constructs (at synth) and the runtime (at config load), so a document the
 * constructs accept is exactly a document the runtime accepts.
 */
import type { AppliedConfig } from './admin';
import { checkLinearRegex, MAX_REGEX_LENGTH } from './linear-regex';
import { pathParamNames } from './path-syntax';
import {
  BACKEND_KIND,
  bodySchemaSlowParts,
  checkBodySchema,
  checkErrorCodes,
  checkIpAccess,
  checkVerifierKeys,
  jwksOverHttp,
} from './policy-rules';
import type {
  ApiConfig,
  ConstantParameter,
  GatewayConfig,
  ParamType,
  Parameter,
  ParameterMapping,
  UsagePlanConfig,
} from './schema';

/** One problem in a config document; `field` is a JSON pointer into the document. */
export interface ConfigIssue {
  readonly field: string;
  readonly message: string;
}

/** `*` with credentials would let any site read answers made with the user's cookies. */
export const CORS_ANY_WITH_CREDENTIALS =
  'allowCredentials cannot be combined with allowOrigins ["*"]: list the origins that may send credentials';

/** Longest regular expression accepted for a route; longer ones are refused as a ReDoS risk. */
export const MAX_ROUTE_REGEX_LENGTH = MAX_REGEX_LENGTH;

/** Checks a value against a parameter data type; returns a message or undefined when it fits. */
export function checkParamValue(type: ParamType, value: string): string | undefined {
  switch (type) {
    case 'string':
      return undefined;
    case 'int':
      return /^-?\d{1,10}$/.test(value) && Math.abs(Number(value)) <= 2147483647 ? undefined : 'must be an int';
    case 'long':
      return /^-?\d{1,19}$/.test(value) && isLong(value) ? undefined : 'must be a long';
    case 'float':
    case 'double':
      return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) && Number.isFinite(Number(value))
        ? undefined
        : `must be a ${type}`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'must be true or false';
  }
}

function isLong(value: string): boolean {
  const n = BigInt(value);
  return n <= 9223372036854775807n && n >= -9223372036854775808n;
}

/** Checks that a route regular expression compiles and cannot backtrack catastrophically. */
export function checkRouteRegex(pattern: string): string | undefined {
  return checkLinearRegex(pattern, 'route regexes');
}

/** What is wrong with a backend origin, or undefined when it is `scheme://host[:port]` with an allowed scheme. */
export type OriginProblem = 'not-a-url' | 'scheme' | 'path' | 'credentials';

/** Checks an `http(s)://` or `ws(s)://` backend origin: scheme, host, optional port, and nothing else. */
export function originProblem(origin: string, schemes: readonly string[]): OriginProblem | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'not-a-url';
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) return 'scheme';
  if (url.username || url.password) return 'credentials';
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    origin.replace(/\/$/, '') !== url.origin ||
    url.search ||
    url.hash
  )
    return 'path';
  return undefined;
}

/** Checks a backend origin; returns a message or undefined when it is valid. */
export function checkOrigin(origin: string, schemes: readonly string[]): string | undefined {
  switch (originProblem(origin, schemes)) {
    case undefined:
      return undefined;
    case 'not-a-url':
      return `origin "${origin}" is not a valid URL`;
    case 'scheme':
      return `origin "${origin}" must start with ${schemes.map((s) => `${s}://`).join(' or ')}`;
    case 'credentials':
      return `origin "${origin}" must not carry credentials`;
    case 'path':
      return `origin "${origin}" must not have a path, query or fragment (put the path in the backend path)`;
  }
}

/**
 * A CORS origin as browsers send it, `scheme://host[:port]`, or a subdomain
 * pattern `scheme://*.example.com[:port]`. Host names only (the wildcard
 * stands for one or more labels); IPv6 literals in brackets without a wildcard.
 */
const CORS_ORIGIN =
  /^[a-z][a-z0-9+.-]*:\/\/(?:(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i;

/** True for `*`, an origin (`https://app.example.com:8443`) or a subdomain pattern (`https://*.example.com`). */
export function isCorsOrigin(origin: string): boolean {
  if (origin === '*') return true;
  const m = CORS_ORIGIN.exec(origin);
  return m !== null && (m[1] === undefined || Number(m[1]) <= 65535);
}

/**
 * Which parts of a document may be read by the rules: a JSON pointer is
 * usable when the schema found nothing wrong at it, above it or below it.
 * Rules run on every usable part, so one bad field hides no other mistake.
 */
export type PartIsValid = (pointer: string) => boolean;

const everyPartValid: PartIsValid = () => true;

/** The gateway's own path namespace; the default health path lives in it. */
export const RESERVED_PREFIX = '/__apigw/';
/** Where backends push to WebSocket connections (when a connections admin token is set). */
export const CONNECTIONS_PATH = `${RESERVED_PREFIX}connections/`;

/**
 * The rules over the live part of a config (what the admin API applies and
 * the Terraform provider plans): every rule but those about the start-bound
 * fields (listeners, admin listener, health path), which such a document
 * does not carry; the gateway checks those when it merges them in.
 */
export function checkAppliedConfigRules(config: AppliedConfig, valid: PartIsValid = everyPartValid): ConfigIssue[] {
  return checkConfigRules(config as unknown as GatewayConfig, valid);
}

/** Every rule beyond the schema, over the parts of a document that match the schema. */
export function checkConfigRules(config: GatewayConfig, valid: PartIsValid = everyPartValid): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (field: string, message: string): void => {
    issues.push({ field, message });
  };
  if (!isObject(config)) return issues;
  const apis: ApiConfig[] = Array.isArray(config.apis) ? config.apis : [];
  const names = new Map<string, number>();
  const routes = new Map<string, number>();
  const serviceValid = (part: string): boolean => valid(`/service/${part}`);
  // With `reject`, a request that carries a header name with "_" is refused: such a header can never be read.
  const unreadableHeader =
    isObject(config.service) &&
    serviceValid('limits/headersWithUnderscores') &&
    config.service.limits?.headersWithUnderscores === 'reject'
      ? (name: string) => name.includes('_')
      : () => false;

  apis.forEach((api, i) => {
    const at = `/apis/${i}`;
    const ok = (...parts: string[]): boolean => parts.every((part) => valid(`${at}/${part}`));
    if (ok('name')) {
      const seen = names.get(api.name);
      if (seen !== undefined) add(`${at}/name`, `API name "${api.name}" is already used by /apis/${seen}`);
      else names.set(api.name, i);
    }
    // Each rule reads only fields the schema accepted, so a bad timeout hides no bad origin.
    const route = ok('frontend/match', 'frontend/path', 'frontend/rawPath');
    if (route && ok('frontend/method')) {
      const routeKey = `${api.frontend.method} ${api.frontend.match} ${api.frontend.path}`;
      const sameRoute = routes.get(routeKey);
      if (sameRoute !== undefined)
        add(
          `${at}/frontend/path`,
          `${api.frontend.method} ${api.frontend.rawPath} is already declared by /apis/${sameRoute}`,
        );
      else routes.set(routeKey, i);
    }
    if (route) {
      checkFrontend(api, at, add);
      if (serviceValid('healthPath') && serviceValid('metricsPath') && serviceValid('connectionsAdminToken'))
        checkReservedPath(api, at, config.service, add);
      if (Array.isArray(api.parameters))
        checkParameters(api, at, add, (j) => valid(`${at}/parameters/${j}`), unreadableHeader);
    }
    if (ok('frontend/type', 'frontend/method') && api.frontend.type === 'websocket' && api.frontend.method !== 'GET')
      add(`${at}/frontend/method`, 'a WebSocket API is opened with GET');
    if (ok('backend/type'))
      checkBackend(api, at, add, {
        frontend: ok('frontend/type'),
        parameters: ok('parameters') && route,
        field: (name) => ok(`backend/${name}`),
      });
    if (ok('auth/type')) checkAuth(api, at, add, ok('name') ? usablePlans(config) : undefined, ok);
    if (
      ok('auth/type', 'auth/verifier/tokenLocation') &&
      api.auth.type === 'oauth2' &&
      api.auth.verifier.tokenLocation.from === 'header' &&
      unreadableHeader(api.auth.verifier.tokenLocation.name)
    )
      add(
        `${at}/auth/verifier/tokenLocation/name`,
        UNDERSCORE_HEADER(`token header "${api.auth.verifier.tokenLocation.name}"`),
      );
    if (ok('cors/allowOrigins')) checkCors(api, at, add);
    if (isObject(api)) {
      if (isObject(api.ipAccess)) checkIpAccess(api.ipAccess, `${at}/ipAccess`, add, valid);
      checkBodySchema(api, at, add, ok);
      checkErrorCodes(api, at, add, ok);
    }
    if (
      ok('cors/allowOrigins', 'cors/allowCredentials') &&
      api.cors?.allowCredentials &&
      api.cors.allowOrigins.includes('*')
    )
      add(`${at}/cors`, CORS_ANY_WITH_CREDENTIALS);
  });

  if (isObject(config.service)) checkService(config, apis, add, serviceValid, (i, part) => valid(`/apis/${i}/${part}`));
  return issues;
}

/**
 * Legal but suspicious: routes the gateway's own endpoints shadow in part.
 * Run over the same usable parts as the rules; `apigw check` prints them and
 * the constructs report them as warnings.
 */
export function checkConfigWarnings(config: GatewayConfig, valid: PartIsValid = everyPartValid): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  if (!isObject(config) || !isObject(config.service) || !Array.isArray(config.apis)) return warnings;
  if (!['healthPath', 'metricsPath', 'connectionsAdminToken'].every((p) => valid(`/service/${p}`))) return warnings;
  config.apis.forEach((api, i) => {
    if (!isObject(api)) return;
    if (valid(`/apis/${i}/bodySchema`)) warnings.push(...bodySchemaSlowParts(api, `/apis/${i}`));
    if (valid(`/apis/${i}/auth`) && api.auth.type === 'oauth2') {
      const plain = jwksOverHttp(api.auth.verifier, `/apis/${i}/auth/verifier`);
      if (plain) warnings.push(plain);
    }
    if (!valid(`/apis/${i}/frontend`)) return;
    const shadow = shadowedBy(api, config.service);
    if (shadow) warnings.push({ field: `/apis/${i}/frontend/path`, message: shadow });
  });
  return warnings;
}

function isObject(v: unknown): v is Record<string, never> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Add = (field: string, message: string) => void;

function checkFrontend(api: ApiConfig, at: string, add: Add): void {
  const { frontend } = api;
  if (frontend.match === 'regex') {
    const problem = checkRouteRegex(frontend.path);
    if (problem) add(`${at}/frontend/path`, problem);
  } else {
    if (!frontend.path.startsWith('/')) add(`${at}/frontend/path`, 'must start with "/"');
    if (frontend.match !== 'param' && pathParamNames(frontend.path).length > 0)
      add(
        `${at}/frontend/path`,
        `{param} placeholders are only allowed in dynamic paths, not in ${frontend.match} paths`,
      );
    if (frontend.match === 'param' && pathParamNames(frontend.path).length === 0)
      add(`${at}/frontend/path`, 'a dynamic path needs at least one {param}');
  }
}

/** An endpoint of the gateway's own: requests for it never reach an API (except WebSocket upgrades). */
interface ReservedPath {
  readonly path: string;
  readonly what: string;
  /** `path` and everything under it. */
  readonly prefix: boolean;
  /** The methods the gateway answers there; undefined for all. */
  readonly methods?: readonly string[];
}

/** The gateway's own endpoints, as the request handler checks them before routing. */
function reservedPaths(service: GatewayConfig['service']): ReservedPath[] {
  const out: ReservedPath[] = [];
  // An applied config has no health path: it is bound at start, and checked when the gateway merges it in.
  if (service.healthPath !== undefined)
    out.push({ path: service.healthPath, what: 'health path', prefix: false, methods: ['GET', 'HEAD'] });
  // With a metrics listener the public listeners do not answer the metrics path. (An applied config has no
  // listeners: the path is taken as reserved, and the gateway checks again with its own listeners merged in.)
  if (service.metricsPath !== undefined && service.listeners?.metrics === undefined)
    out.push({ path: service.metricsPath, what: 'metrics path', prefix: false, methods: ['GET'] });
  if (service.connectionsAdminToken !== undefined)
    out.push({ path: CONNECTIONS_PATH, what: 'WebSocket connections endpoint', prefix: true });
  return out;
}

function answers(r: ReservedPath): string {
  return `the gateway answers ${r.methods ? `${r.methods.join(' and ')} ` : ''}${r.path} itself (its ${r.what})`;
}

/** Whether the gateway answers every request this route matches (upgrades are routed before it answers any). */
function unreachable(api: ApiConfig, r: ReservedPath): boolean {
  const { type, match, path, method } = api.frontend;
  if (type === 'websocket' || match === 'regex') return false;
  if (r.prefix) return literalPrefix(api).startsWith(r.path);
  return match === 'exact' && path === r.path && (r.methods?.includes(method) ?? true);
}

/** A route no request can reach is an error. */
function checkReservedPath(api: ApiConfig, at: string, service: GatewayConfig['service'], add: Add): void {
  const r = reservedPaths(service).find((x) => unreachable(api, x));
  if (r) add(`${at}/frontend/path`, `${answers(r)}, so no request reaches this API`);
}

/** A warning when the gateway answers some of the paths a route matches, or the route is in its namespace. */
function shadowedBy(api: ApiConfig, service: GatewayConfig['service']): string | undefined {
  const { match, path } = api.frontend;
  if (match === 'regex') return undefined;
  const reserved = reservedPaths(service);
  // Unreachable routes are errors (checkReservedPath), not warnings.
  if (reserved.some((r) => unreachable(api, r))) return undefined;
  const own = literalPrefix(api);
  for (const r of reserved) {
    // A catch-all such as `^~/` covers the health path too; only routes written at or inside it are suspicious.
    const near = own.startsWith(RESERVED_PREFIX) || own.startsWith(r.path);
    if (near && covers(api, r.path)) return `${answers(r)}, before any API`;
  }
  if (own.startsWith(RESERVED_PREFIX))
    return `${path} is under ${RESERVED_PREFIX}, which the gateway reserves for its own endpoints`;
  return undefined;
}

/** The literal start of every path a non-regex route matches. */
function literalPrefix(api: ApiConfig): string {
  const { match, path } = api.frontend;
  return match === 'param' ? path.slice(0, path.indexOf('{')) : path;
}

/** Whether a non-regex route matches the request path `p`. */
function covers(api: ApiConfig, p: string): boolean {
  const { match, path } = api.frontend;
  switch (match) {
    case 'exact':
      return p === path;
    case 'prefix':
    case 'plain':
      return p.startsWith(path);
    case 'param': {
      const source = path
        .split(/\{[^{}/]+\}/)
        .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+');
      return new RegExp(`^${source}$`).test(p);
    }
    default:
      return false;
  }
}

/** Why a header the API reads can never arrive (`limits.headersWithUnderscores: 'reject'`). */
const UNDERSCORE_HEADER = (what: string): string =>
  `${what} can never be sent: limits.headersWithUnderscores is "reject", which refuses every request with "_" in a header name (use "-")`;

function checkParameters(
  api: ApiConfig,
  at: string,
  add: Add,
  itemValid: (index: number) => boolean,
  unreadableHeader: (name: string) => boolean,
): void {
  const declared = new Set<string>();
  const inPath =
    api.frontend.match === 'param'
      ? pathParamNames(api.frontend.path)
      : api.frontend.match === 'regex'
        ? regexGroupNames(api.frontend.path)
        : [];
  const pathSet = new Set(inPath);
  if (pathSet.size !== inPath.length) add(`${at}/frontend/path`, 'a {param} name appears twice in the path');

  api.parameters.forEach((p, j) => {
    // A parameter with a bad type still declares its name.
    if (!isObject(p) || typeof p.name !== 'string' || typeof p.in !== 'string') return;
    const pat = `${at}/parameters/${j}`;
    const key = `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
    if (declared.has(key)) add(`${pat}/name`, `${p.in} parameter "${p.name}" is declared twice`);
    declared.add(key);
    if (!itemValid(j)) return;
    if (p.in === 'path' && !pathSet.has(p.name))
      add(
        `${pat}/name`,
        api.frontend.match === 'regex'
          ? `path parameter "${p.name}" is not a named group (?<${p.name}>...) of ${api.frontend.rawPath}`
          : `path parameter "${p.name}" does not appear as {${p.name}} in the path ${api.frontend.rawPath}`,
      );
    if (p.in === 'header' && unreadableHeader(p.name))
      add(`${pat}/name`, UNDERSCORE_HEADER(`header parameter "${p.name}"`));
    if (p.in === 'path' && p.default !== undefined)
      add(`${pat}/default`, `path parameter "${p.name}" cannot have a default`);
    checkParamSample(p, pat, add);
  });
  for (const name of inPath) {
    if (!declared.has(`path:${name}`))
      add(`${at}/parameters`, `{${name}} in the path ${api.frontend.rawPath} must be declared as a path parameter`);
  }
}

/** Named capture groups of a route regex: they are the route's path parameters. */
export function regexGroupNames(pattern: string): string[] {
  return [...pattern.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1] as string);
}

function checkParamSample(p: Parameter, pat: string, add: Add): void {
  for (const field of ['default', 'sample'] as const) {
    const value = p[field];
    if (value === undefined) continue;
    const problem = checkParamValue(p.type, value);
    if (problem) add(`${pat}/${field}`, `${field} "${value}" of ${p.in} parameter "${p.name}" ${problem}`);
  }
}

function checkBackend(
  api: ApiConfig,
  at: string,
  add: Add,
  usable: {
    readonly frontend: boolean;
    readonly parameters: boolean;
    readonly field: (name: string) => boolean;
  },
): void {
  const { backend } = api;
  const bat = `${at}/backend`;
  if (usable.frontend) {
    const httpFrontend = api.frontend.type === 'http';
    const fits = httpFrontend
      ? backend.type === 'http' || backend.type === 'scf' || backend.type === 'mock'
      : backend.type === 'websocket' || backend.type === 'websocketFunctions';
    if (!fits) {
      add(`${bat}/type`, `${FRONTEND_KIND[api.frontend.type]} cannot use ${BACKEND_KIND[backend.type]}`);
      return;
    }
  }
  if (backend.type === 'http' || backend.type === 'websocket') {
    if (usable.field('origin')) {
      const problem = checkOrigin(backend.origin, backend.type === 'http' ? ['http', 'https'] : ['ws', 'wss']);
      if (problem) add(`${bat}/origin`, problem);
    }
    const targets = usable.field('parameterMappings') && usable.field('constants');
    if (targets) checkBackendTargets(backend.parameterMappings, backend.constants, bat, add);
    if (targets && usable.parameters && usable.field('path'))
      checkMappingSources(api, backend.parameterMappings, backend.constants, backend.path, bat, add);
  }
  if (
    backend.type === 'mock' &&
    usable.field('body') &&
    usable.field('isBase64Encoded') &&
    backend.isBase64Encoded &&
    !/^[A-Za-z0-9+/]*={0,2}$/.test(backend.body)
  )
    add(`${bat}/body`, 'is not valid base64, but isBase64Encoded is set');
}

const FRONTEND_KIND: Record<ApiConfig['frontend']['type'], string> = {
  http: 'an HTTP API',
  websocket: 'a WebSocket API',
};

function checkMappingSources(
  api: ApiConfig,
  mappings: readonly ParameterMapping[],
  constants: readonly ConstantParameter[],
  backendPath: string,
  bat: string,
  add: Add,
): void {
  const declared = new Set(api.parameters.map((p) => `${p.in}:${p.name}`));
  const pathTargets = new Set<string>();
  mappings.forEach((m, k) => {
    if (!declared.has(`${m.from.in}:${m.from.name}`))
      add(
        `${bat}/parameterMappings/${k}/from`,
        `mapping reads ${m.from.in} parameter "${m.from.name}", which the API does not declare`,
      );
    if (m.to.in === 'path') pathTargets.add(m.to.name);
  });
  constants.forEach((c) => {
    if (c.in === 'path') pathTargets.add(c.name);
  });
  for (const name of pathParamNames(backendPath)) {
    if (!pathTargets.has(name) && !declared.has(`path:${name}`))
      add(
        `${bat}/path`,
        `backend path ${backendPath} uses {${name}}, which is neither a path parameter of the API nor mapped to one`,
      );
  }
}

/** Each backend header, query or path parameter is set once: a second value would silently replace the first. */
function checkBackendTargets(
  mappings: readonly ParameterMapping[],
  constants: readonly ConstantParameter[],
  bat: string,
  add: Add,
): void {
  const seen = new Map<string, string>();
  const target = (to: { in: string; name: string }, field: string, what: string): void => {
    // Header names are case-insensitive: `Host` and `host` are the same header.
    const key = `${to.in}:${to.in === 'header' ? to.name.toLowerCase() : to.name}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, what);
    else
      add(
        field,
        `${to.in} "${to.name}" is set twice, by ${first} and by ${what}${to.in === 'header' ? ' (header names are case-insensitive)' : ''}`,
      );
  };
  mappings.forEach((m, k) =>
    target(m.to, `${bat}/parameterMappings/${k}/to`, `the mapping from ${m.from.in} "${m.from.name}"`),
  );
  constants.forEach((c, k) => target(c, `${bat}/constants/${k}`, `constant "${c.name}"`));
}

/** Usage plans whose `apis` can be read, for the rule that a key-pair API needs one. */
function usablePlans(config: GatewayConfig): UsagePlanConfig[] | undefined {
  const plans: unknown = isObject(config.service) ? config.service.usagePlans : undefined;
  if (!Array.isArray(plans)) return undefined;
  return plans.filter(
    (plan): plan is UsagePlanConfig => isObject(plan) && (plan.apis === undefined || Array.isArray(plan.apis)),
  );
}

function checkAuth(
  api: ApiConfig,
  at: string,
  add: Add,
  usagePlans: readonly UsagePlanConfig[] | undefined,
  ok: (...parts: string[]) => boolean,
): void {
  const { auth } = api;
  if (auth.type === 'keyPair' && usagePlans) {
    const covered = usagePlans.some((plan) => !plan.apis || plan.apis.includes(api.name));
    if (!covered) add(`${at}/auth`, 'key pair authentication needs a usage plan that covers this API');
  }
  if (auth.type === 'oauth2' && !ok('auth/verifier/publicKeyPem', 'auth/verifier/jwks', 'auth/verifier/remoteJwks'))
    return;
  if (auth.type === 'oauth2') {
    const v = auth.verifier;
    const aat = `${at}/auth/verifier`;
    checkVerifierKeys(v, aat, add);
    if (v.publicKeyPem !== undefined && !v.publicKeyPem.includes('-----BEGIN PUBLIC KEY-----'))
      add(`${aat}/publicKeyPem`, 'must be a PEM "PUBLIC KEY" (SPKI)');
    if (v.jwks !== undefined) {
      try {
        const doc = JSON.parse(v.jwks) as { keys?: unknown };
        if (!Array.isArray(doc.keys) || doc.keys.length === 0)
          add(`${aat}/jwks`, 'must be a JWKS document with a non-empty "keys" array');
      } catch {
        add(`${aat}/jwks`, 'is not valid JSON');
      }
    }
  }
}

function checkCors(api: ApiConfig, at: string, add: Add): void {
  api.cors?.allowOrigins?.forEach((origin, j) => {
    if (!isCorsOrigin(origin))
      add(
        `${at}/cors/allowOrigins/${j}`,
        `"${origin}" is not an origin: write scheme://host[:port], https://*.example.com for subdomains, or *`,
      );
  });
}

function checkService(
  config: GatewayConfig,
  apis: readonly ApiConfig[],
  add: Add,
  valid: (part: string) => boolean,
  apiValid: (index: number, part: string) => boolean,
): void {
  const { service } = config;
  // Listeners are bound at start: an applied config has none (see checkAppliedConfigRules).
  if (valid('listeners') && (service.listeners as unknown) !== undefined) {
    const { http, https } = service.listeners;
    if (!http && !https) add('/service/listeners', 'a service needs an HTTP or an HTTPS listener');
    if (http && https && http.port !== 0 && http.port === https.port && http.host === https.host)
      add('/service/listeners/https/port', `HTTP and HTTPS cannot both listen on port ${http.port}`);
    const admin = service.admin;
    if (admin && valid('admin') && admin.port !== 0 && [http?.port, https?.port].includes(admin.port))
      add('/service/admin/port', `the admin listener cannot share port ${admin.port} with a public listener`);
    const metrics = service.listeners.metrics;
    if (
      metrics &&
      metrics.port !== 0 &&
      [http?.port, https?.port, valid('admin') ? admin?.port : undefined].includes(metrics.port)
    )
      add(
        '/service/listeners/metrics/port',
        `the metrics listener cannot share port ${metrics.port} with the public or admin listeners`,
      );
    if (http?.redirectToHttps && !https)
      add('/service/listeners/http/redirectToHttps', 'redirecting to HTTPS needs an HTTPS listener');
    if (
      https?.defaultDomain !== undefined &&
      !https.certificates.some((c) => c.domains.includes(https.defaultDomain as string))
    )
      add(
        '/service/listeners/https/defaultDomain',
        `no certificate serves the default domain "${https.defaultDomain}"`,
      );
  }
  if (
    valid('metricsPath') &&
    valid('healthPath') &&
    service.metricsPath !== undefined &&
    service.metricsPath === service.healthPath
  )
    add('/service/metricsPath', `the metrics path must differ from the health path (${service.healthPath})`);

  const defaults = service.apiDefaults;
  if (isObject(defaults) && isObject(defaults.ipAccess))
    checkIpAccess(defaults.ipAccess, '/service/apiDefaults/ipAccess', add, (p) => valid(p.slice('/service/'.length)));

  // Key pairs and plans are read one by one: a bad plan hides nothing about the others.
  const keyIds = new Set<string>();
  const keyPairs: unknown[] = Array.isArray(service.keyPairs) ? service.keyPairs : [];
  keyPairs.forEach((k, i) => {
    if (!isObject(k) || typeof k.secretId !== 'string') return;
    if (keyIds.has(k.secretId)) add(`/service/keyPairs/${i}/secretId`, `key pair "${k.secretId}" is declared twice`);
    keyIds.add(k.secretId);
  });
  const plans: unknown[] = Array.isArray(service.usagePlans) ? service.usagePlans : [];
  // An API whose name is invalid is still the API a plan names.
  const byName = new Map<string, number>();
  apis.forEach((a, i) => {
    if (isObject(a) && typeof a.name === 'string' && !byName.has(a.name)) byName.set(a.name, i);
  });
  const planNames = new Set<string>();
  plans.forEach((entry, i) => {
    if (!isObject(entry)) return;
    const plan = entry as unknown as UsagePlanConfig;
    const pat = `/service/usagePlans/${i}`;
    if (valid(`usagePlans/${i}/name`)) {
      if (planNames.has(plan.name)) add(`${pat}/name`, `usage plan "${plan.name}" is declared twice`);
      planNames.add(plan.name);
    }
    if (valid(`usagePlans/${i}/keyPairs`))
      plan.keyPairs.forEach((id, j) => {
        if (!keyIds.has(id))
          add(
            `${pat}/keyPairs/${j}`,
            `usage plan "${plan.name}" names key pair "${id}", which the service does not declare`,
          );
      });
    if (!valid(`usagePlans/${i}/apis`) || plan.apis === undefined) return;
    const limited = plan.rateLimitPerSecond !== undefined || plan.quota !== undefined;
    plan.apis.forEach((name, j) => {
      const index = byName.get(name);
      if (index === undefined) {
        add(`${pat}/apis/${j}`, `usage plan "${plan.name}" names API "${name}", which the service does not declare`);
        return;
      }
      const api = apis[index] as ApiConfig;
      // Plans apply to key-pair requests only: on any other API the limit is silently never counted.
      if (limited && apiValid(index, 'auth') && api.auth.type !== 'keyPair')
        add(
          `${pat}/apis/${j}`,
          `usage plan "${plan.name}" limits API "${name}", which does not use key-pair authentication, so the limit never applies`,
        );
    });
  });
}
