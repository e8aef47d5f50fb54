/** The mistakes a user can make in props, and exactly what synth tells them: all at once, each once, in their words. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { AnnotationMetadataEntryType, Testing, TerraformStack } from 'cdktf';
import {
  ApiPath,
  Auth,
  Cors,
  DockerContainerTarget,
  ExistingGatewayTarget,
  Duration,
  FunctionCode,
  HttpBackend,
  MockBackend,
  ScfBackend,
  Secret,
  Service,
  WebSocketBackend,
  WebSocketFunctionBackend,
} from '../../lib';

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'gateway');
  new DockerProvider(s, 'docker', {});
  return s;
}

/** The message synth fails with; '' when it succeeds. */
function synthError(s: TerraformStack): string {
  try {
    Testing.synth(s, true);
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

/** Each `[path] message` line of a failed synth. */
function errors(s: TerraformStack): string[] {
  return synthError(s)
    .split('\n')
    .filter((line) => line.startsWith('  ['))
    .map((line) => line.trim());
}

/** Warnings as the CLI prints them: `[path] message`. */
function warnings(s: TerraformStack): string[] {
  return s.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === (AnnotationMetadataEntryType.WARN as string))
        .map((m) => `[${c.node.path}] ${String(m.data)}`),
    );
}

const ok = MockBackend.json({ ok: true });
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
  type: 'spki',
  format: 'pem',
}) as string;

describe('errors at synth', () => {
  it('reports a 61-character API name, an undeclared {userid} and an origin with a path together, each once', () => {
    const s = stack();
    const svc = new Service(s, 'petstore');
    svc.addApi('getUser', {
      apiName: 'u'.repeat(61),
      path: '/users/{userid}',
      backend: new HttpBackend({ origin: 'http://users.internal/api' }),
    });
    expect(errors(s)).toEqual([
      `[gateway/petstore/getUser] apiName: at most 60 characters, got 61 ("${'u'.repeat(61)}")`,
      '[gateway/petstore/getUser] parameters: {userid} in the path /users/{userid} must be declared as a path parameter',
      '[gateway/petstore/getUser] backend origin: "http://users.internal/api" has a path, query or fragment; give scheme://host[:port] and put the path in the backend\'s path',
    ]);
  });

  it("prints the construct path once and never the validator's words (the service used to repeat every API's issues)", () => {
    const s = stack();
    const svc = new Service(s, 'petstore');
    svc.addApi('getPet', {
      path: '/pets/{petId}',
      cors: Cors.custom({ allowOrigins: [] }),
      backend: new HttpBackend({ origin: 'http://pets.internal', timeout: Duration.minutes(31) }),
    });
    const message = synthError(s);
    expect(message).not.toContain('[gateway/petstore] [');
    expect(message).not.toMatch(/must be null|anyOf|must be <=|timeoutMs|backend\//);
    expect(errors(s)).toEqual([
      '[gateway/petstore/getPet] parameters: {petId} in the path /pets/{petId} must be declared as a path parameter',
      '[gateway/petstore/getPet] cors allowOrigins: give at least one origin, or use cors: true to allow any origin',
      '[gateway/petstore/getPet] backend timeout: at most 30 minutes, got 31 minutes',
    ]);
  });

  it('prints this for the README: several mistakes across APIs and the service, in one synth', () => {
    const s = stack();
    const svc = new Service(s, 'petstore', { limits: { maxHeaderBytes: 512 } });
    svc.addApi('getPet', {
      path: '/pets/{petId}',
      backend: new HttpBackend({ origin: 'http://pets.internal/v1', timeout: Duration.minutes(31) }),
    });
    svc.addApi('search', { path: ApiPath.regex('^/search/(a+)+$'), backend: ok });
    svc.addApi('status', {
      path: '=/__apigw/health',
      cors: Cors.custom({ allowOrigins: ['https://app.example.com/'] }),
      backend: ok,
    });
    svc.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: ['getPet'], rateLimitPerSecond: 10 });
    const message = synthError(s);
    expect(message).toBe(README_EXAMPLE);
    expect(readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8')).toContain(README_EXAMPLE);
  });

  it('throws at once for a duration that can never be valid, naming the call', () => {
    expect(() => Duration.seconds(-1)).toThrow(new Error('Duration.seconds(-1): a duration cannot be negative'));
    expect(() => Duration.minutes(Number.NaN)).toThrow(
      new Error('Duration.minutes(NaN): a duration must be a finite number'),
    );
    expect(() => Duration.millis(Infinity)).toThrow(
      new Error('Duration.millis(Infinity): a duration must be a finite number'),
    );
    expect(Duration.millis(0).toString()).toBe('0 milliseconds');
    expect(Duration.minutes(1).toString()).toBe('1 minute');
  });

  it('throws at once for a secret that can never be read', () => {
    expect(() => Secret.fromEnv('partner-key')).toThrow(
      new Error(
        'Secret.fromEnv("partner-key"): an environment variable name has only letters, digits and "_" and does not start with a digit',
      ),
    );
    expect(() => Secret.fromFile('')).toThrow(new Error('Secret.fromFile(""): give the path of the file'));
  });

  it('names timeouts and message sizes of every backend kind in their unit', () => {
    const s = stack();
    const svc = new Service(s, 'gw');
    const code = FunctionCode.remote('http://functions.internal/invoke');
    svc.addApi('http', {
      path: '=/http',
      backend: new HttpBackend({ origin: 'http://a.internal', timeout: Duration.millis(0) }),
    });
    svc.addApi('fn', {
      path: '=/fn',
      backend: new ScfBackend({ functionName: 'f', timeout: Duration.seconds(1801), code }),
    });
    svc.addApi('ws', {
      protocol: 'websocket',
      path: '=/ws',
      backend: new WebSocketBackend({
        origin: 'ws://chat.internal',
        connectTimeout: Duration.minutes(45),
        maxMessageBytes: 2 * 1024 ** 3,
      }),
    });
    svc.addApi('wsfn', {
      protocol: 'websocket',
      path: '=/wsfn',
      backend: new WebSocketFunctionBackend({
        transfer: { functionName: 'echo', timeout: Duration.minutes(31), code },
        maxMessageBytes: 0,
      }),
    });
    expect(errors(s)).toEqual([
      '[gateway/gw/http] backend timeout: at least 1 millisecond, got 0 milliseconds',
      '[gateway/gw/fn] backend timeout: at most 30 minutes, got 1801 seconds',
      '[gateway/gw/ws] backend connectTimeout: at most 30 minutes, got 45 minutes',
      '[gateway/gw/ws] backend maxMessageBytes: at most 1 GiB, got 2 GiB',
      '[gateway/gw/wsfn] backend transfer timeout: at most 30 minutes, got 31 minutes',
      '[gateway/gw/wsfn] backend maxMessageBytes: at least 1 byte, got 0 bytes',
    ]);
  });

  it('names function, path, parameter and origin mistakes by their props', () => {
    const s = stack();
    const svc = new Service(s, 'gw');
    svc.addApi('fn', {
      path: 'users',
      parameters: [
        { name: '', in: 'query' },
        { name: 'limit', in: 'query', type: 'integer' as never },
      ],
      backend: new ScfBackend({
        functionName: '',
        code: FunctionCode.fromDirectory(tmpdir(), { handler: 'index', memoryMb: 8 }),
      }),
    });
    svc.addApi('ws', {
      protocol: 'websocket',
      path: '=/ws',
      cors: Cors.custom({ allowOrigins: ['https://app.example.com', 'app.example.com'] }),
      backend: new WebSocketBackend({ origin: 'https://chat.internal', path: 'socket' }),
    });
    expect(errors(s)).toEqual([
      '[gateway/gw/fn] path: "users" must start with "/" (after its match marker, if any)',
      '[gateway/gw/fn] parameters[0] name: must not be empty',
      '[gateway/gw/fn] parameters "limit" type: one of string, int, long, float, double, boolean, got "integer"',
      '[gateway/gw/fn] backend functionName: must not be empty',
      '[gateway/gw/fn] backend code handler: write the handler as file.export (for example index.main_handler), got "index"',
      '[gateway/gw/fn] backend code memoryMb: at least 16 MB, got 8 MB',
      '[gateway/gw/ws] cors allowOrigins: "app.example.com" is not an origin; write scheme://host[:port], https://*.example.com for subdomains, or "*"',
      '[gateway/gw/ws] backend origin: must start with ws:// or wss://, got "https://chat.internal"',
      '[gateway/gw/ws] backend path: must start with "/", got "socket"',
    ]);
  });

  it('names service mistakes by their props', () => {
    const s = stack();
    const svc = new Service(s, 'gw', {
      httpPort: 70000,
      stageName: 'my stage',
      healthPath: 'health',
      limits: { maxHeaderBytes: 512, headersTimeoutMs: 50 },
    });
    svc.addApi('ping', { path: '=/ping', auth: Auth.keyPair(), backend: ok });
    svc.addUsagePlan({ name: 'partners', keyPairs: [], rateLimitPerSecond: 0, quota: 1.5 });
    expect(errors(s)).toEqual([
      '[gateway/gw] stageName: use letters, digits, "_", "." and "-" (not "." or "-" first), got "my stage"',
      '[gateway/gw] httpPort: at most 65535, got 70000',
      '[gateway/gw] healthPath: must start with "/", got "health"',
      '[gateway/gw] limits maxHeaderBytes: at least 1 KiB, got 512 bytes',
      '[gateway/gw] limits headersTimeoutMs: at least 100 milliseconds, got 50 milliseconds',
      '[gateway/gw] usagePlans "partners" keyPairs: give at least one key pair id, since a plan without key pairs admits no one',
      '[gateway/gw] usagePlans "partners" rateLimitPerSecond: at least 1 request per second, got 0 requests per second',
      '[gateway/gw] usagePlans "partners" quota: must be a whole number, got 1.5',
    ]);
  });

  it('accepts wildcard subdomain origins and writes them into the config', () => {
    const s = stack();
    const svc = new Service(s, 'gw');
    svc.addApi('ping', { path: '=/ping', cors: Cors.custom({ allowOrigins: ['https://*.example.com'] }), backend: ok });
    expect(errors(s)).toEqual([]);
    expect(svc.toConfig().apis[0]?.cors?.allowOrigins).toEqual(['https://*.example.com']);
  });
});

describe('mistakes that used to pass synth and fail later', () => {
  it('refuses both Host and host constants (header names are case-insensitive)', () => {
    const s = stack();
    new Service(s, 'gw').addApi('proxy', {
      path: '^~/',
      backend: new HttpBackend({
        origin: 'http://app.internal',
        constants: [
          { in: 'header', name: 'Host', value: 'app.example.com' },
          { in: 'header', name: 'host', value: 'www.example.com' },
        ],
      }),
    });
    expect(errors(s)).toEqual([
      '[gateway/gw/proxy] backend constants: header "host" is set twice, by constant "Host" and by constant "host" (header names are case-insensitive)',
    ]);
  });

  it('refuses a header parameter or token header with "_" when such requests are rejected (it could never arrive)', () => {
    const build = (headersWithUnderscores: 'drop' | 'reject'): TerraformStack => {
      const s = stack();
      const svc = new Service(s, 'gw', { limits: { headersWithUnderscores } });
      svc.addApi('tenant', {
        path: '=/tenant',
        parameters: [{ name: 'X_Tenant', in: 'header', type: 'string', required: true }],
        backend: ok,
      });
      svc.addApi('me', {
        path: '=/me',
        auth: Auth.oauth2({ publicKeyPem: PEM, tokenLocation: { from: 'header', name: 'x_token' } }),
        backend: ok,
      });
      return s;
    };
    expect(errors(build('reject'))).toEqual([
      '[gateway/gw/tenant] parameters: header parameter "X_Tenant" can never be sent: limits.headersWithUnderscores is "reject", which refuses every request with "_" in a header name (use "-")',
      '[gateway/gw/me] auth tokenLocation name: token header "x_token" can never be sent: limits.headersWithUnderscores is "reject", which refuses every request with "_" in a header name (use "-")',
    ]);
    // Dropped headers are read first (declared parameters, the token), so these work.
    expect(errors(build('drop'))).toEqual([]);
  });

  it('refuses a route no request reaches and warns about one the gateway shadows', () => {
    const s = stack();
    const svc = new Service(s, 'gw', {
      connectionsAdminToken: Secret.fromEnv('PUSH_TOKEN'),
      deployment: new DockerContainerTarget({ env: { PUSH_TOKEN: 'push-token' } }),
    });
    svc.addApi('health', { path: '=/__apigw/health', backend: ok });
    svc.addApi('push', { path: ApiPath.prefix('/__apigw/connections/'), backend: ok });
    svc.addApi('admin', { path: ApiPath.prefix('/__apigw/'), backend: ok });
    svc.addApi('all', { path: ApiPath.prefix('/'), backend: ok });
    expect(errors(s)).toEqual([
      '[gateway/gw/health] path: the gateway answers GET and HEAD /__apigw/health itself (its health path), so no request reaches this API',
      '[gateway/gw/push] path: the gateway answers /__apigw/connections/ itself (its WebSocket connections endpoint), so no request reaches this API',
    ]);
    expect(warnings(s)).toEqual([
      '[gateway/gw/admin] path: the gateway answers GET and HEAD /__apigw/health itself (its health path), before any API',
    ]);
  });

  it('refuses a rate-limited usage plan bound to an API without key-pair authentication', () => {
    const s = stack();
    const svc = new Service(s, 'gw', {
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromEnv('PARTNER_KEY') }],
      deployment: new DockerContainerTarget({ env: { PARTNER_KEY: 'partner-key' } }),
    });
    const open = svc.addApi('open', { path: '=/open', backend: ok });
    const signed = svc.addApi('signed', { path: '=/signed', auth: Auth.keyPair(), backend: ok });
    svc.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [open, signed], quota: 1000 });
    expect(errors(s)).toEqual([
      '[gateway/gw] usagePlans: usage plan "partners" limits API "open", which does not use key-pair authentication, so the limit never applies',
    ]);
  });

  it('refuses two services of a stack on the same host port, admin port, container name or service name', () => {
    const s = stack();
    new Service(s, 'a').addApi('ping', { path: '=/ping', backend: ok });
    new Service(s, 'b', { deployment: new DockerContainerTarget({ adminHostPort: 9902 }) }).addApi('ping', {
      path: '=/ping',
      backend: ok,
    });
    new Service(s, 'c', {
      httpPort: 9000,
      deployment: new DockerContainerTarget({ containerName: 'a', publishIp: '127.0.0.1', adminHostPort: 9903 }),
    }).addApi('ping', { path: '=/ping', backend: ok });
    new Service(s, 'd', {
      httpPort: 9000,
      deployment: new DockerContainerTarget({ publishIp: '127.0.0.2', adminHostPort: 9902 }),
    }).addApi('ping', { path: '=/ping', backend: ok });
    new Service(s, 'e', {
      serviceName: 'a',
      deployment: new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9990' }),
    }).addApi('ping', { path: '=/ping', backend: ok });
    expect(errors(s)).toEqual([
      '[gateway] host port 8080 is published by both gateway/a and gateway/b',
      '[gateway] container name "a" is used by both gateway/a and gateway/c',
      '[gateway] host port 9902 is published by both gateway/b and gateway/d',
      '[gateway] service name "a" is used by both gateway/a and gateway/e; the Terraform names of their live config (apigw_service.a, the a provider alias) would collide',
    ]);
  });

  it('lets services share a stack on different host ports and admin ports', () => {
    const s = stack();
    new Service(s, 'a').addApi('ping', { path: '=/ping', backend: ok });
    new Service(s, 'b', {
      deployment: new DockerContainerTarget({ publishPorts: { http: 8081 }, adminHostPort: 9902 }),
    }).addApi('ping', { path: '=/ping', backend: ok });
    expect(errors(s)).toEqual([]);
  });
});

describe('function handlers, loaded at synth', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'apigw-handlers-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function code(name: string, files: Record<string, string>): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  }

  function serve(handlers: Record<string, { dir: string; handler: string }>): TerraformStack {
    const s = stack();
    const svc = new Service(s, 'gw');
    for (const [id, h] of Object.entries(handlers)) {
      svc.addApi(id, {
        path: `=/${id}`,
        backend: new ScfBackend({ functionName: id, code: FunctionCode.fromDirectory(h.dir, { handler: h.handler }) }),
      });
    }
    return s;
  }

  it('refuses a handler the code does not export (it answered 502 at the first request), CommonJS and ES modules', () => {
    const cjs = code('cjs', { 'index.js': 'exports.main = async () => 1;\nexports.helper = () => 2;\n' });
    const esm = code('esm', { 'app.mjs': 'export async function handle() { return 1; }\nexport const version = 3;\n' });
    const s = serve({
      cjs: { dir: cjs, handler: 'index.main_handler' },
      esm: { dir: esm, handler: 'app.main' },
      cjsOk: { dir: cjs, handler: 'index.main' },
      esmOk: { dir: esm, handler: 'app.handle' },
      noFile: { dir: cjs, handler: 'handler.main' },
    });
    expect(errors(s)).toEqual([
      '[gateway/gw/cjs] backend code handler: index has no function export "main_handler" (its function exports: main, helper)',
      '[gateway/gw/esm] backend code handler: app has no function export "main" (its function exports: handle)',
      `[gateway/gw/noFile] backend code handler: handler cannot be loaded from ${cjs} (Cannot find module '${join(cjs, 'handler')}')`,
    ]);
  });

  it('refuses a code folder that does not exist, once', () => {
    const missing = join(root, 'not-there');
    expect(errors(serve({ missing: { dir: missing, handler: 'index.main' } }))).toEqual([
      `[gateway/gw/missing] backend code: the folder ${missing} does not exist`,
    ]);
  });

  it('warns, without failing, when the code throws while loading, and runs it without the synth environment', () => {
    process.env.APIGW_SYNTH_SECRET = 'secret';
    try {
      const throws = code('throws', { 'index.js': "throw new Error('DATABASE_URL is not set');\n" });
      const secret = code('secret', {
        'index.js': "if (process.env.APIGW_SYNTH_SECRET) throw new Error('saw the secret');\nexports.main = () => 1;\n",
      });
      const s = serve({
        throws: { dir: throws, handler: 'index.main' },
        secret: { dir: secret, handler: 'index.main' },
      });
      expect(errors(s)).toEqual([]);
      expect(warnings(s)).toEqual([
        '[gateway/gw/throws] backend code handler: index threw while loading at synth (DATABASE_URL is not set), so its export "main" was not checked',
      ]);
    } finally {
      delete process.env.APIGW_SYNTH_SECRET;
    }
  });

  it('stops code that never finishes loading and warns', () => {
    const hangs = code('hangs', { 'index.js': 'for (;;) {}\n' });
    const s = serve({ hangs: { dir: hangs, handler: 'index.main' } });
    expect(errors(s)).toEqual([]);
    expect(warnings(s)).toEqual([
      '[gateway/gw/hangs] backend code handler: loading index at synth took longer than 5 seconds, so its export "main" was not checked',
    ]);
  });

  it('puts warnings into the synth manifest, where the cdktf CLI prints them', () => {
    const s = stack();
    new Service(s, 'gw').addApi('admin', { path: ApiPath.prefix('/__apigw/'), backend: ok });
    const dir = Testing.fullSynth(s);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, { annotations: { constructPath: string; level: string; message: string }[] }>;
    };
    expect(manifest.stacks.gateway?.annotations).toEqual([
      {
        constructPath: 'gateway/gw/admin',
        level: '@cdktf/warn',
        message: 'path: the gateway answers GET and HEAD /__apigw/health itself (its health path), before any API',
      },
    ]);
  });
});

/** Copied into the README's "Validation at synth". */
const README_EXAMPLE = `Validation failed with the following errors:
  [gateway/petstore] limits maxHeaderBytes: at least 1 KiB, got 512 bytes
  [gateway/petstore] usagePlans: usage plan "partners" limits API "getPet", which does not use key-pair authentication, so the limit never applies
  [gateway/petstore] usagePlans: usage plan "partners" names key pair "partner", which the service does not declare
  [gateway/petstore/getPet] parameters: {petId} in the path /pets/{petId} must be declared as a path parameter
  [gateway/petstore/getPet] backend origin: "http://pets.internal/v1" has a path, query or fragment; give scheme://host[:port] and put the path in the backend's path
  [gateway/petstore/getPet] backend timeout: at most 30 minutes, got 31 minutes
  [gateway/petstore/search] path: regular expression can backtrack catastrophically (nested quantifiers); rewrite it
  [gateway/petstore/status] path: the gateway answers GET and HEAD /__apigw/health itself (its health path), so no request reaches this API
  [gateway/petstore/status] cors allowOrigins: "https://app.example.com/" is not an origin; write scheme://host[:port], https://*.example.com for subdomains, or "*"

If you wish to ignore these validations, pass 'skipValidation: true' to your App configuration.
`;
