/**
 * Compiles a validated config into what the request path runs: the router
 * and, per API, its parameter checker, authenticator, CORS policy and backend.
 * Everything that can fail (secrets, regexes, function code) fails here, at
 * load, so a bad config never replaces a working one.
 */
import { Agent } from 'undici';
import type { EventLog } from './access-log';
import {
  effectiveIpAccess,
  effectiveRateLimit,
  type ApiConfig,
  type BundledFunctionSource,
  type FunctionTarget,
  type WebSocketFunctionBackendConfig,
} from '../model';
import { createAuthenticator } from './auth';
import { usagePlansOf, type UsageCounters } from './auth/usage-plans';
import { createBackend } from './backends';
import { withBodyValidation } from './body-validation';
import { Errors, GatewayError } from './errors';
import { FunctionInvoker } from './functions/invoker';
import type { LoadedConfig } from './config-loader';
import { compileCors, type CorsPolicy } from './cors';
import { compileHeaderPolicy, type HeaderPolicy } from './headers';
import { compileIpAccess, type IpAccessPolicy } from './ip-access';
import { compileParams, type ParamChecker } from './params';
import type { Authenticator, HttpBackendHandler } from './pipeline';
import { compileRateLimit, LocalRateCounters, type ApiRateLimit, type RateCounters } from './rate-limit';
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
  /** The API's IP allow/deny lists (its own or the service's default), when it has any. */
  readonly ipAccess: IpAccessPolicy | undefined;
  /** The API's rate limit for all callers (its own or the service's default), when it has one. */
  readonly rateLimit: ApiRateLimit | undefined;
}

export interface CompiledGateway {
  readonly loaded: LoadedConfig;
  readonly router: Router;
  readonly apis: ReadonlyMap<ApiConfig, CompiledApi>;
  /** The same APIs by name (names are unique). */
  readonly apisByName: ReadonlyMap<string, CompiledApi>;
  readonly agent: Agent;
  /** Function workers and remote invocation, shared with WebSocket function APIs. */
  readonly invoker: FunctionInvoker;
  /** Token of the connections endpoint, when configured. */
  readonly adminToken: string | undefined;
  /** WebSocket connections opened through this generation and still open. */
  webSocketConnections(): number;
  /**
   * Frees pools and workers once no request uses this generation any more.
   * Open WebSocket connections stay open: a config change never drops them.
   */
  retire(): Promise<void>;
  /** Shutdown: `retire`, and open WebSocket connections are closed with 1001. */
  close(): Promise<void>;
}

export interface CompileOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly debug: boolean;
  /** Function-served WebSocket connections; outlives config generations. */
  readonly registry: ConnectionRegistry;
  /** Usage-plan counters; outlive config generations (see usage-plans.ts). */
  readonly usageCounters?: UsageCounters;
  /** Per-API rate-limit counters; outlive config generations (see rate-limit.ts). */
  readonly rateCounters?: RateCounters;
  /** Where bundled function code is: the bundle store, for a live-applied config. Default: `dir` from `baseDir`. */
  readonly codeDir?: (source: BundledFunctionSource) => string;
  /**
   * The generation the gateway serves now. Function-served WebSocket
   * connections run the functions of their API in it, so a connection opened
   * before a config change runs the new code rather than a retired
   * generation's stopped workers.
   */
  readonly current?: () => CompiledGateway;
  /** Where failures outside a request's answer are logged (a WebSocket function failing on a message). */
  readonly events?: EventLog;
  /** Worker threads per function version; default: the invoker's (a multi-worker process divides it). */
  readonly functionWorkers?: number;
}

/** A config that validates but cannot be compiled; `field` points at the part that failed. */
export class CompileError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
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
  const invoker = new FunctionInvoker({
    baseDir,
    dispatcher: agent,
    codeDir: options.codeDir,
    workersPerFunction: options.functionWorkers,
  });
  const registry = options.registry;
  const apis = new Map<ApiConfig, CompiledApi>();
  const apisByName = new Map<string, CompiledApi>();
  const open = { count: 0 };
  const rateCounters = options.rateCounters ?? new LocalRateCounters();
  const { limits } = config.service;
  // The authenticators of this generation count on the gateway's counters.
  usagePlansOf(config, options.usageCounters);
  let adminToken: string | undefined;
  try {
    config.apis.forEach((api, i) => {
      let compiled: CompiledApi;
      try {
        const backend = createBackend(api, { agent, config, baseDir, debug: options.debug, invoker });
        const ipAccess = effectiveIpAccess(api, config.service);
        const rateLimit = effectiveRateLimit(api, config.service);
        compiled = {
          api,
          params: compileParams(api),
          auth: createAuthenticator(api, config, { baseDir, env: options.env, events: options.events }),
          cors: api.cors ? compileCors(api.cors, api.frontend.method) : undefined,
          // Only APIs with a body schema buffer their bodies.
          backend:
            backend && api.bodySchema !== undefined
              ? withBodyValidation(backend, api.bodySchema, limits.maxBodyBytes)
              : backend,
          ws: counted(createUpgradeHandler(api, { invoker, registry, events: options.events }, options.current), open),
          headerPolicy: compileHeaderPolicy(api, limits),
          ipAccess: ipAccess ? compileIpAccess(ipAccess) : undefined,
          rateLimit: rateLimit !== undefined ? compileRateLimit(api.name, rateLimit, rateCounters) : undefined,
        };
      } catch (err) {
        throw new CompileError(`/apis/${i}`, (err as Error).message);
      }
      apis.set(api, compiled);
      apisByName.set(api.name, compiled);
    });
    if (config.service.connectionsAdminToken) {
      try {
        adminToken = readSecret(config.service.connectionsAdminToken, baseDir, options.env);
      } catch (err) {
        throw new CompileError('/service/connectionsAdminToken', (err as Error).message);
      }
    }
  } catch (err) {
    void freeAll(apis, agent, invoker);
    throw err;
  }
  let retiring: Promise<void> | undefined;
  const retire = (): Promise<void> => (retiring ??= freeAll(apis, agent, invoker));
  return {
    loaded,
    adminToken,
    router: new Router(config.apis),
    apis,
    apisByName,
    agent,
    invoker,
    webSocketConnections: () => open.count,
    retire,
    close: async () => {
      await Promise.allSettled([...apis.values()].map((a) => a.ws?.close()));
      await retire();
    },
  };
}

/** Frees backends' pools, function workers and the connection pool; WebSocket connections are left alone. */
async function freeAll(apis: Map<ApiConfig, CompiledApi>, agent: Agent, invoker: FunctionInvoker): Promise<void> {
  await Promise.allSettled([...apis.values()].map((a) => a.backend?.close()));
  await invoker.close();
  await agent.close();
}

/** Counts the connections an upgrade handler opens, until each one closes. */
function counted(ws: WebSocketProxy | undefined, open: { count: number }): WebSocketProxy | undefined {
  if (!ws) return undefined;
  return {
    handle(input) {
      ws.handle({
        ...input,
        answered: (status, failure) => {
          if (status === 101) {
            open.count++;
            input.socket.once('close', () => open.count--);
          }
          input.answered(status, failure);
        },
      });
    },
    close: () => ws.close(),
  };
}

function createUpgradeHandler(
  api: ApiConfig,
  env: WebSocketFunctionEnv & { readonly invoker: FunctionInvoker },
  current: (() => CompiledGateway) | undefined,
): WebSocketProxy | undefined {
  const b = api.backend;
  if (b.type === 'websocket') return createWebSocketProxy(b);
  if (b.type === 'websocketFunctions') {
    for (const t of [b.register, b.transfer, b.cleanup]) if (t) env.invoker.register(t);
    return createWebSocketFunctions(b, current ? followLive(api, b, env, current) : env);
  }
  return undefined;
}

/**
 * What a function-served WebSocket connection invokes: its own targets while
 * its generation serves; after a config change, the same API's targets in the
 * generation being served (the service's name and stage too). When the API is
 * gone, or no longer served by functions, a message fails and the connection
 * closes with 1011.
 */
function followLive(
  api: ApiConfig,
  own: WebSocketFunctionBackendConfig,
  env: WebSocketFunctionEnv & { readonly invoker: FunctionInvoker },
  current: () => CompiledGateway,
): WebSocketFunctionEnv {
  const removed = (): Promise<never> =>
    Promise.reject(new GatewayError(Errors.ServiceUnavailable, `API ${api.name} was removed by a config change`));
  return {
    registry: env.registry,
    events: env.events,
    invoker: {
      // HOT PATH: every message of a function-served connection.
      invoke(target: FunctionTarget, event: unknown, requestId?: string): Promise<unknown> {
        const gw = current();
        if (gw.apis.has(api)) return env.invoker.invoke(target, event, requestId);
        const live = gw.apisByName.get(api.name)?.api.backend;
        if (live?.type !== 'websocketFunctions') return removed();
        const next = target === own.transfer ? live.transfer : target === own.cleanup ? live.cleanup : live.register;
        return next ? gw.invoker.invoke(next, event, requestId) : removed();
      },
    },
  };
}
