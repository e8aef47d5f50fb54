/**
 * The admin API: how a config is applied live to a running gateway (by our
 * Terraform provider, `apigw dev`, or anyone with the token). The runtime
 * serves it on the admin listener only; the provider is its client. Both
 * sides import these shapes, so neither can drift from the other.
 *
 * Every request carries `Authorization: Bearer <token>` (401 otherwise).
 * Bodies are JSON. Errors are `AdminError`.
 *
 *   GET    /v1/config            200 ConfigState (and an ETag header)
 *   PUT    /v1/config            ApplyRequest → 200 ApplyResult; 409 ConfigConflict; 422 ConfigInvalid / BundleMissing
 *   DELETE /v1/config            back to the config the gateway started with → 200 ApplyResult
 *   HEAD   /v1/bundles/<sha256>  200 stored, 404 not stored
 *   PUT    /v1/bundles/<sha256>  BundleUpload → 200 BundleResult; 422 BundleInvalid (hash or path wrong)
 *
 * Bodies over ADMIN_MAX_CONFIG_BYTES / ADMIN_MAX_BUNDLE_BYTES are 413
 * PayloadTooLarge, malformed JSON or a body of the wrong shape 400
 * BadRequest, a failure of the gateway itself 500 InternalError (nothing
 * changed). A bundle answered 200 by HEAD or PUT is kept at least
 * ADMIN_BUNDLE_KEEP_MS (15 minutes) even when no config uses it, so upload-then-apply cannot race the removal of
 * unused bundles.
 *
 * A PUT/DELETE of the config may carry `If-Match: <etag>`: when the gateway's
 * current ETag differs, nothing changes and the answer is 409 (concurrent
 * applies are detected, never interleaved). Applies are serialised; each one
 * validates and compiles the whole new config before it serves, and a refused
 * one changes nothing.
 *
 * The applied config is the config document without the parts bound at
 * start (`service.listeners`, `service.admin`, `service.healthPath`, `service.workers`): those come from the config
 * file the gateway was started with and need a restart to change.
 *
 * Function code: in an applied config every bundled source carries `sha256`;
 * the gateway runs the code it holds under that name (uploaded first with
 * PUT /v1/bundles/<sha256>; BundleMissing otherwise) and keeps `dir` only as
 * given, so GET returns the document exactly as applied.
 */
import { createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Api, Service, type GatewayConfig } from './schema';

export const ADMIN_PREFIX = '/v1';
export const ADMIN_CONFIG_PATH = `${ADMIN_PREFIX}/config`;
export const ADMIN_BUNDLES_PATH = `${ADMIN_PREFIX}/bundles/`;

/** Largest body of PUT /v1/config (413 PayloadTooLarge beyond it). */
export const ADMIN_MAX_CONFIG_BYTES = 32 * 1024 * 1024;
/** Largest body of PUT /v1/bundles/<sha256>, base64 included (413 PayloadTooLarge beyond it). */
export const ADMIN_MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
/** Most files in one bundle (BundleInvalid beyond it). */
export const ADMIN_MAX_BUNDLE_FILES = 10_000;
/** An unused bundle answered 200 by HEAD or PUT is kept at least this long (see above). */
export const ADMIN_BUNDLE_KEEP_MS = 15 * 60 * 1000;
/** Shortest admin token the gateway starts with: a short one could be guessed. */
export const ADMIN_TOKEN_MIN_LENGTH = 16;

/**
 * Fields of `service` bound at start; an applied config never carries them.
 * The health path is among them because probes (the image's HEALTHCHECK,
 * Kubernetes probes) are part of the deployment, not of the API config; the
 * worker count because the process starts its threads once.
 */
export const START_BOUND_SERVICE_FIELDS = ['listeners', 'admin', 'healthPath', 'workers'] as const;

const EnvName = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });

export const AppliedService = Type.Omit(Service, [...START_BOUND_SERVICE_FIELDS], { additionalProperties: false });

/** The live part of a gateway config: everything but what is bound at start. */
export const AppliedConfig = Type.Object(
  {
    version: Type.Literal(1),
    service: AppliedService,
    apis: Type.Array(Api),
  },
  { additionalProperties: false, $id: 'https://cdktf-apigw.dev/applied-config.schema.json', title: 'Applied config' },
);

export const ApplyRequest = Type.Object(
  {
    config: AppliedConfig,
    /**
     * Secret values by name. A `{ "env": NAME }` reference resolves here
     * first, then in the gateway's environment. Stored with the config so a
     * restart keeps them; never returned.
     */
    secrets: Type.Record(EnvName, Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

export const ApplyResult = Type.Object(
  {
    /** Counts every config the gateway served since its state was created; survives restarts. */
    generation: Type.Integer({ minimum: 1 }),
    /** Opaque; changes whenever the config or a secret changes. Quoted, as an HTTP ETag. */
    etag: Type.String(),
  },
  { additionalProperties: false },
);

export const ConfigState = Type.Object(
  {
    generation: Type.Integer({ minimum: 1 }),
    etag: Type.String(),
    config: AppliedConfig,
    /** Per secret name, hex HMAC-SHA256 of the value keyed with the admin token: drift shows, values do not. */
    secretDigests: Type.Record(EnvName, Type.String()),
    /** sha256 of every function bundle the gateway holds. */
    bundles: Type.Array(Sha256),
    /** `applied` after an apply; `started` while serving the config it was started with. */
    source: Type.Union([Type.Literal('applied'), Type.Literal('started')]),
  },
  { additionalProperties: false },
);

/** The answer to PUT /v1/bundles/<sha256>. */
export const BundleResult = Type.Object({ sha256: Sha256 }, { additionalProperties: false });

export const BundleUpload = Type.Object(
  {
    files: Type.Array(
      Type.Object(
        {
          /** Relative, `/`-separated (see `checkBundlePath`). */
          path: Type.String(),
          /** File content, base64. */
          content: Type.String(),
          executable: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const AdminErrorCode = Type.Union([
  Type.Literal('Unauthorized'),
  Type.Literal('NotFound'),
  Type.Literal('MethodNotAllowed'),
  Type.Literal('BadRequest'),
  Type.Literal('PayloadTooLarge'),
  /** The config does not validate or compile; `issues` names each bad field. */
  Type.Literal('ConfigInvalid'),
  /** `If-Match` named another ETag than the current one. */
  Type.Literal('ConfigConflict'),
  /** The config names a function bundle the gateway does not hold. */
  Type.Literal('BundleMissing'),
  /** An uploaded bundle's files do not hash to its name, or a path is unsafe. */
  Type.Literal('BundleInvalid'),
  /** The gateway failed (for example it could not write its state directory); nothing changed. */
  Type.Literal('InternalError'),
]);

export const AdminError = Type.Object(
  {
    code: AdminErrorCode,
    message: Type.String(),
    issues: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    /** With ConfigConflict: the gateway's current ETag. */
    etag: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export type AppliedServiceConfig = Static<typeof AppliedService>;
export type AppliedConfig = Static<typeof AppliedConfig>;
export type ApplyRequest = Static<typeof ApplyRequest>;
export type ApplyResult = Static<typeof ApplyResult>;
export type ConfigState = Static<typeof ConfigState>;
export type BundleUpload = Static<typeof BundleUpload>;
export type BundleResult = Static<typeof BundleResult>;
export type AdminErrorCode = Static<typeof AdminErrorCode>;
export type AdminError = Static<typeof AdminError>;

/**
 * The digest `ConfigState.secretDigests` shows for a secret value: hex
 * HMAC-SHA256 keyed with the admin token. A client holding the token and the
 * value computes the same digest to see drift; the value itself is never returned.
 */
export function secretDigest(adminToken: string, value: string): string {
  return createHmac('sha256', adminToken).update(value).digest('hex');
}

/**
 * The applied part of a config document: without `$schema` and the
 * start-bound service fields. What a client sends as `ApplyRequest.config`
 * for a synthesized config, and what GET shows while the start config serves.
 */
export function toAppliedConfig(config: GatewayConfig): AppliedConfig {
  const { $schema: _schema, service, ...rest } = config;
  const applied: Record<string, unknown> = { ...service };
  for (const field of START_BOUND_SERVICE_FIELDS) delete applied[field];
  return { ...rest, service: applied as AppliedServiceConfig };
}
