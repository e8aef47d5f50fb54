/** Builds the authenticator of an API at config load. */
import type { EventLog } from '../access-log';
import type { ApiConfig, GatewayConfig } from '../../model';
import type { Authenticator } from '../pipeline';
import { createKeyPairAuthenticator } from './keypair';
import { createOAuthAuthenticator } from './oauth';

export interface AuthEnv {
  /** Folder of the config file, for secrets stored in files. */
  readonly baseDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where failures that are not the client's go (an identity provider's keys that cannot be fetched). */
  readonly events?: EventLog;
}

/** Returns the API's authenticator, or undefined when the API needs none. Throws when a secret is missing. */
export function createAuthenticator(api: ApiConfig, config: GatewayConfig, env: AuthEnv): Authenticator | undefined {
  switch (api.auth.type) {
    case 'none':
    case 'oauth2Endpoint':
      return undefined;
    case 'keyPair':
      return createKeyPairAuthenticator(api, config, env.baseDir, env.env);
    case 'oauth2':
      return createOAuthAuthenticator(api, api.auth.verifier, env.events);
  }
}
