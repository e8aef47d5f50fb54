/**
 * Our Terraform provider (`cdktf-apigw.dev/cdktf-apigw/apigw`) as a cdktf
 * construct, hand-written: it has one resource and no registry, so generated
 * bindings would add nothing. At synth it vendors the provider into the
 * stack's working directory (an unpacked mirror under `terraform.d/plugins`
 * and its entry in `.terraform.lock.hcl`), so `terraform init` and `cdktf
 * diff/deploy` work offline and cdktf never asks a registry to lock it.
 */
import { join } from 'node:path';
import { TerraformProvider, TerraformStack } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import type { ISynthesisSession } from 'cdktf/lib/synthesize/types';
import type { Construct } from 'constructs';
import { providerBuild, vendorProvider, type ProviderBuild } from '../../provider';

/** Props of {@link ApigwProvider}. */
export interface ApigwProviderProps {
  /** The gateway's admin listener: `http://127.0.0.1:9901`, or `ssh://[user@]host[:port]` (needs `adminPort`). */
  readonly endpoint: string;
  /** The admin token: a token of a sensitive Terraform variable (`variable.stringValue`). */
  readonly token: string;
  /** With an `ssh://` endpoint: the admin listener's port on the remote host's loopback. @default - none */
  readonly adminPort?: number;
  /** With an `ssh://` endpoint: extra arguments for `ssh`. @default - none */
  readonly sshOpts?: readonly string[];
  /** Time limit of each admin request, in seconds. @default 60 */
  readonly timeoutSeconds?: number;
  /** Provider alias, so that each gateway of a stack has its own provider configuration. @default - none */
  readonly alias?: string;
}

let build: ProviderBuild | undefined;

/** The provider build this package ships (address and version), read once. */
export function apigwProviderBuild(): ProviderBuild {
  build ??= providerBuild();
  return build;
}

/** The stacks already vendored in a synthesis session: a stack with several gateways vendors once. */
const vendored = new WeakMap<ISynthesisSession, Set<TerraformStack>>();

/** The stack's working directory (Terraform's cwd under cdktf): `<outdir>/stacks/<stack>`. */
export function stackWorkingDirectory(session: ISynthesisSession, stack: TerraformStack): string {
  // `session.outdir` and `session.manifest.outdir` are the same folder (App.synth and Testing.fullSynth
  // make both from one value); TerraformAsset writes relative to the manifest's, so do we.
  return join(session.manifest.outdir, session.manifest.forStack(stack).workingDirectory);
}

/** The `apigw` provider: one configuration per gateway, by alias. */
export class ApigwProvider extends TerraformProvider {
  private readonly props: ApigwProviderProps;
  private providerAlias: string | undefined;

  constructor(scope: Construct, id: string, props: ApigwProviderProps) {
    const b = apigwProviderBuild();
    super(scope, id, {
      terraformResourceType: b.type,
      // The exact version vendorProvider writes into the mirror and the lock file.
      terraformGeneratorMetadata: { providerName: b.type, providerVersion: b.version },
      terraformProviderSource: `${b.hostname}/${b.namespace}/${b.type}`,
    });
    this.props = props;
    this.providerAlias = props.alias;
    const stack = TerraformStack.of(this);
    addCustomSynthesis(this, {
      onSynthesize: (session: ISynthesisSession) => {
        let stacks = vendored.get(session);
        if (!stacks) vendored.set(session, (stacks = new Set()));
        if (stacks.has(stack)) return;
        stacks.add(stack);
        vendorProvider(stackWorkingDirectory(session, stack));
      },
    });
  }

  /** The provider alias of this gateway's configuration (`apigw.<alias>`). */
  override get alias(): string | undefined {
    return this.providerAlias;
  }

  override set alias(value: string | undefined) {
    this.providerAlias = value;
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const p = this.props;
    return {
      endpoint: p.endpoint,
      token: p.token,
      ...(p.adminPort !== undefined ? { admin_port: p.adminPort } : {}),
      ...(p.sshOpts !== undefined ? { ssh_opts: [...p.sshOpts] } : {}),
      ...(p.timeoutSeconds !== undefined ? { timeout_seconds: p.timeoutSeconds } : {}),
    };
  }

  /** For `cdktf synth --hcl`. */
  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const typed: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(this.synthesizeAttributes())) {
      typed[name] = Array.isArray(value)
        ? { value, isBlock: false, type: 'list', storageClassType: 'stringList' }
        : { value, isBlock: false, type: 'simple', storageClassType: typeof value === 'number' ? 'number' : 'string' };
    }
    return typed;
  }
}
