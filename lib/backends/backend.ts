/** The base of every backend: what an API hands requests to. */
import type { BackendConfig, ConstantParameter, ParamLocation, ParameterMapping } from '../../model';
import type { PropProblem } from '../checks';

/** Function code the service must copy into its image (and `apigw serve` reads from disk). */
export interface FunctionBundle {
  /** Absolute folder of the code on the machine that synthesizes. */
  readonly sourceDir: string;
  /** Folder inside the build context, for example `functions/default/hello/$LATEST`. */
  readonly targetDir: string;
}

/** A bundled function handler to load at synth, to find a missing export before the first request does. */
export interface HandlerCheck {
  /** Absolute folder of the code. */
  readonly dir: string;
  /** `file.export`. */
  readonly handler: string;
  readonly memoryMb: number;
  /** The prop, for messages: `backend code handler`. */
  readonly prop: string;
  /** The config field of the code (`/backend/function/source`). */
  readonly field: string;
}

/** What a backend contributes to its API's config. */
export interface BackendBinding {
  readonly config: BackendConfig;
  readonly bundles: readonly FunctionBundle[];
  /** Mistakes in the backend's props; the API reports them with its construct path. @default - none */
  readonly problems?: readonly PropProblem[];
  /** Bundled handlers to load at synth. @default - none */
  readonly handlers?: readonly HandlerCheck[];
}

/** Context a backend binds in. */
export interface BackendBindContext {
  /** The frontend method of the API (a backend's default method). */
  readonly frontendMethod: string;
}

/** A backend of an API. Concrete kinds: HttpBackend, ScfBackend, MockBackend, WebSocketBackend, WebSocketFunctionBackend. */
export abstract class Backend {
  /** Returns this backend's config literal (called once per synth). */
  abstract bind(context: BackendBindContext): BackendBinding;
}

/** A frontend parameter forwarded to the backend, possibly renamed or moved. */
export interface ParameterMappingOptions {
  /** Where the frontend parameter comes from. */
  readonly from: { readonly in: ParamLocation; readonly name: string };
  /** Where the backend receives it. */
  readonly to: { readonly in: ParamLocation; readonly name: string };
}

/** A fixed parameter the gateway adds to every backend request (for example a `host` header). */
export interface ConstantParameterOptions {
  /** Where the backend request carries it. */
  readonly in: ParamLocation;
  /** Header name (case-insensitive), query parameter or `{param}` of the backend path. */
  readonly name: string;
  /** The fixed value. */
  readonly value: string;
}

export function mappingConfig(m: readonly ParameterMappingOptions[] | undefined): ParameterMapping[] {
  return (m ?? []).map((x) => ({ from: { in: x.from.in, name: x.from.name }, to: { in: x.to.in, name: x.to.name } }));
}

export function constantConfig(c: readonly ConstantParameterOptions[] | undefined): ConstantParameter[] {
  return (c ?? []).map((x) => ({ in: x.in, name: x.name, value: x.value }));
}
