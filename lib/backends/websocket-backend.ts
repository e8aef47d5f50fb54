import { Problems } from '../checks';
import type { Duration } from '../duration';
import {
  Backend,
  constantConfig,
  mappingConfig,
  type BackendBinding,
  type ConstantParameterOptions,
  type ParameterMappingOptions,
} from './backend';
import { functionTarget, type FunctionProps } from './function-target';

/** Props of {@link WebSocketBackend}. */
export interface WebSocketBackendProps {
  /** `ws://` or `wss://` origin with no path. */
  readonly origin: string;
  /** Backend path, may use `{param}`. @default '/' */
  readonly path?: string;
  /** Time to establish the backend connection, at most 30 minutes. @default Duration.seconds(10) */
  readonly connectTimeout?: Duration;
  /** Frontend parameters forwarded under another name or location. @default - none */
  readonly parameterMappings?: ParameterMappingOptions[];
  /** Fixed parameters added to the backend handshake. @default - none */
  readonly constants?: ConstantParameterOptions[];
  /** Largest message accepted in either direction, 1 byte to 1 GiB (bigger ones close with 1009). @default 1 MiB */
  readonly maxMessageBytes?: number;
}

/** Proxies WebSocket connections to a WebSocket service. */
export class WebSocketBackend extends Backend {
  constructor(private readonly props: WebSocketBackendProps) {
    super();
  }

  bind(): BackendBinding {
    const p = this.props;
    const config = {
      type: 'websocket' as const,
      origin: p.origin,
      path: p.path ?? '/',
      connectTimeoutMs: p.connectTimeout?.toMilliseconds() ?? 10_000,
      parameterMappings: mappingConfig(p.parameterMappings),
      constants: constantConfig(p.constants),
      maxMessageBytes: p.maxMessageBytes ?? 1024 * 1024,
    };
    const problems = new Problems();
    problems.origin('backend origin', '/backend/origin', config.origin, ['ws', 'wss']);
    problems.path('backend path', '/backend/path', config.path);
    problems.timeout('backend connectTimeout', '/backend/connectTimeoutMs', p.connectTimeout);
    problems.forwarding('backend', '/backend', config.parameterMappings, config.constants);
    problems.maxMessageBytes('backend maxMessageBytes', '/backend/maxMessageBytes', config.maxMessageBytes);
    return { config, bundles: [], problems: problems.list };
  }
}

/** Props of {@link WebSocketFunctionBackend}. */
export interface WebSocketFunctionBackendProps {
  /** Called on connect; may reject the connection. @default - every connection is accepted */
  readonly register?: FunctionProps;
  /** Called for each message; a returned value is sent back to the client. */
  readonly transfer: FunctionProps;
  /** Called when the connection closes. @default - none */
  readonly cleanup?: FunctionProps;
  /** Largest message accepted, 1 byte to 1 GiB (bigger ones close with 1009). @default 1 MiB */
  readonly maxMessageBytes?: number;
}

/** Serves WebSocket connections with functions: register, transfer and cleanup. */
export class WebSocketFunctionBackend extends Backend {
  constructor(private readonly props: WebSocketFunctionBackendProps) {
    super();
  }

  bind(): BackendBinding {
    const p = this.props;
    const problems = new Problems();
    const transfer = functionTarget(p.transfer, 'backend transfer', '/backend/transfer', problems);
    const register = p.register
      ? functionTarget(p.register, 'backend register', '/backend/register', problems)
      : undefined;
    const cleanup = p.cleanup ? functionTarget(p.cleanup, 'backend cleanup', '/backend/cleanup', problems) : undefined;
    const maxMessageBytes = p.maxMessageBytes ?? 1024 * 1024;
    problems.maxMessageBytes('backend maxMessageBytes', '/backend/maxMessageBytes', maxMessageBytes);
    const parts = [transfer, register, cleanup].filter((t) => t !== undefined);
    return {
      config: {
        type: 'websocketFunctions',
        transfer: transfer.target,
        ...(register ? { register: register.target } : {}),
        ...(cleanup ? { cleanup: cleanup.target } : {}),
        maxMessageBytes,
      },
      bundles: parts.flatMap((t) => t.bundles),
      problems: problems.list,
      handlers: parts.flatMap((t) => t.handlers),
    };
  }
}
