/**
 * The provider's version: the package version plus the bundle's hash as
 * build metadata (`0.1.0+b3f1c0a9d2e4b`). A rebuilt provider never reuses
 * the version of another build — Terraform's lock file and plugin cache key
 * on the version, and a reused one either failed `init` with a checksum
 * error or silently ran an older cached build. Build metadata rather than a
 * prerelease: Terraform selects a prerelease only when the configuration
 * names it exactly.
 */
import { createHash } from 'node:crypto';

export function providerVersion(packageVersion: string, bundle: Uint8Array): string {
  const hash = createHash('sha256').update(bundle).digest('hex').slice(0, 12);
  return `${packageVersion}${packageVersion.includes('+') ? '.' : '+'}b${hash}`;
}
