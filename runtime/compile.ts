/**
 * Compiles a validated config into what the request path runs: the router
 * and, per API, its parameter checker, authenticator, CORS policy and backend.
 * Everything that can fail (secrets, regexes, function code) fails here, at
 * load, so a bad config never replaces a working one.
 */
import { Agent } from 'undici';
import type { ApiConfig } from '../model';
import { createAuthenticator } from './auth';
import { createBackend } from './backends';
import { FunctionInvoker } from './functions/invoker';
import type { LoadedConfig } from './config-loader';
import { compileCors, type CorsPolicy } from './cors';
import { compileHeaderPolicy, type HeaderPolicy } from './headers';
import { compileParams, type ParamChecker } from './params';
import type { Authenticator, HttpBackendHandler } from './pipeline';
import { Router } from './router';
import { readSecret } from './secrets';
import { createWebSocketProxy, type WebSocketProxy } from './websocket/proxy';
import { ConnectionRegistry } from './websocket/connections';
import { createWebSocketFunctions, type WebSocketFunctionEnv } from './websocket/functions';

export interface CompiledApi {
  readonly api: ApiConfig;
  readonly params: ParamChecker;
  readonly auth: Authenticator | undefined;
  readonly cors: CorsPolicy | undefined;
  /** Undefined for WebSocket APIs. */
  readonly backend: HttpBackendHandler | undefined;
  /** The upgrade handler of WebSocket APIs. */
  readonly ws: WebSocketProxy | undefined;
  /** Which request headers the gateway owns for this API (shared by every backend and function events). */
  readonly headerPolicy: HeaderPolicy;
}

export interface CompiledGateway {
  readonly loaded: LoadedConfig;
  readonly router: Router;
  readonly apis: ReadonlyMap<ApiConfig, CompiledApi>;
  readonly agent: Agent;
  /** Function workers and remote invocation, shared with WebSocket function APIs. */
  readonly invoker: FunctionInvoker;
  /** Token of the connections endpoint, when configured. */
  readonly adminToken: string | undefined;
  /** Frees pools and workers once no request uses this generation any more. */
  close(): Promise<void>;
}

export interface CompileOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly debug: boolean;
  /** Function-served WebSocket connections; outlives config generations. */
  readonly registry: ConnectionRegistry;
}

export function compileGateway(loaded: LoadedConfig, options: CompileOptions): CompiledGateway {
  const { config, baseDir } = loaded;
  const agent = new Agent({
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    connect: { timeout: 10_000 },
    // Each HTTP backend request runs the API's own timer; remote functions pass their own timeouts.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const invoker = new FunctionInvoker({ baseDir, dispatcher: agent });
  const registry = options.registry;
  const apis = new Map<ApiConfig, CompiledApi>();
  try {
    for (const api of config.apis) {
      apis.set(api, {
        api,
        params: compileParams(api),
        auth: createAuthenticator(api, config, { baseDir, env: options.env }),
        cors: api.cors ? compileCors(api.cors, api.frontend.method) : undefined,
        backend: createBackend(api, { agent, config, baseDir, debug: options.debug, invoker }),
        ws: createUpgradeHandler(api, { invoker, registry }),
        headerPolicy: compileHeaderPolicy(api, config.service.limits),
      });
    }
  } catch (err) {
    void closeAll(apis, agent, invoker);
    throw err;
  }
  const adminToken = config.service.connectionsAdminToken
    ? readSecret(config.service.connectionsAdminToken, baseDir, options.env)
    : undefined;
  return {
    loaded,
    adminToken,
    router: new Router(config.apis),
    apis,
    agent,
    invoker,
    close: () => closeAll(apis, agent, invoker),
  };
}

async function closeAll(apis: Map<ApiConfig, CompiledApi>, agent: Agent, invoker: FunctionInvoker): Promise<void> {
  await Promise.allSettled([...apis.values()].flatMap((a) => [a.backend?.close(), a.ws?.close()]));
  await invoker.close();
  await agent.close();
}

function createUpgradeHandler(api: ApiConfig, env: WebSocketFunctionEnv): WebSocketProxy | undefined {
  const b = api.backend;
  if (b.type === 'websocket') return createWebSocketProxy(b);
  if (b.type === 'websocketFunctions') {
    for (const t of [b.register, b.transfer, b.cleanup]) if (t) env.invoker.register(t);
    return createWebSocketFunctions(b, env);
  }
  return undefined;
}
