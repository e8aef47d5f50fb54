/** The default target: one container on a Docker engine. */
import { createHash } from 'node:crypto';
import { Container } from '@cdktf/provider-docker/lib/container';
import type { Construct } from 'constructs';
import { gatewayImage } from './image';
import {
  DeploymentTarget,
  GATEWAY_ENTRY,
  requireDockerProvider,
  type GatewayArtifact,
  type GatewayPort,
  type HostClaims,
} from './target';

/** Options of {@link DeploymentTarget.dockerContainer}. */
export interface DockerContainerOptions {
  /** Container name. @default - the service name */
  readonly containerName?: string;
  /** Host address the ports are published on. @default '0.0.0.0' */
  readonly publishIp?: string;
  /** Host port per listener (`http`, `https`). @default - the same as the container port */
  readonly publishPorts?: { readonly http?: number; readonly https?: number };
  /** Use the host's network stack (no port publishing). @default false */
  readonly hostNetwork?: boolean;
  /** Restart policy. @default 'unless-stopped' */
  readonly restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** Memory limit in MB. @default - no limit */
  readonly memoryMb?: number;
}

/** The health check the container runs; part of a label so that changing it replaces the container. */
export function healthcheckSpec(): {
  test: string[];
  interval: string;
  timeout: string;
  startPeriod: string;
  retries: number;
} {
  return {
    test: ['CMD', 'node', GATEWAY_ENTRY, 'healthcheck'],
    interval: '10s',
    timeout: '3s',
    startPeriod: '5s',
    retries: 3,
  };
}

export class DockerContainerTarget extends DeploymentTarget {
  constructor(private readonly options: DockerContainerOptions = {}) {
    super();
  }

  override validate(scope: Construct): string[] {
    return requireDockerProvider(scope);
  }

  override hostClaims(serviceName: string, ports: readonly GatewayPort[]): HostClaims {
    const o = this.options;
    return {
      names: [o.containerName ?? serviceName],
      ports: ports
        // In host mode the container binds its own ports on every address; port 0 is any free port.
        .map((p) =>
          o.hostNetwork
            ? { ip: '0.0.0.0', port: p.port }
            : { ip: o.publishIp ?? '0.0.0.0', port: o.publishPorts?.[p.name] ?? p.port },
        )
        .filter((p) => p.port !== 0),
    };
  }

  deploy(scope: Construct, artifact: GatewayArtifact): void {
    const o = this.options;
    const image = gatewayImage(scope, artifact);
    const healthcheck = healthcheckSpec();
    new Container(scope, 'Container', {
      name: o.containerName ?? artifact.serviceName,
      image: image.imageId,
      restart: o.restart ?? 'unless-stopped',
      ...(o.hostNetwork
        ? { networkMode: 'host' } // published ports are discarded in host mode and would diff forever
        : {
            ports: artifact.ports.map((p) => ({
              internal: p.port,
              external: o.publishPorts?.[p.name] ?? p.port,
              ip: o.publishIp ?? '0.0.0.0',
            })),
          }),
      env: artifact.secretEnv.map((s) => `${s.name}=${s.value}`),
      healthcheck,
      labels: [
        { label: 'cdktf-apigw.service', value: artifact.serviceName },
        // The provider cannot update a healthcheck in place; a label change forces the replacement.
        { label: 'cdktf-apigw.healthcheck', value: sha(JSON.stringify(healthcheck)) },
      ],
      stopSignal: 'SIGTERM',
      destroyGraceSeconds: artifact.shutdownGraceSeconds + 5,
      wait: true,
      waitTimeout: 60,
      ...(o.memoryMb !== undefined ? { memory: o.memoryMb } : {}),
    });
  }
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
