/** An OAuth 2.0 token issuer for tests: a fresh key pair that signs access tokens (JWTs, with `jose`). */
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** @default 'RS256' */
  readonly algorithm?: 'RS256' | 'ES256' | 'EdDSA';
  /** The `iss` claim of every token. @default - none */
  readonly issuer?: string;
  /** The `aud` claim of every token. @default - none */
  readonly audience?: string | readonly string[];
}

/** Options of {@link TestIssuer.sign}. */
export interface TestTokenOptions {
  /**
   * Seconds until the token expires (negative for an expired token); `null` for a token without `exp`.
   * @default 300
   */
  readonly expiresInSeconds?: number | null;
}

/** Signs access tokens with its own key; give the stack its public key. */
export interface TestIssuer {
  /** The public key, PEM (SPKI): `Auth.oauth2({ publicKeyPem })`. */
  readonly publicKeyPem: string;
  /** The public key as a JWKS document (JSON text): `Auth.oauth2({ jwks })`. */
  readonly jwks: string;
  /** The algorithm tokens are signed with: list it in `Auth.oauth2({ algorithms })`. */
  readonly algorithm: string;
  /** A signed token with these claims, plus `iss`, `aud`, `iat` and `exp`. */
  sign(claims?: JWTPayload, options?: TestTokenOptions): Promise<string>;
}

/** Makes a key pair and an issuer that signs tokens with it. */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithm = options.algorithm ?? 'RS256';
  const { publicKey, privateKey } = await generateKeyPair(algorithm, { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: algorithm, use: 'sig' };
  return {
    publicKeyPem: await exportSPKI(publicKey),
    jwks: JSON.stringify({ keys: [jwk] }),
    algorithm,
    async sign(claims: JWTPayload = {}, tokenOptions: TestTokenOptions = {}) {
      let jwt = new SignJWT(claims).setProtectedHeader({ alg: algorithm, kid }).setIssuedAt();
      const expires = tokenOptions.expiresInSeconds === undefined ? 300 : tokenOptions.expiresInSeconds;
      if (expires !== null) jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expires);
      if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
      if (options.audience !== undefined)
        jwt = jwt.setAudience(typeof options.audience === 'string' ? options.audience : [...options.audience]);
      return jwt.sign(privateKey as KeyLike);
    },
  };
}
