/** Signs requests for key-pair APIs: used by `apigw sign`, by tests and by client code. */
import { REQUEST_TARGET, requestTargetValue, sign, stringToSign, type HmacAlgorithm } from './signature';

export interface SignOptions {
  readonly secretId: string;
  readonly secretKey: string;
  /** @default 'hmac-sha256' */
  readonly algorithm?: HmacAlgorithm;
  /** Extra headers to sign and send, for example `{ source: 'my-app' }`. */
  readonly headers?: Record<string, string>;
  /** @default now */
  readonly date?: Date;
  /**
   * Also sign the request line as `(request-target)`, so that the signature is
   * only valid for this method, path and query. `path` is the path and query
   * exactly as the request will send them (`/pets?id=1`).
   * @default - the request line is not signed
   */
  readonly requestTarget?: { readonly method: string; readonly path: string };
}

/** Returns the headers to add to the request: `x-date`, the extra headers and `authorization`. */
export function signRequest(options: SignOptions): Record<string, string> {
  const algorithm = options.algorithm ?? 'hmac-sha256';
  const out: Record<string, string> = { 'x-date': (options.date ?? new Date()).toUTCString() };
  for (const [k, v] of Object.entries(options.headers ?? {})) out[k.toLowerCase()] = v;
  const target = options.requestTarget;
  const names = [...(target ? [REQUEST_TARGET] : []), ...Object.keys(out)];
  const value = (n: string): string | undefined =>
    n === REQUEST_TARGET && target ? requestTargetValue(target.method, target.path) : out[n];
  const signature = sign(algorithm, options.secretKey, stringToSign(names, value));
  out.authorization = `hmac id="${options.secretId}", algorithm="${algorithm}", headers="${names.join(' ')}", signature="${signature}"`;
  return out;
}
