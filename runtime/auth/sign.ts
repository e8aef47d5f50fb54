/** Signs requests for key-pair APIs: used by `apigw sign`, by tests and by client code. */
import { sign, stringToSign, type HmacAlgorithm } from './signature';

export interface SignOptions {
  readonly secretId: string;
  readonly secretKey: string;
  /** @default 'hmac-sha256' */
  readonly algorithm?: HmacAlgorithm;
  /** Extra headers to sign and send, for example `{ source: 'my-app' }`. */
  readonly headers?: Record<string, string>;
  /** @default now */
  readonly date?: Date;
}

/** Returns the headers to add to the request: `x-date`, the extra headers and `authorization`. */
export function signRequest(options: SignOptions): Record<string, string> {
  const algorithm = options.algorithm ?? 'hmac-sha256';
  const out: Record<string, string> = { 'x-date': (options.date ?? new Date()).toUTCString() };
  for (const [k, v] of Object.entries(options.headers ?? {})) out[k.toLowerCase()] = v;
  const names = Object.keys(out);
  const signature = sign(
    algorithm,
    options.secretKey,
    stringToSign(names, (n) => out[n]),
  );
  out.authorization = `hmac id="${options.secretId}", algorithm="${algorithm}", headers="${names.join(' ')}", signature="${signature}"`;
  return out;
}
