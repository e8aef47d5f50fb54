import { existsSync, statSync } from 'node:fs';
import type { FunctionTarget } from '../../model';
import { checkFunctionTarget, Problems } from '../checks';
import { Messages } from '../messages';
import type { Duration } from '../duration';
import type { FunctionBundle, HandlerCheck } from './backend';
import type { FunctionCode } from './function-code';

/** Identifies a function and its code. */
export interface FunctionProps {
  /** Function name, 1 to 60 characters. */
  readonly functionName: string;
  /** Namespace, 1 to 60 characters. @default 'default' */
  readonly namespace?: string;
  /** Version or alias, 1 to 60 characters. @default '$LATEST' */
  readonly version?: string;
  /**
   * Response time limit, at most 30 minutes; beyond it the client gets 504 and the invocation is stopped.
   * @default Duration.seconds(15)
   */
  readonly timeout?: Duration;
  /** The function's code. */
  readonly code: FunctionCode;
}

/** A function target's config, the code to bundle, and its problems, for the prop `prefix` at config `field`. */
export function functionTarget(
  p: FunctionProps,
  prefix: string,
  field: string,
  problems: Problems,
): { target: FunctionTarget; bundles: FunctionBundle[]; handlers: HandlerCheck[] } {
  const namespace = p.namespace ?? 'default';
  const version = p.version ?? '$LATEST';
  const code = p.code.config;
  checkFunctionTarget(
    prefix,
    field,
    { namespace, functionName: p.functionName, version, timeout: p.timeout },
    problems,
  );
  const base = { namespace, functionName: p.functionName, version, timeoutMs: p.timeout?.toMilliseconds() ?? 15_000 };
  if (code.kind === 'remote') {
    problems.remoteCode(`${prefix} code`, `${field}/source`, code.url);
    return {
      target: { ...base, source: { type: 'remote', url: code.url, headers: code.headers } },
      bundles: [],
      handlers: [],
    };
  }
  problems.bundledCode(`${prefix} code`, `${field}/source`, code);
  if (!existsSync(code.dir) || !statSync(code.dir).isDirectory())
    problems.add(`${field}/source/dir`, Messages.codeFolderMissing(`${prefix} code`, code.dir));
  const targetDir = `functions/${safe(namespace)}/${safe(p.functionName)}/${safe(version)}`;
  return {
    // The config lives in `config/`, so bundled code is one level up.
    target: {
      ...base,
      source: { type: 'bundled', dir: `../${targetDir}`, handler: code.handler, memoryMb: code.memoryMb },
    },
    bundles: [{ sourceDir: code.dir, targetDir }],
    handlers: [
      {
        dir: code.dir,
        handler: code.handler,
        memoryMb: code.memoryMb,
        prop: `${prefix} code handler`,
        field: `${field}/source`,
      },
    ],
  };
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.$-]/g, '_');
}
