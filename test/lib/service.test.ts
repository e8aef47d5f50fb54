/** Synthesized config and Terraform JSON of a Service, and the errors users see. */
import { App, Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import type { Construct } from 'constructs';
import {
  ApiPath,
  Auth,
  Cors,
  DockerContainerTarget,
  Duration,
  HttpBackend,
  MockBackend,
  Secret,
  Service,
  WebSocketBackend,
} from '../../lib';

interface Synthed {
  resource: {
    docker_image: Record<
      string,
      {
        name: string;
        keep_locally: boolean;
        build: { context: string; dockerfile: string; build_args: Record<string, string> };
        triggers: Record<string, string>;
      }
    >;
    docker_container: Record<string, Record<string, unknown>>;
    apigw_service: Record<string, Record<string, unknown>>;
  };
  variable?: Record<string, { sensitive?: boolean }>;
}

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'stack');
  new DockerProvider(s, 'docker', {});
  return s;
}

function synth(s: TerraformStack): Synthed {
  return JSON.parse(Testing.synth(s, true)) as Synthed;
}

function only<T>(record: Record<string, T>): T {
  const values = Object.values(record);
  expect(values).toHaveLength(1);
  return values[0] as T;
}

describe('Service', () => {
  it('produces the config document the runtime reads', () => {
    const s = stack();
    const svc = new Service(s, 'shop', { httpPort: 9000, stageName: 'prod', stageVariables: { a: 'b' } });
    svc.addApi('getItem', {
      path: '/items/{id}',
      parameters: [{ name: 'id', in: 'path', type: 'int' }],
      cors: true,
      backend: new HttpBackend({
        origin: 'https://items.internal',
        path: '/v2/items/{id}',
        timeout: Duration.seconds(3),
      }),
      response: { errorCodes: [{ code: 'NotFound', message: 'no item' }] },
    });
    svc.addApi('ping', { path: ApiPath.exact('/ping'), backend: MockBackend.json({ pong: true }) });
    const config = svc.toConfig();
    expect(config.service).toMatchObject({
      name: 'shop',
      stage: { name: 'prod', variables: { a: 'b' } },
      listeners: { http: { port: 9000 } },
    });
    expect(config.apis[0]).toMatchObject({
      name: 'getItem',
      frontend: { match: 'param', path: '/items/{id}', method: 'GET' },
      cors: { allowOrigins: ['*'] },
      parameters: [{ name: 'id', in: 'path', type: 'int', required: true }],
      backend: {
        type: 'http',
        origin: 'https://items.internal',
        path: '/v2/items/{id}',
        timeoutMs: 3000,
        method: 'GET',
      },
    });
    expect(config.apis[1]?.frontend).toMatchObject({ rawPath: '=/ping', match: 'exact', path: '/ping' });
  });

  it('passes secrets as sensitive variables, never as literals', () => {
    const s = stack();
    const key = new TerraformVariable(s, 'partner_key', { type: 'string', sensitive: true });
    const svc = new Service(s, 'shop', {
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(key, 'APIGW_KEY_PARTNER') }],
    });
    const api = svc.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({}) });
    svc.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [api] });
    const out = synth(s);
    expect(svc.toConfig().service.keyPairs).toEqual([{ secretId: 'partner', secretKey: { env: 'APIGW_KEY_PARTNER' } }]);
    // Applied live: the value goes with the config to the gateway, never into the container or the image.
    expect(only(out.resource.apigw_service).secrets).toEqual({ APIGW_KEY_PARTNER: '${var.partner_key}' });
    expect(only(out.resource.docker_container).env).toEqual(['APIGW_ADMIN_TOKEN=${var.shop_admin_token}']);
    expect(out.variable?.partner_key?.sensitive).toBe(true);
  });

  it('Auth.keyPair({ requireSignedRequestTarget }) reaches the config', () => {
    const s = stack();
    const svc = new Service(s, 'shop');
    svc.addApi('a', {
      path: '=/a',
      auth: Auth.keyPair({ requireSignedRequestTarget: true }),
      backend: MockBackend.json({}),
    });
    svc.addApi('b', { path: '=/b', auth: Auth.keyPair(), backend: MockBackend.json({}) });
    const [a, b] = svc.toConfig().apis;
    expect(a?.auth).toEqual({ type: 'keyPair', requireSignedRequestTarget: true });
    expect(b?.auth).toEqual({ type: 'keyPair' });
  });

  it('warns at synth about regex routes the router cannot index', () => {
    const s = stack();
    const svc = new Service(s, 'shop');
    const slow = svc.addApi('slow', { path: '~\\d+$', backend: MockBackend.json({}) });
    const fast = svc.addApi('fast', { path: '~/orders/(?<id>\\d+)$', backend: MockBackend.json({}) });
    const warnings = (c: Construct) => c.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => m.data);
    expect(warnings(slow)).toEqual([
      expect.stringContaining('route regex "\\d+$" has no literal the router can index'),
    ]);
    expect(warnings(fast)).toEqual([]);
  });

  it('reports every mistake in one synth, each under the construct path of the API it concerns', () => {
    const s = stack();
    const svc = new Service(s, 'shop');
    svc.addApi('a', { path: '/users/{id}', backend: new HttpBackend({ origin: 'http://users.internal/api' }) });
    svc.addApi('b', { path: '~(a+)+$', backend: MockBackend.json({}) });
    svc.addApi('c', { protocol: 'websocket', path: '=/ws', backend: MockBackend.json({}) });
    svc.addApi('d', { path: 'no-slash', backend: new WebSocketBackend({ origin: 'ws://x' }) });
    svc.addApi('a2', { apiName: 'a', path: '=/other', backend: MockBackend.json({}) });
    let message = '';
    try {
      Testing.synth(s, true);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').filter((l) => l.startsWith('  ['))).toEqual([
      '  [stack/shop/a] parameters: {id} in the path /users/{id} must be declared as a path parameter',
      '  [stack/shop/a] backend origin: "http://users.internal/api" has a path, query or fragment; give scheme://host[:port] and put the path in the backend\'s path',
      '  [stack/shop/b] path: regular expression can backtrack catastrophically (nested quantifiers); rewrite it',
      '  [stack/shop/c] backend: a WebSocket API cannot use a mock backend',
      '  [stack/shop/d] path: "no-slash" must start with "/" (after its match marker, if any)',
      '  [stack/shop/d] backend: an HTTP API cannot use a WebSocket backend',
      '  [stack/shop/a2] apiName: API name "a" is already used by stack/shop/a',
    ]);
  });

  it('writes workers into the config only when set, and refuses a count outside 1 to 64', () => {
    expect(new Service(stack(), 'shop').toConfig().service).not.toHaveProperty('workers');
    expect(new Service(stack(), 'shop', { workers: 4 }).toConfig().service.workers).toBe(4);
    const s = stack();
    new Service(s, 'shop', { workers: 0 }).addApi('x', { path: '=/x', backend: MockBackend.json({}) });
    expect(() => Testing.synth(s, true)).toThrow(/\[stack\/shop\] workers/);
  });

  it('refuses a secret variable that is not sensitive, and a stack without a DockerProvider', () => {
    const s = new TerraformStack(Testing.app(), 'bare');
    const key = new TerraformVariable(s, 'k', { type: 'string' });
    const svc = new Service(s, 'shop', { keyPairs: [{ secretId: 'p', secretKey: Secret.fromVariable(key, 'K') }] });
    svc.addApi('x', { path: '=/x', auth: Auth.keyPair(), backend: MockBackend.json({}) });
    svc.addUsagePlan({ name: 'plan', keyPairs: ['p'] });
    expect(() => Testing.synth(s, true)).toThrow(
      /has no DockerProvider[\s\S]*\[bare\/shop\] keyPairs "p" secretKey: the Terraform variable "k" holds a secret and must be declared with sensitive: true/,
    );
  });

  it('writes the credential-forwarding and token-expiry choices into the config, and refuses * with credentials', () => {
    const svc = new Service(stack(), 'shop');
    const key = svc.addApi('k', {
      path: '=/k',
      auth: Auth.keyPair({ forwardAuthorization: true }),
      backend: MockBackend.json({}),
    });
    const jwt = svc.addApi('j', {
      path: '=/j',
      auth: Auth.oauth2({ publicKeyPem: 'x', requireExp: false, forwardToken: true }),
      backend: MockBackend.json({}),
    });
    const plain = svc.addApi('p', {
      path: '=/p',
      auth: Auth.oauth2({ publicKeyPem: 'x' }),
      backend: MockBackend.json({}),
    });
    expect(key.toConfig().config.auth).toEqual({ type: 'keyPair', forwardAuthorization: true });
    expect(jwt.toConfig().config.auth).toMatchObject({ verifier: { requireExp: false, forwardToken: true } });
    // Defaults are the runtime's (exp required, nothing forwarded) and stay out of the document.
    expect(plain.toConfig().config.auth).not.toHaveProperty('verifier.requireExp');
    expect(() => Cors.custom({ allowOrigins: ['*'], allowCredentials: true })).toThrow(
      'Cors: allowCredentials cannot be combined with allowOrigins ["*"]',
    );
  });
});

void App;

describe('Service listeners', () => {
  const https = {
    port: 8443,
    certificates: [
      { domains: ['api.example.com'], cert: Secret.fromFile('/run/tls.crt'), key: Secret.fromFile('/run/tls.key') },
    ],
  };

  it('names the published HTTPS port in redirects (DockerContainerTarget publishPorts)', () => {
    const s = stack();
    const svc = new Service(s, 'shop', {
      https,
      redirectHttpToHttps: true,
      deployment: new DockerContainerTarget({
        publishPorts: { https: 20543 },
        mounts: [{ type: 'bind', source: '/srv/tls', target: '/run' }],
      }),
    });
    expect(svc.toConfig().service.listeners.http?.redirectPort).toBe(20543);
  });

  it('leaves the redirect port out when clients reach HTTPS at the container port', () => {
    const s = stack();
    const svc = new Service(s, 'shop', {
      https,
      redirectHttpToHttps: true,
      deployment: new DockerContainerTarget({
        hostNetwork: true,
        publishPorts: { https: 20543 },
        mounts: [{ type: 'bind', source: '/srv/tls', target: '/run' }],
      }),
    });
    expect(svc.toConfig().service.listeners.http?.redirectPort).toBeUndefined();
  });

  it('binds listenerHost and serves metrics on their own listener when asked', () => {
    const s = stack();
    const svc = new Service(s, 'shop', { listenerHost: '127.0.0.1', metricsListener: { port: 9464 } });
    const { listeners } = svc.toConfig().service;
    expect(listeners.http?.host).toBe('127.0.0.1');
    expect(listeners.metrics).toEqual({ port: 9464, host: '127.0.0.1' });
  });
});
