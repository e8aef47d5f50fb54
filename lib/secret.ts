/**
 * Where the gateway reads a secret (a key-pair secret, a TLS key, a token).
 * The config only ever holds this reference, never the value; the value
 * reaches the container at deploy time.
 */
import type { TerraformVariable } from 'cdktf';
import type { SecretRef } from '../model';

export class Secret {
  /**
   * A sensitive Terraform variable. The container receives its value in the
   * environment variable `envName`; the plan shows it as `(sensitive value)`.
   * The variable must be declared with `sensitive: true`.
   */
  static fromVariable(variable: TerraformVariable, envName: string): Secret {
    return new Secret({ env: envName }, variable);
  }

  /** An environment variable the container (or `apigw serve`) already has; you provide it. */
  static fromEnv(envName: string): Secret {
    return new Secret({ env: envName }, undefined);
  }

  /** A file inside the container, for example a mounted Docker or Kubernetes secret. */
  static fromFile(path: string): Secret {
    return new Secret({ file: path }, undefined);
  }

  private constructor(
    /** The reference written into the config. */
    readonly ref: SecretRef,
    /** The variable whose value the deployment passes in, if any. */
    readonly variable: TerraformVariable | undefined,
  ) {}
}
