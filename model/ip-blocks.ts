/**
 * IP allow/deny list entries: an IPv4 or IPv6 address, or a CIDR block
 * (`10.0.0.0/8`, `2001:db8::/32`). Parsing and matching are node:net's
 * (`isIP`, `BlockList`); this module only splits `address/prefix`, refuses
 * what a `BlockList` would silently reinterpret, and says why in the user's
 * words. Shared by the rules (synth and load), the runtime and `apigw diff`.
 */
import { BlockList, isIP } from 'node:net';

export interface IpBlock {
  /** The address as written (zone-free, already checked by `isIP`). */
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses one entry; a string is the problem, in words that follow the entry (`"10.0.0.300/8" ...`). */
export function parseIpBlock(entry: string): IpBlock | string {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0)
    return 'is not an IPv4 or IPv6 address or CIDR block (write 10.0.0.0/8, 203.0.113.7 or 2001:db8::/32)';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (address.includes('%')) return 'has an IPv6 zone (%...), which client addresses never carry';
  let prefix = max;
  if (slash !== -1) {
    const digits = entry.slice(slash + 1);
    // Digits only: `Number()` would also take ` 8`, `0x8` or `8.0`.
    if (!/^\d{1,3}$/.test(digits) || Number(digits) > max) return `has a prefix length that is not 0 to ${max}`;
    prefix = Number(digits);
  }
  const block: IpBlock = { address, prefix, family };
  // A BlockList masks host bits away: `192.168.1.10/24` would silently admit the whole /24.
  if (prefix < max && !sameBlock(block, networkOf(block)))
    return `has bits set after its /${prefix} prefix: write the network address (${networkOf(block)}/${prefix}), or /${max} for one address`;
  return block;
}

/** A `BlockList` holding the given (valid) entries. */
export function blockListOf(blocks: readonly IpBlock[]): BlockList {
  const list = new BlockList();
  for (const b of blocks) list.addSubnet(b.address, b.prefix, b.family);
  return list;
}

/** Whether `outer` contains all of `inner`: a wider or equal prefix that holds inner's network address. */
export function blockContains(outer: IpBlock, inner: IpBlock): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  return blockListOf([outer]).check(inner.address, inner.family);
}

/** The network address of a block: its address with the bits after the prefix cleared. */
function networkOf(block: IpBlock): string {
  const bytes = addressBytes(block);
  for (let bit = block.prefix; bit < bytes.length * 8; bit++)
    bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  return formatBytes(bytes, block.family);
}

function sameBlock(block: IpBlock, network: string): boolean {
  return formatBytes(addressBytes(block), block.family) === network;
}

/** The bytes of an address `isIP` accepted (IPv6 with `::` and an IPv4 tail expanded). */
function addressBytes(block: IpBlock): number[] {
  if (block.family === 'ipv4') return block.address.split('.').map(Number);
  let text = block.address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -(v4[1] as string).length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function formatBytes(bytes: readonly number[], family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  // The shortest form (RFC 5952): the longest run of two or more zero groups becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best === -1) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
