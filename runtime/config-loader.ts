/**
 * Loads a gateway config file: JSON, then the schema and rules shared with
 * the constructs. A bad file throws a `ConfigError` naming every bad field, so
 * the gateway never starts (or reloads) half-configured.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatIssues, validateConfig, type ConfigIssue, type GatewayConfig } from '../model';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`config ${file} is invalid:\n${formatIssues(issues)}`);
  }
}

export interface LoadedConfig {
  readonly config: GatewayConfig;
  readonly file: string;
  /** Folder of the config file: bundled function code and secret files resolve against it. */
  readonly baseDir: string;
  /** Legal but suspicious parts of the config (a route the gateway's own endpoints shadow). */
  readonly warnings?: readonly ConfigIssue[];
}

export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ field: '/', message: `cannot be read (${(err as NodeJS.ErrnoException).code})` }]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ field: '/', message: `is not JSON: ${(err as Error).message}` }]);
  }
  const result = validateConfig(doc);
  if (!result.ok) throw new ConfigError(file, result.issues);
  return { config: result.config, file, baseDir: dirname(file), warnings: result.warnings };
}
