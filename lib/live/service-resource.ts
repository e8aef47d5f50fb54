/**
 * The `apigw_service` resource as a cdktf construct: one gateway service and
 * all its APIs, applied live and atomically through the gateway's admin API.
 * Its attributes are the applied config in the provider's shape
 * (`serviceResourceAttributes`), so a plan shows each changed API and field.
 */
import { TerraformResource, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { AppliedConfig } from '../../model';
import { SERVICE_TYPE, serviceResourceAttributes } from '../../provider';
import { apigwProviderBuild, type ApigwProvider } from './apigw-provider';

/** Props of {@link ApigwServiceResource}. */
export interface ApigwServiceResourceProps {
  /** The provider configuration of the gateway it applies to. */
  readonly provider: ApigwProvider;
  /** The applied config: bundled function `dir`s relative to the stack's working directory, with their `sha256`. */
  readonly config: AppliedConfig;
  /**
   * Values of the config's `{ "env": NAME }` secret references, by NAME: tokens of sensitive
   * variables. The gateway reads these before its own environment. @default - none
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Resources the gateway needs first (its container). @default - none */
  readonly dependsOn?: ITerraformDependable[];
}

export class ApigwServiceResource extends TerraformResource {
  private readonly attributes: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: ApigwServiceResourceProps) {
    const b = apigwProviderBuild();
    super(scope, id, {
      terraformResourceType: SERVICE_TYPE,
      terraformGeneratorMetadata: { providerName: b.type, providerVersion: b.version },
      provider: props.provider,
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
    const secrets = props.secrets ?? {};
    this.attributes = serviceResourceAttributes(
      props.config,
      Object.keys(secrets).length > 0 ? { secrets: { ...secrets } } : {},
    );
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attributes;
  }
}
