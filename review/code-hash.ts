/**
 * The content hash of a bundled function's code, for review: the config's
 * `sha256` when synth wrote one, else `bundleHash` of the code folder, which
 * lies under the config file's folder (`dir` is relative to it).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { bundleHash, type BundledFunctionSource, type BundleFile } from '../model';

/** Hex sha256 of the code, or a sentence saying why it cannot be known. */
export function functionCodeHash(source: BundledFunctionSource, configDir: string | undefined): string {
  if (source.sha256) return source.sha256;
  if (configDir === undefined) return 'unknown (no config folder)';
  const root = resolve(configDir);
  const dir = resolve(root, source.dir);
  // A hostile config must not make review read outside the folder it was synthesized into.
  const base = resolve(root, '..');
  if (dir !== base && !dir.startsWith(base + sep)) return `unknown (${source.dir} is outside the build context)`;
  try {
    return bundleHash(files(dir));
  } catch (err) {
    return `unknown (${source.dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

function files(dir: string, prefix = ''): BundleFile[] {
  const out: BundleFile[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== '.git') out.push(...files(dir, path));
    } else if (entry.isFile()) {
      out.push({ path, data: readFileSync(join(dir, path)) });
    }
  }
  return out;
}
