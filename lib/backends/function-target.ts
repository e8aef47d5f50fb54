import type { FunctionTarget } from '../../model';
import type { Duration } from '../duration';
import type { FunctionBundle } from './backend';
import type { FunctionCode } from './function-code';

/** Identifies a function and its code. */
export interface FunctionProps {
  /** Function name. */
  readonly functionName: string;
  /** Namespace. @default 'default' */
  readonly namespace?: string;
  /** Version or alias. @default '$LATEST' */
  readonly version?: string;
  /** Response time limit; beyond it the client gets 504 and the invocation is stopped. @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /** The function's code. */
  readonly code: FunctionCode;
}

export function functionTarget(p: FunctionProps): { target: FunctionTarget; bundles: FunctionBundle[] } {
  const namespace = p.namespace ?? 'default';
  const version = p.version ?? '$LATEST';
  const code = p.code.config;
  const base = { namespace, functionName: p.functionName, version, timeoutMs: p.timeout?.toMilliseconds() ?? 15_000 };
  if (code.kind === 'remote') {
    return { target: { ...base, source: { type: 'remote', url: code.url, headers: code.headers } }, bundles: [] };
  }
  const targetDir = `functions/${safe(namespace)}/${safe(p.functionName)}/${safe(version)}`;
  return {
    // The config lives in `config/`, so bundled code is one level up.
    target: {
      ...base,
      source: { type: 'bundled', dir: `../${targetDir}`, handler: code.handler, memoryMb: code.memoryMb },
    },
    bundles: [{ sourceDir: code.dir, targetDir }],
  };
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.$-]/g, '_');
}
