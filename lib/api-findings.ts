/**
 * How an Api learns what its Service's validation found about it, so that it
 * reports its own mistakes under its own construct path. The Service
 * registers itself as the host of its APIs; nothing here is public.
 */
import type { IConstruct } from 'constructs';
import type { PropProblem } from './checks';

/** Mistakes of one API found by its host, worded for the user; fields are relative to the API. */
export interface ApiFindings {
  readonly errors: readonly PropProblem[];
  readonly warnings: readonly PropProblem[];
}

const hosts = new WeakMap<IConstruct, (api: IConstruct) => ApiFindings>();

/** Makes `host` answer for the APIs among its children. */
export function registerApiHost(host: IConstruct, findings: (api: IConstruct) => ApiFindings): void {
  hosts.set(host, findings);
}

/** What the API's host found about it; nothing when the API is not a child of a host. */
export function findingsFromHost(api: IConstruct): ApiFindings {
  const scope = api.node.scope;
  const findings = scope ? hosts.get(scope) : undefined;
  return findings ? findings(api) : { errors: [], warnings: [] };
}
