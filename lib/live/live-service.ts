/**
 * What every live target declares: the admin token variable, a provider
 * configuration for its gateway, and the `apigw_service` resource.
 */
import { TerraformVariable, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { ADMIN_TOKEN_MIN_LENGTH } from '../../model';
import type { LiveGatewayArtifact } from '../deploy/target';
import { Messages } from '../messages';
import { ApigwProvider } from './apigw-provider';
import { ApigwServiceResource } from './service-resource';

/** A Terraform name made of the service name: `petstore`, `my_service`. */
export function terraformName(serviceName: string): string {
  const name = serviceName.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

/**
 * The admin token variable: the one given, or a sensitive variable declared
 * for the service, `<service>_admin_token`, that Terraform checks is long
 * enough for the gateway to start with.
 */
export function adminTokenVariable(
  scope: Construct,
  serviceName: string,
  given?: TerraformVariable,
): TerraformVariable {
  if (given) return given;
  const name = `${terraformName(serviceName)}_admin_token`;
  const variable = new TerraformVariable(scope, 'AdminToken', {
    type: 'string',
    sensitive: true,
    description: Messages.adminTokenDescription(serviceName, ADMIN_TOKEN_MIN_LENGTH),
    validation: [
      {
        condition: `\${length(var.${name}) >= ${ADMIN_TOKEN_MIN_LENGTH}}`,
        errorMessage: Messages.adminTokenTooShort(ADMIN_TOKEN_MIN_LENGTH),
      },
    ],
  });
  variable.overrideLogicalId(name);
  return variable;
}

/** A user's admin token variable must be sensitive, as every secret variable. */
export function checkAdminToken(given: TerraformVariable | undefined): string[] {
  if (!given || (given as unknown as { sensitive?: boolean }).sensitive === true) return [];
  return [Messages.variableNotSensitive(given.node.id, 'deployment adminToken')];
}

/** How the provider reaches the gateway's admin listener. */
export interface AdminConnection {
  /** `http://127.0.0.1:9901`, or `ssh://[user@]host[:port]` with `adminPort`. */
  readonly endpoint: string;
  readonly token: TerraformVariable;
  readonly adminPort?: number;
  readonly sshOpts?: readonly string[];
  /** What the gateway needs first (its container). */
  readonly dependsOn?: ITerraformDependable[];
}

/** Declares the provider configuration (aliased after the service) and the `apigw_service` resource. */
export function declareLiveService(
  scope: Construct,
  artifact: LiveGatewayArtifact,
  connection: AdminConnection,
): ApigwServiceResource {
  const provider = new ApigwProvider(scope, 'Apigw', {
    alias: terraformName(artifact.serviceName),
    endpoint: connection.endpoint,
    token: connection.token.stringValue,
    ...(connection.adminPort !== undefined ? { adminPort: connection.adminPort } : {}),
    ...(connection.sshOpts !== undefined ? { sshOpts: connection.sshOpts } : {}),
  });
  const resource = new ApigwServiceResource(scope, 'ApiConfig', {
    provider,
    config: artifact.applied,
    secrets: Object.fromEntries(artifact.appliedSecrets.map((s) => [s.name, s.value])),
    ...(connection.dependsOn ? { dependsOn: connection.dependsOn } : {}),
  });
  // `apigw_service.<service>`: what plans show and `terraform import` addresses (unique per stack: see stack-checks).
  resource.overrideLogicalId(terraformName(artifact.serviceName));
  return resource;
}
