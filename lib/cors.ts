/** CORS settings of an API. */
import { CORS_ANY_WITH_CREDENTIALS, type CorsConfig } from '../model';

/** Options of {@link Cors.custom}. */
export interface CorsOptions {
  /**
   * Origins allowed to call the API, as `scheme://host[:port]`; `https://*.example.com` allows every
   * subdomain of example.com (not example.com itself); `*` allows any origin.
   */
  readonly allowOrigins: string[];
  /**
   * Methods announced in preflight answers.
   * @default - the API's method
   */
  readonly allowMethods?: string[];
  /**
   * Request headers announced in preflight answers.
   * @default - the headers the browser asks for
   */
  readonly allowHeaders?: string[];
  /** Response headers scripts may read. @default - none */
  readonly exposeHeaders?: string[];
  /**
   * Allow cookies and credentials. Needs a list of origins: `*` with credentials is refused, since it
   * would let any site read answers made with the user's cookies.
   * @default false
   */
  readonly allowCredentials?: boolean;
  /** How long browsers may cache a preflight answer, in seconds. @default - not sent */
  readonly maxAgeSeconds?: number;
}

/**
 * Cross-origin resource sharing for an API: the gateway answers preflights and
 * adds the `Access-Control-*` headers to every answer of the API (its own
 * errors too). `true` on an API's `cors` is {@link Cors.ALL_ORIGINS}.
 */
export class Cors {
  /** `Access-Control-Allow-Origin: *`: the document's CORS switch. */
  static readonly ALL_ORIGINS: Cors = Cors.custom({ allowOrigins: ['*'] });

  /** CORS with explicit origins, methods, headers and credentials. */
  static custom(options: CorsOptions): Cors {
    if (options.allowCredentials && options.allowOrigins.includes('*'))
      throw new Error(`Cors: ${CORS_ANY_WITH_CREDENTIALS}`);
    return new Cors({
      allowOrigins: options.allowOrigins,
      allowMethods: options.allowMethods ?? [],
      allowHeaders: options.allowHeaders ?? [],
      exposeHeaders: options.exposeHeaders ?? [],
      allowCredentials: options.allowCredentials ?? false,
      ...(options.maxAgeSeconds !== undefined ? { maxAgeSeconds: options.maxAgeSeconds } : {}),
    });
  }

  private constructor(
    /** The CORS section of the API's config. */
    readonly config: CorsConfig,
  ) {}
}
