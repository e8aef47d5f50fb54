/**
 * Checks across the services of one stack: two gateways cannot publish the
 * same host port or run under the same container name (Docker refuses the
 * second one at apply time, after the first has been replaced), and two live
 * services cannot share a name (their `apigw_service` resources and provider
 * aliases are named after it). Reported once, by the stack, at synth.
 */
import { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import type { HostClaims } from './deploy/target';
import { Messages } from './messages';

interface Claims {
  readonly host: () => HostClaims;
  /** The Terraform name of a live service's config, if it has one. */
  readonly liveName: () => string | undefined;
}

const claimsByStack = new WeakMap<TerraformStack, Map<IConstruct, Claims>>();

/** Registers what a service takes on its host; the first registration in a stack adds the stack's check. */
export function registerHostClaims(
  service: IConstruct,
  claims: () => HostClaims,
  liveName: () => string | undefined = () => undefined,
): void {
  const stack = TerraformStack.of(service);
  let services = claimsByStack.get(stack);
  if (!services) {
    const registered = new Map<IConstruct, Claims>();
    services = registered;
    claimsByStack.set(stack, registered);
    stack.node.addValidation({ validate: () => checkClashes(registered) });
  }
  services.set(service, { host: claims, liveName });
}

function checkClashes(services: ReadonlyMap<IConstruct, Claims>): string[] {
  const errors: string[] = [];
  const ports: { ip: string; port: number; owner: string }[] = [];
  const names = new Map<string, string>();
  const liveNames = new Map<string, string>();
  for (const [service, claims] of services) {
    const owner = service.node.path;
    const { names: ownNames, ports: ownPorts } = claims.host();
    const liveName = claims.liveName();
    if (liveName !== undefined) {
      const first = liveNames.get(liveName);
      if (first !== undefined) errors.push(Messages.liveNameClash(liveName, first, owner));
      else liveNames.set(liveName, owner);
    }
    for (const p of ownPorts) {
      const clash = ports.find((q) => q.port === p.port && overlaps(q.ip, p.ip));
      if (clash) errors.push(Messages.hostPortClash(p.port, clash.owner, owner));
      else ports.push({ ...p, owner });
    }
    for (const name of ownNames) {
      const first = names.get(name);
      if (first !== undefined) errors.push(Messages.containerNameClash(name, first, owner));
      else names.set(name, owner);
    }
  }
  return errors;
}

/** Two bind addresses collide when they are equal or either is a wildcard address. */
function overlaps(a: string, b: string): boolean {
  const any = (ip: string): boolean => ip === '0.0.0.0' || ip === '::' || ip === '';
  return a === b || any(a) || any(b);
}
