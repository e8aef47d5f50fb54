/**
 * A semantic diff of two gateway configs, per service, for review: APIs
 * added, removed and changed field by field; a change several APIs share
 * (one `Cors` object, one backend origin) once, naming the APIs; breaking
 * changes and risky ones first; and for every change its deploy impact.
 *
 * Values are shown as a reviewer needs them: keys and JWKS by fingerprint
 * (`sha256:` and 12 hex digits) rather than dumped, function code by the
 * content hash of its bundle (the config's `sha256`, or `bundleHash` of the
 * code folder next to the config).
 */
import { createHash } from 'node:crypto';
import {
  START_BOUND_SERVICE_FIELDS,
  methodsTakenBy,
  type ApiConfig,
  type FunctionTarget,
  type GatewayConfig,
  type Parameter,
} from '../model';
import { functionCodeHash } from './code-hash';
import type { LoadedGateway } from './load';
import { findRisks, type RiskKind } from './risks';

/**
 * What deploying a change does to a running gateway: the API configuration
 * (APIs, key pairs, usage plans, stage, limits, health and metrics paths, ...)
 * is applied live; the parts bound at start (`START_BOUND_SERVICE_FIELDS` in
 * `model/admin.ts`: listeners and the admin listener) restart the gateway.
 */
export type DeployImpact = 'applied live' | 'restarts the gateway';

export interface FieldChange {
  /** Dotted field path, for example `backend.timeoutMs` or `parameters[query:id].type`. */
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly impact: DeployImpact;
}

export interface ApiChange {
  readonly name: string;
  readonly changes: readonly FieldChange[];
}

/** The same field change on several APIs (for example one shared `Cors`): one finding. */
export interface SharedChange extends FieldChange {
  readonly apis: readonly string[];
}

export interface ApiSummary {
  readonly name: string;
  readonly protocol: string;
  readonly method: string;
  readonly path: string;
  readonly backend: string;
  readonly impact: DeployImpact;
}

export type BreakingKind =
  | 'api-removed'
  | 'path-changed'
  | 'method-changed'
  | 'protocol-changed'
  | 'parameter-removed'
  | 'parameter-now-required'
  | 'auth-required';

/** A breaking or risky change, of one API or of several alike. */
export interface Finding {
  readonly kind: BreakingKind | RiskKind;
  /** The APIs concerned; empty for a service-level finding. */
  readonly apis: readonly string[];
  readonly detail: string;
}

export interface ServiceDiff {
  readonly service: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  /** The largest impact of its changes; `none` when unchanged. */
  readonly impact: DeployImpact | 'none';
  readonly breaking: readonly Finding[];
  readonly risks: readonly Finding[];
  readonly added: readonly ApiSummary[];
  readonly removed: readonly ApiSummary[];
  readonly shared: readonly SharedChange[];
  readonly changed: readonly ApiChange[];
  /** Service-level fields (listeners, limits, key pairs by id, usage plans, stage, ...). */
  readonly serviceChanges: readonly FieldChange[];
}

export interface GatewayDiff {
  readonly services: readonly ServiceDiff[];
  readonly identical: boolean;
}

/** A config, or a config with the folder it was read from (to hash function code that has no `sha256`). */
export type ReviewInput = GatewayConfig | LoadedGateway;

const LIVE: DeployImpact = 'applied live';
const RESTART: DeployImpact = 'restarts the gateway';

export function diffGateways(base: Map<string, ReviewInput>, head: Map<string, ReviewInput>): GatewayDiff {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  const services = names.map((name) => diffService(name, loaded(base.get(name)), loaded(head.get(name))));
  return { services, identical: services.every((s) => s.status === 'unchanged') };
}

interface Side {
  readonly config: GatewayConfig;
  readonly dir?: string;
}

function loaded(input: ReviewInput | undefined): Side | undefined {
  if (input === undefined) return undefined;
  return 'config' in input ? input : { config: input };
}

function diffService(name: string, base: Side | undefined, head: Side | undefined): ServiceDiff {
  const baseApis = new Map((base?.config.apis ?? []).map((a) => [a.name, a]));
  const headApis = new Map((head?.config.apis ?? []).map((a) => [a.name, a]));
  const added = [...headApis.values()].filter((a) => !baseApis.has(a.name));
  const removed = [...baseApis.values()].filter((a) => !headApis.has(a.name));
  const perApi: ApiChange[] = [];
  const breaking: Finding[] = removed.map((a) => ({
    kind: 'api-removed',
    apis: [a.name],
    detail: `API removed (${a.frontend.method} ${a.frontend.rawPath}): its clients get 404 or 405`,
  }));
  for (const [apiName, h] of headApis) {
    const b = baseApis.get(apiName);
    if (!b) continue;
    const changes = compare(flattenApi(b, base?.dir), flattenApi(h, head?.dir), () => LIVE);
    if (changes.length > 0) perApi.push({ name: apiName, changes });
    breaking.push(...breakingChanges(b, h));
  }
  const { shared, changed } = groupShared(perApi);
  const serviceChanges =
    base && head ? compare(flattenService(base.config), flattenService(head.config), serviceImpact) : [];
  const status = !base
    ? 'added'
    : !head
      ? 'removed'
      : added.length + removed.length + perApi.length + serviceChanges.length > 0
        ? 'changed'
        : 'unchanged';
  const rawRisks = base || head ? findRisks(base?.config, head?.config, added, perApi) : [];
  const risks = group(rawRisks.map((r) => ({ kind: r.kind, apis: r.api ? [r.api] : [], detail: r.detail })));
  // A new or removed service starts or stops a gateway; listeners changing restart it.
  const impact =
    status === 'unchanged'
      ? 'none'
      : status !== 'changed' || serviceChanges.some((c) => c.impact === RESTART)
        ? RESTART
        : LIVE;
  const summary = (a: ApiConfig): ApiSummary => ({
    name: a.name,
    protocol: a.frontend.type,
    method: a.frontend.method,
    path: a.frontend.rawPath,
    backend: a.backend.type,
    impact: status === 'changed' ? LIVE : RESTART,
  });
  return {
    service: name,
    status,
    impact,
    breaking: group(breaking),
    risks,
    added: added.map(summary),
    removed: removed.map(summary),
    shared,
    changed,
    serviceChanges,
  };
}

/** Changes that break existing clients of an API that is kept. */
function breakingChanges(b: ApiConfig, h: ApiConfig): Finding[] {
  const out: Finding[] = [];
  const add = (kind: BreakingKind, detail: string): void => void out.push({ kind, apis: [h.name], detail });
  if (b.frontend.rawPath !== h.frontend.rawPath) {
    add('path-changed', `path changed from ${b.frontend.rawPath} to ${h.frontend.rawPath}`);
  }
  // Breaking when a method the API took is no longer taken (GET → ANY takes more: not breaking).
  const lost = methodsTakenBy(b.frontend.method).filter((m) => !methodsTakenBy(h.frontend.method).includes(m));
  if (lost.length > 0) {
    add('method-changed', `method changed from ${b.frontend.method} to ${h.frontend.method}`);
  }
  if (b.frontend.type !== h.frontend.type) {
    add('protocol-changed', `protocol changed from ${b.frontend.type} to ${h.frontend.type}`);
  }
  const key = (p: Parameter): string => `${p.in}:${p.name}`;
  const before = new Map(b.parameters.map((p) => [key(p), p]));
  const after = new Map(h.parameters.map((p) => [key(p), p]));
  for (const [k, p] of before) {
    if (!after.has(k)) add('parameter-removed', `${p.in} parameter ${p.name} removed`);
  }
  const required = (p: Parameter): boolean => p.in === 'path' || (p.required && p.default === undefined);
  for (const [k, p] of after) {
    const was = before.get(k);
    if (required(p) && (!was || !required(was))) {
      add('parameter-now-required', `${p.in} parameter ${p.name} is ${was ? 'now' : 'new and'} required`);
    }
  }
  if (b.auth.type === 'none' && (h.auth.type === 'keyPair' || h.auth.type === 'oauth2')) {
    add('auth-required', `authentication now required (${h.auth.type}): clients without credentials get 401`);
  }
  return out;
}

/** Equal findings of several APIs become one, naming them all. */
function group(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, { kind: Finding['kind']; apis: string[]; detail: string }>();
  for (const f of findings) {
    const key = `${f.kind}\0${f.detail}`;
    const entry = byKey.get(key);
    if (entry) entry.apis.push(...f.apis);
    else byKey.set(key, { kind: f.kind, apis: [...f.apis], detail: f.detail });
  }
  return [...byKey.values()];
}

/** Field changes that are equal on several APIs are taken out of each API's list into one shared change. */
function groupShared(perApi: readonly ApiChange[]): { shared: SharedChange[]; changed: ApiChange[] } {
  const key = (c: FieldChange): string => JSON.stringify([c.field, c.before, c.after]);
  const apisOf = new Map<string, string[]>();
  for (const a of perApi) for (const c of a.changes) apisOf.set(key(c), [...(apisOf.get(key(c)) ?? []), a.name]);
  const shared: SharedChange[] = [];
  const seen = new Set<string>();
  for (const a of perApi) {
    for (const c of a.changes) {
      const apis = apisOf.get(key(c)) as string[];
      if (apis.length > 1 && !seen.has(key(c))) {
        seen.add(key(c));
        shared.push({ ...c, apis });
      }
    }
  }
  const changed = perApi
    .map((a) => ({ name: a.name, changes: a.changes.filter((c) => (apisOf.get(key(c)) as string[]).length === 1) }))
    .filter((a) => a.changes.length > 0);
  return { shared, changed };
}

/**
 * An API as dotted fields, values as a reviewer reads them; arrays of named
 * things are keyed by name so reordering is not a change.
 */
export function flattenApi(api: ApiConfig, configDir?: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const { parameters, response, backend, ...rest } = api;
  flatten(rest, '', out);
  for (const p of parameters) flatten(p, `parameters[${p.in}:${p.name}]`, out);
  const { errorCodes, ...doc } = response;
  flatten(doc, 'response', out);
  for (const e of errorCodes) flatten(e, `response.errorCodes[${e.code}]`, out);
  const {
    function: fn,
    register,
    transfer,
    cleanup,
    ...backendRest
  } = backend as Record<string, unknown> & {
    function?: FunctionTarget;
    register?: FunctionTarget;
    transfer?: FunctionTarget;
    cleanup?: FunctionTarget;
  };
  flatten(backendRest, 'backend', out);
  for (const [name, target] of Object.entries({ function: fn, register, transfer, cleanup })) {
    if (target) flattenFunction(target, `backend.${name}`, configDir, out);
  }
  return out;
}

/** A function target; bundled code is one `code` field holding its content hash. */
function flattenFunction(target: FunctionTarget, prefix: string, dir: string | undefined, out: Map<string, unknown>) {
  const { source, ...rest } = target;
  flatten(rest, prefix, out);
  if (source.type === 'bundled') {
    const { sha256: _sha, ...where } = source;
    flatten(where, `${prefix}.source`, out);
    const hash = functionCodeHash(source, dir);
    out.set(`${prefix}.code`, /^[0-9a-f]{64}$/.test(hash) ? `sha256:${hash.slice(0, 12)}` : hash);
  } else {
    flatten(source, `${prefix}.source`, out);
  }
}

function flattenService(config: GatewayConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const { keyPairs, usagePlans, id: _id, ...rest } = config.service;
  flatten(rest, 'service', out);
  for (const k of keyPairs) flatten(k.secretKey, `service.keyPairs[${k.secretId}]`, out);
  for (const u of usagePlans) flatten(u, `service.usagePlans[${u.name}]`, out);
  return out;
}

function serviceImpact(field: string): DeployImpact {
  return START_BOUND_SERVICE_FIELDS.some((f) => field === `service.${f}` || field.startsWith(`service.${f}.`))
    ? RESTART
    : LIVE;
}

/** Fields holding key material: shown by fingerprint. */
const FINGERPRINTED = new Set(['publicKeyPem', 'jwks']);
/** A body schema is shown as written while it is short, else by size and fingerprint. */
const SHOWN_SCHEMA_LENGTH = 160;

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  const leaf = prefix.slice(prefix.lastIndexOf('.') + 1);
  if (FINGERPRINTED.has(leaf) && typeof value === 'string') {
    out.set(prefix, fingerprint(leaf, value));
  } else if (prefix === 'bodySchema' && typeof value === 'string' && value.length > SHOWN_SCHEMA_LENGTH) {
    out.set(prefix, `JSON Schema of ${value.length} characters ${fingerprint(leaf, value)}`);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
}

/** `sha256:<12 hex>` of a key, with the key ids of a JWKS. */
export function fingerprint(kind: string, text: string): string {
  const hash = `sha256:${createHash('sha256').update(text.trim()).digest('hex').slice(0, 12)}`;
  if (kind !== 'jwks') return hash;
  try {
    const keys = (JSON.parse(text) as { keys?: { kid?: unknown }[] }).keys ?? [];
    const kids = keys.map((k) => (typeof k.kid === 'string' ? k.kid : '?'));
    return `JWKS of ${keys.length} key${keys.length === 1 ? '' : 's'}${kids.length ? ` (kid ${kids.join(', ')})` : ''} ${hash}`;
  } catch {
    return `JWKS (not JSON) ${hash}`;
  }
}

function compare(
  a: Map<string, unknown>,
  b: Map<string, unknown>,
  impactOf: (field: string) => DeployImpact,
): FieldChange[] {
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const before = a.get(field);
    const after = b.get(field);
    if (JSON.stringify(before) !== JSON.stringify(after))
      changes.push({ field, before, after, impact: impactOf(field) });
  }
  return changes;
}
