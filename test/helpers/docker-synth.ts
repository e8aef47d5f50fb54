/**
 * A full synth of a service on the default DockerContainerTarget, and what
 * the docker provider would read from it: the image's build (context,
 * Dockerfile, build arguments, resolved against the stack directory as the
 * provider does) and the container's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { DockerContainerTarget, MockBackend, Service, type DockerContainerOptions, type ServiceProps } from '../../lib';
import type { GatewayConfig } from '../../model';

export interface SynthesizedContainer {
  readonly name: string;
  readonly restart: string;
  readonly env: string[];
  readonly labels: { label: string; value: string }[];
  readonly mounts: { type: string; source: string; target: string; read_only?: boolean }[];
  readonly healthcheck: { test: string[]; interval: string; timeout: string; start_period: string; retries: number };
  readonly stop_signal: string;
  readonly destroy_grace_seconds: number;
  readonly network_mode?: string;
}

export interface DockerSynth {
  /** The stack's working directory. */
  readonly dir: string;
  readonly image: { name: string; build: { context: string; dockerfile: string; build_args: Record<string, string> } };
  readonly container: SynthesizedContainer;
  readonly volume: { name: string };
  /** The start config baked into the image (`config/gateway.json` of the build context). */
  readonly startConfig: GatewayConfig;
}

export function synthDockerTarget(
  serviceName: string,
  props: ServiceProps,
  target: DockerContainerOptions,
): DockerSynth {
  const stack = new TerraformStack(Testing.app(), 'd');
  new DockerProvider(stack, 'docker', {});
  const svc = new Service(stack, serviceName, { ...props, deployment: new DockerContainerTarget(target) });
  svc.addApi('status', { path: '=/status', backend: MockBackend.json({ status: 'synthesized' }) });
  const dir = join(Testing.fullSynth(stack), 'stacks', 'd');
  const tf = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as {
    resource: {
      docker_image: Record<string, DockerSynth['image']>;
      docker_container: Record<string, SynthesizedContainer>;
      docker_volume: Record<string, { name: string }>;
    };
  };
  const image = Object.values(tf.resource.docker_image)[0]!;
  return {
    dir,
    image,
    container: Object.values(tf.resource.docker_container)[0]!,
    volume: Object.values(tf.resource.docker_volume)[0]!,
    startConfig: JSON.parse(
      readFileSync(join(dir, image.build.context, 'config', 'gateway.json'), 'utf8'),
    ) as GatewayConfig,
  };
}
