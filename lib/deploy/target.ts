/** Where a service's gateway runs. The image and config are the same for every target. */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformStack, type TerraformAsset } from 'cdktf';
import { Messages } from '../messages';
import type { Construct } from 'constructs';

/** A listener the deployment must publish. */
export interface GatewayPort {
  readonly name: 'http' | 'https';
  /** Port the gateway listens on inside the container. */
  readonly port: number;
}

/** A secret value the deployment passes to the gateway's environment. */
export interface SecretEnv {
  readonly name: string;
  /** A token of a sensitive Terraform variable. */
  readonly value: string;
}

/** Everything a deployment target needs: what to build and how to run it. */
export interface GatewayArtifact {
  readonly serviceName: string;
  /** The build context, copied into the stack's assets at synth. */
  readonly context: TerraformAsset;
  /** sha256 of the build context. */
  readonly contextHash: string;
  /** Content-addressed local image name, `cdktf-apigw/<service>:<hash>`. */
  readonly imageName: string;
  /** Base image of the runtime stage (the Dockerfile's `BASE_IMAGE` argument). */
  readonly baseImage: string;
  /** The config document, pretty-printed with a stable key order. */
  readonly configJson: string;
  readonly ports: readonly GatewayPort[];
  readonly secretEnv: readonly SecretEnv[];
  readonly healthPath: string;
  /** Seconds the gateway needs to drain on SIGTERM. */
  readonly shutdownGraceSeconds: number;
}

/** What a target takes on its host that no other service of the stack may take too. */
export interface HostClaims {
  /** Container names. */
  readonly names: readonly string[];
  /** Published host ports and the address they bind (`0.0.0.0` for every address). */
  readonly ports: readonly { readonly ip: string; readonly port: number }[];
}

/** A way to run the gateway: a single Docker container (default), Swarm or Kubernetes. */
export abstract class DeploymentTarget {
  /** Declares the target's resources under `scope`. */
  abstract deploy(scope: Construct, artifact: GatewayArtifact): void;

  /** Container names and host ports this target takes for a service, checked across the stack at synth. */
  hostClaims(_serviceName: string, _ports: readonly GatewayPort[]): HostClaims {
    return { names: [], ports: [] };
  }

  /** Problems with the stack this target deploys into (for example a missing provider), reported at synth. */
  validate(_scope: Construct): string[] {
    return [];
  }
}

/** The Docker targets need the docker provider in the stack. */
export function requireDockerProvider(scope: Construct): string[] {
  const stack = TerraformStack.of(scope);
  return stack.node.findAll().some((c) => c instanceof DockerProvider)
    ? []
    : [Messages.noDockerProvider(stack.node.path)];
}

/** The image's entry point, as the health check invokes it. */
export const GATEWAY_ENTRY = '/app/gateway/gateway.js';
