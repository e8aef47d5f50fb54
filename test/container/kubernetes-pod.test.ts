/**
 * The Kubernetes target's pod settings on a real Docker engine (no cluster
 * here): the synthesized image runs with the Deployment's security context
 * (uid 10001, read-only root filesystem, no capabilities, no privilege
 * escalation), its env, and the ConfigMap's file mounted where the pod
 * mounts it; the readiness path, the preStop command and SIGTERM behave as
 * the Deployment expects.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { request } from 'undici';
import { FunctionCode, MockBackend, ScfBackend, Service } from '../../lib';
import { KubernetesTarget } from '../../lib/deploy/kubernetes';
import { describeWithDocker, docker, testBaseImage } from '../helpers/docker';
import { freePort } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

interface Container {
  image: string;
  env: { name: string; value?: string }[];
  volume_mount: { mount_path: string; sub_path: string; read_only: boolean }[];
  readiness_probe: { http_get: { path: string; port: string } };
  lifecycle: { pre_stop: { exec: { command: string[] } }[] };
  security_context: {
    allow_privilege_escalation: boolean;
    read_only_root_filesystem: boolean;
    capabilities: { drop: string[] };
  };
}

interface Synth {
  dir: string;
  image: { name: string; build: { context: string; dockerfile: string; build_args: Record<string, string> } };
  configMap: string;
  pod: {
    security_context: { run_as_user: string; run_as_group: string };
    termination_grace_period_seconds: number;
    container: Container[];
  };
}

function synth(port: number, fnDir: string, version: string): Synth {
  const stack = new TerraformStack(Testing.app(), 'k8s');
  new DockerProvider(stack, 'docker', {});
  new KubernetesProvider(stack, 'kubernetes', {});
  const svc = new Service(stack, 'k8sgw', {
    httpPort: port,
    baseImage: testBaseImage(),
    limits: { shutdownGraceMs: 2000 },
    deployment: new KubernetesTarget(),
  });
  svc.addApi('status', { path: '=/status', backend: MockBackend.json({ version }) });
  svc.addApi('fn', {
    path: '=/fn',
    backend: new ScfBackend({ functionName: 'fn', code: FunctionCode.fromDirectory(fnDir, { handler: 'index.main' }) }),
  });
  const dir = join(Testing.fullSynth(stack), 'stacks', 'k8s');
  const tf = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as {
    resource: {
      docker_image: Record<string, Synth['image']>;
      kubernetes_config_map_v1: Record<string, { data: Record<string, string> }>;
      kubernetes_deployment_v1: Record<string, { spec: { template: { spec: Synth['pod'] } } }>;
    };
  };
  const image = Object.values(tf.resource.docker_image)[0];
  const configMap = Object.values(tf.resource.kubernetes_config_map_v1)[0];
  const deployment = Object.values(tf.resource.kubernetes_deployment_v1)[0];
  if (!image || !configMap || !deployment) throw new Error('missing resources');
  // Terraform reads `$${` as a literal `${` when it renders the ConfigMap.
  const data = (configMap.data['gateway.json'] as string).replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
  return { dir, image, configMap: data, pod: deployment.spec.template.spec };
}

describeWithDocker('Kubernetes pod settings on a Docker engine', () => {
  let port: number;
  let v1: Synth;
  let v2: Synth;
  let name: string;
  let container: Container;

  beforeAll(async () => {
    if (!process.env.APIGW_BASE_IMAGE) {
      const r = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'local-base-image.sh'), testBaseImage()], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`local base image: ${r.stderr}`);
    }
    const fnDir = tempDir('apigw-k8s-fn-');
    writeFileSync(join(fnDir, 'index.js'), 'exports.main = async () => ({ from: "worker", uid: process.getuid() });');
    port = await freePort();
    v1 = synth(port, fnDir, 'v1');
    v2 = synth(port, fnDir, 'v2');
    const args = ['build', '-q', '-f', v1.image.build.dockerfile, '-t', v1.image.name];
    for (const [k, v] of Object.entries(v1.image.build.build_args)) args.push('--build-arg', `${k}=${v}`);
    docker([...args, v1.image.build.context], { cwd: v1.dir });

    // A pod of the v1 image after the ConfigMap changed to v2: what a pod started by the roll sees.
    container = v1.pod.container[0] as Container;
    const mount = container.volume_mount[0];
    if (!mount) throw new Error('no config mount');
    const configFile = join(tempDir('apigw-k8s-cm-'), 'gateway.json');
    writeFileSync(configFile, v2.configMap);
    name = `apigw-k8s-${port}`;
    const sc = container.security_context;
    const run = ['run', '-d', '--name', name, '--network', 'host'];
    run.push('--user', `${v1.pod.security_context.run_as_user}:${v1.pod.security_context.run_as_group}`);
    if (sc.read_only_root_filesystem) run.push('--read-only');
    for (const cap of sc.capabilities.drop) run.push('--cap-drop', cap);
    if (!sc.allow_privilege_escalation) run.push('--security-opt', 'no-new-privileges');
    run.push('--stop-timeout', String(v1.pod.termination_grace_period_seconds));
    run.push('-v', `${configFile}:${mount.mount_path}${mount.read_only ? ':ro' : ''}`);
    for (const e of container.env) if (e.value !== undefined) run.push('-e', `${e.name}=${e.value}`);
    docker([...run, v1.image.name]);
  }, 120_000);

  afterAll(() => {
    spawnSync('docker', ['rm', '-f', name]);
    spawnSync('docker', ['rmi', '-f', v1?.image.name ?? 'none']);
  });

  it('passes the readiness probe and serves the mounted ConfigMap, not the config baked into the image', async () => {
    const probe = container.readiness_probe.http_get;
    const url = `http://127.0.0.1:${probe.port}${probe.path}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await request(url).then(
        async (r) => (await r.body.text(), r.statusCode === 200),
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`not ready: ${docker(['logs', name])}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const status = await request(`http://127.0.0.1:${port}/status`);
    expect(await status.body.json()).toEqual({ version: 'v2' });
  });

  it('runs functions as uid 10001 on the read-only root filesystem', async () => {
    const fn = await request(`http://127.0.0.1:${port}/fn`);
    expect(fn.statusCode).toBe(200);
    expect(await fn.body.json()).toEqual({ from: 'worker', uid: 10001 });
    const write = spawnSync('docker', ['exec', name, 'node', '-e', 'require("fs").writeFileSync("/app/x", "1")'], {
      encoding: 'utf8',
    });
    expect(write.status).not.toBe(0);
    expect(write.stderr).toContain('EROFS');
  });

  it('runs the preStop command, then drains and exits 0 on SIGTERM', () => {
    const preStop = container.lifecycle.pre_stop[0]?.exec.command ?? [];
    expect(spawnSync('docker', ['exec', name, ...preStop]).status).toBe(0);
    docker(['stop', name]);
    expect(docker(['inspect', '-f', '{{.State.ExitCode}}', name])).toBe('0');
    expect(spawnSync('docker', ['logs', name], { encoding: 'utf8' }).stderr).toContain('"event":"stopped"');
  }, 30_000);
});
