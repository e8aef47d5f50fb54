/**
 * IP allow and deny lists of an API (its own, or the service's
 * `apiDefaults`), compiled at config load into node:net `BlockList`s and
 * checked by admission for HTTP requests and WebSocket upgrades alike:
 * an address in `deny` is refused, then, when `allow` is not empty, an
 * address outside it. An IPv4 client (also one seen as an IPv4-mapped IPv6
 * peer) matches IPv4 blocks, and IPv6 blocks that hold its IPv4-mapped
 * address (`::ffff:10.0.0.0/104`, and so `::/0`): node:net's rule.
 *
 * The client address is the TCP peer, unless `limits.trustForwardedHeaders`
 * (a proxy you run in front): then the last address of `X-Forwarded-For`,
 * the one that proxy appended (`forwardedClient`, read once per request by
 * admission). A forwarded value that is not an IP address is refused when
 * any list applies (fail closed).
 */
import type { IncomingMessage } from 'node:http';
import { SocketAddress, isIP, type BlockList } from 'node:net';
import { blockListOf, parseIpBlock, type IpAccessConfig, type IpBlock } from '../model';
import { Errors, GatewayError } from './errors';

export interface IpAccessPolicy {
  /** The error to answer, or undefined when the address may call. HOT PATH */
  check(clientIp: string): GatewayError | undefined;
}

/** Verdicts kept per policy (by address); cleared when full, so hostile address churn costs the uncached check only. */
const MAX_CACHED_VERDICTS = 4096;

export function compileIpAccess(access: IpAccessConfig): IpAccessPolicy {
  const blocks = (entries: readonly string[]): BlockList | undefined => {
    if (entries.length === 0) return undefined;
    // The rules checked every entry at load; a failure here is a bug, not a config mistake.
    return blockListOf(entries.map((e) => parseIpBlock(e) as IpBlock));
  };
  const deny = blocks(access.deny);
  const allow = blocks(access.allow);
  // A BlockList check of a string costs ~1.3 µs, nearly all of it building a SocketAddress (built once here for
  // both lists); a cached verdict ~0.01 µs.
  const verdicts = new Map<string, boolean>();
  const refused = new GatewayError(Errors.IpDenied);

  const admits = (ip: string): boolean => {
    let verdict = verdicts.get(ip);
    if (verdict === undefined) {
      const version = isIP(ip);
      if (version === 0) return false;
      const address = new SocketAddress({ address: ip, family: version === 4 ? 'ipv4' : 'ipv6' });
      verdict = !deny?.check(address) && (allow === undefined || allow.check(address));
      if (verdicts.size >= MAX_CACHED_VERDICTS) verdicts.clear();
      verdicts.set(ip, verdict);
    }
    return verdict;
  };

  return {
    // HOT PATH
    check(clientIp) {
      return admits(clientIp) ? undefined : refused;
    },
  };
}

/** The last `X-Forwarded-For` address (what the trusted proxy saw), or undefined without the header. */
export function forwardedClient(req: IncomingMessage): string | undefined {
  const raw = req.headers['x-forwarded-for'];
  if (raw === undefined) return undefined;
  // Node joins repeated X-Forwarded-For headers with ", ".
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  const last = value.slice(value.lastIndexOf(',') + 1).trim();
  return last.startsWith('::ffff:') && isIP(last.slice(7)) === 4 ? last.slice(7) : last;
}
