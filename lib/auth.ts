/** How an API authenticates its callers. */
import type { AuthConfig, JwtAlgorithm } from '../model';
import type { Duration } from './duration';

/** Options of {@link Auth.oauth2}: how the gateway verifies access tokens (JWTs). */
export interface OAuth2Options {
  /** Public key (SPKI PEM) that signs tokens. Mutually exclusive with `jwks` and `jwksUrl`. */
  readonly publicKeyPem?: string;
  /** A JWKS document (`{"keys":[...]}`) as JSON text. Mutually exclusive with `publicKeyPem` and `jwksUrl`. */
  readonly jwks?: string;
  /**
   * The identity provider's JWKS URL (`https://login.example.com/.well-known/jwks.json`): keys are fetched
   * and cached, and fetched again when a token names an unknown `kid`, so rotating keys needs no redeploy.
   * When they cannot be fetched, requests get `503 AuthUnavailable`. Mutually exclusive with `publicKeyPem`
   * and `jwks`.
   */
  readonly jwksUrl?: string;
  /** With `jwksUrl`: a fetch not finished within this fails (100 ms to 1 minute). @default Duration.seconds(5) */
  readonly jwksTimeout?: Duration;
  /**
   * With `jwksUrl`: shortest time between fetches for unknown `kid`s (1 second to 1 hour), which bounds what
   * tokens with made-up `kid`s can make the gateway fetch.
   * @default Duration.seconds(30)
   */
  readonly jwksCooldown?: Duration;
  /** With `jwksUrl`: keys older than this are fetched again before use (1 second to 1 day). @default Duration.minutes(10) */
  readonly jwksCacheMaxAge?: Duration;
  /** Accepted signature algorithms. @default ['RS256'] */
  readonly algorithms?: JwtAlgorithm[];
  /** Required `iss` claim. @default - not checked */
  readonly issuer?: string;
  /** Accepted `aud` values. @default - not checked */
  readonly audience?: string[];
  /** Allowed clock skew for `exp`/`nbf`, in seconds. @default 30 */
  readonly clockToleranceSeconds?: number;
  /**
   * Where the token is read.
   * @default - the `Authorization` header with the `Bearer` scheme
   */
  readonly tokenLocation?: {
    readonly from: 'header' | 'query' | 'cookie';
    readonly name: string;
    readonly scheme?: string;
  };
  /**
   * Verified claims forwarded to the backend as headers (claim → header). The
   * gateway owns these headers: a client's own value is never forwarded.
   * @default - none
   */
  readonly forwardClaims?: Record<string, string>;
  /**
   * Refuse tokens without an `exp` (expiry) claim, which would otherwise be valid forever.
   * Turn it off only for an issuer that cannot set `exp` and whose tokens you revoke by rotating the key.
   * @default true
   */
  readonly requireExp?: boolean;
  /**
   * Forward the header that carries the token (by default `Authorization`) to the backend.
   * Tokens read from a query parameter or cookie are forwarded as part of the URL or cookies either way.
   * @default false - the backend gets the verified claims in `forwardClaims`, not the bearer token
   */
  readonly forwardToken?: boolean;
}

/** Options of {@link Auth.keyPair}. */
export interface KeyPairAuthOptions {
  /**
   * Forward the client's `Authorization` header (the signature) to the backend.
   * @default false - the backend gets the key id as `x-api-secretid`
   */
  readonly forwardAuthorization?: boolean;
  /**
   * Refuse signatures that do not sign the request line: the signed headers must
   * list `(request-target)` (the method, path and query), so that a captured
   * signature cannot be replayed on another path or method within the date window.
   * @default false
   */
  readonly requireSignedRequestTarget?: boolean;
}

/**
 * How an API authenticates its callers (the document's "authentication type"):
 * none, key pairs (HMAC signatures, bound to APIs by usage plans), or OAuth 2.0
 * (JWT access tokens).
 */
export class Auth {
  /** No authentication. */
  static none(): Auth {
    return new Auth({ type: 'none' });
  }
  /**
   * Key-pair (HMAC signature) authentication. The service's usage plans say
   * which key pairs may call the API.
   */
  static keyPair(options: KeyPairAuthOptions = {}): Auth {
    return new Auth({
      type: 'keyPair',
      ...(options.forwardAuthorization !== undefined ? { forwardAuthorization: options.forwardAuthorization } : {}),
      ...(options.requireSignedRequestTarget !== undefined
        ? { requireSignedRequestTarget: options.requireSignedRequestTarget }
        : {}),
    });
  }
  /** OAuth 2.0: requests carry a JWT access token the gateway verifies. */
  static oauth2(options: OAuth2Options): Auth {
    return new Auth({
      type: 'oauth2',
      verifier: {
        ...(options.publicKeyPem !== undefined ? { publicKeyPem: options.publicKeyPem } : {}),
        ...(options.jwks !== undefined ? { jwks: options.jwks } : {}),
        ...(options.jwksUrl !== undefined
          ? {
              remoteJwks: {
                url: options.jwksUrl,
                timeoutMs: options.jwksTimeout?.toMilliseconds() ?? 5_000,
                cooldownMs: options.jwksCooldown?.toMilliseconds() ?? 30_000,
                cacheMaxAgeMs: options.jwksCacheMaxAge?.toMilliseconds() ?? 600_000,
              },
            }
          : {}),
        algorithms: options.algorithms ?? ['RS256'],
        ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
        ...(options.audience !== undefined ? { audience: options.audience } : {}),
        clockToleranceSec: options.clockToleranceSeconds ?? 30,
        tokenLocation: options.tokenLocation ?? { from: 'header', name: 'authorization', scheme: 'Bearer' },
        forwardClaims: Object.entries(options.forwardClaims ?? {}).map(([claim, header]) => ({ claim, header })),
        ...(options.requireExp !== undefined ? { requireExp: options.requireExp } : {}),
        ...(options.forwardToken !== undefined ? { forwardToken: options.forwardToken } : {}),
      },
    });
  }
  /** The OAuth 2.0 authorization endpoint API of the document: served without authentication. */
  static oauth2Endpoint(): Auth {
    return new Auth({ type: 'oauth2Endpoint' });
  }

  private constructor(
    /** The auth section of the API's config. */
    readonly config: AuthConfig,
  ) {}
}
