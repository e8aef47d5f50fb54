/** Synthesized Terraform of the Swarm and Kubernetes deployment targets. */
import { createHash } from 'node:crypto';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App, Testing, TerraformStack, TerraformVariable } from 'cdktf';
import { MockBackend, Secret, Service, SwarmServiceTarget, type DeploymentTarget } from '../../../lib';
import { KubernetesTarget } from '../../../lib/deploy/kubernetes';

type Resources = Record<string, Record<string, Record<string, unknown>>>;

interface Synthed {
  resource: Resources;
}

function build(target: DeploymentTarget, body = 'pong', provider: 'docker' | 'kubernetes' = 'docker') {
  const s = new TerraformStack(Testing.app(), 'stack');
  new DockerProvider(s, 'docker', {});
  if (provider === 'kubernetes') new KubernetesProvider(s, 'kubernetes', {});
  const svc = new Service(s, 'shop', { deployment: target });
  svc.addApi('ping', { path: '=/ping', backend: MockBackend.json({ body }) });
  const json = Testing.synth(s, true);
  return { svc, json, out: JSON.parse(json) as Synthed };
}

function only(out: Synthed, type: string): Record<string, unknown> {
  const values = Object.values(out.resource[type] ?? {});
  expect(values).toHaveLength(1);
  return values[0] as Record<string, unknown>;
}

describe('SwarmServiceTarget', () => {
  it('declares a replicated service with start-first updates, rollback, health check and limits', () => {
    const { out } = build(new SwarmServiceTarget({ replicas: 3, memoryLimitMb: 256, cpuLimit: 0.5 }));
    const image = only(out, 'docker_image');
    const service = only(out, 'docker_service');
    expect(service).toMatchObject({
      name: 'shop',
      mode: { replicated: { replicas: 3 } },
      update_config: { order: 'start-first', failure_action: 'rollback', parallelism: 1, monitor: '15s' },
      rollback_config: { order: 'start-first', failure_action: 'pause' },
      endpoint_spec: { ports: [{ name: 'http', target_port: 8080, published_port: 8080, publish_mode: 'ingress' }] },
      converge_config: { delay: '7s', timeout: '5m' },
      task_spec: {
        container_spec: {
          healthcheck: { test: ['CMD', 'node', '/app/gateway/gateway.js', 'healthcheck'], retries: 3 },
          stop_signal: 'SIGTERM',
          stop_grace_period: '15s',
        },
        resources: { limits: { memory_bytes: 256 * 1024 * 1024, nano_cpus: 500_000_000 } },
        restart_policy: { condition: 'any' },
      },
    });
    const spec = (service.task_spec as { container_spec: { image: string } }).container_spec;
    expect(spec.image).toMatch(/^\$\{docker_image\.\w+\.name\}$/);
    expect(image.name).toMatch(/^cdktf-apigw\/shop:[0-9a-f]{12}$/);
    expect(out.resource.docker_container).toBeUndefined();
  });

  it('rolls the tasks when an API changes, and changes nothing when nothing changed', () => {
    const a = build(new SwarmServiceTarget(), 'a');
    const again = build(new SwarmServiceTarget(), 'a');
    const b = build(new SwarmServiceTarget(), 'b');
    expect(again.json).toBe(a.json);
    // A new content-addressed image: the service's task spec changes in place, a Swarm rolling update.
    expect(only(b.out, 'docker_image').name).not.toBe(only(a.out, 'docker_image').name);
    expect(only(b.out, 'docker_service').name).toBe(only(a.out, 'docker_service').name);
  });

  it('pushes to a registry and runs the image by digest when a repository is given', () => {
    const { out } = build(new SwarmServiceTarget({ imageRepository: 'registry.example.com/team/gw' }));
    expect(only(out, 'docker_image').name).toMatch(/^registry\.example\.com\/team\/gw:[0-9a-f]{12}$/);
    expect(only(out, 'docker_registry_image')).toMatchObject({ keep_remotely: true });
    const spec = (only(out, 'docker_service').task_spec as { container_spec: { image: string } }).container_spec;
    expect(spec.image).toMatch(
      /^registry\.example\.com\/team\/gw:[0-9a-f]{12}@\$\{docker_registry_image\.\w+\.sha256_digest\}$/,
    );
  });

  it('passes secrets as sensitive variables', () => {
    const s = new TerraformStack(Testing.app(), 'stack');
    new DockerProvider(s, 'docker', {});
    const key = new TerraformVariable(s, 'partner_key', { type: 'string', sensitive: true });
    const svc = new Service(s, 'shop', {
      deployment: new SwarmServiceTarget(),
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(key, 'APIGW_KEY_PARTNER') }],
    });
    svc.addApi('ping', { path: '=/ping', backend: MockBackend.json({}) });
    const out = JSON.parse(Testing.synth(s, true)) as Synthed;
    const spec = (only(out, 'docker_service').task_spec as { container_spec: { env: Record<string, string> } })
      .container_spec;
    expect(spec.env).toEqual({ APIGW_KEY_PARTNER: '${var.partner_key}' });
  });

  it('refuses bad replica counts and a stack without a DockerProvider', () => {
    expect(() => new SwarmServiceTarget({ replicas: 0 })).toThrow('replicas must be a positive integer, got 0');
    const s = new TerraformStack(new App({ outdir: Testing.app().outdir }), 'stack');
    new Service(s, 'shop', { deployment: new SwarmServiceTarget() }).addApi('p', {
      path: '=/p',
      backend: MockBackend.json({}),
    });
    expect(() => Testing.synth(s, true)).toThrow(/DockerProvider/);
  });
});

describe('KubernetesTarget', () => {
  const k8s = (target: KubernetesTarget, body = 'pong') => build(target, body, 'kubernetes');

  it('declares a Deployment with zero-downtime updates, probes and a non-root pod, a Service and the ConfigMap', () => {
    const { svc, out } = k8s(new KubernetesTarget({ namespace: 'edge' }));
    const configJson = svc.buildContext().configJson;
    const configMap = only(out, 'kubernetes_config_map_v1');
    expect(configMap).toMatchObject({ metadata: { name: 'shop-config', namespace: 'edge' } });
    expect(JSON.parse((configMap.data as Record<string, string>)['gateway.json'] as string)).toEqual(svc.toConfig());

    const deployment = only(out, 'kubernetes_deployment_v1') as {
      spec: { template: { metadata: { annotations: Record<string, string> }; spec: Record<string, unknown> } };
    };
    expect(deployment).toMatchObject({
      metadata: { name: 'shop', namespace: 'edge' },
      wait_for_rollout: true,
      spec: {
        replicas: '2',
        strategy: { type: 'RollingUpdate', rolling_update: { max_unavailable: '0', max_surge: '1' } },
        template: {
          spec: {
            automount_service_account_token: false,
            security_context: { run_as_non_root: true, run_as_user: '10001' },
            termination_grace_period_seconds: 20,
            container: [
              {
                name: 'gateway',
                port: [{ name: 'http', container_port: 8080 }],
                env: [{ name: 'APIGW_CONFIG', value: '/app/config/gateway.json' }],
                readiness_probe: { http_get: { path: '/__apigw/health', port: '8080' } },
                liveness_probe: { http_get: { path: '/__apigw/health', port: '8080' } },
                volume_mount: [{ name: 'config', mount_path: '/app/config/gateway.json', sub_path: 'gateway.json' }],
                security_context: {
                  allow_privilege_escalation: false,
                  read_only_root_filesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              },
            ],
          },
        },
      },
    });
    expect(deployment.spec.template.metadata.annotations['cdktf-apigw/config-sha256']).toBe(
      createHash('sha256').update(configJson).digest('hex'),
    );
    expect(only(out, 'kubernetes_service_v1')).toMatchObject({
      metadata: { name: 'shop', namespace: 'edge' },
      spec: { type: 'ClusterIP', port: [{ name: 'http', port: 8080, target_port: 'http' }] },
    });
    expect(out.resource.kubernetes_horizontal_pod_autoscaler_v2).toBeUndefined();
    expect(out.resource.kubernetes_pod_disruption_budget_v1).toBeUndefined();
    expect(out.resource.docker_container).toBeUndefined();
  });

  it('rolls the pods when an API changes, and changes nothing when nothing changed', () => {
    const sha = (o: Synthed) =>
      (
        only(o, 'kubernetes_deployment_v1') as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations['cdktf-apigw/config-sha256'];
    const a = k8s(new KubernetesTarget(), 'a');
    expect(k8s(new KubernetesTarget(), 'a').json).toBe(a.json);
    const b = k8s(new KubernetesTarget(), 'b');
    expect(sha(b.out)).not.toBe(sha(a.out));
  });

  it('adds an autoscaler (owning the replica count) and a disruption budget when asked', () => {
    const { out } = k8s(new KubernetesTarget({ replicas: 3, autoscaling: { maxReplicas: 10 }, minAvailable: 2 }));
    expect(only(out, 'kubernetes_horizontal_pod_autoscaler_v2')).toMatchObject({
      spec: {
        min_replicas: 3,
        max_replicas: 10,
        scale_target_ref: {
          kind: 'Deployment',
          name: expect.stringMatching(/^\$\{kubernetes_deployment_v1\.\w+\.metadata\[0\]\.name\}$/),
        },
        metric: [{ type: 'Resource', resource: { name: 'cpu', target: { average_utilization: 70 } } }],
      },
    });
    expect(only(out, 'kubernetes_pod_disruption_budget_v1')).toMatchObject({ spec: { min_available: '2' } });
    expect(only(out, 'kubernetes_deployment_v1')).toMatchObject({
      lifecycle: { ignore_changes: ['spec[0].replicas'] },
    });
  });

  it('keeps secrets in a Kubernetes Secret fed from sensitive variables', () => {
    const s = new TerraformStack(Testing.app(), 'stack');
    new DockerProvider(s, 'docker', {});
    new KubernetesProvider(s, 'kubernetes', {});
    const key = new TerraformVariable(s, 'partner_key', { type: 'string', sensitive: true });
    const svc = new Service(s, 'shop', {
      deployment: new KubernetesTarget(),
      keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(key, 'APIGW_KEY_PARTNER') }],
    });
    svc.addApi('ping', { path: '=/ping', backend: MockBackend.json({}) });
    const out = JSON.parse(Testing.synth(s, true)) as Synthed;
    expect(only(out, 'kubernetes_secret_v1')).toMatchObject({
      metadata: { name: 'shop-secrets' },
      data: { APIGW_KEY_PARTNER: '${var.partner_key}' },
    });
    const container = (
      only(out, 'kubernetes_deployment_v1') as { spec: { template: { spec: { container: { env: unknown[] }[] } } } }
    ).spec.template.spec.container[0];
    expect(container?.env).toContainEqual({
      name: 'APIGW_KEY_PARTNER',
      value_from: { secret_key_ref: { name: 'shop-secrets', key: 'APIGW_KEY_PARTNER' } },
    });
    expect(JSON.stringify(out)).not.toContain('"value":"${var.partner_key}"');
  });

  it('refuses an autoscaler below the replica count and a stack without a KubernetesProvider', () => {
    expect(() => new KubernetesTarget({ replicas: 3, autoscaling: { maxReplicas: 2 } })).toThrow(
      'autoscaling.maxReplicas must be at least replicas (3)',
    );
    expect(() => build(new KubernetesTarget())).toThrow(/needs a KubernetesProvider/);
  });
});
