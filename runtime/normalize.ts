/**
 * Request-target normalisation, applied once before routing; the backend is
 * sent exactly the normalised path. The rules (README "Path normalisation"):
 *
 * - origin-form (`/p?q`) and absolute-form (`http://h/p?q`) targets are
 *   accepted; the absolute form's authority is ignored; anything else is 400
 * - a `#` fragment is 400 (clients never send one)
 * - percent-encoded unreserved characters are decoded (`%7E` → `~`, `%2e` → `.`),
 *   other escapes are kept with upper-case hex; a malformed escape is 400
 * - escaped slashes and backslashes (`%2F`, `%5C`, a raw `\`) are refused
 *   (400) by default: a backend that decodes them later would see segments
 *   (and dot-segments) the router never saw. With `escapedSlashes: 'redirect'`
 *   they are turned into `/`, the result normalised, and the client sent there
 *   (307), after Envoy's `path_with_escaped_slashes_action`
 * - the escapes must decode to UTF-8 (no overlong forms such as `%C0%AE`, no
 *   `%FF`) and `%00` is refused: a backend decoding them must not see a NUL or
 *   a byte sequence that some decoders read as `.` or `/`
 * - runs of `/` collapse into one
 * - `.` and `..` segments are resolved (RFC 3986 5.2.4); `..` never climbs above `/`
 * - case and trailing slashes are kept: `/User` and `/user/` are other paths
 */
export type NormalizeResult =
  | { readonly ok: true; readonly path: string; readonly query: string }
  /** `location` is set when the target should be redirected there (escaped slashes, `redirect` policy); else 400. */
  | { readonly ok: false; readonly reason: string; readonly location?: string };

/** What to do with `%2F`, `%5C` and a raw `\` in the path (README "Path normalisation"). */
export type EscapedSlashes = 'reject' | 'redirect';

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

export function normalizeTarget(target: string, escapedSlashes: EscapedSlashes = 'reject'): NormalizeResult {
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

  // HOT PATH. Fast path: nothing to decode, no dot segments, no double slashes, no backslash.
  if (!rawPath.includes('%') && !rawPath.includes('//') && !rawPath.includes('/.') && PATH_SAFE.test(rawPath)) {
    return { ok: true, path: rawPath, query };
  }

  let decoded = '';
  let slashes = false;
  // UTF-8 check of the escaped bytes (Unicode table 3-7): continuation bytes still expected, and their range.
  let need = 0;
  let lo = 0x80;
  let hi = 0xbf;
  for (let i = 0; i < rawPath.length; i++) {
    const code = rawPath.charCodeAt(i);
    if (code === 0x25) {
      const h = hexValue(rawPath.charCodeAt(i + 1));
      const l = hexValue(rawPath.charCodeAt(i + 2));
      if (h < 0 || l < 0) return { ok: false, reason: 'the path has a malformed percent-encoding' };
      const byte = h * 16 + l;
      i += 2;
      if (need > 0) {
        if (byte < lo || byte > hi) return NOT_UTF8;
        need--;
        lo = 0x80;
        hi = 0xbf;
      } else if (byte >= 0x80) {
        if (byte >= 0xc2 && byte <= 0xdf) need = 1;
        else if (byte >= 0xe0 && byte <= 0xef) {
          need = 2;
          if (byte === 0xe0)
            lo = 0xa0; // overlong
          else if (byte === 0xed) hi = 0x9f; // surrogates
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          need = 3;
          if (byte === 0xf0)
            lo = 0x90; // overlong
          else if (byte === 0xf4) hi = 0x8f; // past U+10FFFF
        } else return NOT_UTF8;
      } else if (byte === 0) {
        return { ok: false, reason: 'the path must not contain %00' };
      } else if (byte === 0x2f || byte === 0x5c) {
        if (escapedSlashes === 'reject') return ESCAPED_SLASH;
        slashes = true;
        decoded += '/';
        continue;
      }
      decoded += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[h]}${HEX[l]}`;
    } else if (need > 0) {
      return NOT_UTF8;
    } else if (code < 0x21 || code > 0x7e) {
      return { ok: false, reason: 'the path has characters that must be percent-encoded' };
    } else if (code === 0x5c) {
      // Some backends read a raw backslash as a slash: the same policy as `%5C`.
      if (escapedSlashes === 'reject') return ESCAPED_SLASH;
      slashes = true;
      decoded += '/';
    } else {
      const ch = rawPath[i] as string;
      decoded += PATH_SAFE.test(ch) ? ch : `%${HEX[code >> 4]}${HEX[code & 15]}`;
    }
  }
  if (need > 0) return NOT_UTF8;
  const path = removeDotSegments(decoded.replace(/\/{2,}/g, '/'));
  if (slashes) {
    return { ok: false, reason: ESCAPED_SLASH.reason, location: query ? `${path}?${query}` : path };
  }
  return { ok: true, path, query };
}

type Refusal = Extract<NormalizeResult, { ok: false }>;
const NOT_UTF8: Refusal = { ok: false, reason: 'the path is not valid UTF-8 percent-encoding' };
const ESCAPED_SLASH: Refusal = {
  ok: false,
  reason: 'the path must not contain an escaped slash or backslash (%2F, %5C, \\)',
};

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
