/**
 * Rules of the gateway config that JSON Schema cannot express. Shared by the
 * constructs (at synth) and the runtime (at config load), so a document the
 * constructs accept is exactly a document the runtime accepts.
 */
import safeRegex from 'safe-regex2';
import { pathParamNames } from './path-syntax';
import type { AppliedConfig } from './admin';
import type { ApiConfig, GatewayConfig, ParamType, Parameter } from './schema';

/** One problem in a config document; `field` is a JSON pointer into the document. */
export interface ConfigIssue {
  readonly field: string;
  readonly message: string;
}

/** Longest regular expression accepted for a route; longer ones are refused as a ReDoS risk. */
export const MAX_ROUTE_REGEX_LENGTH = 512;

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
  if (pattern.length > MAX_ROUTE_REGEX_LENGTH)
    return `regular expression is longer than ${MAX_ROUTE_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `regular expression does not compile: ${(err as Error).message}`;
  }
  // The gateway bounds matching time with V8's linear-time engine, which has neither.
  if (/\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern))
    return 'regular expression uses a backreference or lookaround; route regexes must run in linear time';
  if (!safeRegex(pattern)) return 'regular expression can backtrack catastrophically (nested quantifiers); rewrite it';
  return undefined;
}

/** Checks an `http(s)://` or `ws(s)://` origin: scheme, host, optional port, and no path, query or fragment. */
export function checkOrigin(origin: string, schemes: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `origin "${origin}" is not a valid URL`;
  }
  if (!schemes.includes(url.protocol.slice(0, -1)))
    return `origin "${origin}" must start with ${schemes.map((s) => `${s}://`).join(' or ')}`;
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    origin.replace(/\/$/, '') !== url.origin ||
    url.search ||
    url.hash
  )
    return `origin "${origin}" must not have a path, query or fragment (put the path in the backend path)`;
  if (url.username || url.password) return `origin "${origin}" must not carry credentials`;
  return undefined;
}

/** Every rule beyond the schema, over a whole document. The document must already match the schema. */
export function checkConfigRules(config: GatewayConfig): ConfigIssue[] {
  const issues = checkAppliedConfigRules(config);
  checkStartBound(config, (field, message) => issues.push({ field, message }));
  return issues;
}

/**
 * The rules over the live part of a config (what the admin API applies):
 * everything but the listeners and the admin listener, which are bound at
 * start. The document must already match the schema.
 */
export function checkAppliedConfigRules(config: AppliedConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (field: string, message: string): void => {
    issues.push({ field, message });
  };
  const names = new Map<string, number>();
  const routes = new Map<string, number>();

  config.apis.forEach((api, i) => {
    const at = `/apis/${i}`;
    const seen = names.get(api.name);
    if (seen !== undefined) add(`${at}/name`, `API name "${api.name}" is already used by /apis/${seen}`);
    else names.set(api.name, i);

    const routeKey = `${api.frontend.method} ${api.frontend.match} ${api.frontend.path}`;
    const sameRoute = routes.get(routeKey);
    if (sameRoute !== undefined)
      add(
        `${at}/frontend/path`,
        `${api.frontend.method} ${api.frontend.rawPath} is already declared by /apis/${sameRoute}`,
      );
    else routes.set(routeKey, i);

    checkFrontend(api, at, add);
    checkParameters(api, at, add);
    checkBackend(api, at, add);
    checkAuth(api, at, add, config);
    if (
      api.frontend.match !== 'regex' &&
      [config.service.healthPath, config.service.metricsPath].includes(api.frontend.path)
    )
      add(`${at}/frontend/path`, `path ${api.frontend.path} is reserved by the gateway (health or metrics path)`);
  });

  checkService(config, add);
  return issues;
}

type Add = (field: string, message: string) => void;

function checkFrontend(api: ApiConfig, at: string, add: Add): void {
  const { frontend } = api;
  if (frontend.match === 'regex') {
    const problem = checkRouteRegex(frontend.path);
    if (problem) add(`${at}/frontend/path`, problem);
  } else {
    if (!frontend.path.startsWith('/')) add(`${at}/frontend/path`, 'path must start with "/"');
    if (frontend.match !== 'param' && pathParamNames(frontend.path).length > 0)
      add(
        `${at}/frontend/path`,
        `{param} placeholders are only allowed in dynamic paths, not in ${frontend.match} paths`,
      );
    if (frontend.match === 'param' && pathParamNames(frontend.path).length === 0)
      add(`${at}/frontend/path`, 'a dynamic path needs at least one {param}');
  }
  if (frontend.type === 'websocket' && frontend.method !== 'GET')
    add(`${at}/frontend/method`, 'a WebSocket API is opened with GET');
}

function checkParameters(api: ApiConfig, at: string, add: Add): void {
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
    const pat = `${at}/parameters/${j}`;
    const key = `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
    if (declared.has(key)) add(`${pat}/name`, `${p.in} parameter "${p.name}" is declared twice`);
    declared.add(key);
    if (p.in === 'path' && !pathSet.has(p.name))
      add(
        `${pat}/name`,
        api.frontend.match === 'regex'
          ? `path parameter "${p.name}" is not a named group (?<${p.name}>...) of ${api.frontend.rawPath}`
          : `path parameter "${p.name}" does not appear as {${p.name}} in the path ${api.frontend.rawPath}`,
      );
    if (p.in === 'path' && p.default !== undefined) add(`${pat}/default`, 'a path parameter cannot have a default');
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

function checkBackend(api: ApiConfig, at: string, add: Add): void {
  const { backend } = api;
  const bat = `${at}/backend`;
  const httpFrontend = api.frontend.type === 'http';
  const fits = httpFrontend
    ? backend.type === 'http' || backend.type === 'scf' || backend.type === 'mock'
    : backend.type === 'websocket' || backend.type === 'websocketFunctions';
  if (!fits) {
    add(`${bat}/type`, `a ${api.frontend.type} frontend cannot use a ${backend.type} backend`);
    return;
  }
  if (backend.type === 'http' || backend.type === 'websocket') {
    const problem = checkOrigin(backend.origin, backend.type === 'http' ? ['http', 'https'] : ['ws', 'wss']);
    if (problem) add(`${bat}/origin`, problem);
    const declared = new Set(api.parameters.map((p) => `${p.in}:${p.name}`));
    const pathTargets = new Set<string>();
    backend.parameterMappings.forEach((m, k) => {
      if (!declared.has(`${m.from.in}:${m.from.name}`))
        add(
          `${bat}/parameterMappings/${k}/from`,
          `mapping reads ${m.from.in} parameter "${m.from.name}", which the API does not declare`,
        );
      if (m.to.in === 'path') pathTargets.add(m.to.name);
    });
    backend.constants.forEach((c) => {
      if (c.in === 'path') pathTargets.add(c.name);
    });
    for (const name of pathParamNames(backend.path)) {
      if (!pathTargets.has(name) && !declared.has(`path:${name}`))
        add(
          `${bat}/path`,
          `backend path ${backend.path} uses {${name}}, which is neither a path parameter of the API nor mapped to one`,
        );
    }
  }
  if (backend.type === 'mock' && backend.isBase64Encoded && !/^[A-Za-z0-9+/]*={0,2}$/.test(backend.body))
    add(`${bat}/body`, 'body is flagged base64 but is not valid base64');
}

function checkAuth(api: ApiConfig, at: string, add: Add, config: AppliedConfig): void {
  const { auth } = api;
  if (auth.type === 'keyPair') {
    const covered = config.service.usagePlans.some((plan) => !plan.apis || plan.apis.includes(api.name));
    if (!covered) add(`${at}/auth`, 'key pair authentication needs a usage plan that covers this API');
  }
  if (auth.type === 'oauth2') {
    const v = auth.verifier;
    const aat = `${at}/auth/verifier`;
    if ((v.publicKeyPem === undefined) === (v.jwks === undefined)) add(aat, 'give exactly one of publicKeyPem or jwks');
    if (v.publicKeyPem !== undefined && !v.publicKeyPem.includes('-----BEGIN PUBLIC KEY-----'))
      add(`${aat}/publicKeyPem`, 'publicKeyPem must be a PEM "PUBLIC KEY" (SPKI)');
    if (v.jwks !== undefined) {
      try {
        const doc = JSON.parse(v.jwks) as { keys?: unknown };
        if (!Array.isArray(doc.keys) || doc.keys.length === 0)
          add(`${aat}/jwks`, 'jwks must be a JWKS document with a non-empty "keys" array');
      } catch {
        add(`${aat}/jwks`, 'jwks is not valid JSON');
      }
    }
  }
}

/** Listeners and the admin listener: bound at start, so only a full config document has them. */
function checkStartBound(config: GatewayConfig, add: Add): void {
  const { service } = config;
  const { http, https } = service.listeners;
  if (!http && !https) add('/service/listeners', 'a service needs an HTTP or an HTTPS listener');
  if (http && https && http.port !== 0 && http.port === https.port && http.host === https.host)
    add('/service/listeners/https/port', `HTTP and HTTPS cannot both listen on port ${http.port}`);
  const admin = service.admin;
  if (admin && admin.port !== 0 && [http?.port, https?.port].includes(admin.port))
    add('/service/admin/port', `the admin listener cannot share port ${admin.port} with a public listener`);
  if (http?.redirectToHttps && !https)
    add('/service/listeners/http/redirectToHttps', 'redirecting to HTTPS needs an HTTPS listener');
  if (
    https?.defaultDomain !== undefined &&
    !https.certificates.some((c) => c.domains.includes(https.defaultDomain as string))
  )
    add('/service/listeners/https/defaultDomain', `no certificate serves the default domain "${https.defaultDomain}"`);
}

function checkService(config: AppliedConfig, add: Add): void {
  const { service } = config;
  if (service.metricsPath !== undefined && service.metricsPath === service.healthPath)
    add('/service/metricsPath', 'the metrics path must differ from the health path');

  const keyIds = new Set<string>();
  service.keyPairs.forEach((k, i) => {
    if (keyIds.has(k.secretId)) add(`/service/keyPairs/${i}/secretId`, `key pair "${k.secretId}" is declared twice`);
    keyIds.add(k.secretId);
  });
  const apiNames = new Set(config.apis.map((a) => a.name));
  const planNames = new Set<string>();
  service.usagePlans.forEach((plan, i) => {
    const pat = `/service/usagePlans/${i}`;
    if (planNames.has(plan.name)) add(`${pat}/name`, `usage plan "${plan.name}" is declared twice`);
    planNames.add(plan.name);
    plan.keyPairs.forEach((id, j) => {
      if (!keyIds.has(id))
        add(
          `${pat}/keyPairs/${j}`,
          `usage plan "${plan.name}" names key pair "${id}", which the service does not declare`,
        );
    });
    plan.apis?.forEach((name, j) => {
      if (!apiNames.has(name))
        add(`${pat}/apis/${j}`, `usage plan "${plan.name}" names API "${name}", which the service does not declare`);
    });
  });
}
