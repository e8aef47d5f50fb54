/**
 * Where a service's gateway runs, and how its config gets there:
 *
 * - a {@link LiveDeploymentTarget} starts (or reaches) a gateway with an
 *   admin listener and applies the API config to it live through our
 *   Terraform provider; its image, if any, holds only the runtime and the
 *   start config, so an API change never replaces it;
 * - a {@link BakedDeploymentTarget} bakes the whole config and function code
 *   into the image (or a ConfigMap) and rolls its replicas when it changes.
 */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformStack, type TerraformAsset } from 'cdktf';
import type { Construct } from 'constructs';
import type { AdminListenerConfig, AppliedConfig, GatewayConfig } from '../../model';
import { Messages } from '../messages';
import type { Secret } from '../secret';

/** A listener the deployment must publish. */
export interface GatewayPort {
  readonly name: 'http' | 'https';
  /** Port the gateway listens on inside the container. */
  readonly port: number;
}

/** A secret value the deployment passes to the gateway. */
export interface SecretEnv {
  readonly name: string;
  /** A token of a sensitive Terraform variable. */
  readonly value: string;
}

/** What every target needs to run the gateway. */
export interface GatewayRuntime {
  readonly serviceName: string;
  /** Base image of the runtime stage (the Dockerfile's `BASE_IMAGE` argument). */
  readonly baseImage: string;
  readonly ports: readonly GatewayPort[];
  readonly healthPath: string;
  /** Seconds the gateway needs to drain on SIGTERM. */
  readonly shutdownGraceSeconds: number;
}

/** An image build context staged as a Terraform asset. */
export interface GatewayImageContext {
  /** The build context, copied into the stack's assets at synth. */
  readonly context: TerraformAsset;
  /** sha256 of the build context. */
  readonly contextHash: string;
  /** Content-addressed local image name, `cdktf-apigw/<service>:<hash>`. */
  readonly imageName: string;
  /** The config document in the image, pretty-printed with a stable key order. */
  readonly configJson: string;
}

/** Everything a baked target needs: the image holds the whole config and the function code. */
export interface GatewayArtifact extends GatewayRuntime, GatewayImageContext {
  /** Secrets from Terraform variables, passed in the gateway's environment. */
  readonly secretEnv: readonly SecretEnv[];
}

/** Everything a live target needs. */
export interface LiveGatewayArtifact extends GatewayRuntime {
  /** The service's whole config, as validated at synth. */
  readonly config: GatewayConfig;
  /**
   * What the provider applies: the config without its start-bound fields; bundled function
   * code as folders staged in the stack's working directory (`apigw/<service>/functions/...`)
   * with their `sha256`.
   */
  readonly applied: AppliedConfig;
  /** Secrets the applied config reads (`Secret.fromVariable` in key pairs, `connectionsAdminToken`). */
  readonly appliedSecrets: readonly SecretEnv[];
  /** Secrets from variables the gateway reads at start (TLS certificates): its environment. */
  readonly startSecretEnv: readonly SecretEnv[];
  /**
   * The config a gateway started for this service starts with: the service's start-bound fields
   * (listeners, health path), the given admin listener, and fixed minimal values for the rest (no
   * APIs, no key pairs or plans, default stage and limits), so it changes only when they do.
   */
  startConfig(admin: AdminListenerConfig): GatewayConfig;
  /** Stages an image build context with the runtime and `startConfig` only (no function code) as an asset under `scope`. */
  startImage(scope: Construct, startConfig: GatewayConfig): GatewayImageContext;
}

/** Where a service reads a secret, for checks that it can reach the gateway. */
export interface SecretUse {
  /** The prop, as messages name it: `keyPairs "partner" secretKey`. */
  readonly where: string;
  readonly secret: Secret;
  /** Read when the gateway starts (TLS certificates), rather than with an applied config. */
  readonly startBound: boolean;
}

/** What a target takes on its host that no other service of the stack may take too. */
export interface HostClaims {
  /** Container names. */
  readonly names: readonly string[];
  /** Published host ports and the address they bind (`0.0.0.0` for every address). */
  readonly ports: readonly { readonly ip: string; readonly port: number }[];
}

/** A way to run the gateway. Extend {@link LiveDeploymentTarget} or {@link BakedDeploymentTarget}. */
export abstract class DeploymentTarget {
  /** Container names and host ports this target takes for a service, checked across the stack at synth. */
  hostClaims(_serviceName: string, _ports: readonly GatewayPort[]): HostClaims {
    return { names: [], ports: [] };
  }

  /** Problems with the stack this target deploys into (for example a missing provider), reported at synth. */
  validate(_scope: Construct): string[] {
    return [];
  }

  /** The port clients reach a listener at, when the target publishes it under another number than the container's. */
  publishedPort(_listener: 'http' | 'https', containerPort: number): number {
    return containerPort;
  }
}

/** A target whose image (or ConfigMap) holds the whole config: a changed API rolls the replicas. */
export abstract class BakedDeploymentTarget extends DeploymentTarget {
  /** Declares the target's resources under `scope`. */
  abstract deploy(scope: Construct, artifact: GatewayArtifact): void;
}

/** A target whose gateway takes the API config live, through our Terraform provider and its admin API. */
export abstract class LiveDeploymentTarget extends DeploymentTarget {
  /** The admin listener of the gateway's start config; none when the gateway is started by other means. */
  abstract adminListener(): AdminListenerConfig | undefined;

  /** Secrets that can never reach the gateway, each as a message starting with its prop. */
  secretProblems(_uses: readonly SecretUse[]): string[] {
    return [];
  }

  /** Declares the target's resources (and the `apigw_service` resource) under `scope`. */
  abstract deployLive(scope: Construct, artifact: LiveGatewayArtifact): void;
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
/** Where the image keeps the state of live applies (`APIGW_STATE_DIR`, owned by the gateway user). */
export const STATE_DIR = '/var/lib/apigw';
/** The environment variable the start config reads the admin token from. */
export const ADMIN_TOKEN_ENV = 'APIGW_ADMIN_TOKEN';
