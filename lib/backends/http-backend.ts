import type { HttpMethod } from '../../model';
import { Problems } from '../checks';
import type { Duration } from '../duration';
import {
  Backend,
  constantConfig,
  mappingConfig,
  type BackendBindContext,
  type BackendBinding,
  type ConstantParameterOptions,
  type ParameterMappingOptions,
} from './backend';

/** Props of {@link HttpBackend}. */
export interface HttpBackendProps {
  /** `http://` or `https://` origin with host and optional port, and no path (`https://api.example.com:8443`). */
  readonly origin: string;
  /**
   * Backend path, starting with `/`; may use `{param}` placeholders. For prefix
   * and plain routes the rest of the request path is appended.
   * @default '/'
   */
  readonly path?: string;
  /**
   * Backend method; may differ from the frontend's. `ANY` forwards the method of each request (the default for an
   * `ANY` API); a GET backend gets HEAD requests as HEAD.
   * @default - the frontend method
   */
  readonly method?: HttpMethod;
  /** Backend response timeout (at most 30 minutes); beyond it the client gets 504. @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /** Frontend parameters forwarded under another name or location. @default - none */
  readonly parameterMappings?: ParameterMappingOptions[];
  /** Fixed parameters added to every backend request. @default - none */
  readonly constants?: ConstantParameterOptions[];
}

/** Forwards requests to an HTTP(S) service. */
export class HttpBackend extends Backend {
  constructor(private readonly props: HttpBackendProps) {
    super();
  }

  bind(context: BackendBindContext): BackendBinding {
    const p = this.props;
    const config = {
      type: 'http' as const,
      origin: p.origin,
      path: p.path ?? '/',
      method: p.method ?? (context.frontendMethod as HttpMethod),
      timeoutMs: p.timeout?.toMilliseconds() ?? 15_000,
      parameterMappings: mappingConfig(p.parameterMappings),
      constants: constantConfig(p.constants),
    };
    const problems = new Problems();
    problems.origin('backend origin', '/backend/origin', config.origin, ['http', 'https']);
    problems.path('backend path', '/backend/path', config.path);
    problems.timeout('backend timeout', '/backend/timeoutMs', p.timeout);
    problems.forwarding('backend', '/backend', config.parameterMappings, config.constants);
    return { config, bundles: [], problems: problems.list };
  }
}
