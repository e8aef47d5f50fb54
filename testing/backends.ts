/**
 * Pointing a service's backends at a test's own servers: each key names an
 * API (its backend is replaced) or a backend origin (every HTTP or WebSocket
 * backend with that origin is replaced). A key that matches nothing is an
 * error, so that a typo cannot send a test's requests to a real backend.
 */
import type { ApiConfig, GatewayConfig } from '../model';

/** Replaces backend origins in `config` as `overrides` says; throws naming a key that matched nothing. */
export function overrideBackends(config: GatewayConfig, overrides: Readonly<Record<string, string>>): GatewayConfig {
  const used = new Set<string>();
  const apis = config.apis.map((api): ApiConfig => {
    const b = api.backend;
    if (b.type !== 'http' && b.type !== 'websocket') {
      if (Object.hasOwn(overrides, api.name))
        throw new Error(
          `backends: API "${api.name}" has a ${b.type} backend; only HTTP and WebSocket backends can be pointed elsewhere`,
        );
      return api;
    }
    const key = Object.hasOwn(overrides, api.name)
      ? api.name
      : Object.hasOwn(overrides, b.origin)
        ? b.origin
        : undefined;
    if (key === undefined) return api;
    used.add(key);
    const origin = checkedOrigin(key, overrides[key] as string, b.type);
    return { ...api, backend: { ...b, origin } } as ApiConfig;
  });
  const unused = Object.keys(overrides).filter((k) => !used.has(k));
  if (unused.length > 0) {
    const known = [...new Set(config.apis.flatMap((a) => ('origin' in a.backend ? [a.name, a.backend.origin] : [])))];
    throw new Error(
      `backends: ${unused.map((k) => `"${k}"`).join(', ')} names no API with an HTTP or WebSocket backend and no backend origin of service "${config.service.name}" (known: ${known.join(', ') || 'none'})`,
    );
  }
  return { ...config, apis };
}

function checkedOrigin(key: string, value: string, type: 'http' | 'websocket'): string {
  const schemes = type === 'http' ? ['http:', 'https:'] : ['ws:', 'wss:'];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`backends["${key}"]: "${value}" is not a URL`);
  }
  if (!schemes.includes(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new Error(
      `backends["${key}"]: give ${schemes.map((s) => `${s}//host:port`).join(' or ')} (an origin, no path) for this ${type === 'http' ? 'HTTP' : 'WebSocket'} backend, got "${value}"`,
    );
  return url.origin === 'null' ? value.replace(/\/$/, '') : url.origin;
}
