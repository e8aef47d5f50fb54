/** A semantic diff of two gateway configs: per service, APIs added, removed and changed field by field. */
import type { ApiConfig, GatewayConfig } from '../model';
import { findRisks, type Risk } from './risks';

export interface FieldChange {
  /** Dotted field path, for example `backend.timeoutMs` or `parameters[id].type`. */
  readonly field: string;
  readonly before: unknown;
  readonly after: unknown;
}

export interface ApiChange {
  readonly name: string;
  readonly changes: readonly FieldChange[];
}

export interface ServiceDiff {
  readonly service: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly added: readonly ApiConfig[];
  readonly removed: readonly ApiConfig[];
  readonly changed: readonly ApiChange[];
  /** Service-level fields (listeners, limits, key pairs by id, usage plans, stage). */
  readonly serviceChanges: readonly FieldChange[];
  readonly risks: readonly Risk[];
}

export interface GatewayDiff {
  readonly services: readonly ServiceDiff[];
  readonly identical: boolean;
}

export function diffGateways(base: Map<string, GatewayConfig>, head: Map<string, GatewayConfig>): GatewayDiff {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  const services = names.map((name) => diffService(name, base.get(name), head.get(name)));
  return { services, identical: services.every((s) => s.status === 'unchanged') };
}

function diffService(name: string, base: GatewayConfig | undefined, head: GatewayConfig | undefined): ServiceDiff {
  const baseApis = new Map((base?.apis ?? []).map((a) => [a.name, a]));
  const headApis = new Map((head?.apis ?? []).map((a) => [a.name, a]));
  const added = [...headApis.values()].filter((a) => !baseApis.has(a.name));
  const removed = [...baseApis.values()].filter((a) => !headApis.has(a.name));
  const changed: ApiChange[] = [];
  for (const [apiName, h] of headApis) {
    const b = baseApis.get(apiName);
    if (!b) continue;
    const changes = compare(flattenApi(b), flattenApi(h));
    if (changes.length > 0) changed.push({ name: apiName, changes });
  }
  const serviceChanges = base && head ? compare(flattenService(base), flattenService(head)) : [];
  const status = !base
    ? 'added'
    : !head
      ? 'removed'
      : added.length + removed.length + changed.length + serviceChanges.length > 0
        ? 'changed'
        : 'unchanged';
  const risks = base || head ? findRisks(base, head, added, changed) : [];
  return { service: name, status, added, removed, changed, serviceChanges, risks };
}

/** An API as dotted fields; arrays of named things are keyed by name so reordering is not a change. */
export function flattenApi(api: ApiConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const { parameters, response, backend, ...rest } = api;
  flatten(rest, '', out);
  for (const p of parameters) flatten(p, `parameters[${p.in}:${p.name}]`, out);
  const { errorCodes, ...doc } = response;
  flatten(doc, 'response', out);
  for (const e of errorCodes) flatten(e, `response.errorCodes[${e.code}]`, out);
  flatten(backend, 'backend', out);
  return out;
}

function flattenService(config: GatewayConfig): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const { keyPairs, usagePlans, id: _id, ...rest } = config.service;
  flatten(rest, 'service', out);
  for (const k of keyPairs) flatten(k.secretKey, `service.keyPairs[${k.secretId}]`, out);
  for (const u of usagePlans) flatten(u, `service.usagePlans[${u.name}]`, out);
  return out;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
}

function compare(a: Map<string, unknown>, b: Map<string, unknown>): FieldChange[] {
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const before = a.get(field);
    const after = b.get(field);
    if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ field, before, after });
  }
  return changes;
}
