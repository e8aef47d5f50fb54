/** Key-pair (HMAC signature) authentication, with usage plans. */
import type { ApiConfig, GatewayConfig } from '../../model';
import { Errors, GatewayError } from '../errors';
import type { Authenticator, Identity, RequestContext } from '../pipeline';
import { readSecret } from '../secrets';
import {
  HMAC_ALGORITHMS,
  REQUEST_TARGET,
  parseAuthorization,
  requestTargetValue,
  signBytes,
  signatureMatches,
  stringToSign,
  type HmacAlgorithm,
} from './signature';
import { usagePlansOf } from './usage-plans';

/** Largest accepted distance between the request's date and the gateway's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Signs for unknown key ids, so that they take as long as a wrong signature (no key enumeration by timing). */
const DECOY_SECRET = 'decoy-secret-for-unknown-key-ids';

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
  const requireTarget = api.auth.type === 'keyPair' && api.auth.requireSignedRequestTarget === true;
  const deny = (message: string): GatewayError => new GatewayError(Errors.Unauthorized, message);
  // A key's identity never changes: built once, shared by its requests (readonly, never mutated).
  const identities = new Map<string, Identity>();
  for (const id of secrets.keys()) {
    identities.set(id, Object.freeze({ secretId: id, forwardHeaders: Object.freeze({ 'x-api-secretid': id }) }));
  }
  // The last date value that passed the format check, and its time: clients send the same
  // value for a whole second, and the check (parse, then format back) is most of a microsecond.
  // `null` matches no header value (a missing header is `undefined`, an empty one ''), so NaN is never reused.
  let checkedDate: string | null = null;
  let checkedDateMs = 0;

  return {
    // HOT PATH
    authenticate(ctx: RequestContext): Identity | GatewayError {
      const { req } = ctx;
      const headers = req.headers;
      const header = headers.authorization;
      if (!header) return deny('the Authorization header is missing');
      const parsed = parseAuthorization(header);
      if ('error' in parsed) return deny(parsed.error);
      if (!HMAC_ALGORITHMS.includes(parsed.algorithm as HmacAlgorithm)) {
        return deny(`algorithm ${parsed.algorithm} is not supported (use hmac-sha1 or hmac-sha256)`);
      }
      const dateName = parsed.headers.find((h) => h === 'x-date' || h === 'date');
      if (!dateName) return deny('the signed headers must include x-date or date');
      if (requireTarget && !parsed.headers.includes(REQUEST_TARGET)) {
        return deny(`the signed headers must include ${REQUEST_TARGET} for this API`);
      }
      const value = (name: string): string | undefined => {
        if (name === REQUEST_TARGET) return requestTargetValue(req.method ?? 'GET', pathAndQuery(req.url ?? '/'));
        const v = headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      };
      // Two dates that disagree: a receiver reading the unsigned one would be fooled about the request's age.
      if (headers.date !== undefined && headers['x-date'] !== undefined && value('date') !== value('x-date')) {
        return deny('the date and x-date headers differ');
      }
      const dateValue = value(dateName);
      let date = checkedDateMs;
      if (dateValue !== checkedDate) {
        date = dateValue === undefined ? NaN : Date.parse(dateValue);
        // Only the RFC 7231 IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`), exactly as `toUTCString()` writes it.
        if (Number.isNaN(date) || new Date(date).toUTCString() !== dateValue) {
          return deny(`the ${dateName} header is missing or not an RFC 7231 date (Sun, 06 Nov 1994 08:49:37 GMT)`);
        }
        checkedDate = dateValue;
        checkedDateMs = date;
      }
      if (Math.abs(Date.now() - date) > MAX_CLOCK_SKEW_MS) {
        return deny(`the ${dateName} header is more than 15 minutes from the gateway's clock`);
      }
      const secret = secrets.get(parsed.id);
      // An unknown key id gets the same answer, after the same work, as a wrong signature.
      const expected = signBytes(
        parsed.algorithm as HmacAlgorithm,
        secret ?? DECOY_SECRET,
        stringToSign(parsed.headers, value),
      );
      if (!signatureMatches(expected, parsed.signature) || secret === undefined) {
        return deny('the signature does not match');
      }
      const plan = plans.planFor(parsed.id, api.name);
      if (!plan) return deny(`key ${parsed.id} is not bound to this API by a usage plan`);
      const limited = plans.admit(plan, parsed.id);
      if (limited) return limited;
      return identities.get(parsed.id) as Identity;
    },
  };
}

/** The path and query of the request line (an absolute-form target loses its scheme and authority). */
function pathAndQuery(target: string): string {
  if (target.startsWith('/')) return target;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  const rest = m ? target.slice(m[0].length) : target;
  return rest.startsWith('/') ? rest : `/${rest}`;
}
