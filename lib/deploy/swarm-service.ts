/** Docker Swarm: a replicated service with start-first rolling updates and automatic rollback. */
import { Service as DockerService } from '@cdktf/provider-docker/lib/service';
import type { Construct } from 'constructs';
import { healthcheckSpec } from './docker-container';
import { deployableImage } from './image';
import { BakedDeploymentTarget, requireDockerProvider, type GatewayArtifact } from './target';

/** Options of {@link SwarmServiceTarget}. */
export interface SwarmServiceOptions {
  /** Swarm service name. @default - the service name */
  readonly serviceName?: string;
  /** Tasks (gateway containers) to run. @default 2 */
  readonly replicas?: number;
  /** Published port per listener (`http`, `https`). @default - the same as the container port */
  readonly publishPorts?: { readonly http?: number; readonly https?: number };
  /**
   * `ingress` publishes through the routing mesh on every node; `host` binds
   * the port on the nodes running a task (one task per node and port).
   * @default 'ingress'
   */
  readonly publishMode?: 'ingress' | 'host';
  /** CPU limit per task, in CPUs (for example 0.5). @default - no limit */
  readonly cpuLimit?: number;
  /** Memory limit per task in MiB. @default 512 */
  readonly memoryLimitMb?: number;
  /** Memory reserved per task in MiB (the scheduler places tasks by it). @default 128 */
  readonly memoryReservationMb?: number;
  /** Tasks replaced at a time during an update. @default 1 */
  readonly updateParallelism?: number;
  /** How long a new task must stay healthy before the update goes on; a failure within it rolls back. @default '15s' */
  readonly updateMonitor?: string;
  /** Placement constraints, for example `node.role==worker`. @default - none */
  readonly constraints?: readonly string[];
  /**
   * Registry repository to push the image to (`registry.example.com/team/gateway`).
   * Needed when the swarm has more than one node, since nodes pull images.
   * @default - the image stays on the engine that built it
   */
  readonly imageRepository?: string;
}

/**
 * Runs the gateway as a Swarm service. An update starts each new task before
 * stopping an old one, waits for its health check, and rolls the service back
 * when a new task fails; `cdktf deploy` waits until the service converges.
 * The config is bundled in the image, so a changed API rolls the tasks.
 */
export class SwarmServiceTarget extends BakedDeploymentTarget {
  constructor(private readonly options: SwarmServiceOptions = {}) {
    super();
    const { replicas } = options;
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1)) {
      throw new Error(`SwarmServiceTarget: replicas must be a positive integer, got ${replicas}`);
    }
  }

  override publishedPort(listener: 'http' | 'https', containerPort: number): number {
    return this.options.publishPorts?.[listener] ?? containerPort;
  }

  override validate(scope: Construct): string[] {
    return requireDockerProvider(scope);
  }

  deploy(scope: Construct, artifact: GatewayArtifact): void {
    const o = this.options;
    const image = deployableImage(scope, artifact, o.imageRepository);
    const hc = healthcheckSpec();
    const rolling = {
      parallelism: o.updateParallelism ?? 1,
      delay: '0s',
      monitor: o.updateMonitor ?? '15s',
      maxFailureRatio: '0',
      order: 'start-first',
    };
    new DockerService(scope, 'SwarmService', {
      name: o.serviceName ?? artifact.serviceName,
      labels: [{ label: 'cdktf-apigw.service', value: artifact.serviceName }],
      mode: { replicated: { replicas: o.replicas ?? 2 } },
      taskSpec: {
        containerSpec: {
          image,
          env: Object.fromEntries(artifact.secretEnv.map((s) => [s.name, s.value])),
          healthcheck: hc,
          stopSignal: 'SIGTERM',
          stopGracePeriod: `${artifact.shutdownGraceSeconds + 5}s`,
          labels: [{ label: 'cdktf-apigw.service', value: artifact.serviceName }],
        },
        resources: {
          limits: {
            memoryBytes: (o.memoryLimitMb ?? 512) * 1024 * 1024,
            ...(o.cpuLimit !== undefined ? { nanoCpus: Math.round(o.cpuLimit * 1e9) } : {}),
          },
          reservation: { memoryBytes: (o.memoryReservationMb ?? 128) * 1024 * 1024 },
        },
        restartPolicy: { condition: 'any', delay: '5s', window: '30s' },
        ...(o.constraints ? { placement: { constraints: [...o.constraints] } } : {}),
      },
      updateConfig: { ...rolling, failureAction: 'rollback' },
      rollbackConfig: { ...rolling, failureAction: 'pause' },
      endpointSpec: {
        ports: artifact.ports.map((p) => ({
          name: p.name,
          targetPort: p.port,
          publishedPort: o.publishPorts?.[p.name] ?? p.port,
          publishMode: o.publishMode ?? 'ingress',
          protocol: 'tcp',
        })),
      },
      // `cdktf deploy` returns once the tasks run healthy (or fails), like `docker service update`.
      convergeConfig: { delay: '7s', timeout: '5m' },
    });
  }
}
