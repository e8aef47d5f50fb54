/**
 * Every message the construct library shows its users, in one place for
 * review. The rules of the house:
 *
 * - one sentence per mistake, starting with the prop as the user wrote it
 *   (`timeout`, `backend origin`, `usagePlans "partners" quota`), never the
 *   config field (`backend/timeoutMs`) or the validator's words;
 * - the limit in the prop's unit and what was given (`at most 30 minutes,
 *   got 31 minutes`);
 * - no construct path: cdktf prints it once in front of each message.
 *
 * Checks live next to what they check (`checks.ts`, the backends, `Duration`);
 * only their wording lives here. Rules of the config document that reach the
 * constructs keep the model's sentence, with the config field translated to
 * the prop by {@link propOfField}.
 */

/** `31 minutes`, `1 second`, `0 milliseconds`. */
function quantity(amount: number, unit: string): string {
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** A length of time in milliseconds, in the largest unit that divides it: `30 minutes`, `1500 milliseconds`. */
function duration(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return quantity(ms / 60_000, 'minute');
  if (ms !== 0 && ms % 1000 === 0) return quantity(ms / 1000, 'second');
  return quantity(ms, 'millisecond');
}

/** A size in bytes, in binary units when exact: `1 MiB`, `1 GiB`, `1000 bytes`. */
function bytes(n: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n !== 0 && n % size === 0) return `${n / size} ${unit}`;
  }
  return quantity(n, 'byte');
}

/** How a number of some unit is written in a message. */
export type UnitFormat = (n: number) => string;

export const Units = {
  milliseconds: duration,
  seconds: (n: number) => quantity(n, 'second'),
  bytes,
  megabytes: (n: number) => `${n} MB`,
  requestsPerSecond: (n: number) => `${quantity(n, 'request')} per second`,
  requests: (n: number) => quantity(n, 'request'),
  plain: (n: number) => String(n),
} as const satisfies Record<string, UnitFormat>;

const given = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : String(value));

export const Messages = {
  quantity,

  // Values that can never be valid: thrown at once by their factory.
  durationNegative: (factory: string, amount: number) => `${factory}(${amount}): a duration cannot be negative`,
  durationNotFinite: (factory: string, amount: unknown) =>
    `${factory}(${given(amount)}): a duration must be a finite number`,
  envName: (factory: string, name: string) =>
    `${factory}(${given(name)}): an environment variable name has only letters, digits and "_" and does not start with a digit`,
  emptyFilePath: (factory: string) => `${factory}(""): give the path of the file`,

  // Props, checked at synth and reported with the construct.
  empty: (prop: string) => `${prop}: must not be empty`,
  tooLong: (prop: string, max: number, value: string) =>
    `${prop}: at most ${max} characters, got ${value.length} ("${value}")`,
  name: (prop: string, value: string) =>
    `${prop}: use letters, digits, "_", "." and "-" (not "." or "-" first), got "${value}"`,
  wholeNumber: (prop: string, value: unknown) => `${prop}: must be a whole number, got ${given(value)}`,
  atLeast: (prop: string, min: string, got: string) => `${prop}: at least ${min}, got ${got}`,
  atMost: (prop: string, max: string, got: string) => `${prop}: at most ${max}, got ${got}`,
  oneOf: (prop: string, allowed: readonly string[], value: unknown) =>
    `${prop}: one of ${allowed.join(', ')}, got ${given(value)}`,
  startsWithSlash: (prop: string, value: string) => `${prop}: must start with "/", got "${value}"`,
  noneGiven: (prop: string, what: string, otherwise: string) => `${prop}: give at least one ${what}, ${otherwise}`,

  apiPath: (message: string) => `path: ${message}`,
  originNotUrl: (prop: string, value: string, schemes: readonly string[]) =>
    `${prop}: "${value}" is not a URL; write ${schemes.map((s) => `${s}://host[:port]`).join(' or ')}`,
  originScheme: (prop: string, value: string, schemes: readonly string[]) =>
    `${prop}: must start with ${schemes.map((s) => `${s}://`).join(' or ')}, got "${value}"`,
  originPath: (prop: string, value: string) =>
    `${prop}: "${value}" has a path, query or fragment; give scheme://host[:port] and put the path in the backend's path`,
  originCredentials: (prop: string, value: string) =>
    `${prop}: "${value}" carries a user name or password, which an origin cannot have`,
  notJson: (prop: string, reason: string) => `${prop}: cannot be written as JSON (${reason})`,
  corsOriginsEmpty: () => 'cors allowOrigins: give at least one origin, or use cors: true to allow any origin',
  corsOrigin: (value: string) =>
    `cors allowOrigins: "${value}" is not an origin; write scheme://host[:port], https://*.example.com for subdomains, or "*"`,
  handlerSyntax: (prop: string, value: string) =>
    `${prop}: write the handler as file.export (for example index.main_handler), got "${value}"`,
  codeFolderMissing: (prop: string, dir: string) => `${prop}: the folder ${dir} does not exist`,
  handlerNotExported: (prop: string, file: string, name: string, exported: readonly string[]) =>
    `${prop}: ${file} has no function export "${name}" (${exported.length > 0 ? `its function exports: ${exported.join(', ')}` : 'it exports no function'})`,
  handlerNotFound: (prop: string, file: string, dir: string, reason: string) =>
    `${prop}: ${file} cannot be loaded from ${dir} (${reason})`,
  handlerLoadFailed: (prop: string, file: string, name: string, reason: string) =>
    `${prop}: ${file} threw while loading at synth (${reason}), so its export "${name}" was not checked`,
  handlerLoadTimedOut: (prop: string, file: string, name: string, seconds: number) =>
    `${prop}: loading ${file} at synth took longer than ${quantity(seconds, 'second')}, so its export "${name}" was not checked`,

  // Service and stack.
  noDockerProvider: (stack: string) =>
    `stack "${stack}" has no DockerProvider; add \`new DockerProvider(stack, 'docker', {})\` from @cdktf/provider-docker`,
  variableNotSensitive: (variable: string, prop: string) =>
    `${prop}: the Terraform variable "${variable}" holds a secret and must be declared with sensitive: true`,
  secretEnvClash: (name: string) => `two different secrets use the environment variable ${name}`,
  secretEnvNotInContainer: (prop: string, name: string) =>
    `${prop}: Secret.fromEnv("${name}") can never reach the gateway: the container's environment has no ${name}; ` +
    `add it to DockerContainerTarget env (a sensitive variable's value keeps it out of the plan), or use Secret.fromVariable`,
  secretFileNotMounted: (prop: string, path: string) =>
    `${prop}: Secret.fromFile("${path}") can never reach the gateway: no mount of the container holds ${path}; ` +
    `add a DockerContainerTarget mount whose target is the file or a folder above it`,
  startSecretNotDelivered: (prop: string) =>
    `${prop}: a Secret.fromVariable is read when the gateway starts, and ExistingGatewayTarget does not start the ` +
    `gateway, so its value can never reach it; give the running gateway the value in its environment or a file ` +
    `(Secret.fromEnv, Secret.fromFile)`,
  targetProp: (target: string, prop: string, problem: string) => `${target}: ${prop} ${problem}`,
  adminTokenDescription: (service: string, min: number) =>
    `Admin token of the gateway of service "${service}" (at least ${min} characters): it lets its holder change the gateway's config`,
  adminTokenTooShort: (min: number) => `The admin token must be at least ${min} characters long.`,
  notATarget: (kind: string) =>
    `deployment: ${kind} is neither a LiveDeploymentTarget nor a BakedDeploymentTarget; extend one of them`,
  liveNameClash: (name: string, first: string, second: string) =>
    `service name "${name}" is used by both ${first} and ${second}; the Terraform names of their live config ` +
    `(apigw_service.${name}, the ${name} provider alias) would collide`,
  stagingFailed: (message: string) => `the gateway build context could not be staged: ${message}`,
  hostPortClash: (port: number, first: string, second: string) =>
    first === second
      ? `host port ${port} is published twice by ${first}`
      : `host port ${port} is published by both ${first} and ${second}`,
  containerNameClash: (name: string, first: string, second: string) =>
    `container name "${name}" is used by both ${first} and ${second}`,

  /** A config issue (a rule of the document) in the words of the props. */
  configIssue: (prop: string, message: string) => `${prop}: ${message}`,
  unindexedRegex: (pattern: string) =>
    `route regex "${pattern}" has no literal the router can index (a literal prefix after "^", or literal text every ` +
    `match contains, such as "/orders/"): it runs for every request that reaches the regex routes, so many such ` +
    `routes slow down every request served by a plain route or not found`,
} as const;

/**
 * Config field → prop, for the rules of the document that reach the
 * constructs. API fields are relative to the API (`/backend/origin`), service
 * fields absolute (`/service/limits/maxBodyBytes`). First match wins.
 */
const PROP_OF_FIELD: readonly (readonly [RegExp, string])[] = [
  [/^\/name$/, 'apiName'],
  [/^\/frontend\/(?:path|rawPath|match)$/, 'path'],
  [/^\/frontend\/method$/, 'method'],
  [/^\/frontend\/type$/, 'protocol'],
  [/^\/parameters(?:\/.*)?$/, 'parameters'],
  [/^\/backend\/type$/, 'backend'],
  [/^\/backend\/(?:function\/)?timeoutMs$/, 'backend timeout'],
  [/^\/backend\/connectTimeoutMs$/, 'backend connectTimeout'],
  [/^\/backend\/(register|transfer|cleanup)\/timeoutMs$/, 'backend $1 timeout'],
  [/^\/backend\/(?:function\/)?source\/(\w+).*$/, 'backend code $1'],
  [/^\/backend\/(register|transfer|cleanup)\/source\/(\w+).*$/, 'backend $1 code $2'],
  [/^\/backend\/function\/(\w+).*$/, 'backend $1'],
  [/^\/backend\/(register|transfer|cleanup)\/(\w+).*$/, 'backend $1 $2'],
  [/^\/backend\/(\w+).*$/, 'backend $1'],
  [/^\/auth\/verifier\/clockToleranceSec$/, 'auth clockToleranceSeconds'],
  [/^\/auth\/verifier\/remoteJwks\/url$/, 'auth jwksUrl'],
  [/^\/auth\/verifier\/remoteJwks\/timeoutMs$/, 'auth jwksTimeout'],
  [/^\/auth\/verifier\/remoteJwks\/cooldownMs$/, 'auth jwksCooldown'],
  [/^\/auth\/verifier\/remoteJwks\/cacheMaxAgeMs$/, 'auth jwksCacheMaxAge'],
  [/^\/auth\/verifier\/remoteJwks.*$/, 'auth jwksUrl'],
  [/^\/auth\/verifier\/tokenLocation\/(\w+)$/, 'auth tokenLocation $1'],
  [/^\/auth\/verifier\/(\w+).*$/, 'auth $1'],
  [/^\/auth.*$/, 'auth'],
  [/^\/cors\/(\w+).*$/, 'cors $1'],
  [/^\/response\/(\w+).*$/, 'response $1'],
  [/^\/ipAccess\/(allow|deny).*$/, 'ipAccess $1'],
  [/^\/(ipAccess|rateLimitPerSecond|bodySchema).*$/, '$1'],
  [/^\/service\/apiDefaults\/ipAccess\/(allow|deny).*$/, 'apiDefaults ipAccess $1'],
  [/^\/service\/apiDefaults\/(\w+).*$/, 'apiDefaults $1'],
  [/^\/service\/name$/, 'serviceName'],
  [/^\/service\/stage\/name$/, 'stageName'],
  [/^\/service\/stage\/variables.*$/, 'stageVariables'],
  [/^\/service\/listeners$/, 'httpPort'],
  [/^\/service\/listeners\/http\/redirectToHttps$/, 'redirectHttpToHttps'],
  [/^\/service\/listeners\/http.*$/, 'httpPort'],
  [/^\/service\/listeners\/https\/(\w+).*$/, 'https $1'],
  [/^\/service\/limits\/(\w+)$/, 'limits $1'],
  [/^\/service\/(keyPairs|usagePlans)(?:\/.*)?$/, '$1'],
  [/^\/service\/(\w+).*$/, '$1'],
];

/** The prop a config field comes from: `/backend/timeoutMs` → `backend timeout`. */
export function propOfField(field: string): string {
  for (const [pattern, prop] of PROP_OF_FIELD) {
    if (pattern.test(field)) return field.replace(pattern, prop);
  }
  // Anything else: the field's names without indexes.
  return (
    field
      .split('/')
      .filter((s) => s && !/^\d+$/.test(s))
      .join(' ') || 'config'
  );
}
