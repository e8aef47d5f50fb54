/**
 * The `apigw_service` resource: one gateway service — its settings and all
 * its APIs — as one resource, so an apply is one atomic PUT of the whole
 * config, plan validates the whole service, and a plan shows each changed
 * API and field (`~ apis = { ~ "getPet" = { ~ backend = { ... } } }`).
 *
 * Pure functions over Terraform values; the network is in `provider.ts`.
 */
import type { TSchema } from '@sinclair/typebox';
import {
  Api,
  AppliedConfig,
  AppliedService,
  ApplyRequest,
  BundledFunctionSource,
  Service,
  parsePathSyntax,
  schemaIssues,
  secretDigest,
  validateAppliedConfig,
  type ConfigIssue,
  type ConfigState,
} from '../model';
import type { Bundle } from './bundle-dir';
import {
  attributePathOf,
  fillDefaults,
  fromTerraformValue,
  normalise,
  toTerraformValue,
  type AttrPath,
  type PathStep,
} from './convert';
import type { Describe } from './describe';
import { error, pathText, type Diagnostic } from './diagnostics';
import { objectShape, snakeCase, type Field, type ObjectShape, type Shape } from './shape';
import { attr, isTfObject, isUnknown, tfEqual, UNKNOWN, type TfObject, type TfValue } from './tf-value';

export const SERVICE_TYPE = 'apigw_service';

/** What Read puts in place of a secret whose value differs from the gateway's: the plan then shows a change. */
export const SECRET_CHANGED_MARKER = '(changed outside Terraform)';

export interface ServiceShapes {
  /** The applied config: `service` and `apis`. */
  readonly config: ObjectShape;
  /** The resource: the config plus `id`, `etag`, `generation`, `api_order`, `secrets`. */
  readonly resource: ObjectShape;
}

const PROVIDER_DOCS: ReadonlyArray<readonly [TSchema, string, string]> = [
  [
    BundledFunctionSource,
    'dir',
    "Folder of the function code, relative to Terraform's working directory; the provider reads it at plan and uploads it at apply.",
  ],
  [
    BundledFunctionSource,
    'sha256',
    'Content hash of the code folder. Computed at plan from `dir` (a code change shows here); if set, it must match.',
  ],
  [Api.properties.frontend, 'match', 'Computed from `raw_path` unless set.'],
  [Api.properties.frontend, 'path', 'Computed from `raw_path` unless set (for `regex`, the pattern).'],
];

/** Derives the resource's shapes from the model's `AppliedConfig` schema. */
export function serviceShapes(describe?: Describe): ServiceShapes {
  const frontend = Api.properties.frontend;
  const config = objectShape(AppliedConfig, {
    keyedArrays: [[Api, 'name']],
    computedField: (owner, key) =>
      (owner === BundledFunctionSource && key === 'sha256') ||
      (owner === frontend && (key === 'match' || key === 'path')),
    describe: (owner, key, schema) =>
      PROVIDER_DOCS.find(([o, k]) => o === owner && k === key)?.[2] ??
      describe?.(owner === AppliedService ? Service : owner, key, schema),
  });
  const computed = (name: string, shape: Shape, description: string): Field => ({
    key: name,
    name,
    shape,
    optional: true,
    nullable: false,
    computed: true,
    readOnly: true,
    description,
  });
  const fields = config.fields.map((f) =>
    f.key === 'apis'
      ? {
          ...f,
          description: 'The APIs of the service, by API name. Regular-expression routes are tried in `api_order`.',
        }
      : f.key === 'service'
        ? { ...f, description: 'The service: name, stage, health path, limits, key pairs and usage plans.' }
        : f,
  );
  const resource: ObjectShape = {
    ...config,
    fields: [
      computed('id', { kind: 'string' }, 'The service name.'),
      computed(
        'etag',
        { kind: 'string' },
        "The gateway's ETag of the applied config; the next apply is conditional on it.",
      ),
      computed(
        'generation',
        { kind: 'number' },
        'How many configs the gateway has served since its state was created.',
      ),
      ...fields,
      {
        key: 'api_order',
        name: 'api_order',
        shape: { kind: 'list', element: { kind: 'string' } },
        optional: true,
        nullable: false,
        computed: true,
        description:
          'The order of the APIs in the config (regular-expression routes are tried in this order): every key of `apis` once. Default: sorted names.',
      },
      {
        key: 'secrets',
        name: 'secrets',
        shape: { kind: 'map', element: { kind: 'string' } },
        optional: true,
        nullable: false,
        computed: false,
        sensitive: true,
        description:
          'Values of the `{ env = NAME }` secret references, by name: sent with the config and kept by the gateway (never returned; the gateway reports digests, so a change made elsewhere shows in the plan).',
      },
    ],
  };
  return { config, resource };
}

// ---------------------------------------------------------------------------
// validation

/**
 * Completes a configured value as plan does, without touching the disk:
 * defaults, `frontend.match`/`path` from `raw_path`, and `api_order`.
 */
export function completeValue(shapes: ServiceShapes, value: TfObject, diagnostics: Diagnostic[]): TfObject {
  const out = fillDefaults(shapes.resource, value) as TfObject;
  const apis = attr(out, 'apis');
  if (isTfObject(apis)) {
    for (const [name, api] of Object.entries(apis)) {
      if (!isTfObject(api)) continue;
      const frontend = attr(api, 'frontend');
      if (!isTfObject(frontend)) continue;
      const raw = attr(frontend, 'raw_path');
      if (attr(frontend, 'match') !== null && attr(frontend, 'path') !== null) continue;
      if (isUnknown(raw)) {
        apis[name] = { ...api, frontend: { ...frontend, match: UNKNOWN, path: UNKNOWN } };
        continue;
      }
      if (typeof raw !== 'string') continue;
      try {
        const parsed = parsePathSyntax(raw);
        apis[name] = {
          ...api,
          frontend: {
            ...frontend,
            match: attr(frontend, 'match') ?? parsed.match,
            path: attr(frontend, 'path') ?? parsed.path,
          },
        };
      } catch (err) {
        diagnostics.push(
          error((err as Error).message, undefined, [
            { attr: 'apis' },
            { key: name },
            { attr: 'frontend' },
            { attr: 'raw_path' },
          ]),
        );
      }
    }
  }
  if (attr(out, 'api_order') === null) out.api_order = isTfObject(apis) ? Object.keys(apis).sort() : UNKNOWN;
  return out;
}

/** Validates a completed value as one whole config (schema and rules), reporting each problem at its attribute. */
export function validateValue(shapes: ServiceShapes, value: TfObject): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const order = attr(value, 'api_order');
  const apis = attr(value, 'apis');
  if (Array.isArray(order) && isTfObject(apis) && !order.some(isUnknown)) {
    const keys = Object.keys(apis);
    const names = order as string[];
    const missing = keys.filter((k) => !names.includes(k));
    const extra = names.filter((n, i) => !Object.hasOwn(apis, n) || names.indexOf(n) !== i);
    if (missing.length > 0 || extra.length > 0)
      diagnostics.push(
        error(
          'api_order must name every API once',
          [
            missing.length ? `missing: ${missing.join(', ')}` : '',
            extra.length ? `unknown or repeated: ${extra.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
          [{ attr: 'api_order' }],
        ),
      );
  }
  diagnostics.push(...secretsDiagnostics(attr(value, 'secrets')));
  const converted = fromTerraformValue(shapes.config, value, {
    order: (p) =>
      p === '/apis' && Array.isArray(order) ? (order.filter((x) => typeof x === 'string') as string[]) : undefined,
  });
  for (const i of converted.issues) diagnostics.push(error(`${pathText(i.path)}: ${i.message}`, undefined, i.path));
  const known = converted.unknown.length === 0;
  const issues = known
    ? validateAppliedConfig(converted.value).issues
    : // Parts are unknown until apply: check what is known; the rules run again at apply.
      schemaIssues(AppliedConfig, converted.value).filter(
        (i) => !converted.unknown.some((u) => isUnder(issuePointer(i).pointer, u)),
      );
  for (const issue of issues) diagnostics.push(issueDiagnostic(shapes, converted.value, issue));
  return diagnostics;
}

/** Secret names must be what `{ env = NAME }` references can name (the admin API's `ApplyRequest.secrets`). */
function secretsDiagnostics(secrets: TfValue): Diagnostic[] {
  if (!isTfObject(secrets)) return [];
  const pattern = new RegExp(Object.keys(ApplyRequest.properties.secrets.patternProperties)[0] as string);
  const out: Diagnostic[] = [];
  for (const [name, v] of Object.entries(secrets)) {
    const path: AttrPath = [{ attr: 'secrets' }, { key: name }];
    if (!pattern.test(name))
      out.push(
        error(`secrets: "${name}" is not a name { env = ... } can reference`, `Names match ${pattern.source}.`, path),
      );
    else if (v === '') out.push(error(`secrets["${name}"] is empty`, undefined, path));
  }
  return out;
}

/** A config issue (from the model or the gateway) as a diagnostic on its attribute. */
export function issueDiagnostic(shapes: ServiceShapes, doc: unknown, issue: ConfigIssue): Diagnostic {
  const { pointer, message } = issuePointer(issue);
  const path = attributePathOf(shapes.config, doc, pointer);
  const text = userWords(shapes, message).replace(/\/apis\/(\d+)\b/g, (whole, index: string) => {
    const name = apiName(doc, Number(index));
    return name === undefined ? whole : `apis[${JSON.stringify(name)}]`;
  });
  return error(
    path.length > 0 ? `${pathText(path)}: ${text}` : text,
    `Gateway config field ${pointer || '/'}: ${message}.`,
    path,
  );
}

function apiName(doc: unknown, index: number): string | undefined {
  const apis = (doc as { apis?: unknown } | null)?.apis;
  const item: unknown = Array.isArray(apis) ? apis[index] : undefined;
  const name = (item as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** ajv reports a missing property at its parent; point at the property itself. */
function issuePointer(issue: ConfigIssue): { pointer: string; message: string } {
  const field = issue.field === '/' ? '' : issue.field;
  const missing = /^must have required property '([^']+)'$/.exec(issue.message);
  if (missing) return { pointer: `${field}/${missing[1]}`, message: 'is required' };
  return { pointer: field, message: issue.message };
}

function isUnder(pointer: string, prefix: string): boolean {
  return pointer === prefix || pointer.startsWith(`${prefix}/`);
}

/** Config field names in a message (`publicKeyPem`) as the attributes a Terraform user wrote (`public_key_pem`). */
function userWords(shapes: ServiceShapes, message: string): string {
  const keys = fieldKeys(shapes.config);
  return message.replace(/\b[a-z]+(?:[A-Z][a-z0-9]*)+\b/g, (w) => (keys.has(w) ? snakeCase(w) : w));
}

const keyCache = new WeakMap<ObjectShape, Set<string>>();
function fieldKeys(shape: ObjectShape): Set<string> {
  let keys = keyCache.get(shape);
  if (keys) return keys;
  keys = new Set<string>();
  const walk = (s: Shape): void => {
    switch (s.kind) {
      case 'object':
      case 'oneOf':
        for (const f of s.fields) {
          keys!.add(f.key);
          walk(f.shape);
        }
        return;
      case 'tagged':
        for (const v of s.variants) if (v.field) walk(v.field.shape);
        return;
      case 'objectList':
      case 'objectMap':
        walk(s.element);
        return;
      default:
        return;
    }
  };
  walk(shape);
  keyCache.set(shape, keys);
  return keys;
}

// ---------------------------------------------------------------------------
// function code

export interface BundleRef {
  readonly dir: string;
  readonly sha256: string;
  readonly path: AttrPath;
}

/** Calls `fn` on every bundled function source in a resource value, with its attribute path. */
export function visitBundledSources(
  shapes: ServiceShapes,
  value: TfObject,
  fn: (source: TfObject, path: AttrPath) => TfObject | void,
): TfObject {
  const walk = (s: Shape, v: TfValue, path: PathStep[]): TfValue => {
    if (v === null || isUnknown(v)) return v;
    switch (s.kind) {
      case 'object': {
        const obj = { ...(v as TfObject) };
        for (const f of s.fields) obj[f.name] = walk(f.shape, attr(obj, f.name), [...path, { attr: f.name }]);
        return s.schema === BundledFunctionSource ? (fn(obj, path) ?? obj) : obj;
      }
      case 'tagged': {
        const obj = { ...(v as TfObject) };
        for (const variant of s.variants)
          if (variant.field)
            obj[variant.field.name] = walk(variant.field.shape, attr(obj, variant.field.name), [
              ...path,
              { attr: variant.field.name },
            ]);
        return obj;
      }
      case 'objectMap': {
        const obj: TfObject = {};
        for (const [k, x] of Object.entries(v as TfObject)) obj[k] = walk(s.element, x, [...path, { key: k }]);
        return obj;
      }
      case 'objectList':
        return (v as TfValue[]).map((x, i) => walk(s.element, x, [...path, { index: i }]));
      default:
        return v;
    }
  };
  return walk(shapes.resource, value, []) as TfObject;
}

// ---------------------------------------------------------------------------
// plan

export interface PlanInput {
  /** The configuration (Terraform's `config`). */
  readonly config: TfObject;
  readonly prior: TfObject | null;
  /** Reads a code folder (relative to Terraform's working directory). */
  readonly readBundle: (dir: string) => Bundle;
}

export interface PlanResult {
  readonly planned: TfObject;
  readonly diagnostics: Diagnostic[];
}

const CONFIG_ATTRIBUTES = ['service', 'apis', 'api_order', 'secrets'];

export function planService(shapes: ServiceShapes, input: PlanInput): PlanResult {
  const diagnostics: Diagnostic[] = [];
  let planned = completeValue(shapes, input.config, diagnostics);
  planned = visitBundledSources(shapes, planned, (source, path) => {
    const dir = attr(source, 'dir');
    const given = attr(source, 'sha256');
    if (isUnknown(dir)) return { ...source, sha256: given ?? UNKNOWN };
    if (typeof dir !== 'string') return;
    let bundle: Bundle;
    try {
      bundle = input.readBundle(dir);
    } catch (err) {
      diagnostics.push(
        error(`cannot read the function code: ${(err as Error).message}`, undefined, [...path, { attr: 'dir' }]),
      );
      return;
    }
    if (typeof given === 'string' && given !== bundle.sha256) {
      diagnostics.push(
        error(
          `sha256 does not match the code in ${dir}`,
          `The folder hashes to ${bundle.sha256}; leave sha256 out to take the folder as it is.`,
          [...path, { attr: 'sha256' }],
        ),
      );
      return;
    }
    return { ...source, sha256: bundle.sha256 };
  });
  diagnostics.push(...validateValue(shapes, planned));

  const service = attr(planned, 'service');
  const name = isTfObject(service) ? attr(service, 'name') : UNKNOWN;
  planned.id = typeof name === 'string' ? name : UNKNOWN;
  const prior = input.prior;
  const unchanged = prior !== null && CONFIG_ATTRIBUTES.every((a) => tfEqual(attr(prior, a), attr(planned, a)));
  planned.etag = unchanged ? attr(prior, 'etag') : UNKNOWN;
  planned.generation = unchanged ? attr(prior, 'generation') : UNKNOWN;
  return { planned: normalise(shapes.resource, planned) as TfObject, diagnostics };
}

// ---------------------------------------------------------------------------
// apply

export interface ApplyPlan {
  readonly request: ApplyRequest;
  /** Function code the config names, once per hash. */
  readonly bundles: readonly BundleRef[];
}

/** The admin API request for a planned value (which must be wholly known). */
export function applyRequestOf(shapes: ServiceShapes, planned: TfObject): ApplyPlan {
  const order = attr(planned, 'api_order');
  const converted = fromTerraformValue(shapes.config, planned, {
    order: (p) => (p === '/apis' && Array.isArray(order) ? (order as string[]) : undefined),
  });
  if (converted.unknown.length > 0)
    throw new Error(`the planned config still has unknown values at ${converted.unknown.join(', ')}`);
  const bundles = new Map<string, BundleRef>();
  visitBundledSources(shapes, planned, (source, path) => {
    const sha256 = attr(source, 'sha256');
    const dir = attr(source, 'dir');
    if (typeof sha256 === 'string' && typeof dir === 'string' && !bundles.has(sha256))
      bundles.set(sha256, { dir, sha256, path });
  });
  const secrets = attr(planned, 'secrets');
  return {
    request: {
      config: converted.value as AppliedConfig,
      secrets: isTfObject(secrets) ? (Object.fromEntries(Object.entries(secrets)) as Record<string, string>) : {},
    },
    bundles: [...bundles.values()],
  };
}

/** The state after a successful apply: the plan, with what the gateway answered. */
export function appliedState(planned: TfObject, result: { etag: string; generation: number }): TfObject {
  const service = attr(planned, 'service') as TfObject;
  return { ...planned, id: attr(service, 'name'), etag: stateEtag(result.etag), generation: result.generation };
}

/** The state holds the ETag without its HTTP quotes (plans show `etag = "3f1c…"`, not `"\"3f1c…\""`). */
export function stateEtag(httpEtag: string): string {
  return /^"[^"]*"$/.test(httpEtag) ? httpEtag.slice(1, -1) : httpEtag;
}

/** The `If-Match` value for an ETag held in state. */
export function ifMatchOf(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`;
}

// ---------------------------------------------------------------------------
// read

/**
 * The resource as the gateway serves it. `null` when the gateway is back
 * on the config it was started with and none of our APIs is there: the
 * resource is gone (Terraform plans to create it again).
 */
export function stateFromGateway(
  shapes: ServiceShapes,
  state: ConfigState,
  prior: TfObject | null,
  token: string,
): TfObject | null {
  const priorApis = prior ? attr(prior, 'apis') : null;
  if (state.source === 'started' && isTfObject(priorApis)) {
    const ours = state.config.apis.some((a) => Object.hasOwn(priorApis, a.name));
    if (!ours) return null;
  }
  const config = toTerraformValue(shapes.config, state.config) as TfObject;
  const value: TfObject = {
    id: state.config.service.name,
    etag: stateEtag(state.etag),
    generation: state.generation,
    service: attr(config, 'service'),
    apis: attr(config, 'apis'),
    api_order: state.config.apis.map((a) => a.name),
    secrets: reconcileSecrets(prior ? attr(prior, 'secrets') : null, state.secretDigests, token),
  };
  return normalise(shapes.resource, value) as TfObject;
}

/**
 * Secrets as far as the gateway's digests tell: a value whose digest matches
 * is kept, a name the gateway lacks is dropped, any other value becomes a
 * marker, so the plan shows a (sensitive) change.
 */
export function reconcileSecrets(prior: TfValue, digests: Readonly<Record<string, string>>, token: string): TfValue {
  const names = Object.keys(digests);
  if (names.length === 0) return isTfObject(prior) ? {} : null;
  const out: TfObject = {};
  for (const name of names) {
    const value = isTfObject(prior) ? attr(prior, name) : null;
    out[name] =
      typeof value === 'string' && secretDigest(token, value) === digests[name] ? value : SECRET_CHANGED_MARKER;
  }
  return out;
}

/** A state stored as JSON (UpgradeResourceState) as a value with every attribute of the current schema. */
export function stateFromJson(shapes: ServiceShapes, json: string): TfObject {
  return normalise(shapes.resource, JSON.parse(json) as TfValue) as TfObject;
}
