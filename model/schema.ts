/**
 * The gateway config document: the one contract between the constructs in
 * `lib/` and the proxy in `runtime/`.
 *
 * The JSON Schema is written here once, with TypeBox; the TypeScript types
 * are derived from it (`Static<...>`), so the two can never drift apart.
 * Rules that JSON Schema cannot express live in `rules.ts`.
 */
import { Type, type Static, type TInteger, type TSchema } from '@sinclair/typebox';

const Name = Type.String({ minLength: 1, maxLength: 60, pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' });

/** A secret is never a literal in the config: it names where the runtime reads it. */
export const SecretRef = Type.Union([
  Type.Object({ env: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }) }, { additionalProperties: false }),
  Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);

/**
 * A route's method. `ANY` takes every other one of these (not TRACE, CONNECT or WebDAV's); a route of the
 * request's own method at the same path wins over it. A backend's `ANY` forwards the request's method.
 */
export const HttpMethod = Type.Union([
  Type.Literal('GET'),
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('DELETE'),
  Type.Literal('HEAD'),
  Type.Literal('PATCH'),
  Type.Literal('OPTIONS'),
  Type.Literal('ANY'),
]);

/** How a frontend path is matched; see the README's "Route matching" for the total order. */
export const MatchMode = Type.Union([
  Type.Literal('exact'), // `=/user`
  Type.Literal('prefix'), // `^~/user`
  Type.Literal('param'), // `/user/{id}`
  Type.Literal('regex'), // `~^/user/[0-9]+$`
  Type.Literal('plain'), // `/user`: exact or plain string prefix
]);

export const ParamLocation = Type.Union([Type.Literal('header'), Type.Literal('query'), Type.Literal('path')]);
export const ParamType = Type.Union(
  [
    Type.Literal('string'),
    Type.Literal('int'),
    Type.Literal('long'),
    Type.Literal('float'),
    Type.Literal('double'),
    Type.Literal('boolean'),
  ],
  { default: 'string' },
);

export const Parameter = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    in: ParamLocation,
    type: ParamType,
    required: Type.Boolean({ default: false }),
    default: Type.Optional(Type.String()),
    sample: Type.Optional(Type.String()),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const ParamRef = Type.Object(
  { in: ParamLocation, name: Type.String({ minLength: 1 }) },
  { additionalProperties: false },
);

/** A frontend parameter forwarded to the backend, possibly renamed or moved. */
export const ParameterMapping = Type.Object({ from: ParamRef, to: ParamRef }, { additionalProperties: false });

/** A fixed value the gateway adds to every backend request (for example a `host` header). */
export const ConstantParameter = Type.Object(
  { in: ParamLocation, name: Type.String({ minLength: 1 }), value: Type.String() },
  { additionalProperties: false },
);

const timeout = (defaultMs: number): TInteger =>
  Type.Integer({ minimum: 1, maximum: 30 * 60 * 1000, description: 'milliseconds', default: defaultMs });

export const HttpBackend = Type.Object(
  {
    type: Type.Literal('http'),
    origin: Type.String({ pattern: '^https?://' }),
    path: Type.String({ pattern: '^/', default: '/' }),
    method: HttpMethod,
    timeoutMs: timeout(15_000),
    parameterMappings: Type.Array(ParameterMapping, { default: [] }),
    constants: Type.Array(ConstantParameter, { default: [] }),
  },
  { additionalProperties: false },
);

/** Function code copied into the gateway image (and served from disk locally). */
export const BundledFunctionSource = Type.Object(
  {
    type: Type.Literal('bundled'),
    /** Directory of the code, relative to the config file. */
    dir: Type.String({ minLength: 1 }),
    /** `file.export`, for example `index.main_handler`. */
    handler: Type.String({ pattern: '^[A-Za-z0-9_./-]+\\.[A-Za-z_$][A-Za-z0-9_$]*$' }),
    memoryMb: Type.Integer({ minimum: 16, maximum: 4096, default: 128 }),
    /**
     * Content hash of the code folder (`bundleHash` in `bundle-hash.ts`): set at synth, checked at load,
     * and the name under which the admin API stores the code of a live-applied config.
     */
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  },
  { additionalProperties: false },
);

/** A function platform or emulator that takes the event JSON by POST and returns the result. */
export const RemoteFunctionSource = Type.Object(
  {
    type: Type.Literal('remote'),
    url: Type.String({ pattern: '^https?://' }),
    headers: Type.Record(Type.String(), Type.String(), { default: {} }),
  },
  { additionalProperties: false },
);

export const FunctionTarget = Type.Object(
  {
    namespace: Type.String({ minLength: 1, maxLength: 60, default: 'default' }),
    functionName: Type.String({ minLength: 1, maxLength: 60 }),
    version: Type.String({ minLength: 1, maxLength: 60, default: '$LATEST' }),
    timeoutMs: timeout(15_000),
    source: Type.Union([BundledFunctionSource, RemoteFunctionSource]),
  },
  { additionalProperties: false },
);

export const ScfBackend = Type.Object(
  {
    type: Type.Literal('scf'),
    function: FunctionTarget,
    responseIntegration: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export const MockBackend = Type.Object(
  {
    type: Type.Literal('mock'),
    statusCode: Type.Integer({ minimum: 100, maximum: 599, default: 200 }),
    headers: Type.Record(Type.String(), Type.String(), {
      default: { 'content-type': 'application/json; charset=utf-8' },
    }),
    body: Type.String({ default: '' }),
    isBase64Encoded: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export const WebSocketBackend = Type.Object(
  {
    type: Type.Literal('websocket'),
    origin: Type.String({ pattern: '^wss?://' }),
    path: Type.String({ pattern: '^/', default: '/' }),
    connectTimeoutMs: timeout(10_000),
    parameterMappings: Type.Array(ParameterMapping, { default: [] }),
    constants: Type.Array(ConstantParameter, { default: [] }),
    maxMessageBytes: Type.Integer({ minimum: 1, maximum: 1024 * 1024 * 1024, default: 1024 * 1024 }),
  },
  { additionalProperties: false },
);

/** A WebSocket frontend served by functions: register on connect, transfer per message, cleanup on close. */
export const WebSocketFunctionBackend = Type.Object(
  {
    type: Type.Literal('websocketFunctions'),
    register: Type.Optional(FunctionTarget),
    transfer: FunctionTarget,
    cleanup: Type.Optional(FunctionTarget),
    maxMessageBytes: Type.Integer({ minimum: 1, maximum: 1024 * 1024 * 1024, default: 1024 * 1024 }),
  },
  { additionalProperties: false },
);

export const Backend = Type.Union([HttpBackend, ScfBackend, MockBackend, WebSocketBackend, WebSocketFunctionBackend]);

export const JwtTokenLocation = Type.Object(
  {
    from: Type.Union([Type.Literal('header'), Type.Literal('query'), Type.Literal('cookie')]),
    name: Type.String({ minLength: 1 }),
    /** For headers: a scheme to strip, for example `Bearer`. */
    scheme: Type.Optional(Type.String()),
  },
  { additionalProperties: false, default: { from: 'header', name: 'authorization', scheme: 'Bearer' } },
);

export const JwtAlgorithm = Type.Union([
  Type.Literal('RS256'),
  Type.Literal('RS384'),
  Type.Literal('RS512'),
  Type.Literal('PS256'),
  Type.Literal('ES256'),
  Type.Literal('ES384'),
  Type.Literal('EdDSA'),
]);

/**
 * A JWKS fetched from the identity provider and cached (jose's remote key
 * set): fetched at the first token, again when the cache is older than
 * `cacheMaxAgeMs`, and when a token names an unknown `kid` (key rotation),
 * at most once per `cooldownMs`.
 */
export const RemoteJwks = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    /** A fetch that has not answered (headers and body) within this is a failure. */
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5_000, description: 'milliseconds' }),
    /** Shortest time between fetches for unknown `kid`s, after a fetch that succeeded. */
    cooldownMs: Type.Integer({ minimum: 1_000, maximum: 3_600_000, default: 30_000, description: 'milliseconds' }),
    /** Keys older than this are fetched again before use. */
    cacheMaxAgeMs: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 600_000, description: 'milliseconds' }),
  },
  { additionalProperties: false },
);

export const OAuthVerifier = Type.Object(
  {
    /** PEM public key (SPKI), a JWKS document (`{ "keys": [...] }`) as JSON text, or a JWKS URL: exactly one. */
    publicKeyPem: Type.Optional(Type.String()),
    jwks: Type.Optional(Type.String()),
    remoteJwks: Type.Optional(RemoteJwks),
    algorithms: Type.Array(JwtAlgorithm, { minItems: 1, default: ['RS256'] }),
    issuer: Type.Optional(Type.String()),
    audience: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    clockToleranceSec: Type.Integer({ minimum: 0, maximum: 300, default: 30 }),
    tokenLocation: JwtTokenLocation,
    /** Verified claims forwarded to the backend: claim name → header name. */
    forwardClaims: Type.Array(
      Type.Object({ claim: Type.String(), header: Type.String() }, { additionalProperties: false }),
      { default: [] },
    ),
    /** Refuse tokens without an `exp` claim; absent means true. */
    requireExp: Type.Optional(Type.Boolean()),
    /** Forward the token's header to the backend; absent means false (the backend gets the forwarded claims). */
    forwardToken: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Auth = Type.Union(
  [
    Type.Object({ type: Type.Literal('none') }, { additionalProperties: false }),
    Type.Object(
      {
        type: Type.Literal('keyPair'),
        /** Send the client's `Authorization` header to the backend; absent means false. */
        forwardAuthorization: Type.Optional(Type.Boolean()),
        /** Refuse signatures that do not list `(request-target)` (method, path and query); absent means false. */
        requireSignedRequestTarget: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    Type.Object({ type: Type.Literal('oauth2'), verifier: OAuthVerifier }, { additionalProperties: false }),
    /** The OAuth 2.0 authorization endpoint: served without authentication. */
    Type.Object({ type: Type.Literal('oauth2Endpoint') }, { additionalProperties: false }),
  ],
  { default: { type: 'none' } },
);

export const Cors = Type.Object(
  {
    allowOrigins: Type.Array(Type.String(), { minItems: 1 }),
    allowMethods: Type.Array(Type.String(), { default: [] }),
    allowHeaders: Type.Array(Type.String(), { default: [] }),
    exposeHeaders: Type.Array(Type.String(), { default: [] }),
    allowCredentials: Type.Boolean({ default: false }),
    maxAgeSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** Which backend answers an error code converts: an HTTP status, or a function's error code. */
export const ErrorCodeSource = Type.Union([
  Type.Object(
    {
      type: Type.Literal('backendStatus'),
      /** Statuses of an HTTP backend's response, or of a function's integration response. */
      statuses: Type.Array(Type.Integer({ minimum: 400, maximum: 599 }), { minItems: 1, maxItems: 200 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('functionError'),
      /** A function's error code: `errorCode` of its result, or `code` of the error it throws (as text). */
      errorCodes: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { minItems: 1, maxItems: 200 }),
    },
    { additionalProperties: false },
  ),
]);

export const ErrorCode = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 128 }),
    message: Type.String(),
    description: Type.Optional(Type.String()),
    /** The status the client gets with this code (documentation; needed with `from`). */
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
    /** Backend answers the gateway replaces with `{ code, message, requestId }` and `status`; absent: documentation only. */
    from: Type.Optional(ErrorCodeSource),
  },
  { additionalProperties: false },
);

export const ResponseDoc = Type.Object(
  {
    contentType: Type.Optional(Type.String()),
    successSample: Type.Optional(Type.String()),
    failureSample: Type.Optional(Type.String()),
    errorCodes: Type.Array(ErrorCode, { default: [] }),
  },
  { additionalProperties: false, default: { errorCodes: [] } },
);

/** One IPv4 or IPv6 address, or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`); see `ip-blocks.ts`. */
const IpBlock = Type.String({ minLength: 2, maxLength: 64 });

/** Client addresses an API admits: `deny` is checked first; a non-empty `allow` admits only its blocks. */
export const IpAccess = Type.Object(
  {
    /** Blocks that may call; when not empty, every other address gets 403. */
    allow: Type.Array(IpBlock, { default: [], maxItems: 1000 }),
    /** Blocks refused with 403, checked before `allow`. */
    deny: Type.Array(IpBlock, { default: [], maxItems: 1000 }),
  },
  { additionalProperties: false },
);

/** Requests per second an API admits from all callers together, per gateway instance. */
const RateLimitPerSecond = Type.Integer({ minimum: 1, maximum: 1_000_000 });

/** Longest JSON text of a request body schema. */
export const MAX_BODY_SCHEMA_LENGTH = 256 * 1024;

export const Api = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    frontend: Type.Object(
      {
        type: Type.Union([Type.Literal('http'), Type.Literal('websocket')], { default: 'http' }),
        /** The path as the user wrote it, in the document's syntax (`=/user`, `^~/user`, `~^/re$`, ...). */
        rawPath: Type.String({ minLength: 1, maxLength: 2048 }),
        match: MatchMode,
        /** The path without its match-mode marker; for `regex`, the pattern. */
        path: Type.String({ minLength: 1, maxLength: 2048 }),
        method: Type.Union(HttpMethod.anyOf, { default: 'GET' }),
      },
      { additionalProperties: false },
    ),
    auth: Auth,
    cors: Type.Union([Cors, Type.Null()]),
    parameters: Type.Array(Parameter, { default: [] }),
    backend: Backend,
    response: ResponseDoc,
    /** Replaces `service.apiDefaults.ipAccess` for this API. */
    ipAccess: Type.Optional(IpAccess),
    /** Requests per second the API admits from all callers, per gateway instance; replaces `service.apiDefaults.rateLimitPerSecond`. */
    rateLimitPerSecond: Type.Optional(RateLimitPerSecond),
    /** JSON Schema (2020-12) of JSON request bodies, as JSON text; see `body-schema.ts`. */
    bodySchema: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_BODY_SCHEMA_LENGTH })),
  },
  { additionalProperties: false },
);

/** Policies of every API that does not declare its own. */
export const ApiDefaults = Type.Object(
  {
    /** IP allow/deny lists of every API without its own `ipAccess`. */
    ipAccess: Type.Optional(IpAccess),
    /** Requests per second each API without its own limit admits (counted per API). */
    rateLimitPerSecond: Type.Optional(RateLimitPerSecond),
  },
  { additionalProperties: false },
);

export const Certificate = Type.Object(
  {
    /** Server names served with this certificate; `*.example.com` wildcards allowed. */
    domains: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    cert: SecretRef,
    key: SecretRef,
  },
  { additionalProperties: false },
);

export const KeyPair = Type.Object(
  { secretId: Type.String({ minLength: 1, maxLength: 128 }), secretKey: SecretRef },
  { additionalProperties: false },
);

export const UsagePlan = Type.Object(
  {
    name: Name,
    keyPairs: Type.Array(Type.String(), { minItems: 1 }),
    /** API names the plan covers; absent means every API of the service. */
    apis: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    rateLimitPerSecond: Type.Optional(Type.Integer({ minimum: 1 })),
    quota: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const Listeners = Type.Object(
  {
    http: Type.Optional(
      Type.Object(
        {
          port: Type.Integer({ minimum: 0, maximum: 65535 }),
          host: Type.String(),
          redirectToHttps: Type.Boolean(),
          /** HTTPS port in redirect `Location`s: the one clients reach (a published port); absent means `https.port`. */
          redirectPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
        },
        { additionalProperties: false },
      ),
    ),
    https: Type.Optional(
      Type.Object(
        {
          port: Type.Integer({ minimum: 0, maximum: 65535 }),
          host: Type.String(),
          certificates: Type.Array(Certificate, { minItems: 1 }),
          /** Domain of the certificate served for unknown server names; absent means refuse them. */
          defaultDomain: Type.Optional(Type.String()),
          minVersion: Type.Union([Type.Literal('TLSv1.2'), Type.Literal('TLSv1.3')]),
        },
        { additionalProperties: false },
      ),
    ),
    /** Metrics on a listener of their own (`metricsPath`, default `/metrics`), then never on the public ones. */
    metrics: Type.Optional(
      Type.Object(
        { port: Type.Integer({ minimum: 0, maximum: 65535 }), host: Type.String() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Most serving threads (`service.workers`), and the most the default (the CPUs the process may use) picks. */
export const MAX_WORKERS = 64;

/** Defaults the constructs apply and the README documents (`DEFAULT_LIMITS`). */
const LIMIT_DEFAULTS = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  maxPathLength: 2048,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  trustForwardedHeaders: false,
  shutdownGraceMs: 10_000,
};

export const Limits = Type.Object(
  {
    maxBodyBytes: Type.Integer({ minimum: 0, default: LIMIT_DEFAULTS.maxBodyBytes }),
    maxHeaderBytes: Type.Integer({ minimum: 1024, maximum: 1024 * 1024, default: LIMIT_DEFAULTS.maxHeaderBytes }),
    maxPathLength: Type.Integer({ minimum: 16, maximum: 65536, default: LIMIT_DEFAULTS.maxPathLength }),
    headersTimeoutMs: Type.Integer({ minimum: 100, default: LIMIT_DEFAULTS.headersTimeoutMs }),
    requestTimeoutMs: Type.Integer({ minimum: 0, default: LIMIT_DEFAULTS.requestTimeoutMs }),
    keepAliveTimeoutMs: Type.Integer({ minimum: 100, default: LIMIT_DEFAULTS.keepAliveTimeoutMs }),
    /** Trust client-supplied `X-Forwarded-*` headers (only behind a proxy you run). */
    trustForwardedHeaders: Type.Boolean({ default: LIMIT_DEFAULTS.trustForwardedHeaders }),
    shutdownGraceMs: Type.Integer({ minimum: 0, default: LIMIT_DEFAULTS.shutdownGraceMs }),
    /** Request header names with `_`: dropped before any backend (absent means `drop`) or refused with 400. */
    headersWithUnderscores: Type.Optional(
      Type.Union([Type.Literal('drop'), Type.Literal('reject')], { default: 'drop' }),
    ),
    /** Open client connections (HTTP and HTTPS together); absent means 10,000. See README "Security". */
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, default: 10_000 })),
    /** Time a client has to finish the TLS handshake; absent means 10 s. */
    tlsHandshakeTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, default: 10_000 })),
    /** `%2F`, `%5C` or `\\` in a path: 400 (`reject`, the default) or 307 to the unescaped path (`redirect`). */
    escapedSlashes: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('redirect')], { default: 'reject' }),
    ),
  },
  { additionalProperties: false, default: LIMIT_DEFAULTS },
);

export const AdminListener = Type.Object(
  {
    /** Address to bind; loopback unless the admin port is published to the host's loopback only. */
    host: Type.String(),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** Bearer token every admin request must present (compared in constant time). */
    token: SecretRef,
  },
  { additionalProperties: false },
);

export const Service = Type.Object(
  {
    name: Name,
    id: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    stage: Type.Object(
      {
        name: Type.String({ ...Name, default: 'release' }),
        variables: Type.Record(Type.String(), Type.String(), { default: {} }),
      },
      { additionalProperties: false, default: { name: 'release', variables: {} } },
    ),
    listeners: Listeners,
    healthPath: Type.String({ pattern: '^/', default: '/__apigw/health' }),
    /**
     * Prometheus metrics path; absent means metrics are not served (on the public listeners). With
     * `listeners.metrics`, the path on that listener (absent: `/metrics`) and not served on the public ones.
     */
    metricsPath: Type.Optional(Type.String({ pattern: '^/' })),
    limits: Limits,
    keyPairs: Type.Array(KeyPair, { default: [] }),
    usagePlans: Type.Array(UsagePlan, { default: [] }),
    /** IP lists and rate limit of the APIs that declare none of their own. */
    apiDefaults: Type.Optional(ApiDefaults),
    /** Token that backends present to push to or close WebSocket connections by id. */
    connectionsAdminToken: Type.Optional(SecretRef),
    /**
     * The admin listener (live config apply, see `admin.ts`): off when absent, never on a public
     * listener. Like the listeners, it is bound at start and a reload or apply cannot move it.
     */
    admin: Type.Optional(AdminListener),
    /**
     * Serving threads of the gateway process, each a full gateway on the same listeners (Node >= 22.12);
     * absent means the CPUs the process may use (its CPU affinity and cgroup quota), at most 64. Bound at start.
     */
    workers: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_WORKERS })),
  },
  { additionalProperties: false },
);

export const GatewayConfig = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    version: Type.Literal(1),
    service: Service,
    apis: Type.Array(Api),
  },
  { additionalProperties: false, $id: 'https://cdktf-apigw.dev/gateway-config.schema.json', title: 'Gateway config' },
);

export type SecretRef = Static<typeof SecretRef>;
export type HttpMethod = Static<typeof HttpMethod>;
export type MatchMode = Static<typeof MatchMode>;
export type ParamLocation = Static<typeof ParamLocation>;
export type ParamType = Static<typeof ParamType>;
export type Parameter = Static<typeof Parameter>;
export type ParameterMapping = Static<typeof ParameterMapping>;
export type ConstantParameter = Static<typeof ConstantParameter>;
export type HttpBackendConfig = Static<typeof HttpBackend>;
export type FunctionTarget = Static<typeof FunctionTarget>;
export type BundledFunctionSource = Static<typeof BundledFunctionSource>;
export type RemoteFunctionSource = Static<typeof RemoteFunctionSource>;
export type ScfBackendConfig = Static<typeof ScfBackend>;
export type MockBackendConfig = Static<typeof MockBackend>;
export type WebSocketBackendConfig = Static<typeof WebSocketBackend>;
export type WebSocketFunctionBackendConfig = Static<typeof WebSocketFunctionBackend>;
export type BackendConfig = Static<typeof Backend>;
export type JwtAlgorithm = Static<typeof JwtAlgorithm>;
export type RemoteJwksConfig = Static<typeof RemoteJwks>;
export type OAuthVerifierConfig = Static<typeof OAuthVerifier>;
export type AuthConfig = Static<typeof Auth>;
export type CorsConfig = Static<typeof Cors>;
export type ErrorCodeSource = Static<typeof ErrorCodeSource>;
export type ErrorCodeDoc = Static<typeof ErrorCode>;
export type IpAccessConfig = Static<typeof IpAccess>;
export type ApiDefaultsConfig = Static<typeof ApiDefaults>;
export type ResponseDoc = Static<typeof ResponseDoc>;
export type ApiConfig = Static<typeof Api>;
export type CertificateConfig = Static<typeof Certificate>;
export type KeyPairConfig = Static<typeof KeyPair>;
export type UsagePlanConfig = Static<typeof UsagePlan>;
export type ListenersConfig = Static<typeof Listeners>;
export type AdminListenerConfig = Static<typeof AdminListener>;
export type LimitsConfig = Static<typeof Limits>;
export type ServiceConfig = Static<typeof Service>;
export type GatewayConfig = Static<typeof GatewayConfig>;

/** The JSON Schema document, as published in `gateway-config.schema.json`. */
export const gatewayConfigSchema: TSchema = GatewayConfig;

/** Defaults the constructs apply and the README documents (the runtime applies them to absent optional fields). */
export const DEFAULT_LIMITS: Required<LimitsConfig> = {
  ...LIMIT_DEFAULTS,
  headersWithUnderscores: 'drop',
  maxConnections: 10_000,
  tlsHandshakeTimeoutMs: 10_000,
  escapedSlashes: 'reject',
};
