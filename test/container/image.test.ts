/**
 * A baked image (the whole config and the function code in it, as the Swarm
 * and Kubernetes targets build it) on a real Docker engine: built exactly as
 * the docker provider would (context and Dockerfile from cdk.tf.json,
 * resolved against the stack directory), run with the task's container
 * settings the stack asks for (host networking instead of published ports,
 * so traffic stays on loopback). The default target's start-only image is
 * tested in live-container.test.ts and state-volume.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { request } from 'undici';
import { Auth, FunctionCode, MockBackend, ScfBackend, Secret, Service, SwarmServiceTarget } from '../../lib';
import { signRequest } from '../../runtime/auth/sign';
import { describeWithDocker, docker, testBaseImage } from '../helpers/docker';
import { freePort } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

const SECRET = 'container-test-secret-value';

interface Synth {
  dir: string;
  image: { name: string; build: { context: string; dockerfile: string; build_args: Record<string, string> } };
  container: {
    name: string;
    env: Record<string, string>;
    labels: { label: string; value: string }[];
    healthcheck: { test: string[] };
    stop_signal: string;
    stop_grace_period: string;
  };
}

function synth(port: number, fnDir: string, body = 'ok'): Synth {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'ct');
  new DockerProvider(stack, 'docker', {});
  const key = new TerraformVariable(stack, 'key', { type: 'string', sensitive: true });
  const svc = new Service(stack, 'ctgw', {
    deployment: new SwarmServiceTarget(),
    httpPort: port,
    baseImage: testBaseImage(),
    limits: { shutdownGraceMs: 2000 },
    keyPairs: [{ secretId: 'k1', secretKey: Secret.fromVariable(key, 'APIGW_KEY_K1') }],
  });
  svc.addApi('status', { path: '=/status', backend: MockBackend.json({ status: body }) });
  svc.addApi('fn', {
    path: '=/fn',
    backend: new ScfBackend({ functionName: 'fn', code: FunctionCode.fromDirectory(fnDir, { handler: 'index.main' }) }),
  });
  const secured = svc.addApi('secured', {
    path: '=/secured',
    auth: Auth.keyPair(),
    backend: MockBackend.json({ ok: 1 }),
  });
  svc.addUsagePlan({ name: 'p', keyPairs: ['k1'], apis: [secured] });
  const dir = join(Testing.fullSynth(stack), 'stacks', 'ct');
  const tf = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as {
    resource: {
      docker_image: Record<string, Synth['image']>;
      docker_service: Record<string, { name: string; task_spec: { container_spec: Omit<Synth['container'], 'name'> } }>;
    };
  };
  const service = Object.values(tf.resource.docker_service)[0]!;
  return {
    dir,
    image: Object.values(tf.resource.docker_image)[0] as Synth['image'],
    container: { name: service.name, ...service.task_spec.container_spec },
  };
}

describeWithDocker('gateway image on a Docker engine', () => {
  let fnDir: string;
  let port: number;
  let s: Synth;
  let containerName: string;

  beforeAll(() => {
    if (!process.env.APIGW_BASE_IMAGE) {
      const r = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'local-base-image.sh'), testBaseImage()], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`local base image: ${r.stderr}`);
    }
  });

  beforeAll(async () => {
    fnDir = tempDir('apigw-ct-fn-');
    writeFileSync(
      join(fnDir, 'index.js'),
      'exports.main = async (e) => ({ from: "image", stage: e.requestContext.stage, env: Object.keys(process.env) });',
    );
    port = await freePort();
    s = synth(port, fnDir);
    containerName = `${s.container.name}-${port}`;
    // As the provider does: cwd = the stack directory, explicit Dockerfile path, build args.
    const args = ['build', '-q', '-f', s.image.build.dockerfile, '-t', s.image.name];
    for (const [k, v] of Object.entries(s.image.build.build_args)) args.push('--build-arg', `${k}=${v}`);
    docker([...args, s.image.build.context], { cwd: s.dir });
    const run = ['run', '-d', '--name', containerName, '--network', 'host'];
    run.push(
      '--stop-signal',
      s.container.stop_signal,
      '--stop-timeout',
      String(parseInt(s.container.stop_grace_period)),
    );
    for (const [k, v] of Object.entries(s.container.env)) run.push('-e', `${k}=${v.replace('${var.key}', SECRET)}`);
    for (const l of s.container.labels) run.push('--label', `${l.label}=${l.value}`);
    docker([...run, s.image.name]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const health = docker(['inspect', '-f', '{{.State.Health.Status}}', containerName]);
      if (health === 'healthy') break;
      if (Date.now() > deadline)
        throw new Error(`container not healthy: ${health}\n${docker(['logs', containerName])}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 120_000);

  afterAll(() => {
    spawnSync('docker', ['rm', '-f', containerName]);
    spawnSync('docker', ['rmi', '-f', s?.image.name ?? 'none']);
  });

  it('runs as a non-root user with the health check the container asks for', () => {
    expect(docker(['image', 'inspect', '-f', '{{.Config.User}}', s.image.name])).toBe('10001:10001');
    const test = JSON.parse(
      docker(['image', 'inspect', '-f', '{{json .Config.Healthcheck.Test}}', s.image.name]),
    ) as string[];
    expect(test).toEqual(s.container.healthcheck.test);
  });

  it('serves mock, function and key-pair APIs on loopback', async () => {
    const status = await request(`http://127.0.0.1:${port}/status`);
    expect(await status.body.json()).toEqual({ status: 'ok' });
    const fn = await request(`http://127.0.0.1:${port}/fn`);
    const result = (await fn.body.json()) as { from: string; env: string[] };
    expect(result.from).toBe('image');
    expect(result.env).not.toContain('APIGW_KEY_K1');
    const signed = await request(`http://127.0.0.1:${port}/secured`, {
      headers: signRequest({ secretId: 'k1', secretKey: SECRET }),
    });
    expect(signed.statusCode).toBe(200);
    await signed.body.dump();
  });

  it('keeps secrets out of the image and its build context', () => {
    const env = docker(['image', 'inspect', '-f', '{{json .Config.Env}}', s.image.name]);
    expect(env).not.toContain(SECRET);
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)],
      );
    for (const f of files(join(s.dir, s.image.build.context))) expect(readFileSync(f, 'utf8')).not.toContain(SECRET);
  });

  it('tags the image by content: same stack, same image; changed API, new image', () => {
    expect(synth(port, fnDir).image.name).toBe(s.image.name);
    expect(synth(port, fnDir, 'changed').image.name).not.toBe(s.image.name);
    const dir = tempDir('apigw-ct-fn2-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.js'), 'exports.main = async () => 2;');
    expect(synth(port, dir).image.name).not.toBe(s.image.name);
  });

  it('drains and exits 0 on SIGTERM', () => {
    docker(['stop', containerName]);
    expect(docker(['inspect', '-f', '{{.State.ExitCode}}', containerName])).toBe('0');
    const logs = spawnSync('docker', ['logs', containerName], { encoding: 'utf8' });
    expect(logs.stderr).toContain('"event":"draining"');
    expect(logs.stderr).toContain('"event":"stopped"');
  });
});
