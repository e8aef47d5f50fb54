/**
 * Checks across the services of one stack: two gateways cannot publish the
 * same host port or run under the same container name (Docker refuses the
 * second one at apply time, after the first has been replaced). Reported once,
 * by the stack, at synth.
 */
import { TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import type { HostClaims } from './deploy/target';
import { Messages } from './messages';

const claimsByStack = new WeakMap<TerraformStack, Map<IConstruct, () => HostClaims>>();

/** Registers what a service takes on its host; the first registration in a stack adds the stack's check. */
export function registerHostClaims(service: IConstruct, claims: () => HostClaims): void {
  const stack = TerraformStack.of(service);
  let services = claimsByStack.get(stack);
  if (!services) {
    const registered = new Map<IConstruct, () => HostClaims>();
    services = registered;
    claimsByStack.set(stack, registered);
    stack.node.addValidation({ validate: () => checkClashes(registered) });
  }
  services.set(service, claims);
}

function checkClashes(services: ReadonlyMap<IConstruct, () => HostClaims>): string[] {
  const errors: string[] = [];
  const ports: { ip: string; port: number; owner: string }[] = [];
  const names = new Map<string, string>();
  for (const [service, claims] of services) {
    const owner = service.node.path;
    const { names: ownNames, ports: ownPorts } = claims();
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
