import { Problems } from '../checks';
import { Backend, type BackendBinding } from './backend';
import { functionTarget, type FunctionProps } from './function-target';

/** Props of {@link ScfBackend}. */
export interface ScfBackendProps extends FunctionProps {
  /**
   * Response integration: the function returns `{statusCode, headers, body, isBase64Encoded}`
   * and the gateway answers with it. Off: the return value is the response body (passthrough).
   * @default false
   */
  readonly responseIntegration?: boolean;
}

/** Invokes a serverless function (bundled into the gateway, or remote) with the document's event. */
export class ScfBackend extends Backend {
  constructor(private readonly props: ScfBackendProps) {
    super();
  }

  bind(): BackendBinding {
    const problems = new Problems();
    const { target, bundles, handlers } = functionTarget(this.props, 'backend', '/backend/function', problems);
    return {
      config: { type: 'scf', function: target, responseIntegration: this.props.responseIntegration ?? false },
      bundles,
      problems: problems.list,
      handlers,
    };
  }
}
