/**
 * A gateway started by other means — a process, a container run another
 * way, a remote host — whose admin listener the provider can reach. The
 * target declares no Docker resources: only the provider configuration and
 * the `apigw_service` resource, applied live.
 */
import type { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { adminTokenVariable, checkAdminToken, declareLiveService } from '../live/live-service';
import { Messages } from '../messages';
import { LiveDeploymentTarget, type LiveGatewayArtifact, type SecretUse } from './target';

/** Options of {@link ExistingGatewayTarget}. */
export interface ExistingGatewayOptions {
  /**
   * The gateway's admin listener: `http://127.0.0.1:9901`, or `ssh://[user@]host[:port]` to reach
   * it on a remote host's loopback through OpenSSH (with `sshAdminPort`).
   */
  readonly endpoint: string;
  /**
   * The admin token the gateway was started with: a sensitive variable.
   * @default - a sensitive variable `<service>_admin_token` declared by the target
   */
  readonly adminToken?: TerraformVariable;
  /** With an `ssh://` endpoint: the admin listener's port on the remote host's 127.0.0.1. */
  readonly sshAdminPort?: number;
  /** With an `ssh://` endpoint: extra arguments for `ssh` (for example `['-i', '~/.ssh/deploy']`). @default - none */
  readonly sshOpts?: readonly string[];
}

/**
 * Applies the service's APIs live to a running gateway. Its listeners, admin
 * listener and health path are the gateway's own (from the config it was
 * started with); the service's props for them are not applied.
 */
export class ExistingGatewayTarget extends LiveDeploymentTarget {
  constructor(private readonly options: ExistingGatewayOptions) {
    super();
    const where = 'ExistingGatewayTarget';
    const { endpoint, sshAdminPort } = options;
    if (typeof endpoint !== 'string' || !/^(http|ssh):\/\/[^/]/.test(endpoint))
      throw new Error(Messages.targetProp(where, 'endpoint', `must start with http:// or ssh://, got "${endpoint}"`));
    if (endpoint.startsWith('ssh://') && sshAdminPort === undefined)
      throw new Error(Messages.targetProp(where, 'sshAdminPort', 'is needed with an ssh:// endpoint'));
    if (sshAdminPort !== undefined && (!Number.isInteger(sshAdminPort) || sshAdminPort < 1 || sshAdminPort > 65535))
      throw new Error(Messages.targetProp(where, 'sshAdminPort', `a port from 1 to 65535, got ${sshAdminPort}`));
  }

  override validate(_scope: Construct): string[] {
    return checkAdminToken(this.options.adminToken);
  }

  adminListener(): undefined {
    return undefined;
  }

  override secretProblems(uses: readonly SecretUse[]): string[] {
    // A variable's value reaches the gateway only with an applied config; start-bound secrets are read
    // when the gateway starts, which this target does not do. References to the gateway's own
    // environment or files cannot be checked here: the gateway refuses them at apply if they are missing.
    return uses.filter((u) => u.startBound && u.secret.variable).map((u) => Messages.startSecretNotDelivered(u.where));
  }

  deployLive(scope: Construct, artifact: LiveGatewayArtifact): void {
    const o = this.options;
    declareLiveService(scope, artifact, {
      endpoint: o.endpoint,
      token: adminTokenVariable(scope, artifact.serviceName, o.adminToken),
      ...(o.sshAdminPort !== undefined ? { adminPort: o.sshAdminPort } : {}),
      ...(o.sshOpts ? { sshOpts: o.sshOpts } : {}),
    });
  }
}
