/**
 * The default target: one container on a Docker engine, taking API changes
 * live. Its image holds the runtime and the start config only (listeners,
 * admin listener, health path), so the image and the container change only
 * when those, the runtime or the base image change; every API change is
 * applied by our Terraform provider through the admin listener, published on
 * the host's loopback only. The state of live applies lives on a named
 * volume, so a replaced container serves the applied config again.
 */
import { createHash } from 'node:crypto';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import type { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import type { AdminListenerConfig } from '../../model';
import { adminTokenVariable, checkAdminToken, declareLiveService } from '../live/live-service';
import { Messages } from '../messages';
import { gatewayImage } from './image';
import {
  ADMIN_TOKEN_ENV,
  GATEWAY_ENTRY,
  LiveDeploymentTarget,
  requireDockerProvider,
  STATE_DIR,
  type GatewayPort,
  type HostClaims,
  type LiveGatewayArtifact,
  type SecretUse,
} from './target';

/** A bind mount or a named volume in the container. */
export interface DockerMount {
  /** `bind`: a host path; `volume`: a named Docker volume. */
  readonly type: 'bind' | 'volume';
  /** Host path (bind) or volume name (volume). */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  /** Mount read-only. @default true for binds, false for volumes */
  readonly readOnly?: boolean;
}

/** A Docker network the container joins (`networks_advanced`). */
export interface DockerNetworkAttachment {
  /** The network's name (it must exist). */
  readonly name: string;
  /** Names other containers of the network reach it by. @default - none */
  readonly aliases?: readonly string[];
  /** Fixed IPv4 address on the network. @default - assigned by Docker */
  readonly ipv4Address?: string;
}

/** Options of {@link DockerContainerTarget}. */
export interface DockerContainerOptions {
  /** Container name (also the state volume's name, with `-state`). @default - the service name */
  readonly containerName?: string;
  /** Host address the listeners are published on. @default '0.0.0.0' */
  readonly publishIp?: string;
  /** Host port per listener (`http`, `https`). @default - the same as the container port */
  readonly publishPorts?: { readonly http?: number; readonly https?: number };
  /** Use the host's network stack (no port publishing; the admin listener binds 127.0.0.1). @default false */
  readonly hostNetwork?: boolean;
  /** Restart policy. @default 'unless-stopped' */
  readonly restart?: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** Memory limit in MB. @default - no limit */
  readonly memoryMb?: number;
  /** Port of the admin listener inside the container. @default 9901 */
  readonly adminPort?: number;
  /** Host port the admin listener is published on, on 127.0.0.1 only (ignored with `hostNetwork`). @default - `adminPort` */
  readonly adminHostPort?: number;
  /**
   * The admin token: a sensitive variable of at least 16 characters.
   * @default - a sensitive variable `<service>_admin_token` declared by the target
   */
  readonly adminToken?: TerraformVariable;
  /**
   * Where the provider reaches the admin listener. Set `ssh://[user@]host[:port]` when the Docker
   * engine is on another host (`DOCKER_HOST=ssh://...`): the provider tunnels to the published
   * port on that host's loopback through OpenSSH, so the admin port never leaves the host.
   * @default - `http://127.0.0.1:<adminHostPort>`
   */
  readonly adminEndpoint?: string;
  /** With an `ssh://` admin endpoint: extra arguments for `ssh` (for example `['-i', '~/.ssh/deploy']`). @default - none */
  readonly sshOpts?: readonly string[];
  /** Bind mounts and volumes, for example the certificates `Secret.fromFile` reads. @default - none */
  readonly mounts?: readonly DockerMount[];
  /**
   * Environment variables of the container: the values `Secret.fromEnv` names (a token of a
   * sensitive variable keeps them out of the plan), and anything else the gateway's functions
   * do not see. @default - none
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Docker networks to join (for example the backends' network). Not with `hostNetwork`. @default - none */
  readonly networks?: readonly (string | DockerNetworkAttachment)[];
  /** Docker log driver. @default - the engine's default */
  readonly logDriver?: string;
  /** Options of the log driver (`max-size`, `max-file`, ...). @default - none */
  readonly logOptions?: Readonly<Record<string, string>>;
}

/** The admin listener's default port inside the container. */
export const DEFAULT_ADMIN_PORT = 9901;

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

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One container on a Docker engine (the default target), taking API changes live.
 *
 * Declares the start image, the state volume, the container (admin listener on the host's
 * loopback) and the `apigw_service` resource; see the module comment.
 */
export class DockerContainerTarget extends LiveDeploymentTarget {
  private readonly options: DockerContainerOptions;

  constructor(options: DockerContainerOptions = {}) {
    super();
    const o = options;
    const where = 'DockerContainerTarget';
    for (const [prop, port] of [
      ['adminPort', o.adminPort],
      ['adminHostPort', o.adminHostPort],
    ] as const) {
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
        throw new Error(Messages.targetProp(where, prop, `a port from 1 to 65535, got ${port}`));
    }
    if (o.hostNetwork && o.networks && o.networks.length > 0)
      throw new Error(Messages.targetProp(where, 'networks', 'cannot be combined with hostNetwork'));
    if (o.adminEndpoint !== undefined && !/^(http|ssh):\/\//.test(o.adminEndpoint))
      throw new Error(
        Messages.targetProp(where, 'adminEndpoint', `must start with http:// or ssh://, got "${o.adminEndpoint}"`),
      );
    for (const name of Object.keys(o.env ?? {})) {
      if (!ENV_NAME.test(name))
        throw new Error(Messages.targetProp(where, 'env', `"${name}" is not an environment variable name`));
      if (name === ADMIN_TOKEN_ENV)
        throw new Error(Messages.targetProp(where, 'env', `${ADMIN_TOKEN_ENV} is set by the target from adminToken`));
    }
    for (const m of o.mounts ?? []) {
      if (!m.target.startsWith('/'))
        throw new Error(Messages.targetProp(where, 'mounts', `target must be an absolute path, got "${m.target}"`));
      if (m.type === 'bind' && !m.source.startsWith('/'))
        throw new Error(
          Messages.targetProp(where, 'mounts', `a bind source must be an absolute host path, got "${m.source}"`),
        );
      if (under(STATE_DIR, m.target) || under(m.target, STATE_DIR))
        throw new Error(Messages.targetProp(where, 'mounts', `${m.target} overlaps the state directory ${STATE_DIR}`));
    }
    this.options = options;
  }

  override validate(scope: Construct): string[] {
    return [...requireDockerProvider(scope), ...checkAdminToken(this.options.adminToken)];
  }

  private get adminPort(): number {
    return this.options.adminPort ?? DEFAULT_ADMIN_PORT;
  }

  private get adminHostPort(): number {
    return this.options.hostNetwork ? this.adminPort : (this.options.adminHostPort ?? this.adminPort);
  }

  adminListener(): AdminListenerConfig {
    return {
      // Bridge mode: the published port reaches the container's own address, so bind every address
      // inside it and publish to the host's loopback only. Host mode: the host's loopback itself.
      host: this.options.hostNetwork ? '127.0.0.1' : '0.0.0.0',
      port: this.adminPort,
      token: { env: ADMIN_TOKEN_ENV },
    };
  }

  override publishedPort(listener: 'http' | 'https', containerPort: number): number {
    return this.options.hostNetwork ? containerPort : (this.options.publishPorts?.[listener] ?? containerPort);
  }

  override hostClaims(serviceName: string, ports: readonly GatewayPort[]): HostClaims {
    const o = this.options;
    return {
      names: [o.containerName ?? serviceName],
      ports: [
        // In host mode the container binds its own ports on every address; port 0 is any free port.
        ...ports.map((p) =>
          o.hostNetwork
            ? { ip: '0.0.0.0', port: p.port }
            : { ip: o.publishIp ?? '0.0.0.0', port: o.publishPorts?.[p.name] ?? p.port },
        ),
        { ip: '127.0.0.1', port: this.adminHostPort },
      ].filter((p) => p.port !== 0),
    };
  }

  override secretProblems(uses: readonly SecretUse[]): string[] {
    const env = this.options.env ?? {};
    const mounts = this.options.mounts ?? [];
    const problems: string[] = [];
    for (const { where, secret } of uses) {
      const ref = secret.ref;
      if (secret.variable) continue; // the target passes it: to the container or to the applied config
      if ('env' in ref && !Object.hasOwn(env, ref.env)) problems.push(Messages.secretEnvNotInContainer(where, ref.env));
      if ('file' in ref && !mounts.some((m) => under(m.target, ref.file)))
        problems.push(Messages.secretFileNotMounted(where, ref.file));
    }
    return problems;
  }

  deployLive(scope: Construct, artifact: LiveGatewayArtifact): void {
    const o = this.options;
    const name = o.containerName ?? artifact.serviceName;
    const token = adminTokenVariable(scope, artifact.serviceName, o.adminToken);
    const startConfig = artifact.startConfig(this.adminListener());
    const image = gatewayImage(scope, { ...artifact, ...artifact.startImage(scope, startConfig) });
    const state = new Volume(scope, 'StateVolume', {
      name: `${name}-state`,
      labels: [{ label: 'cdktf-apigw.service', value: artifact.serviceName }],
    });
    const healthcheck = healthcheckSpec();
    const container = new Container(scope, 'Container', {
      name,
      image: image.imageId,
      restart: o.restart ?? 'unless-stopped',
      ...(o.hostNetwork
        ? { networkMode: 'host' } // published ports are discarded in host mode and would diff forever
        : {
            ports: [
              ...artifact.ports.map((p) => ({
                internal: p.port,
                external: o.publishPorts?.[p.name] ?? p.port,
                ip: o.publishIp ?? '0.0.0.0',
              })),
              // The admin listener: the host's loopback only, never the network.
              { internal: this.adminPort, external: this.adminHostPort, ip: '127.0.0.1' },
            ],
          }),
      env: [
        `${ADMIN_TOKEN_ENV}=${token.stringValue}`,
        ...artifact.startSecretEnv.map((s) => `${s.name}=${s.value}`),
        ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ],
      mounts: [
        { type: 'volume', source: state.name, target: STATE_DIR },
        ...(o.mounts ?? []).map((m) => ({
          type: m.type,
          source: m.source,
          target: m.target,
          readOnly: m.readOnly ?? m.type === 'bind',
        })),
      ],
      ...(o.networks && o.networks.length > 0
        ? {
            networksAdvanced: o.networks.map((n) =>
              typeof n === 'string'
                ? { name: n }
                : {
                    name: n.name,
                    ...(n.aliases ? { aliases: [...n.aliases] } : {}),
                    ...(n.ipv4Address ? { ipv4Address: n.ipv4Address } : {}),
                  },
            ),
          }
        : {}),
      ...(o.logDriver !== undefined ? { logDriver: o.logDriver } : {}),
      ...(o.logOptions !== undefined ? { logOpts: { ...o.logOptions } } : {}),
      healthcheck,
      labels: [
        { label: 'cdktf-apigw.service', value: artifact.serviceName },
        // The provider cannot update a healthcheck in place; a label change forces the replacement.
        { label: 'cdktf-apigw.healthcheck', value: sha(JSON.stringify(healthcheck)) },
      ],
      stopSignal: 'SIGTERM',
      // Read from the state when the container is destroyed: an in-place change of the drain time
      // (an applied limit) takes effect at the next replacement without replacing anything now.
      destroyGraceSeconds: artifact.shutdownGraceSeconds + 5,
      wait: true,
      waitTimeout: 60,
      ...(o.memoryMb !== undefined ? { memory: o.memoryMb } : {}),
    });
    declareLiveService(scope, artifact, {
      endpoint: o.adminEndpoint ?? `http://127.0.0.1:${this.adminHostPort}`,
      token,
      ...(o.adminEndpoint?.startsWith('ssh://') ? { adminPort: this.adminHostPort } : {}),
      ...(o.sshOpts ? { sshOpts: o.sshOpts } : {}),
      dependsOn: [container],
    });
  }
}

/** Whether `path` is `dir` or inside it. */
function under(dir: string, path: string): boolean {
  const d = dir.replace(/\/+$/, '');
  return path === d || path.startsWith(`${d}/`) || d === '';
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}
