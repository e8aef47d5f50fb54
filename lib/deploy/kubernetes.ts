/**
 * Kubernetes: a Deployment with zero-downtime rolling updates, a Service, the
 * config as a ConfigMap, and optional autoscaling and disruption budget.
 * Imported from `cdktf-apigw/kubernetes`, so that only users of this target
 * need `@cdktf/provider-kubernetes`.
 */
import { createHash } from 'node:crypto';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { HorizontalPodAutoscalerV2 } from '@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2';
import { PodDisruptionBudgetV1 } from '@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { deployableImage, escapeTemplate } from './image';
import { BakedDeploymentTarget, GATEWAY_ENTRY, type GatewayArtifact } from './target';

/** Where the ConfigMap's config file is mounted; the image's bundled config sits in the same folder. */
const CONFIG_FILE = '/app/config/gateway.json';
/** The image's non-root user. */
const GATEWAY_UID = 10001;

/** Options of {@link KubernetesTarget}. */
export interface KubernetesOptions {
  /** Namespace of every resource (it must exist). @default 'default' */
  readonly namespace?: string;
  /** Name of the Deployment, Service and the rest. @default - the service name, lower-cased */
  readonly name?: string;
  /** Pods to run (the autoscaler's minimum when `autoscaling` is set). @default 2 */
  readonly replicas?: number;
  /** Kubernetes Service type. @default 'ClusterIP' */
  readonly serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** Service port per listener. @default - the same as the container port */
  readonly servicePorts?: { readonly http?: number; readonly https?: number };
  /** Resource requests and limits of the gateway container. @default requests 100m CPU / 128Mi, limits 1 CPU / 512Mi */
  readonly resources?: {
    readonly requests?: { readonly cpu?: string; readonly memory?: string };
    readonly limits?: { readonly cpu?: string; readonly memory?: string };
  };
  /** A HorizontalPodAutoscaler on CPU utilisation. @default - none */
  readonly autoscaling?: {
    readonly maxReplicas: number;
    /** @default 70 */
    readonly targetCpuPercent?: number;
  };
  /** A PodDisruptionBudget keeping this many pods during voluntary disruptions. @default - none */
  readonly minAvailable?: number;
  /**
   * Registry repository the image is pushed to; nodes pull it by digest.
   * Needed for any cluster that does not share the building engine's images.
   * @default - the local image name (for example a kind cluster with loaded images)
   */
  readonly imageRepository?: string;
}

/**
 * Runs the gateway on Kubernetes. Rolling updates add a pod before removing
 * one (`maxUnavailable: 0`); readiness follows the gateway's health path,
 * which turns 503 while a pod drains, and a short preStop pause lets the
 * endpoints update before SIGTERM. The pod template carries the config's
 * checksum, so a changed API rolls the pods and an unchanged stack changes
 * nothing.
 */
export class KubernetesTarget extends BakedDeploymentTarget {
  constructor(private readonly options: KubernetesOptions = {}) {
    super();
    const { replicas, autoscaling } = options;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
      throw new Error(`KubernetesTarget: replicas must be a positive integer, got ${replicas}`);
    }
    if (autoscaling && autoscaling.maxReplicas < (replicas ?? 2)) {
      throw new Error(`KubernetesTarget: autoscaling.maxReplicas must be at least replicas (${replicas ?? 2})`);
    }
  }

  override publishedPort(listener: 'http' | 'https', containerPort: number): number {
    return this.options.servicePorts?.[listener] ?? containerPort;
  }

  override validate(scope: Construct): string[] {
    const stack = TerraformStack.of(scope);
    return stack.node.findAll().some((c) => c instanceof KubernetesProvider)
      ? []
      : [
          `[${stack.node.path}] the Kubernetes target needs a KubernetesProvider in the stack: ` +
            `new KubernetesProvider(this, 'kubernetes', { configPath: '~/.kube/config' })`,
        ];
  }

  deploy(scope: Construct, artifact: GatewayArtifact): void {
    const o = this.options;
    const name = o.name ?? artifact.serviceName.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const namespace = o.namespace ?? 'default';
    const labels = { 'app.kubernetes.io/name': 'cdktf-apigw', 'app.kubernetes.io/instance': name };
    const image = deployableImage(scope, artifact, o.imageRepository);
    const configSha = createHash('sha256').update(artifact.configJson).digest('hex');

    const config = new ConfigMapV1(scope, 'ConfigMap', {
      metadata: { name: `${name}-config`, namespace, labels },
      // Terraform would read `${` in user text (a mock body, a regex route) as interpolation.
      data: { 'gateway.json': escapeTemplate(artifact.configJson) },
    });
    const secretName = `${name}-secrets`;
    if (artifact.secretEnv.length > 0) {
      new SecretV1(scope, 'Secret', {
        metadata: { name: secretName, namespace, labels },
        data: Object.fromEntries(artifact.secretEnv.map((s) => [s.name, s.value])),
      });
    }

    const http = artifact.ports.find((p) => p.name === 'http');
    // Probe over plain HTTP when there is a listener for it; otherwise run the image's own health check.
    const probe = http
      ? { httpGet: { path: artifact.healthPath, port: String(http.port) } }
      : { exec: { command: ['node', GATEWAY_ENTRY, 'healthcheck'] } };

    const deployment = new DeploymentV1(scope, 'Deployment', {
      metadata: { name, namespace, labels },
      // The autoscaler owns the replica count once there is one.
      ...(o.autoscaling ? { lifecycle: { ignoreChanges: ['spec[0].replicas'] } } : {}),
      waitForRollout: true,
      spec: {
        replicas: String(o.replicas ?? 2),
        selector: { matchLabels: labels },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '1', maxUnavailable: '0' } },
        template: {
          metadata: {
            labels,
            annotations: { 'cdktf-apigw/config-sha256': configSha },
          },
          spec: {
            terminationGracePeriodSeconds: artifact.shutdownGraceSeconds + 10,
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: String(GATEWAY_UID),
              runAsGroup: String(GATEWAY_UID),
              seccompProfile: { type: 'RuntimeDefault' },
            },
            container: [
              {
                name: 'gateway',
                image,
                imagePullPolicy: 'IfNotPresent',
                port: artifact.ports.map((p) => ({ name: p.name, containerPort: p.port })),
                env: [
                  { name: 'APIGW_CONFIG', value: CONFIG_FILE },
                  ...artifact.secretEnv.map((s) => ({
                    name: s.name,
                    valueFrom: { secretKeyRef: { name: secretName, key: s.name } },
                  })),
                ],
                volumeMount: [{ name: 'config', mountPath: CONFIG_FILE, subPath: 'gateway.json', readOnly: true }],
                readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
                livenessProbe: {
                  ...probe,
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                // Endpoints are removed asynchronously: keep serving a moment before SIGTERM starts the drain.
                lifecycle: { preStop: [{ exec: { command: ['node', '-e', 'setTimeout(() => {}, 5000)'] } }] },
                resources: {
                  requests: { cpu: '100m', memory: '128Mi', ...o.resources?.requests },
                  limits: { cpu: '1', memory: '512Mi', ...o.resources?.limits },
                },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
            volume: [{ name: 'config', configMap: { name: config.metadata.name } }],
          },
        },
      },
    });

    new ServiceV1(scope, 'KubernetesService', {
      metadata: { name, namespace, labels },
      spec: {
        type: o.serviceType ?? 'ClusterIP',
        selector: labels,
        port: artifact.ports.map((p) => ({
          name: p.name,
          port: o.servicePorts?.[p.name] ?? p.port,
          targetPort: p.name,
          protocol: 'TCP',
        })),
      },
    });

    if (o.autoscaling) {
      new HorizontalPodAutoscalerV2(scope, 'Autoscaler', {
        metadata: { name, namespace, labels },
        spec: {
          minReplicas: o.replicas ?? 2,
          maxReplicas: o.autoscaling.maxReplicas,
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name },
          metric: [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: { type: 'Utilization', averageUtilization: o.autoscaling.targetCpuPercent ?? 70 },
              },
            },
          ],
        },
      });
    }
    if (o.minAvailable !== undefined) {
      new PodDisruptionBudgetV1(scope, 'DisruptionBudget', {
        metadata: { name, namespace, labels },
        spec: { minAvailable: String(o.minAvailable), selector: { matchLabels: labels } },
      });
    }
  }
}
