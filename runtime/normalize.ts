/**
 * Request-target normalisation, applied once before routing; the backend is
 * sent exactly the normalised path. The rules (README "Path normalisation"):
 *
 * - origin-form (`/p?q`) and absolute-form (`http://h/p?q`) targets are
 *   accepted; the absolute form's authority is ignored; anything else is 400
 * - a `#` fragment is 400 (clients never send one)
 * - percent-encoded unreserved characters are decoded (`%7E` → `~`, `%2e` → `.`),
 *   other escapes are kept with upper-case hex; an encoded slash `%2F` stays
 *   encoded and never splits a segment; a malformed escape is 400
 * - runs of `/` collapse into one
 * - `.` and `..` segments are resolved (RFC 3986 5.2.4); `..` never climbs above `/`
 * - case and trailing slashes are kept: `/User` and `/user/` are other paths
 */
export type NormalizeResult =
  | { readonly ok: true; readonly path: string; readonly query: string }
  | { readonly ok: false; readonly reason: string };

const HEX = '0123456789ABCDEF';

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x7e // ~
  );
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Characters RFC 3986 allows raw in a path (besides `%`); anything else is percent-encoded. */
const PATH_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

export function normalizeTarget(target: string): NormalizeResult {
  let rest = target;
  if (!rest.startsWith('/')) {
    // absolute-form: scheme://authority/path
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
    if (!m) return { ok: false, reason: 'the request target must be a path' };
    rest = rest.slice(m[0].length);
    if (rest === '' || rest.startsWith('?')) rest = `/${rest}`;
  }
  if (rest.includes('#')) return { ok: false, reason: 'the request target must not contain a fragment' };
  const q = rest.indexOf('?');
  const rawPath = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? '' : rest.slice(q + 1);

  // Fast path: nothing to decode, no dot segments, no double slashes.
  if (!rawPath.includes('%') && !rawPath.includes('//') && !rawPath.includes('/.') && PATH_SAFE.test(rawPath)) {
    return { ok: true, path: rawPath, query };
  }

  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const code = rawPath.charCodeAt(i);
    if (code === 0x25) {
      const hi = hexValue(rawPath.charCodeAt(i + 1));
      const lo = hexValue(rawPath.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return { ok: false, reason: 'the path has a malformed percent-encoding' };
      const byte = hi * 16 + lo;
      decoded += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[hi]}${HEX[lo]}`;
      i += 2;
    } else if (code < 0x21 || code > 0x7e) {
      return { ok: false, reason: 'the path has characters that must be percent-encoded' };
    } else {
      const ch = rawPath[i] as string;
      decoded += PATH_SAFE.test(ch) ? ch : `%${HEX[code >> 4]}${HEX[code & 15]}`;
    }
  }
  return { ok: true, path: removeDotSegments(decoded.replace(/\/{2,}/g, '/')), query };
}

function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i] as string;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
    } else if (s === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(s);
    }
  }
  return `/${out.join('/')}`;
}

/** Decodes a path segment or parameter value; undefined when it is not valid UTF-8 percent-encoding. */
export function decodeComponent(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
