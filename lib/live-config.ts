/**
 * The two configs of a live target, made from the service's config: the
 * start config its image (or process) starts with, and the applied config
 * the provider sends through the admin API.
 */
import { DEFAULT_LIMITS, type AdminListenerConfig, type GatewayConfig } from '../model';

/**
 * A copy of `doc` with every bundled function source rewritten by `f`, which gets the code's
 * folder in the build context (`functions/<ns>/<name>/<version>`) and the source's `dir`.
 */
export function mapBundledSources<T>(
  doc: T,
  f: (targetDir: string, dir: string) => { dir: string; sha256: string | undefined },
): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (o.type === 'bundled' && typeof o.dir === 'string') {
      // Synthesized configs live in config/, so bundled code is `../functions/...`.
      const { dir, sha256 } = f(o.dir.replace(/^\.\.\//, ''), o.dir);
      return { ...o, dir, ...(sha256 ? { sha256 } : {}) };
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
  };
  return walk(doc) as T;
}

/**
 * The config a live gateway starts with: only what is bound at start (listeners, health path,
 * worker count, the admin listener) is the service's; the rest is fixed, so the image changes only with those.
 */
export function startConfigOf(config: GatewayConfig, admin: AdminListenerConfig): GatewayConfig {
  const s = config.service;
  return {
    version: 1,
    service: {
      name: s.name,
      id: s.id,
      stage: { name: 'release', variables: {} },
      listeners: s.listeners,
      healthPath: s.healthPath,
      ...(s.workers !== undefined ? { workers: s.workers } : {}),
      limits: { ...DEFAULT_LIMITS },
      keyPairs: [],
      usagePlans: [],
      admin,
    },
    apis: [],
  };
}
