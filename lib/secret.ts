/**
 * Where the gateway reads a secret (a key-pair secret, a TLS key, a token).
 * The config only ever holds this reference, never the value; the value
 * reaches the container at deploy time.
 */
import type { TerraformVariable } from 'cdktf';
import type { SecretRef } from '../model';
import { Messages } from './messages';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** An environment variable name can never become valid later: refuse it at the call. */
function checkedEnvName(factory: string, name: string): string {
  if (typeof name !== 'string' || !ENV_NAME.test(name)) throw new Error(Messages.envName(factory, name));
  return name;
}

/**
 * A reference to a secret value (a key-pair secret, a TLS certificate or key, a
 * token): the config holds where the gateway reads it, never the value.
 */
export class Secret {
  /**
   * A sensitive Terraform variable. The container receives its value in the
   * environment variable `envName`; the plan shows it as `(sensitive value)`.
   * The variable must be declared with `sensitive: true`.
   */
  static fromVariable(variable: TerraformVariable, envName: string): Secret {
    return new Secret({ env: checkedEnvName('Secret.fromVariable', envName) }, variable);
  }

  /** An environment variable the container (or `apigw serve`) already has; you provide it. */
  static fromEnv(envName: string): Secret {
    return new Secret({ env: checkedEnvName('Secret.fromEnv', envName) }, undefined);
  }

  /** A file inside the container, for example a mounted Docker or Kubernetes secret. */
  static fromFile(path: string): Secret {
    if (typeof path !== 'string' || path.length === 0) throw new Error(Messages.emptyFilePath('Secret.fromFile'));
    return new Secret({ file: path }, undefined);
  }

  private constructor(
    /** The reference written into the config. */
    readonly ref: SecretRef,
    /** The variable whose value the deployment passes in, if any. */
    readonly variable: TerraformVariable | undefined,
  ) {}
}
