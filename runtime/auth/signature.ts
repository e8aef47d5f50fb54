/**
 * The key-pair signature scheme of the document's gateway:
 *
 *   Authorization: hmac id="<secretId>", algorithm="hmac-sha1", headers="x-date source", signature="<base64>"
 *
 * The string to sign is each listed header as `name: value` (lower-case
 * name), joined by `\n`, in the listed order. The pseudo-header
 * `(request-target)` (from draft-cavage-http-signatures, whose header format
 * this is) stands for the request line: the lower-case method, a space, and
 * the path and query exactly as sent (`(request-target): get /pets?id=1`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type HmacAlgorithm = 'hmac-sha1' | 'hmac-sha256';
export const HMAC_ALGORITHMS: readonly HmacAlgorithm[] = ['hmac-sha1', 'hmac-sha256'];

/** The pseudo-header that signs the method, path and query. */
export const REQUEST_TARGET = '(request-target)';

export interface ParsedAuthorization {
  readonly id: string;
  readonly algorithm: string;
  readonly headers: readonly string[];
  readonly signature: string;
}

/** Parses the `Authorization: hmac ...` header; returns a reason when it is malformed. */
export function parseAuthorization(value: string): ParsedAuthorization | { error: string } {
  const m = /^hmac\s+(.*)$/i.exec(value.trim());
  if (!m) return { error: 'the Authorization header must use the hmac scheme' };
  const fields = new Map<string, string>();
  const re = /\s*([A-Za-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)/gy;
  const rest = m[1] as string;
  let pos = 0;
  while (pos < rest.length) {
    re.lastIndex = pos;
    const f = re.exec(rest);
    if (!f) return { error: 'the Authorization header is malformed' };
    const name = (f[1] as string).toLowerCase();
    // A repeated field is ambiguous (which one was signed for?): refuse rather than pick one.
    if (fields.has(name)) return { error: 'the Authorization header is malformed' };
    fields.set(name, f[2] as string);
    pos = re.lastIndex;
  }
  const id = fields.get('id');
  const algorithm = fields.get('algorithm');
  const headers = fields.get('headers');
  const signature = fields.get('signature');
  if (!id || !algorithm || headers === undefined || !signature) {
    return { error: 'the Authorization header must carry id, algorithm, headers and signature' };
  }
  return {
    id,
    algorithm: algorithm.toLowerCase(),
    headers: headers.toLowerCase().split(/\s+/).filter(Boolean),
    signature,
  };
}

/** The string to sign for the listed headers (`(request-target)` included, when listed). */
export function stringToSign(headers: readonly string[], value: (name: string) => string | undefined): string {
  return headers.map((h) => `${h}: ${value(h) ?? ''}`).join('\n');
}

/** The `(request-target)` value: lower-case method, space, path and query as sent. */
export function requestTargetValue(method: string, pathAndQuery: string): string {
  return `${method.toLowerCase()} ${pathAndQuery}`;
}

export function sign(algorithm: HmacAlgorithm, secret: string, text: string): string {
  return signBytes(algorithm, secret, text).toString('base64');
}

/** The HMAC itself, as bytes (the gateway compares bytes: no base64 round trip per request). */
export function signBytes(algorithm: HmacAlgorithm, secret: string, text: string): Buffer {
  return createHmac(algorithm === 'hmac-sha1' ? 'sha1' : 'sha256', secret)
    .update(text, 'utf8')
    .digest();
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes canonical, padded base64 only: no base64url, no missing padding, no
 * spaces, no bytes after the padding, no non-zero bits in the last character
 * (Node's decoder accepts all of these, which made signatures malleable).
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** Compares a presented base64 signature with the expected bytes: strict decoding, exact bytes, constant time. */
export function signatureMatches(expected: Buffer, presentedBase64: string): boolean {
  const presented = decodeBase64Strict(presentedBase64);
  // Lengths are not secret (they follow from the algorithm); the comparison of bytes is.
  return presented !== undefined && presented.length === expected.length && timingSafeEqual(presented, expected);
}
