/**
 * OAuth 2.0 resource-server side: verifies JWT access tokens with jose,
 * against an inline key or JWKS, or the keys of a JWKS URL (`remote-jwks.ts`:
 * `503 AuthUnavailable` when they cannot be fetched). A
 * token must carry `exp` unless the API opts out (`requireExp: false`). The
 * header that carries the token is not forwarded to the backend unless
 * `forwardToken` (see `headers.ts`): the backend gets the verified claims it asked for.
 */
import { createPublicKey } from 'node:crypto';
import { createLocalJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type KeyLike } from 'jose';
import type { ApiConfig, OAuthVerifierConfig } from '../../model';
import { Errors, GatewayError } from '../errors';
import type { AdmittedRequest, Authenticator, Identity } from '../pipeline';
import type { EventLog } from '../access-log';
import { createRemoteKeySet, KeySetUnavailable } from './remote-jwks';

export function createOAuthAuthenticator(
  api: ApiConfig,
  verifier: OAuthVerifierConfig,
  events?: EventLog,
): Authenticator {
  let key: KeyLike | JWTVerifyGetKey;
  try {
    key = verifier.remoteJwks
      ? createRemoteKeySet(api.name, verifier.remoteJwks, events)
      : verifier.jwks
        ? createLocalJWKSet(JSON.parse(verifier.jwks) as Parameters<typeof createLocalJWKSet>[0])
        : createPublicKey(verifier.publicKeyPem as string);
  } catch (err) {
    throw new Error(`API "${api.name}": the OAuth 2.0 verification key cannot be read: ${(err as Error).message}`);
  }
  const options = {
    algorithms: verifier.algorithms,
    clockTolerance: verifier.clockToleranceSec,
    // A token without `exp` would be valid forever: refused unless the API opts out.
    requiredClaims: verifier.requireExp === false ? [] : ['exp'],
    ...(verifier.issuer !== undefined ? { issuer: verifier.issuer } : {}),
    ...(verifier.audience !== undefined ? { audience: verifier.audience } : {}),
  };
  const deny = (message: string): GatewayError =>
    new GatewayError(Errors.Unauthorized, message, { 'www-authenticate': 'Bearer error="invalid_token"' });
  const retryAfter = String(Math.ceil(Math.min(verifier.remoteJwks?.cooldownMs ?? 5000, 5000) / 1000));

  return {
    async authenticate(ctx: AdmittedRequest): Promise<Identity | GatewayError> {
      const token = readToken(ctx, verifier);
      if (!token) {
        return new GatewayError(Errors.Unauthorized, 'an access token is required', { 'www-authenticate': 'Bearer' });
      }
      let payload: JWTPayload;
      try {
        payload = (
          typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)
        ).payload;
      } catch (err) {
        if (err instanceof KeySetUnavailable)
          return new GatewayError(Errors.AuthUnavailable, undefined, { 'retry-after': retryAfter });
        return deny(describe(err));
      }
      const forwardHeaders: Record<string, string> = {};
      for (const { claim, header } of verifier.forwardClaims) {
        const v = payload[claim];
        if (v !== undefined) forwardHeaders[header.toLowerCase()] = typeof v === 'string' ? v : JSON.stringify(v);
      }
      return { claims: payload, forwardHeaders };
    },
  };
}

function readToken(ctx: AdmittedRequest, v: OAuthVerifierConfig): string | undefined {
  const loc = v.tokenLocation;
  if (loc.from === 'query') return ctx.query.get(loc.name) ?? undefined;
  if (loc.from === 'cookie') {
    const cookie = ctx.req.headers.cookie ?? '';
    for (const part of cookie.split(';')) {
      const [k, ...rest] = part.trim().split('=');
      if (k === loc.name) return rest.join('=');
    }
    return undefined;
  }
  const raw = ctx.req.headers[loc.name.toLowerCase()];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  if (!loc.scheme) return value.trim();
  const [scheme, token] = value.trim().split(/\s+/, 2);
  return scheme?.toLowerCase() === loc.scheme.toLowerCase() ? token : undefined;
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the access token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    return err.reason === 'missing'
      ? `the access token has no "${err.claim}" claim`
      : `the access token's "${err.claim}" claim is not accepted`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed)
    return 'the access token is signed with an algorithm that is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the access token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no known key signed the access token';
  return 'the access token is malformed';
}
