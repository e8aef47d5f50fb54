/**
 * Checks of props where a prop differs from the config field it becomes (a
 * `Duration` for `timeoutMs`, `clockToleranceSeconds` for
 * `clockToleranceSec`) or where the schema's words would not be the user's.
 * Each problem names the config field it stands for, so the same mistake is
 * not reported a second time by the config's own validation.
 */
import {
  HttpMethod,
  JwtAlgorithm,
  originProblem,
  ParamLocation,
  ParamType,
  isCorsOrigin,
  MAX_WORKERS,
  type ApiConfig,
  type AuthConfig,
  type ConstantParameter,
  type ParameterMapping,
  type ServiceConfig,
} from '../model';
import type { Duration } from './duration';
import { Messages, Units, type UnitFormat } from './messages';

/** A mistake in a prop: the message a user reads, and the config field (JSON pointer) it stands for. */
export interface PropProblem {
  readonly field: string;
  readonly message: string;
}

/** The literals of a TypeBox union of literals, for `one of ...` messages. */
function literals(union: { anyOf: readonly { const?: unknown }[] }): string[] {
  return union.anyOf.map((s) => String(s.const));
}

const HTTP_METHODS = literals(HttpMethod);
const PARAM_LOCATIONS = literals(ParamLocation);
const PARAM_TYPES = literals(ParamType);
const JWT_ALGORITHMS = literals(JwtAlgorithm);
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const HANDLER = /^[A-Za-z0-9_./-]+\.[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Longest timeout of a backend or function (the schema's `Timeout`). */
const MAX_TIMEOUT_MS = 30 * 60 * 1000;
const MAX_MESSAGE_BYTES = 1024 * 1024 * 1024;

/** Collects problems; each check adds at most one per field. */
export class Problems {
  readonly list: PropProblem[] = [];

  add(field: string, message: string): void {
    this.list.push({ field, message });
  }

  /** A name of the config (API, service, stage, usage plan): 1 to 60 characters of `[A-Za-z0-9_.-]`. */
  name(prop: string, field: string, value: string): void {
    if (value.length === 0) this.add(field, Messages.empty(prop));
    else if (value.length > 60) this.add(field, Messages.tooLong(prop, 60, value));
    else if (!NAME.test(value)) this.add(field, Messages.name(prop, value));
  }

  /** A string of 1 to `max` characters. */
  text(prop: string, field: string, value: string, max: number): void {
    if (typeof value !== 'string' || value.length === 0) this.add(field, Messages.empty(prop));
    else if (value.length > max) this.add(field, Messages.tooLong(prop, max, value));
  }

  oneOf(prop: string, field: string, value: unknown, allowed: readonly string[]): void {
    if (!allowed.includes(value as string)) this.add(field, Messages.oneOf(prop, allowed, value));
  }

  /** A whole number within bounds, written in the prop's unit. */
  integer(
    prop: string,
    field: string,
    value: number,
    bounds: { readonly min?: number; readonly max?: number },
    unit: UnitFormat = Units.plain,
  ): void {
    if (!Number.isInteger(value)) this.add(field, Messages.wholeNumber(prop, value));
    else if (bounds.min !== undefined && value < bounds.min)
      this.add(field, Messages.atLeast(prop, unit(bounds.min), unit(value)));
    else if (bounds.max !== undefined && value > bounds.max)
      this.add(field, Messages.atMost(prop, unit(bounds.max), unit(value)));
  }

  /** A timeout: at least 1 millisecond and at most 30 minutes, reported as the user wrote it. */
  timeout(prop: string, field: string, value: Duration | undefined): void {
    if (value === undefined) return;
    const ms = value.toMilliseconds();
    if (ms < 1) this.add(field, Messages.atLeast(prop, Units.milliseconds(1), value.toString()));
    else if (ms > MAX_TIMEOUT_MS)
      this.add(field, Messages.atMost(prop, Units.milliseconds(MAX_TIMEOUT_MS), value.toString()));
  }

  path(prop: string, field: string, value: string): void {
    if (typeof value !== 'string' || !value.startsWith('/'))
      this.add(field, Messages.startsWithSlash(prop, String(value)));
  }

  /** A backend origin: `scheme://host[:port]` with one of `schemes`. */
  origin(prop: string, field: string, value: string, schemes: readonly string[]): void {
    switch (originProblem(value, schemes)) {
      case undefined:
        return;
      case 'not-a-url':
        return this.add(field, Messages.originNotUrl(prop, value, schemes));
      case 'scheme':
        return this.add(field, Messages.originScheme(prop, value, schemes));
      case 'path':
        return this.add(field, Messages.originPath(prop, value));
      case 'credentials':
        return this.add(field, Messages.originCredentials(prop, value));
    }
  }

  maxMessageBytes(prop: string, field: string, value: number): void {
    this.integer(prop, field, value, { min: 1, max: MAX_MESSAGE_BYTES }, Units.bytes);
  }

  /** Parameter mappings and constants: names and locations. */
  forwarding(
    prefix: string,
    field: string,
    mappings: readonly ParameterMapping[],
    constants: readonly ConstantParameter[],
  ): void {
    mappings.forEach((m, k) => {
      for (const side of ['from', 'to'] as const) {
        const at = `${field}/parameterMappings/${k}/${side}`;
        const prop = `${prefix} parameterMappings[${k}] ${side}`;
        this.oneOf(`${prop} in`, `${at}/in`, m[side].in, PARAM_LOCATIONS);
        if (typeof m[side].name !== 'string' || m[side].name.length === 0)
          this.add(`${at}/name`, Messages.empty(`${prop} name`));
      }
    });
    constants.forEach((c, k) => {
      const at = `${field}/constants/${k}`;
      this.oneOf(`${prefix} constants[${k}] in`, `${at}/in`, c.in, PARAM_LOCATIONS);
      if (typeof c.name !== 'string' || c.name.length === 0)
        this.add(`${at}/name`, Messages.empty(`${prefix} constants[${k}] name`));
    });
  }

  /** The code of a bundled function: `file.export` and a memory limit; the folder must exist at synth. */
  bundledCode(prefix: string, field: string, code: { handler: string; memoryMb: number }): void {
    if (typeof code.handler !== 'string' || !HANDLER.test(code.handler))
      this.add(`${field}/handler`, Messages.handlerSyntax(`${prefix} handler`, String(code.handler)));
    this.integer(`${prefix} memoryMb`, `${field}/memoryMb`, code.memoryMb, { min: 16, max: 4096 }, Units.megabytes);
  }

  remoteCode(prefix: string, field: string, url: string): void {
    if (typeof url !== 'string' || !/^https?:\/\//.test(url))
      this.add(`${field}/url`, Messages.originScheme(`${prefix} url`, String(url), ['http', 'https']));
  }
}

/** Props of an API that its config cannot report in the user's words. */
export function checkApi(config: ApiConfig, pathError: string | undefined, problems: Problems): void {
  problems.name('apiName', '/name', config.name);
  if (pathError !== undefined) problems.add('/frontend/path', Messages.apiPath(pathError));
  if (config.frontend.rawPath.length > 2048)
    problems.add('/frontend', Messages.tooLong('path', 2048, config.frontend.rawPath));
  problems.oneOf('method', '/frontend/method', config.frontend.method, HTTP_METHODS);
  problems.oneOf('protocol', '/frontend/type', config.frontend.type, ['http', 'websocket']);
  config.parameters.forEach((p, j) => {
    const label = typeof p.name === 'string' && p.name.length > 0 ? `parameters "${p.name}"` : `parameters[${j}]`;
    problems.text(`${label} name`, `/parameters/${j}/name`, p.name, 128);
    problems.oneOf(`${label} in`, `/parameters/${j}/in`, p.in, PARAM_LOCATIONS);
    problems.oneOf(`${label} type`, `/parameters/${j}/type`, p.type, PARAM_TYPES);
  });
  if (config.cors) {
    const { allowOrigins, maxAgeSeconds } = config.cors;
    if (allowOrigins.length === 0) problems.add('/cors/allowOrigins', Messages.corsOriginsEmpty());
    allowOrigins.forEach((o, j) => {
      if (typeof o !== 'string' || !isCorsOrigin(o))
        problems.add(`/cors/allowOrigins/${j}`, Messages.corsOrigin(String(o)));
    });
    if (maxAgeSeconds !== undefined)
      problems.integer('cors maxAgeSeconds', '/cors/maxAgeSeconds', maxAgeSeconds, { min: 0 }, Units.seconds);
  }
  checkAuth(config.auth, problems);
  config.response.errorCodes.forEach((e, j) => {
    const at = `/response/errorCodes/${j}`;
    if (typeof e.code !== 'string' || e.code.length === 0)
      problems.add(`${at}/code`, Messages.empty(`response errorCodes[${j}] code`));
    const label = `response errorCodes "${e.code}"`;
    if (e.status !== undefined) problems.integer(`${label} status`, `${at}/status`, e.status, HTTP_ERROR_STATUS);
    if (e.from?.type === 'backendStatus') {
      if (e.from.statuses.length === 0)
        problems.add(`${at}/from/statuses`, Messages.noneGiven(`${label} from`, 'status', 'for example 404'));
      e.from.statuses.forEach((st, k) =>
        problems.integer(`${label} from`, `${at}/from/statuses/${k}`, st, HTTP_ERROR_STATUS),
      );
    }
    if (e.from?.type === 'functionError' && e.from.errorCodes.length === 0)
      problems.add(
        `${at}/from/errorCodes`,
        Messages.noneGiven(`${label} from`, 'error code', "for example 'PetNotFound'"),
      );
  });
  if (config.rateLimitPerSecond !== undefined)
    checkRate('rateLimitPerSecond', '/rateLimitPerSecond', config.rateLimitPerSecond, problems);
}

/** Statuses an error code may answer with. */
const HTTP_ERROR_STATUS = { min: 400, max: 599 } as const;

function checkRate(prop: string, field: string, value: number, problems: Problems): void {
  problems.integer(prop, field, value, { min: 1, max: 1_000_000 }, Units.requestsPerSecond);
}

function checkAuth(auth: AuthConfig, problems: Problems): void {
  if (auth.type !== 'oauth2') return;
  const v = auth.verifier;
  const at = '/auth/verifier';
  if (v.algorithms.length === 0)
    problems.add(`${at}/algorithms`, Messages.noneGiven('auth algorithms', 'algorithm', `for example ['RS256']`));
  v.algorithms.forEach((a, j) => problems.oneOf('auth algorithms', `${at}/algorithms/${j}`, a, JWT_ALGORITHMS));
  if (v.audience !== undefined && v.audience.length === 0)
    problems.add(`${at}/audience`, Messages.noneGiven('auth audience', 'audience', 'or leave audience out'));
  problems.integer(
    'auth clockToleranceSeconds',
    `${at}/clockToleranceSec`,
    v.clockToleranceSec,
    { min: 0, max: 300 },
    Units.seconds,
  );
  problems.oneOf('auth tokenLocation from', `${at}/tokenLocation/from`, v.tokenLocation.from, [
    'header',
    'query',
    'cookie',
  ]);
  if (typeof v.tokenLocation.name !== 'string' || v.tokenLocation.name.length === 0)
    problems.add(`${at}/tokenLocation/name`, Messages.empty('auth tokenLocation name'));
  const remote = v.remoteJwks;
  if (remote && (typeof remote.url !== 'string' || !/^https?:\/\//.test(remote.url)))
    problems.add(`${at}/remoteJwks/url`, Messages.originScheme('auth jwksUrl', String(remote.url), ['https', 'http']));
  if (remote) {
    const ms = (prop: string, key: 'timeoutMs' | 'cooldownMs' | 'cacheMaxAgeMs', min: number, max: number): void =>
      problems.integer(`auth ${prop}`, `${at}/remoteJwks/${key}`, remote[key], { min, max }, Units.milliseconds);
    ms('jwksTimeout', 'timeoutMs', 100, 60_000);
    ms('jwksCooldown', 'cooldownMs', 1_000, 3_600_000);
    ms('jwksCacheMaxAge', 'cacheMaxAgeMs', 1_000, 86_400_000);
  }
}

/** Props of a service (listeners, limits, key pairs, usage plans) in the user's words. */
export function checkService(service: ServiceConfig, problems: Problems): void {
  problems.name('serviceName', '/service/name', service.name);
  problems.name('stageName', '/service/stage/name', service.stage.name);
  const { http, https } = service.listeners;
  if (http) problems.integer('httpPort', '/service/listeners/http/port', http.port, { min: 0, max: 65535 });
  if (https) {
    problems.integer('https port', '/service/listeners/https/port', https.port, { min: 0, max: 65535 });
    if (https.certificates.length === 0)
      problems.add(
        '/service/listeners/https/certificates',
        Messages.noneGiven('https certificates', 'certificate', 'or leave https out'),
      );
    https.certificates.forEach((c, i) => {
      const at = `/service/listeners/https/certificates/${i}/domains`;
      if (c.domains.length === 0 || c.domains.some((d) => typeof d !== 'string' || d.length === 0))
        problems.add(
          at,
          Messages.noneGiven(`https certificates[${i}] domains`, 'domain', 'for example example.com or *.example.com'),
        );
    });
    problems.oneOf('https minVersion', '/service/listeners/https/minVersion', https.minVersion, ['TLSv1.2', 'TLSv1.3']);
  }
  problems.path('healthPath', '/service/healthPath', service.healthPath);
  if (service.workers !== undefined)
    problems.integer('workers', '/service/workers', service.workers, { min: 1, max: MAX_WORKERS });
  if (service.metricsPath !== undefined) problems.path('metricsPath', '/service/metricsPath', service.metricsPath);
  checkLimits(service.limits, problems);
  const defaultRate = service.apiDefaults?.rateLimitPerSecond;
  if (defaultRate !== undefined)
    checkRate('apiDefaults rateLimitPerSecond', '/service/apiDefaults/rateLimitPerSecond', defaultRate, problems);
  service.keyPairs.forEach((k, i) =>
    problems.text(`keyPairs[${i}] secretId`, `/service/keyPairs/${i}/secretId`, k.secretId, 128),
  );
  service.usagePlans.forEach((plan, i) => {
    const at = `/service/usagePlans/${i}`;
    const label =
      typeof plan.name === 'string' && plan.name.length > 0 ? `usagePlans "${plan.name}"` : `usagePlans[${i}]`;
    problems.name(`${label} name`, `${at}/name`, plan.name);
    if (plan.keyPairs.length === 0)
      problems.add(
        `${at}/keyPairs`,
        Messages.noneGiven(`${label} keyPairs`, 'key pair id', 'since a plan without key pairs admits no one'),
      );
    if (plan.apis !== undefined && plan.apis.length === 0)
      problems.add(`${at}/apis`, Messages.noneGiven(`${label} apis`, 'API', 'or leave apis out to cover every API'));
    if (plan.rateLimitPerSecond !== undefined)
      problems.integer(
        `${label} rateLimitPerSecond`,
        `${at}/rateLimitPerSecond`,
        plan.rateLimitPerSecond,
        { min: 1 },
        Units.requestsPerSecond,
      );
    if (plan.quota !== undefined)
      problems.integer(`${label} quota`, `${at}/quota`, plan.quota, { min: 1 }, Units.requests);
  });
}

function checkLimits(limits: ServiceConfig['limits'], problems: Problems): void {
  const ms = (n: number): string => Messages.quantity(n, 'millisecond');
  const check = (name: keyof typeof limits, bounds: { min?: number; max?: number }, unit: UnitFormat): void => {
    problems.integer(`limits ${name}`, `/service/limits/${name}`, limits[name] as number, bounds, unit);
  };
  check('maxBodyBytes', { min: 0 }, Units.bytes);
  check('maxHeaderBytes', { min: 1024, max: 1024 * 1024 }, Units.bytes);
  check('maxPathLength', { min: 16, max: 65536 }, (n) => Messages.quantity(n, 'character'));
  check('headersTimeoutMs', { min: 100 }, ms);
  check('requestTimeoutMs', { min: 0 }, ms);
  check('keepAliveTimeoutMs', { min: 100 }, ms);
  check('shutdownGraceMs', { min: 0 }, ms);
}

/** Fields of a function target, under `prefix` (`backend`, `backend transfer`) and `field` (`/backend/function`). */
export function checkFunctionTarget(
  prefix: string,
  field: string,
  target: { namespace: string; functionName: string; version: string; timeout: Duration | undefined },
  problems: Problems,
): void {
  problems.text(`${prefix} functionName`, `${field}/functionName`, target.functionName, 60);
  problems.text(`${prefix} namespace`, `${field}/namespace`, target.namespace, 60);
  problems.text(`${prefix} version`, `${field}/version`, target.version, 60);
  problems.timeout(`${prefix} timeout`, `${field}/timeoutMs`, target.timeout);
}
