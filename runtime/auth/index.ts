/**
 * Builds the authenticator of an API at config load.
 * TEMPORARY scaffold (being replaced by the auth work): key-pair and OAuth 2.0
 * APIs refuse every request, so nothing is ever served unauthenticated.
 */
import type { ApiConfig, GatewayConfig } from '../../model';
import { Errors, GatewayError } from '../errors';
import type { Authenticator } from '../pipeline';

export interface AuthEnv {
  /** Folder of the config file, for secrets stored in files. */
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Returns the API's authenticator, or undefined when the API needs none. */
export function createAuthenticator(api: ApiConfig, _config: GatewayConfig, _env: AuthEnv): Authenticator | undefined {
  switch (api.auth.type) {
    case 'none':
    case 'oauth2Endpoint':
      return undefined;
    default:
      return { authenticate: () => new GatewayError(Errors.Unauthorized, 'authentication is not available yet') };
  }
}
