/**
 * Secrets for `apigw dev`: every `{ "env": NAME }` reference of a service's
 * applied config (key-pair secrets, `connectionsAdminToken`; from
 * `Secret.fromVariable(variable, NAME)` and `Secret.fromEnv(NAME)` alike) is
 * looked up by NAME, first in the environment of `apigw dev`, then in the
 * project's `.apigw-dev.env` file, and sent with the apply as a deploy sends
 * the values of sensitive variables. A missing one is an error naming NAME
 * and the field that reads it; nothing is applied then.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import type { AppliedConfig, GatewayConfig } from '../model';

/** The local secrets file, in the project folder (never commit it). */
export const DEV_ENV_FILE = '.apigw-dev.env';

/** A secret the config reads: its name and the field (JSON pointer) that names it. */
export interface SecretNeed {
  readonly name: string;
  readonly field: string;
}

/** Every `{ "env": NAME }` reference in `config`, in document order. */
export function secretNeeds(config: AppliedConfig | GatewayConfig): SecretNeed[] {
  const out: SecretNeed[] = [];
  const walk = (v: unknown, field: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${field}/${i}`));
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === 'env' && typeof o.env === 'string') out.push({ name: o.env, field });
      else for (const k of keys) walk(o[k], `${field}/${k}`);
    }
  };
  walk(config, '');
  return out;
}

/** The values of `.apigw-dev.env` in `projectDir` (none when the file is absent). Throws when it cannot be read. */
export function readDevEnvFile(projectDir: string): Record<string, string> {
  const file = join(projectDir, DEV_ENV_FILE);
  if (!existsSync(file)) return {};
  const parsed = parseEnv(readFileSync(file, 'utf8'));
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export interface ResolvedSecrets {
  readonly values: Record<string, string>;
  /** One message per missing secret, naming it, the field and where it was looked for. */
  readonly missing: readonly string[];
}

/** Looks each secret up in `env`, then in `file`. */
export function resolveSecrets(
  needs: readonly SecretNeed[],
  env: NodeJS.ProcessEnv,
  file: Readonly<Record<string, string>>,
): ResolvedSecrets {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const { name, field } of needs) {
    if (name in values) continue;
    const value = env[name] || file[name];
    if (value) values[name] = value;
    else if (!missing.some((m) => m.startsWith(`secret ${name} `)))
      missing.push(
        `secret ${name} (read by ${field}) is not set: export ${name}=... or add ${name}=... to ${DEV_ENV_FILE}`,
      );
  }
  return { values, missing };
}
