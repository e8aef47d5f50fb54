/**
 * The Swarm target on a real single-node swarm (advertised on 127.0.0.1).
 * The service is created through the Engine API from the synthesized
 * `docker_service`, field by field as the docker provider sends it; ports are
 * published in host mode with engine-chosen ports, so traffic stays on
 * loopback (the routing mesh needs IPVS, which this kernel lacks). A client
 * acting as the load balancer sends requests continuously while a changed
 * API rolls out, and no request may fail.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { Client, request } from 'undici';
import { MockBackend, Service, SwarmServiceTarget } from '../../lib';
import { describeWithDocker, docker, testBaseImage } from '../helpers/docker';

const run = promisify(execFile);
const NAME = `apigw-swarm-${process.pid}`;

interface SynthService {
  name: string;
  labels: { label: string; value: string }[];
  mode: { replicated: { replicas: number } };
  task_spec: {
    container_spec: {
      image: string;
      env?: Record<string, string>;
      labels: { label: string; value: string }[];
      healthcheck: { test: string[]; interval: string; timeout: string; start_period: string; retries: number };
      stop_signal: string;
      stop_grace_period: string;
    };
    resources: { limits: { memory_bytes: number; nano_cpus?: number }; reservation: { memory_bytes: number } };
    restart_policy: { condition: string; delay: string; window: string };
  };
  update_config: Rolling;
  rollback_config: Rolling;
  endpoint_spec: {
    ports: { name: string; target_port: number; published_port: number; publish_mode: string; protocol: string }[];
  };
}
interface Rolling {
  parallelism: number;
  delay: string;
  failure_action: string;
  monitor: string;
  max_failure_ratio: string;
  order: string;
}

/** Synthesizes the stack and builds its image as the provider would. */
function synthAndBuild(body: string): SynthService {
  const stack = new TerraformStack(Testing.app(), 'sw');
  new DockerProvider(stack, 'docker', {});
  const svc = new Service(stack, NAME, {
    baseImage: testBaseImage(),
    limits: { shutdownGraceMs: 3000 },
    deployment: new SwarmServiceTarget({
      replicas: 2,
      publishMode: 'host',
      publishPorts: { http: 0 },
      updateMonitor: '2s',
    }),
  });
  svc.addApi('status', { path: '=/status', backend: MockBackend.json({ version: body }) });
  const dir = join(Testing.fullSynth(stack), 'stacks', 'sw');
  const tf = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as {
    resource: {
      docker_image: Record<
        string,
        { name: string; build: { context: string; dockerfile: string; build_args: Record<string, string> } }
      >;
      docker_service: Record<string, SynthService>;
    };
  };
  const image = Object.values(tf.resource.docker_image)[0];
  const service = Object.values(tf.resource.docker_service)[0];
  if (!image || !service) throw new Error('no docker_image or docker_service synthesized');
  const args = ['build', '-q', '-f', image.build.dockerfile, '-t', image.name];
  for (const [k, v] of Object.entries(image.build.build_args)) args.push('--build-arg', `${k}=${v}`);
  docker([...args, image.build.context], { cwd: dir });
  // Resolve the reference to the image resource, as Terraform would.
  const ref = service.task_spec.container_spec.image;
  expect(ref).toMatch(/^\$\{docker_image\.[\w-]+\.name\}$/);
  service.task_spec.container_spec.image = image.name;
  return service;
}

/** Go durations as the Engine API wants them (nanoseconds). */
function ns(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration);
  if (!m) throw new Error(`unexpected duration ${duration}`);
  const unit = { ms: 1e6, s: 1e9, m: 60e9 }[m[2] as 'ms' | 's' | 'm'];
  return Math.round(Number(m[1]) * unit);
}

const rolling = (r: Rolling) => ({
  Parallelism: r.parallelism,
  Delay: ns(r.delay),
  FailureAction: r.failure_action,
  Monitor: ns(r.monitor),
  MaxFailureRatio: Number(r.max_failure_ratio),
  Order: r.order,
});

/** The ServiceSpec the docker provider builds from these attributes. */
function serviceSpec(s: SynthService): Record<string, unknown> {
  const c = s.task_spec.container_spec;
  const labels = (l: { label: string; value: string }[]) => Object.fromEntries(l.map((x) => [x.label, x.value]));
  return {
    Name: s.name,
    Labels: labels(s.labels),
    TaskTemplate: {
      ContainerSpec: {
        Image: c.image,
        Env: Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Labels: labels(c.labels),
        StopSignal: c.stop_signal,
        StopGracePeriod: ns(c.stop_grace_period),
        Healthcheck: {
          Test: c.healthcheck.test,
          Interval: ns(c.healthcheck.interval),
          Timeout: ns(c.healthcheck.timeout),
          StartPeriod: ns(c.healthcheck.start_period),
          Retries: c.healthcheck.retries,
        },
      },
      Resources: {
        Limits: { MemoryBytes: s.task_spec.resources.limits.memory_bytes },
        Reservations: { MemoryBytes: s.task_spec.resources.reservation.memory_bytes },
      },
      RestartPolicy: {
        Condition: s.task_spec.restart_policy.condition,
        Delay: ns(s.task_spec.restart_policy.delay),
        Window: ns(s.task_spec.restart_policy.window),
      },
    },
    Mode: { Replicated: { Replicas: s.mode.replicated.replicas } },
    UpdateConfig: rolling(s.update_config),
    RollbackConfig: rolling(s.rollback_config),
    EndpointSpec: {
      Ports: s.endpoint_spec.ports.map((p) => ({
        Name: p.name,
        Protocol: p.protocol,
        TargetPort: p.target_port,
        PublishedPort: p.published_port,
        PublishMode: p.publish_mode,
      })),
    },
  };
}

const engine = new Client('http://localhost', { socketPath: '/var/run/docker.sock' });

async function api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await engine.request({
    method,
    path,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Host ports of the service's healthy tasks. */
async function healthyEndpoints(): Promise<number[]> {
  const { stdout } = await run('docker', [
    'ps',
    '--filter',
    `label=com.docker.swarm.service.name=${NAME}`,
    '--filter',
    'health=healthy',
    '--format',
    '{{.Ports}}',
  ]);
  return [...stdout.matchAll(/127\.0\.0\.1:(\d+)->|0\.0\.0\.0:(\d+)->/g)].map((m) => Number(m[1] ?? m[2]));
}

async function until(check: () => Promise<boolean>, what: string, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describeWithDocker('Swarm target on a real swarm', () => {
  let initialized = false;

  beforeAll(() => {
    if (!process.env.APIGW_BASE_IMAGE) {
      const r = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'local-base-image.sh'), testBaseImage()], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`local base image: ${r.stderr}`);
    }
    if (docker(['info', '--format', '{{.Swarm.LocalNodeState}}']) !== 'active') {
      docker(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377']);
      initialized = true;
    }
  });

  afterAll(async () => {
    await api('DELETE', `/services/${NAME}`).catch(() => undefined);
    if (initialized) docker(['swarm', 'leave', '--force']);
    await engine.close();
  });

  it('runs 2 replicas and rolls out a changed API under continuous load with no failed request', async () => {
    const v1 = synthAndBuild('v1');
    await api('POST', '/services/create', serviceSpec(v1));
    await until(async () => (await healthyEndpoints()).length === 2, '2 healthy tasks');

    // Both replicas answer.
    for (const port of await healthyEndpoints()) {
      const r = await request(`http://127.0.0.1:${port}/status`);
      expect(await r.body.json()).toEqual({ version: 'v1' });
    }

    // The load balancer: round-robin over healthy tasks; a connection that a
    // stopping task refuses or closes before answering is retried elsewhere.
    let endpoints = await healthyEndpoints();
    let stop = false;
    const seen = new Map<string, number>();
    const failures: string[] = [];
    let retried = 0;
    let n = 0;
    const refresher = (async () => {
      while (!stop) {
        const next = await healthyEndpoints();
        if (next.length > 0) endpoints = next;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const client = async (): Promise<void> => {
      while (!stop) {
        const port = endpoints[n++ % endpoints.length];
        let answered = false;
        try {
          const r = await request(`http://127.0.0.1:${port}/status`, { reset: true });
          answered = true;
          const text = await r.body.text();
          if (r.statusCode !== 200) failures.push(`${r.statusCode} ${text}`);
          else {
            const v = (JSON.parse(text) as { version: string }).version;
            seen.set(v, (seen.get(v) ?? 0) + 1);
          }
        } catch (err) {
          if (answered) failures.push(`cut after the response began: ${(err as Error).message}`);
          else retried++;
        }
      }
    };
    const clients = Promise.all([client(), client(), client(), client()]);

    // Roll out v2 exactly as `cdktf deploy` would: an in-place update of the task spec.
    const v2 = synthAndBuild('v2');
    expect(v2.task_spec.container_spec.image).not.toBe(v1.task_spec.container_spec.image);
    const current = (await api('GET', `/services/${NAME}`)) as { Version: { Index: number } };
    await api('POST', `/services/${NAME}/update?version=${current.Version.Index}`, serviceSpec(v2));
    await until(async () => {
      const s = (await api('GET', `/services/${NAME}`)) as { UpdateStatus?: { State: string } };
      return s.UpdateStatus?.State === 'completed';
    }, 'the rolling update to complete');
    await until(async () => (await healthyEndpoints()).length === 2, '2 healthy v2 tasks');
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all([clients, refresher]);

    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    console.log(
      `swarm rollout: ${total} requests answered (${JSON.stringify(Object.fromEntries(seen))}), ${retried} connections retried, ${failures.length} failed`,
    );
    expect(failures).toEqual([]);
    expect(seen.get('v1')).toBeGreaterThan(0);
    expect(seen.get('v2')).toBeGreaterThan(0);
    for (const port of await healthyEndpoints()) {
      const r = await request(`http://127.0.0.1:${port}/status`);
      expect(await r.body.json()).toEqual({ version: 'v2' });
    }
  }, 240_000);
});
