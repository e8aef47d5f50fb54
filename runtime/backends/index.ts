/** Builds an API's backend handler from its config. */
import type { Agent } from 'undici';
import type { ApiConfig, GatewayConfig } from '../../model';
import type { HttpBackendHandler } from '../pipeline';
import { createHttpHandler } from './http';
import { createMockHandler } from './mock';
import { createScfHandler } from './scf';
import type { FunctionInvoker } from '../functions/invoker';
import { compileErrorConversion } from '../error-conversion';

export interface BackendEnv {
  readonly agent: Agent;
  readonly config: GatewayConfig;
  /** Folder of the config file (bundled functions resolve against it). */
  readonly baseDir: string;
  /** Show function error stacks to clients (APIGW_DEBUG=1); never in production. */
  readonly debug: boolean;
  /** Runs bundled and remote functions; shared by the config's APIs. */
  readonly invoker: FunctionInvoker;
}

/** Returns the handler of an HTTP-frontend API; WebSocket backends are served by the upgrade path. */
export function createBackend(api: ApiConfig, env: BackendEnv): HttpBackendHandler | undefined {
  const b = api.backend;
  const limits = env.config.service.limits;
  const conversion = compileErrorConversion(api);
  switch (b.type) {
    case 'http':
      return createHttpHandler(api, b, {
        agent: env.agent,
        trustForwarded: limits.trustForwardedHeaders,
        maxBodyBytes: limits.maxBodyBytes,
        conversion,
      });
    case 'mock':
      return createMockHandler(api, b);
    case 'scf':
      return createScfHandler(api, b, {
        invoker: env.invoker,
        maxBodyBytes: limits.maxBodyBytes,
        debug: env.debug,
        conversion,
      });
    case 'websocket':
    case 'websocketFunctions':
      return undefined;
  }
}
