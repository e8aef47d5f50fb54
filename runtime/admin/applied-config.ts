/**
 * The applied config and the whole document it serves as: the applied part is
 * the config without what is bound at start (`service.listeners`,
 * `service.admin`), which always comes from the config file the gateway
 * started with.
 */
import { createHash } from 'node:crypto';
import {
  START_BOUND_SERVICE_FIELDS,
  canonicalJson,
  secretDigest,
  type AppliedConfig,
  type BundledFunctionSource,
  type ConfigIssue,
  type GatewayConfig,
} from '../../model';
import { readSecret } from '../secrets';

/**
 * The document an applied config serves as: its fields, with the start
 * config's start-bound fields. Takes any object (the request is checked only
 * as an object before this), so `validateConfig` reports what is wrong with it.
 */
export function withStartBound(applied: Record<string, unknown>, start: GatewayConfig): unknown {
  const service = applied.service;
  if (service === null || typeof service !== 'object' || Array.isArray(service)) return applied;
  const bound: Record<string, unknown> = { listeners: start.service.listeners };
  if (start.service.admin) bound.admin = start.service.admin;
  return { ...applied, service: { ...service, ...bound } };
}

/** Fields an applied config must not carry: they are bound at start and would be silently replaced. */
export function startBoundIssues(applied: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if ('$schema' in applied) issues.push({ field: '/', message: 'unknown field "$schema"' });
  const service = applied.service;
  if (service !== null && typeof service === 'object') {
    for (const name of START_BOUND_SERVICE_FIELDS) {
      if (name in service)
        issues.push({
          field: `/service/${name}`,
          message: 'is bound at start and cannot be applied live: change the config file and restart the gateway',
        });
    }
  }
  return issues;
}

/** Whether two configs bind the same listeners and admin listener (those need a restart to change). */
export function startBoundChange(before: GatewayConfig, after: GatewayConfig): string | undefined {
  for (const name of START_BOUND_SERVICE_FIELDS) {
    if (JSON.stringify(before.service[name]) !== JSON.stringify(after.service[name]))
      return `service.${name} changed; restart the gateway to change it`;
  }
  return undefined;
}

export interface BundledSourceRef {
  /** JSON pointer of the source object. */
  readonly field: string;
  readonly api: string;
  readonly source: BundledFunctionSource;
}

/** Every bundled function source of a config, with where it is. */
export function bundledSources(config: GatewayConfig): BundledSourceRef[] {
  const out: BundledSourceRef[] = [];
  config.apis.forEach((api, i) => {
    const b = api.backend;
    const targets =
      b.type === 'scf'
        ? { function: b.function }
        : b.type === 'websocketFunctions'
          ? { register: b.register, transfer: b.transfer, cleanup: b.cleanup }
          : {};
    for (const [role, target] of Object.entries(targets)) {
      if (target?.source.type === 'bundled')
        out.push({ field: `/apis/${i}/backend/${role}/source`, api: api.name, source: target.source });
    }
  });
  return out;
}

/** The sha256 of every bundle a config runs. */
export function bundlesOf(config: GatewayConfig | AppliedConfig): Set<string> {
  const out = new Set<string>();
  for (const ref of bundledSources(config as GatewayConfig)) if (ref.source.sha256) out.add(ref.source.sha256);
  return out;
}

/** Secrets the config names that cannot be read, by field (the compiler would fail on them without saying where). */
export function secretIssues(config: GatewayConfig, env: NodeJS.ProcessEnv, baseDir: string): ConfigIssue[] {
  const refs = config.service.keyPairs.map((k, i) => ({ field: `/service/keyPairs/${i}/secretKey`, ref: k.secretKey }));
  if (config.service.connectionsAdminToken)
    refs.push({ field: '/service/connectionsAdminToken', ref: config.service.connectionsAdminToken });
  const issues: ConfigIssue[] = [];
  for (const { field, ref } of refs) {
    try {
      readSecret(ref, baseDir, env);
    } catch (err) {
      const hint = 'env' in ref ? ': send it in "secrets" or set it in the gateway\'s environment' : '';
      issues.push({ field, message: `${(err as Error).message}${hint}` });
    }
  }
  return issues;
}

/** Per secret name, its digest keyed with the admin token (see `secretDigest`). */
export function secretDigests(token: string, secrets: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(secrets)
      .sort()
      .map((name) => [name, secretDigest(token, secrets[name] as string)]),
  );
}

/** The ETag of a config and its secrets: the quoted sha256 of both, canonically serialised. */
export function configEtag(config: AppliedConfig, digests: Readonly<Record<string, string>>): string {
  return `"${createHash('sha256')
    .update(canonicalJson({ config, secretDigests: digests }))
    .digest('hex')}"`;
}
