/** Key-pair (HMAC signature) authentication, with usage plans. */
import type { ApiConfig, GatewayConfig } from '../../model';
import { Errors, GatewayError } from '../errors';
import type { Authenticator, Identity, RequestContext } from '../pipeline';
import { readSecret } from '../secrets';
import {
  HMAC_ALGORITHMS,
  parseAuthorization,
  sign,
  signatureMatches,
  stringToSign,
  type HmacAlgorithm,
} from './signature';
import { usagePlansOf } from './usage-plans';

/** Largest accepted distance between the request's date and the gateway's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export function createKeyPairAuthenticator(
  api: ApiConfig,
  config: GatewayConfig,
  baseDir: string,
  env: NodeJS.ProcessEnv,
): Authenticator {
  // Secrets are read once, at load: a missing one refuses the config, never a request.
  const secrets = new Map<string, string>();
  for (const k of config.service.keyPairs) secrets.set(k.secretId, readSecret(k.secretKey, baseDir, env));
  const plans = usagePlansOf(config);
  const deny = (message: string): GatewayError => new GatewayError(Errors.Unauthorized, message);

  return {
    authenticate(ctx: RequestContext): Identity | GatewayError {
      const headers = ctx.req.headers;
      const header = headers.authorization;
      if (!header) return deny('the Authorization header is missing');
      const parsed = parseAuthorization(header);
      if ('error' in parsed) return deny(parsed.error);
      if (!HMAC_ALGORITHMS.includes(parsed.algorithm as HmacAlgorithm)) {
        return deny(`algorithm ${parsed.algorithm} is not supported (use hmac-sha1 or hmac-sha256)`);
      }
      const dateName = parsed.headers.find((h) => h === 'x-date' || h === 'date');
      if (!dateName) return deny('the signed headers must include x-date or date');
      const value = (name: string): string | undefined => {
        const v = headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      };
      const dateValue = value(dateName);
      const date = dateValue === undefined ? NaN : Date.parse(dateValue);
      if (Number.isNaN(date)) return deny(`the ${dateName} header is missing or not an HTTP date`);
      if (Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS) {
        return deny(`the ${dateName} header is more than 15 minutes from the gateway's clock`);
      }
      const secret = secrets.get(parsed.id);
      if (secret === undefined) return deny(`key ${parsed.id} is unknown`);
      const expected = sign(parsed.algorithm as HmacAlgorithm, secret, stringToSign(parsed.headers, value));
      if (!signatureMatches(expected, parsed.signature)) return deny('the signature does not match');
      const plan = plans.planFor(parsed.id, api.name);
      if (!plan) return deny(`key ${parsed.id} is not bound to this API by a usage plan`);
      const limited = plans.admit(plan, parsed.id);
      if (limited) return limited;
      return { secretId: parsed.id, forwardHeaders: { 'x-api-secretid': parsed.id } };
    },
  };
}
