/**
 * Changes a reviewer must not miss. Shadowing is decided by the runtime's own
 * `Router` (the same code that serves requests), never by a copy of its rules.
 */
import {
  ANY_METHODS,
  blockContains,
  effectiveIpAccess,
  effectiveRateLimit,
  parseIpBlock,
  type ApiConfig,
  type FunctionTarget,
  type GatewayConfig,
  type IpBlock,
} from '../model';
import { Router } from '../runtime/router';
import type { ApiChange } from './diff';

export type RiskKind =
  | 'auth-removed'
  | 'auth-weakened'
  | 'cors-opened'
  | 'public-api-added'
  | 'backend-downgraded-to-http'
  | 'plaintext-backend'
  | 'timeout-raised'
  | 'body-limit-raised'
  | 'route-shadowed'
  | 'ip-allow-widened'
  | 'ip-deny-removed'
  | 'rate-limit-raised'
  | 'body-validation-removed';

/** One risky change of one API (or of the service, with `api` empty). */
export interface Risk {
  readonly kind: RiskKind;
  readonly api: string;
  /** What changed, without the API's name (equal details on several APIs are one finding). */
  readonly detail: string;
}

/** A timeout is "raised a lot" from this factor, or by this many milliseconds. */
const TIMEOUT_FACTOR = 3;
const TIMEOUT_STEP_MS = 60_000;

export function findRisks(
  base: GatewayConfig | undefined,
  head: GatewayConfig | undefined,
  added: readonly ApiConfig[],
  changed: readonly ApiChange[],
): Risk[] {
  const risks: Risk[] = [];
  const baseApis = new Map((base?.apis ?? []).map((a) => [a.name, a]));
  const headApis = new Map((head?.apis ?? []).map((a) => [a.name, a]));

  for (const api of added) {
    for (const origin of plaintextOrigins(api)) {
      risks.push({
        kind: 'plaintext-backend',
        api: api.name,
        detail: `new API calls an unencrypted backend ${origin}`,
      });
    }
    if (api.auth.type === 'none') {
      risks.push({
        kind: 'public-api-added',
        api: api.name,
        detail: `new API without authentication (${api.frontend.method} ${api.frontend.rawPath})`,
      });
    }
    if (api.cors?.allowOrigins.includes('*') || api.cors?.allowCredentials) {
      risks.push({
        kind: 'cors-opened',
        api: api.name,
        detail: `new API allows cross-origin calls (${describeCors(api)})`,
      });
    }
  }
  for (const { name } of changed) {
    const b = baseApis.get(name) as ApiConfig;
    const h = headApis.get(name) as ApiConfig;
    risks.push(...authRisks(b, h), ...corsRisks(b, h), ...backendRisks(b, h));
  }
  if (base && head) {
    // Every kept API: a changed service default (`apiDefaults`) changes APIs whose own fields did not.
    for (const [name, h] of headApis) {
      const b = baseApis.get(name);
      if (b) risks.push(...trafficRisks(b, base, h, head));
    }
    risks.push(...shadowing(base, head));
    const before = base.service.limits.maxBodyBytes;
    const after = head.service.limits.maxBodyBytes;
    if (after > before) {
      risks.push({
        kind: 'body-limit-raised',
        api: '',
        detail: `limits.maxBodyBytes raised from ${bytes(before)} to ${bytes(after)}: every API accepts larger bodies`,
      });
    }
  }
  return risks;
}

function bytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** Origins of an API's backends that are reached without TLS. */
function plaintextOrigins(api: ApiConfig): string[] {
  const b = api.backend;
  const remote = (t: FunctionTarget | undefined): string[] =>
    t?.source.type === 'remote' && t.source.url.startsWith('http://') ? [new URL(t.source.url).origin] : [];
  if (b.type === 'http') return b.origin.startsWith('http://') ? [b.origin] : [];
  if (b.type === 'websocket') return b.origin.startsWith('ws://') ? [b.origin] : [];
  if (b.type === 'scf') return remote(b.function);
  if (b.type === 'websocketFunctions') return [...remote(b.register), ...remote(b.transfer), ...remote(b.cleanup)];
  return [];
}

/**
 * Traffic policies weakened on an API that is kept: an IP allow list that
 * admits more (an entry no old entry contains, or the list gone), a deny
 * entry no remaining entry contains, a rate limit raised or removed, a body
 * schema removed. Containment is node:net's (`blockContains`).
 */
function trafficRisks(b: ApiConfig, base: GatewayConfig, h: ApiConfig, head: GatewayConfig): Risk[] {
  const risks: Risk[] = [];
  const add = (kind: RiskKind, detail: string): void => void risks.push({ kind, api: h.name, detail });
  const before = effectiveIpAccess(b, base.service);
  const after = effectiveIpAccess(h, head.service);
  const wasAllow = blocks(before?.allow);
  const nowAllow = blocks(after?.allow);
  if (wasAllow.length > 0 && nowAllow.length === 0)
    add('ip-allow-widened', `IP allow list removed: any address may call (was ${list(wasAllow)})`);
  else if (wasAllow.length > 0) {
    const wider = nowAllow.filter((n) => !wasAllow.some((w) => blockContains(w, n)));
    if (wider.length > 0) add('ip-allow-widened', `IP allow list widened: ${list(wider)} now admitted`);
  }
  const nowDeny = blocks(after?.deny);
  const lifted = blocks(before?.deny).filter((d) => !nowDeny.some((n) => blockContains(n, d)));
  if (lifted.length > 0) add('ip-deny-removed', `IP deny list no longer refuses ${list(lifted)}`);

  const wasRate = effectiveRateLimit(b, base.service);
  const nowRate = effectiveRateLimit(h, head.service);
  if (wasRate !== undefined && nowRate === undefined)
    add('rate-limit-raised', `rate limit removed (was ${wasRate} requests per second)`);
  else if (wasRate !== undefined && nowRate !== undefined && nowRate > wasRate)
    add('rate-limit-raised', `rate limit raised from ${wasRate} to ${nowRate} requests per second`);
  if (b.bodySchema !== undefined && h.bodySchema === undefined)
    add('body-validation-removed', 'request body schema removed: bodies reach the backend unchecked');
  return risks;
}

/** The valid entries of a list (a config under review may hold others; the rules report those). */
function blocks(entries: readonly string[] | undefined): (IpBlock & { readonly text: string })[] {
  const out: (IpBlock & { readonly text: string })[] = [];
  for (const text of entries ?? []) {
    const b = parseIpBlock(text);
    if (typeof b !== 'string') out.push({ ...b, text });
  }
  return out;
}

function list(entries: readonly { readonly text: string }[]): string {
  return entries.map((e) => e.text).join(', ');
}

function authRisks(b: ApiConfig, h: ApiConfig): Risk[] {
  if (b.auth.type !== 'none' && h.auth.type === 'none') {
    return [{ kind: 'auth-removed', api: h.name, detail: `authentication removed (${b.auth.type} → none)` }];
  }
  if (b.auth.type === 'oauth2' && h.auth.type === 'oauth2') {
    const bv = b.auth.verifier;
    const hv = h.auth.verifier;
    const weaker: string[] = [];
    if (bv.issuer !== undefined && hv.issuer === undefined) weaker.push('issuer no longer checked');
    if (bv.audience !== undefined && hv.audience === undefined) weaker.push('audience no longer checked');
    if (hv.algorithms.some((a) => !bv.algorithms.includes(a)))
      weaker.push(`algorithms added: ${hv.algorithms.filter((a) => !bv.algorithms.includes(a)).join(', ')}`);
    if (hv.clockToleranceSec > bv.clockToleranceSec)
      weaker.push(`clock tolerance ${bv.clockToleranceSec}s → ${hv.clockToleranceSec}s`);
    const url = hv.remoteJwks?.url;
    if (url?.startsWith('http://') && bv.remoteJwks?.url !== url)
      weaker.push(`keys now fetched over unencrypted ${url}`);
    if (weaker.length > 0)
      return [{ kind: 'auth-weakened', api: h.name, detail: `OAuth 2.0 weakened (${weaker.join('; ')})` }];
  }
  if (b.auth.type === 'oauth2' && h.auth.type === 'keyPair') {
    return [{ kind: 'auth-weakened', api: h.name, detail: 'authentication changed from OAuth 2.0 to key pair' }];
  }
  return [];
}

function corsRisks(b: ApiConfig, h: ApiConfig): Risk[] {
  if (!h.cors) return [];
  const opened =
    !b.cors ||
    (h.cors.allowOrigins.includes('*') && !b.cors.allowOrigins.includes('*')) ||
    (h.cors.allowCredentials && !b.cors.allowCredentials) ||
    h.cors.allowOrigins.some((o) => !b.cors?.allowOrigins.includes(o));
  return opened
    ? [
        {
          kind: 'cors-opened',
          api: h.name,
          detail: `CORS opened (${b.cors ? describeCors(b) : 'off'} → ${describeCors(h)})`,
        },
      ]
    : [];
}

function describeCors(api: ApiConfig): string {
  return `origins ${api.cors?.allowOrigins.join(', ')}${api.cors?.allowCredentials ? ', with credentials' : ''}`;
}

function backendRisks(b: ApiConfig, h: ApiConfig): Risk[] {
  const risks: Risk[] = [];
  const bb = b.backend;
  const hb = h.backend;
  if (bb.type === 'http' && hb.type === 'http' && bb.origin.startsWith('https://') && hb.origin.startsWith('http://')) {
    risks.push({
      kind: 'backend-downgraded-to-http',
      api: h.name,
      detail: `backend moved from ${bb.origin} to unencrypted ${hb.origin}`,
    });
  }
  if (
    bb.type === 'websocket' &&
    hb.type === 'websocket' &&
    bb.origin.startsWith('wss://') &&
    hb.origin.startsWith('ws://')
  ) {
    risks.push({
      kind: 'backend-downgraded-to-http',
      api: h.name,
      detail: `backend moved from ${bb.origin} to unencrypted ${hb.origin}`,
    });
  }
  if (risks.length === 0) {
    const before = new Set(plaintextOrigins(b));
    for (const origin of plaintextOrigins(h).filter((o) => !before.has(o))) {
      risks.push({ kind: 'plaintext-backend', api: h.name, detail: `now calls an unencrypted backend ${origin}` });
    }
  }
  const bt = timeoutOf(b);
  const ht = timeoutOf(h);
  if (bt !== undefined && ht !== undefined && ht > bt && (ht >= bt * TIMEOUT_FACTOR || ht - bt >= TIMEOUT_STEP_MS)) {
    risks.push({ kind: 'timeout-raised', api: h.name, detail: `timeout raised from ${bt} ms to ${ht} ms` });
  }
  return risks;
}

function timeoutOf(api: ApiConfig): number | undefined {
  const b = api.backend;
  if (b.type === 'http') return b.timeoutMs;
  if (b.type === 'scf') return b.function.timeoutMs;
  if (b.type === 'websocket') return b.connectTimeoutMs;
  return undefined;
}

/**
 * Requests an API served before that another API serves now. Probe paths are
 * derived from each base API's own path; both routers are the runtime's.
 */
function shadowing(base: GatewayConfig, head: GatewayConfig): Risk[] {
  const before = new Router(base.apis);
  const after = new Router(head.apis);
  const risks: Risk[] = [];
  const headNames = new Set(head.apis.map((a) => a.name));
  for (const api of base.apis) {
    if (!headNames.has(api.name)) continue;
    // An ANY API is probed with each method it takes.
    const methods = api.frontend.method === 'ANY' ? ANY_METHODS : [api.frontend.method];
    probing: for (const path of probes(api)) {
      for (const method of methods) {
        const was = before.find(method, path);
        const now = after.find(method, path);
        if (was.kind !== 'found' || was.api.name !== api.name) continue;
        if (now.kind === 'found' && now.api.name !== api.name) {
          risks.push({
            kind: 'route-shadowed',
            api: api.name,
            detail: `${method} ${path} was served by ${api.name} and is now captured by ${now.api.name} (${now.api.frontend.rawPath})`,
          });
          break probing;
        }
      }
    }
  }
  return risks;
}

/** Paths an API is meant to serve. */
export function probes(api: ApiConfig): string[] {
  const { match, path } = api.frontend;
  switch (match) {
    case 'exact':
      return [path];
    case 'prefix':
    case 'plain':
      return [path, `${path.endsWith('/') ? path : `${path}/`}probe`];
    case 'param': {
      const samples = new Map(
        api.parameters.filter((p) => p.in === 'path').map((p) => [p.name, p.sample ?? sampleFor(p.type)]),
      );
      return [path.replace(/\{([^{}/]+)\}/g, (_, n: string) => encodeURIComponent(samples.get(n) ?? 'x'))];
    }
    case 'regex':
      return [];
  }
}

function sampleFor(type: string): string {
  return type === 'boolean' ? 'true' : type === 'string' ? 'sample' : '1';
}
