/**
 * A service's gateway in the test's own process, on 127.0.0.1 and a free
 * port, serving the config the service synthesizes (validated as synth
 * validates it), with its backends pointed at the test's servers.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import { formatIssues, validateConfig, type GatewayConfig } from '../model';
import { Service } from '../lib/service';
import { mapBundledSources } from '../lib/live-config';
import { EventLog, type LogLevel } from '../runtime/access-log';
import { signRequest } from '../runtime/auth/sign';
import { Gateway } from '../runtime/gateway';
import { secretNeeds } from '../dev/secrets';
import { overrideBackends } from './backends';
import { openWebSocket, TestWebSocket } from './web-socket';

/** Options of {@link startGateway}. */
export interface TestGatewayOptions {
  /**
   * The service to serve, by its service name, when the stack has several.
   * @default - the stack's only service
   */
  readonly service?: string;
  /**
   * Backends to point at the test's own servers: by API name (`{ getPet: 'http://127.0.0.1:4000' }`) or by
   * backend origin (`{ 'https://pets.internal': 'http://127.0.0.1:4000' }`, every backend with that origin).
   * HTTP backends take `http://` or `https://` origins, WebSocket backends `ws://` or `wss://`. A key
   * that names nothing is an error.
   * @default - every backend as declared
   */
  readonly backends?: Readonly<Record<string, string>>;
  /**
   * Values of the secrets the service reads by name (`Secret.fromVariable(variable, 'PARTNER_KEY')`,
   * `Secret.fromEnv('PARTNER_KEY')`): `{ PARTNER_KEY: 'test-secret' }`. A secret given neither here nor in
   * the test's environment is an error naming it.
   * @default - from the environment
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /**
   * Lowest level of the gateway's events kept in {@link TestGateway.events}.
   * @default 'info'
   */
  readonly logLevel?: LogLevel;
}

/** Options of {@link TestGateway.request}. */
export interface TestRequestOptions {
  /** @default 'GET' */
  readonly method?: string;
  /** @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The request body: a string or Buffer as is, anything else as JSON (with `content-type: application/json`).
   * @default - no body
   */
  readonly body?: unknown;
  /**
   * Sign the request for a key-pair API (`cdktf-apigw/sign`), mutually exclusive with `bearer`.
   * @default - not signed
   */
  readonly keyPair?: TestKeyPair;
  /**
   * An OAuth 2.0 access token, sent as `Authorization: Bearer <token>`; mutually exclusive with `keyPair`.
   * @default - none
   */
  readonly bearer?: string;
}

/** A key pair to sign requests with. */
export interface TestKeyPair {
  /** The key id (`secretId` of the service's key pair). */
  readonly secretId: string;
  /** The signing secret (the value of its `secretKey`). */
  readonly secretKey: string;
  /** Extra headers to sign and send, for example `{ source: 'tests' }`. @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Also sign the method, path and query (`(request-target)`), as `requireSignedRequestTarget` APIs demand.
   * @default true
   */
  readonly signRequestTarget?: boolean;
}

/** Options of {@link TestGateway.webSocket}. */
export interface TestWebSocketOptions {
  /** Subprotocols to offer. @default - none */
  readonly protocols?: readonly string[];
  /** Extra handshake headers (for example `Origin`). @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sign the handshake for a key-pair API. @default - not signed */
  readonly keyPair?: TestKeyPair;
  /** An OAuth 2.0 access token for the handshake. @default - none */
  readonly bearer?: string;
}

/** A response as the client received it. */
export interface TestResponse {
  readonly status: number;
  /** Header names are lower-case. */
  readonly headers: IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  readonly body: string;
  /** The body parsed as JSON; throws when it is not JSON. */
  json<T = unknown>(): T;
}

/** One line of the gateway's event log (see the README, "Operating the gateway"). */
export interface GatewayEvent {
  readonly time: string;
  readonly level: LogLevel;
  /** For example `backend_failed`, `request_refused`. */
  readonly event: string;
  readonly [field: string]: unknown;
}

/** A running gateway; stop it with {@link TestGateway.stop} (for example in `afterAll`). */
export class TestGateway {
  private readonly sockets = new Set<TestWebSocket>();
  private readonly eventLines: GatewayEvent[] = [];

  /** @internal Made by {@link startGateway}. */
  constructor(
    private readonly gateway: Gateway,
    /** The port the gateway listens on (127.0.0.1). */
    readonly port: number,
    /** The config it serves, backends pointed as asked. */
    readonly config: GatewayConfig,
    events: GatewayEvent[],
  ) {
    this.eventLines = events;
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The gateway's events so far (`backend_failed`, `request_refused` at level debug, ...), oldest first. */
  get events(): readonly GatewayEvent[] {
    return this.eventLines;
  }

  /**
   * Sends one HTTP request to `path` (path and query exactly as sent on the request line) and reads the
   * whole response. Each request has its own connection.
   */
  request(path: string, options: TestRequestOptions = {}): Promise<TestResponse> {
    const method = (options.method ?? 'GET').toUpperCase();
    let body: Buffer | undefined;
    const headers: Record<string, string> = {};
    if (options.body !== undefined) {
      if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = Buffer.from(options.body);
      else {
        body = Buffer.from(JSON.stringify(options.body));
        headers['content-type'] = 'application/json';
      }
      headers['content-length'] = String(body.length);
    }
    Object.assign(headers, lowerCased(options.headers), credentials(method, path, options));
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: this.port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * Opens a WebSocket connection to `path`; resolves once it is open. A refused upgrade rejects with
   * {@link UpgradeRefused}, holding the gateway's status and body.
   */
  async webSocket(path: string, options: TestWebSocketOptions = {}): Promise<TestWebSocket> {
    const headers = { ...lowerCased(options.headers), ...credentials('GET', path, options) };
    const socket = await openWebSocket(`ws://127.0.0.1:${this.port}${path}`, options.protocols ?? [], headers);
    this.sockets.add(socket);
    void socket.closed.then(() => this.sockets.delete(socket));
    return socket;
  }

  /** Stops the gateway: open WebSocket connections end, listeners close, function workers stop. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.terminate();
    await this.gateway.close();
  }
}

/**
 * Starts the gateway of a service (or of a stack's only service, or the one named by `options.service`)
 * in this process, on 127.0.0.1 and a free port, for a test. Only the HTTP listener is served (HTTPS
 * listeners, the metrics and admin listeners of a deployment are left out). The service is validated
 * as synth validates it: a mistake throws with its construct path.
 *
 * ```ts
 * const gateway = await startGateway(stack, { backends: { 'https://pets.internal': backend.url } });
 * const res = await gateway.request('/pets/1');
 * await gateway.stop();
 * ```
 */
export async function startGateway(
  scope: TerraformStack | Service,
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const service = findService(scope, options.service);
  const errors = service.node
    .findAll()
    .flatMap((c: IConstruct) => c.node.validate().map((e) => `[${c.node.path}] ${e}`));
  if (errors.length > 0)
    throw new Error(`the service ${service.serviceName} does not synthesize:\n  ${errors.join('\n  ')}`);

  const code = new Map(service.apis.flatMap((a) => a.toConfig().bundles.map((b) => [b.targetDir, b.sourceDir])));
  let config = mapBundledSources(service.toConfig(), (targetDir, dir) => ({
    dir: code.get(targetDir) ?? dir,
    sha256: undefined,
  }));
  config = overrideBackends(config, options.backends ?? {});
  config = {
    ...config,
    service: { ...config.service, listeners: { http: { port: 0, host: '127.0.0.1', redirectToHttps: false } } },
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.secrets };
  const missing = secretNeeds(config).filter((n) => !env[n.name]);
  if (missing.length > 0)
    throw new Error(
      `the service ${service.serviceName} reads secrets that are not set: ${missing.map((m) => `${m.name} (${m.field})`).join(', ')}; pass them as secrets: { NAME: 'value' }`,
    );
  const checked = validateConfig(config);
  if (!checked.ok) throw new Error(`the config of ${service.serviceName} is invalid:\n${formatIssues(checked.issues)}`);

  const events: GatewayEvent[] = [];
  const sink = (text: string): void => {
    for (const line of text.split('\n')) if (line) events.push(JSON.parse(line) as GatewayEvent);
  };
  const gateway = Gateway.fromConfig(
    { config: checked.config, file: `cdktf-apigw/testing: ${service.serviceName}`, baseDir: process.cwd() },
    { env, accessLog: null, debug: false, events: new EventLog(options.logLevel ?? 'info', sink) },
  );
  const { http } = await gateway.listen();
  return new TestGateway(gateway, (http as NonNullable<typeof http>).port, checked.config, events);
}

function findService(scope: TerraformStack | Service, name: string | undefined): Service {
  if (scope instanceof Service) return scope;
  const services = scope.node.findAll().filter((c): c is Service => c instanceof Service);
  const found = name === undefined ? services : services.filter((s) => s.serviceName === name);
  if (found.length === 1) return found[0] as Service;
  const known = services.map((s) => s.serviceName).join(', ') || 'none';
  throw new Error(
    name === undefined
      ? `${scope.node.path} has ${services.length} services (${known}); name one with { service: '<name>' }`
      : `${scope.node.path} has no service "${name}" (services: ${known})`,
  );
}

function lowerCased(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The authentication headers of a request. */
function credentials(
  method: string,
  path: string,
  options: { readonly keyPair?: TestKeyPair; readonly bearer?: string },
): Record<string, string> {
  if (options.keyPair && options.bearer !== undefined) throw new Error('keyPair and bearer are mutually exclusive');
  if (options.bearer !== undefined) return { authorization: `Bearer ${options.bearer}` };
  const k = options.keyPair;
  if (!k) return {};
  return signRequest({
    secretId: k.secretId,
    secretKey: k.secretKey,
    ...(k.headers ? { headers: { ...k.headers } } : {}),
    ...(k.signRequestTarget === false ? {} : { requestTarget: { method, path } }),
  });
}
