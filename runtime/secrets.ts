/**
 * Reads a secret named by a `SecretRef`: an environment variable or a file
 * (for example a mounted Docker/Kubernetes secret). Secrets are read at config
 * load and never logged.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { SecretRef } from '../model';

/** Where a secret comes from, for error messages (never the value). */
export function describeSecret(ref: SecretRef): string {
  return 'env' in ref ? `environment variable ${ref.env}` : `file ${ref.file}`;
}

/**
 * Returns the secret's value. Relative files resolve against `baseDir` (the
 * config file's folder). Throws, naming the source, when it is missing or empty.
 */
export function readSecret(ref: SecretRef, baseDir: string, env: NodeJS.ProcessEnv = process.env): string {
  let value: string | undefined;
  if ('env' in ref) {
    value = env[ref.env];
  } else {
    const file = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
    try {
      value = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(
        `secret ${describeSecret(ref)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
  }
  if (value === undefined || value.length === 0) throw new Error(`secret ${describeSecret(ref)} is not set`);
  return value;
}
