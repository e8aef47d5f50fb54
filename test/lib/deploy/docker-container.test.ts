/**
 * The default target, DockerContainerTarget: the image holds the runtime and
 * the start config only, the API config is an `apigw_service` resource of our
 * provider, applied live through the admin listener published on the host's
 * loopback. What a reviewer and the docker provider see in cdk.tf.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import {
  Auth,
  Duration,
  DockerContainerTarget,
  FunctionCode,
  HttpBackend,
  MockBackend,
  ScfBackend,
  Secret,
  Service,
  type DockerContainerOptions,
  type ServiceProps,
} from '../../../lib';
import type { GatewayConfig } from '../../../model';
import { providerBuild } from '../../../provider';
import { tempDir } from '../../helpers/temp';

type Block = Record<string, unknown>;
interface Synthed {
  resource: Record<string, Record<string, Block>>;
  provider: Record<string, Block[]>;
  variable: Record<string, Block>;
  terraform: { required_providers: Record<string, { source: string; version: string }> };
}

interface Variant {
  timeoutSeconds?: number;
  httpPort?: number;
  code?: string;
  props?: ServiceProps;
  target?: DockerContainerOptions;
  extra?: (svc: Service, s: TerraformStack) => void;
}

let codeRoot: string;
beforeAll(() => {
  codeRoot = tempDir('apigw-docker-target-');
});

function code(text: string): string {
  const dir = join(codeRoot, Buffer.from(text).toString('hex').slice(0, 40));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.js'), text);
  return dir;
}

function build(v: Variant = {}): { svc: Service; out: Synthed; json: string } {
  const s = new TerraformStack(Testing.app(), 'stack');
  new DockerProvider(s, 'docker', {});
  const svc = new Service(s, 'shop', {
    httpPort: v.httpPort ?? 8080,
    baseImage: 'local/node:24',
    ...v.props,
    deployment: new DockerContainerTarget(v.target),
  });
  svc.addApi('ping', { path: '=/ping', backend: MockBackend.json({ pong: true }) });
  svc.addApi('getPet', {
    path: '/pets/{id}',
    parameters: [{ name: 'id', in: 'path', type: 'int' }],
    backend: new HttpBackend({ origin: 'http://pets.internal', timeout: Duration.seconds(v.timeoutSeconds ?? 5) }),
  });
  svc.addApi('hello', {
    path: '=/hello',
    backend: new ScfBackend({
      functionName: 'hello',
      code: FunctionCode.fromDirectory(code(v.code ?? 'exports.main = async () => 1;\n'), { handler: 'index.main' }),
    }),
  });
  v.extra?.(svc, s);
  const json = Testing.synth(s, true);
  return { svc, out: JSON.parse(json) as Synthed, json };
}

function only(out: Synthed, type: string): Block {
  const values = Object.values(out.resource[type] ?? {});
  expect(values).toHaveLength(1);
  return values[0] as Block;
}

/** Everything but the apigw_service resource, as JSON. */
function withoutService(out: Synthed): string {
  const { apigw_service: _service, ...rest } = out.resource;
  return JSON.stringify({ ...out, resource: rest });
}

function synthError(s: TerraformStack): string[] {
  try {
    Testing.synth(s, true);
    return [];
  } catch (err) {
    return (err as Error).message
      .split('\n')
      .filter((l) => l.startsWith('  ['))
      .map((l) => l.trim());
  }
}

describe('DockerContainerTarget', () => {
  it('declares the start image, a state volume, the container with its admin port on the host loopback, and the live API config', () => {
    const { svc, out } = build();
    const build_ = providerBuild();

    const image = only(out, 'docker_image') as { name: string; build: Block; triggers: Record<string, string> };
    expect(image.name).toMatch(/^cdktf-apigw\/shop:[0-9a-f]{12}$/);
    const start = JSON.parse(image.triggers.config!) as GatewayConfig;
    // The start config: listeners, health path and admin listener; nothing of the APIs.
    expect(start).toEqual({
      version: 1,
      service: {
        name: 'shop',
        id: svc.toConfig().service.id,
        stage: { name: 'release', variables: {} },
        listeners: { http: { port: 8080, host: '0.0.0.0', redirectToHttps: false } },
        healthPath: '/__apigw/health',
        limits: svc.toConfig().service.limits,
        keyPairs: [],
        usagePlans: [],
        admin: { host: '0.0.0.0', port: 9901, token: { env: 'APIGW_ADMIN_TOKEN' } },
      },
      apis: [],
    });
    expect(image.build).toMatchObject({ build_args: { BASE_IMAGE: 'local/node:24' } });

    const volume = only(out, 'docker_volume');
    expect(volume).toMatchObject({ name: 'shop-state' });
    const container = only(out, 'docker_container');
    expect(container).toMatchObject({
      name: 'shop',
      image: expect.stringMatching(/^\$\{docker_image\.\w+\.image_id\}$/),
      restart: 'unless-stopped',
      ports: [
        { internal: 8080, external: 8080, ip: '0.0.0.0' },
        { internal: 9901, external: 9901, ip: '127.0.0.1' },
      ],
      env: ['APIGW_ADMIN_TOKEN=${var.shop_admin_token}'],
      mounts: [
        { type: 'volume', source: expect.stringMatching(/^\$\{docker_volume\.\w+\.name\}$/), target: '/var/lib/apigw' },
      ],
      healthcheck: { test: ['CMD', 'node', '/app/gateway/gateway.js', 'healthcheck'], retries: 3 },
      stop_signal: 'SIGTERM',
      destroy_grace_seconds: 15,
      wait: true,
    });

    expect(out.variable.shop_admin_token).toEqual({
      type: 'string',
      sensitive: true,
      description: expect.stringContaining('Admin token of the gateway of service "shop"'),
      validation: [
        {
          condition: '${length(var.shop_admin_token) >= 16}',
          error_message: 'The admin token must be at least 16 characters long.',
        },
      ],
    });
    expect(out.provider.apigw).toEqual([
      { alias: 'shop', endpoint: 'http://127.0.0.1:9901', token: '${var.shop_admin_token}' },
    ]);
    expect(out.terraform.required_providers.apigw).toEqual({
      source: 'cdktf-apigw.dev/cdktf-apigw/apigw',
      version: build_.version,
    });

    const service = out.resource.apigw_service!.shop!;
    expect(service).toMatchObject({
      provider: 'apigw.shop',
      depends_on: [expect.stringMatching(/^docker_container\.\w+$/)],
      api_order: ['ping', 'getPet', 'hello'],
      service: { name: 'shop', id: svc.toConfig().service.id },
    });
    expect(service.service).not.toHaveProperty('listeners');
    expect(service.service).not.toHaveProperty('health_path');
    const apis = service.apis as Record<string, { backend: Record<string, unknown> }>;
    expect(apis.getPet!.backend).toMatchObject({
      type: 'http',
      http: { origin: 'http://pets.internal', timeout_ms: 5000 },
    });
    // Function code: a stable folder in the stack's working directory and its content hash.
    expect(apis.hello!.backend).toMatchObject({
      type: 'scf',
      scf: {
        function: {
          source: {
            type: 'bundled',
            bundled: {
              dir: 'apigw/shop/functions/default/hello/$LATEST',
              handler: 'index.main',
              sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
            },
          },
        },
      },
    });
  });

  it('changes only the apigw_service attributes for a one-API change: image, volume and container stay byte-identical', () => {
    const a = build({ timeoutSeconds: 5 });
    const b = build({ timeoutSeconds: 6 });
    expect(withoutService(b.out)).toBe(withoutService(a.out));
    const before = a.out.resource.apigw_service!.shop!;
    const after = b.out.resource.apigw_service!.shop!;
    expect(after).not.toEqual(before);
    const apis = (x: Block) => x.apis as Record<string, unknown>;
    expect(apis(after).ping).toEqual(apis(before).ping);
    expect(apis(after).hello).toEqual(apis(before).hello);
    expect(apis(after).getPet).toMatchObject({ backend: { http: { timeout_ms: 6000 } } });
    expect({ ...after, apis: undefined }).toEqual({ ...before, apis: undefined });
    // The same stack again synthesizes the same bytes.
    expect(build({ timeoutSeconds: 5 }).json).toBe(a.json);
  });

  it('plans a function code change as a new sha256 only', () => {
    const a = build({ code: 'exports.main = async () => 1;\n' });
    const b = build({ code: 'exports.main = async () => 2;\n' });
    expect(withoutService(b.out)).toBe(withoutService(a.out));
    const source = (x: Synthed) =>
      (
        x.resource.apigw_service!.shop!.apis as Record<
          string,
          { backend: { scf: { function: { source: { bundled: Block } } } } }
        >
      ).hello!.backend.scf.function.source.bundled;
    expect(source(b.out).dir).toBe(source(a.out).dir);
    expect(source(b.out).sha256).not.toBe(source(a.out).sha256);
  });

  it('replaces the image and the container when a listener changes', () => {
    const a = build({ httpPort: 8080 });
    const b = build({ httpPort: 8081 });
    const image = (x: Synthed) => only(x, 'docker_image') as { name: string; triggers: Record<string, string> };
    expect(image(b.out).name).not.toBe(image(a.out).name);
    expect(image(b.out).triggers.config).toContain('"port":8081');
    expect(only(b.out, 'docker_container').ports).toEqual([
      { internal: 8081, external: 8081, ip: '0.0.0.0' },
      { internal: 9901, external: 9901, ip: '127.0.0.1' },
    ]);
    // Listeners are not part of the applied config: the API config is unchanged.
    expect(b.out.resource.apigw_service).toEqual(a.out.resource.apigw_service);
  });

  it('binds the admin listener to 127.0.0.1 with host networking, and publishes nothing', () => {
    const { out } = build({ target: { hostNetwork: true, adminPort: 9950, adminHostPort: 1234 } });
    const container = only(out, 'docker_container');
    expect(container.network_mode).toBe('host');
    expect(container).not.toHaveProperty('ports');
    const start = JSON.parse((only(out, 'docker_image').triggers as Record<string, string>).config!) as GatewayConfig;
    expect(start.service.admin).toEqual({ host: '127.0.0.1', port: 9950, token: { env: 'APIGW_ADMIN_TOKEN' } });
    expect(out.provider.apigw![0]!.endpoint).toBe('http://127.0.0.1:9950');
  });

  it('takes mounts, extra environment, networks and log options', () => {
    const { out } = build({
      target: {
        mounts: [
          { type: 'bind', source: '/etc/gateway/tls', target: '/run/secrets' },
          { type: 'volume', source: 'shared-cache', target: '/cache', readOnly: false },
        ],
        env: { NODE_OPTIONS: '--max-old-space-size=256' },
        networks: ['backends', { name: 'edge', aliases: ['gw'] }],
        logDriver: 'json-file',
        logOptions: { 'max-size': '10m', 'max-file': '3' },
      },
    });
    expect(only(out, 'docker_container')).toMatchObject({
      mounts: [
        { type: 'volume', target: '/var/lib/apigw' },
        { type: 'bind', source: '/etc/gateway/tls', target: '/run/secrets', read_only: true },
        { type: 'volume', source: 'shared-cache', target: '/cache', read_only: false },
      ],
      env: ['APIGW_ADMIN_TOKEN=${var.shop_admin_token}', 'NODE_OPTIONS=--max-old-space-size=256'],
      networks_advanced: [{ name: 'backends' }, { name: 'edge', aliases: ['gw'] }],
      log_driver: 'json-file',
      log_opts: { 'max-size': '10m', 'max-file': '3' },
    });
  });

  it('sends API secrets with the applied config, start-bound ones to the container, and uses a given admin token', () => {
    const { out } = build({
      target: {
        mounts: [{ type: 'bind', source: '/srv/tls', target: '/run/secrets' }],
        env: { PUSH_TOKEN: 'from-env' },
      },
      extra: (svc, s) => {
        const partner = new TerraformVariable(s, 'partner_key', { type: 'string', sensitive: true });
        svc.addKeyPair({ secretId: 'partner', secretKey: Secret.fromVariable(partner, 'APIGW_KEY_PARTNER') });
        svc.addKeyPair({ secretId: 'file', secretKey: Secret.fromFile('/run/secrets/file-key') });
        const api = svc.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({}) });
        svc.addUsagePlan({ name: 'partners', keyPairs: ['partner', 'file'], apis: [api] });
      },
      props: {
        connectionsAdminToken: Secret.fromEnv('PUSH_TOKEN'),
      },
    });
    expect(out.resource.apigw_service!.shop!.secrets).toEqual({ APIGW_KEY_PARTNER: '${var.partner_key}' });
    expect(only(out, 'docker_container').env).toEqual([
      'APIGW_ADMIN_TOKEN=${var.shop_admin_token}',
      'PUSH_TOKEN=from-env',
    ]);

    const s = new TerraformStack(Testing.app(), 'tls');
    new DockerProvider(s, 'docker', {});
    const cert = new TerraformVariable(s, 'tls_cert', { type: 'string', sensitive: true });
    const key = new TerraformVariable(s, 'tls_key', { type: 'string', sensitive: true });
    const token = new TerraformVariable(s, 'gw_token', { type: 'string', sensitive: true });
    new Service(s, 'tls', {
      https: {
        certificates: [
          {
            domains: ['a.example'],
            cert: Secret.fromVariable(cert, 'TLS_CERT'),
            key: Secret.fromVariable(key, 'TLS_KEY'),
          },
        ],
      },
      deployment: new DockerContainerTarget({ adminToken: token }),
    }).addApi('ping', { path: '=/ping', backend: MockBackend.json({}) });
    const tls = JSON.parse(Testing.synth(s, true)) as Synthed;
    expect(only(tls, 'docker_container').env).toEqual([
      'APIGW_ADMIN_TOKEN=${var.gw_token}',
      'TLS_CERT=${var.tls_cert}',
      'TLS_KEY=${var.tls_key}',
    ]);
    expect(only(tls, 'apigw_service')).not.toHaveProperty('secrets');
    expect(tls.provider.apigw![0]!.token).toBe('${var.gw_token}');
    expect(tls.variable).not.toHaveProperty('tls_admin_token');
  });

  it('passes a variable used both at start and by the applied config to both', () => {
    const s = new TerraformStack(Testing.app(), 'both');
    new DockerProvider(s, 'docker', {});
    const shared = new TerraformVariable(s, 'shared', { type: 'string', sensitive: true });
    const svc = new Service(s, 'gw', {
      https: {
        certificates: [
          {
            domains: ['a.example'],
            cert: Secret.fromVariable(shared, 'SHARED'),
            key: Secret.fromVariable(shared, 'SHARED'),
          },
        ],
      },
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(shared, 'SHARED') }],
    });
    const api = svc.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({}) });
    svc.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [api] });
    const out = JSON.parse(Testing.synth(s, true)) as Synthed;
    expect(only(out, 'docker_container').env).toEqual([
      'APIGW_ADMIN_TOKEN=${var.gw_admin_token}',
      'SHARED=${var.shared}',
    ]);
    expect(only(out, 'apigw_service').secrets).toEqual({ SHARED: '${var.shared}' });
  });

  it('fails synth for a secret that can never reach the container, naming the construct and the prop', () => {
    const s = new TerraformStack(Testing.app(), 'gateway');
    new DockerProvider(s, 'docker', {});
    const token = new TerraformVariable(s, 'plain_token', { type: 'string' });
    const svc = new Service(s, 'gw', {
      https: {
        certificates: [
          {
            domains: ['a.example'],
            cert: Secret.fromFile('/run/secrets/tls.crt'),
            key: Secret.fromFile('/etc/tls.key'),
          },
        ],
      },
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromEnv('PARTNER_KEY') }],
      deployment: new DockerContainerTarget({
        mounts: [{ type: 'bind', source: '/srv/secrets', target: '/run/secrets/' }],
        env: { OTHER: 'x' },
        adminToken: token,
      }),
    });
    const api = svc.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({}) });
    svc.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [api] });
    expect(synthError(s)).toEqual([
      '[gateway/gw] deployment adminToken: the Terraform variable "plain_token" holds a secret and must be declared with sensitive: true',
      '[gateway/gw] keyPairs "partner" secretKey: Secret.fromEnv("PARTNER_KEY") can never reach the gateway: the container\'s environment has no PARTNER_KEY; add it to DockerContainerTarget env (a sensitive variable\'s value keeps it out of the plan), or use Secret.fromVariable',
      '[gateway/gw] https certificates[0] key: Secret.fromFile("/etc/tls.key") can never reach the gateway: no mount of the container holds /etc/tls.key; add a DockerContainerTarget mount whose target is the file or a folder above it',
    ]);
  });

  it('keeps `${` in user text literal for Terraform', () => {
    const { out } = build({
      extra: (svc) => svc.addApi('tpl', { path: '=/tpl', backend: new MockBackend({ body: 'hello ${name} %{if x}' }) }),
    });
    const apis = out.resource.apigw_service!.shop!.apis as Record<string, { backend: { mock: { body: string } } }>;
    expect(apis.tpl!.backend.mock.body).toBe('hello $${name} %%{if x}');
  });

  it('refuses impossible options at once', () => {
    expect(() => new DockerContainerTarget({ hostNetwork: true, networks: ['n'] })).toThrow(
      'DockerContainerTarget: networks cannot be combined with hostNetwork',
    );
    expect(() => new DockerContainerTarget({ adminPort: 0 })).toThrow(
      'DockerContainerTarget: adminPort a port from 1 to 65535, got 0',
    );
    expect(() => new DockerContainerTarget({ env: { APIGW_ADMIN_TOKEN: 'x' } })).toThrow(
      'DockerContainerTarget: env APIGW_ADMIN_TOKEN is set by the target from adminToken',
    );
    expect(() => new DockerContainerTarget({ mounts: [{ type: 'bind', source: 'rel', target: '/x' }] })).toThrow(
      'a bind source must be an absolute host path, got "rel"',
    );
    expect(() => new DockerContainerTarget({ mounts: [{ type: 'volume', source: 'v', target: '/var/lib' }] })).toThrow(
      '/var/lib overlaps the state directory /var/lib/apigw',
    );
    expect(() => new DockerContainerTarget({ adminEndpoint: 'tcp://x' })).toThrow(
      'adminEndpoint must start with http:// or ssh://',
    );
  });

  it('reaches an engine on another host through ssh to the published admin port', () => {
    const { out } = build({
      target: { adminEndpoint: 'ssh://deploy@gw.example.com', sshOpts: ['-i', 'key'], adminHostPort: 9911 },
    });
    expect(out.provider.apigw).toEqual([
      {
        alias: 'shop',
        endpoint: 'ssh://deploy@gw.example.com',
        admin_port: 9911,
        ssh_opts: ['-i', 'key'],
        token: '${var.shop_admin_token}',
      },
    ]);
    expect((only(out, 'docker_container').ports as Block[])[1]).toEqual({
      internal: 9901,
      external: 9911,
      ip: '127.0.0.1',
    });
  });
});
