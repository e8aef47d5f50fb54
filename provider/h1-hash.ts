/**
 * Terraform's `h1:` package hash (Go's `dirhash.Hash1`) of an unpacked
 * provider folder: for each file, sorted by `/`-separated relative path, the
 * line `<sha256 hex>  <path>\n`; the hash is `h1:` + base64(sha256(lines)).
 * It is what `.terraform.lock.hcl` pins and `terraform init` checks.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function h1Hash(dir: string): string {
  const files: string[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(abs, entry.name), path);
      else files.push(path);
    }
  };
  walk(dir, '');
  // Go sorts the paths as byte strings.
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const summary = createHash('sha256');
  for (const f of files)
    summary.update(
      `${createHash('sha256')
        .update(readFileSync(join(dir, f)))
        .digest('hex')}  ${f}\n`,
    );
  return `h1:${summary.digest('base64')}`;
}
