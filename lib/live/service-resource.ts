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

/** An `apigw_service` resource: one service's applied config on one gateway. */
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

  /**
   * For `cdktf synth --hcl`: cdktf's HCL renderer does not escape arbitrary strings (quotes, `${`,
   * text that looks like JSON), so each attribute is written as `jsondecode("...")` of its exact
   * value, with `$` and `%` as JSON escapes so that no template sequence appears in the HCL.
   * Secrets stay references to their variables.
   */
  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.attributes)) {
      out[name] =
        name === 'secrets'
          ? { value, isBlock: false, type: 'map', storageClassType: 'stringMap' }
          : { value: hclJsonDecode(unescapeTemplates(value)), isBlock: false, type: 'reference' };
    }
    return out;
  }
}

/** The attribute values as written (undoing the `$${`/`%%{` escapes of Terraform's JSON syntax). */
function unescapeTemplates(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/([$%])\1\{/g, '$1{');
  if (Array.isArray(value)) return value.map(unescapeTemplates);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [unescapeTemplates(k) as string, unescapeTemplates(v)]),
    );
  return value;
}

/** An HCL expression for a JSON value: `jsondecode("...")` with no `${`, `%{` or unescaped quote in it. */
function hclJsonDecode(value: unknown): string {
  const json = JSON.stringify(value).replace(/[$%]/g, (c) => (c === '$' ? '\\u0024' : '\\u0025'));
  return `jsondecode("${json.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}")`;
}
