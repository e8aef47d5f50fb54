/**
 * Puts the provider where Terraform finds it with no registry: an unpacked
 * filesystem mirror in the stack's working directory
 * (`terraform.d/plugins/<host>/<namespace>/apigw/<version>/<os>_<arch>/`),
 * and its `h1:` hash in `.terraform.lock.hcl`, so `terraform init` installs
 * it offline and cdktf never runs `terraform providers lock` for it.
 *
 * Each platform folder holds the launcher `terraform-provider-apigw_v<version>`
 * (a sh script that execs node on PATH, or $APIGW_NODE, with `launch.cjs`)
 * and the bundle `provider.cjs`, named so Terraform never runs them in place
 * of the launcher. The folder of the platform vendoring runs on also gets
 * `provider.v8cache`, V8's code cache of the bundle made by that node: it
 * saves about a third of each provider start (a node of another version
 * ignores it).
 *
 * The version is the package version plus the bundle's hash (see
 * scripts/bundle-provider.mjs): a rebuilt provider never reuses the version
 * of another build, which Terraform's lock file and plugin cache would
 * otherwise confuse.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { h1Hash } from './h1-hash';

export const PROVIDER_PLATFORMS = ['linux_amd64', 'linux_arm64', 'darwin_amd64', 'darwin_arm64'] as const;

export interface ProviderBuild {
  readonly hostname: string;
  readonly namespace: string;
  readonly type: string;
  readonly version: string;
}

export interface VendoredProvider extends ProviderBuild {
  /** The source address for `required_providers` (`cdktf-apigw.dev/cdktf-apigw/apigw`). */
  readonly source: string;
  /** The package hashes pinned in the lock file (the platform with a code cache differs from the others). */
  readonly h1: readonly string[];
}

export interface VendorOptions {
  /** Folder with `provider.cjs` and `provider.json`. @default the package's dist/provider-bundle */
  readonly bundleDir?: string;
  /** @default PROVIDER_PLATFORMS */
  readonly platforms?: readonly string[];
  /** Write the code cache for this platform (runs the provider once, ~0.3 s). @default true */
  readonly codeCache?: boolean;
}

/** The package's provider bundle folder (works from sources and from compiled dist/). */
export function defaultBundleDir(): string {
  for (const up of [join(__dirname, '..', 'dist'), join(__dirname, '..')]) {
    const dir = join(up, 'provider-bundle');
    if (existsSync(join(dir, 'provider.json'))) return dir;
  }
  throw new Error(
    `cdktf-apigw: the provider bundle is missing next to ${__dirname}; run "npm run build" in the package`,
  );
}

/** Reads the build's address and version. */
export function providerBuild(bundleDir: string = defaultBundleDir()): ProviderBuild {
  return JSON.parse(readFileSync(join(bundleDir, 'provider.json'), 'utf8')) as ProviderBuild;
}

/**
 * Writes the provider mirror into `stackDir` (Terraform's working directory)
 * and pins it in `stackDir/.terraform.lock.hcl`, keeping other providers' entries.
 * Other versions of this provider in the mirror are removed.
 */
export function vendorProvider(stackDir: string, options: VendorOptions = {}): VendoredProvider {
  const bundleDir = options.bundleDir ?? defaultBundleDir();
  const build = providerBuild(bundleDir);
  const source = `${build.hostname}/${build.namespace}/${build.type}`;
  const typeDir = join(stackDir, 'terraform.d', 'plugins', build.hostname, build.namespace, build.type);
  if (existsSync(typeDir)) {
    for (const v of readdirSync(typeDir))
      if (v !== build.version) rmSync(join(typeDir, v), { recursive: true, force: true });
  }
  const hashes = new Set<string>();
  const here = currentPlatform();
  for (const platform of options.platforms ?? PROVIDER_PLATFORMS) {
    const dir = join(typeDir, build.version, platform);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const launcher = join(dir, `terraform-provider-${build.type}_v${build.version}`);
    writeFileSync(launcher, launcherScript(build));
    chmodSync(launcher, 0o755);
    for (const f of ['launch.cjs', 'provider.cjs']) copyFileSync(join(bundleDir, f), join(dir, f));
    if (platform === here && options.codeCache !== false) writeCodeCache(dir);
    hashes.add(h1Hash(dir));
  }
  if (hashes.size === 0) throw new Error('vendorProvider: no platform given');
  const lockFile = join(stackDir, '.terraform.lock.hcl');
  const existing = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : undefined;
  writeFileSync(lockFile, mergeLockFile(existing, source, build.version, [...hashes]));
  return { ...build, source, h1: [...hashes] };
}

/** Terraform's name of the platform this process runs on. */
function currentPlatform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return `${process.platform}_${arch}`;
}

/** Runs the provider once in its warm-up mode with the node the launcher will use; no cache if that fails. */
function writeCodeCache(dir: string): void {
  const out = join(dir, 'provider.v8cache');
  const r = spawnSync(process.env.APIGW_NODE || 'node', [join(dir, 'launch.cjs')], {
    env: { ...process.env, APIGW_PROVIDER_WARM_UP: '1', APIGW_PROVIDER_CODE_CACHE_OUT: out },
    stdio: 'ignore',
    timeout: 30_000,
  });
  if (r.status !== 0) rmSync(out, { force: true });
}

function launcherScript(build: ProviderBuild): string {
  return [
    '#!/bin/sh',
    `# The cdktf-apigw Terraform provider ${build.version}: runs the bundled provider with node.`,
    '# exec, so that when Terraform stops the plugin no process is left holding its output.',
    'exec "${APIGW_NODE:-node}" "$(dirname "$0")/launch.cjs" "$@"',
    '',
  ].join('\n');
}

const LOCK_HEADER = [
  '# This file is maintained automatically by "terraform init".',
  '# Manual edits may be lost in future updates.',
  '',
].join('\n');

/** The lock file with our provider's entry written or replaced; other entries kept as they are. */
export function mergeLockFile(
  existing: string | undefined,
  source: string,
  version: string,
  hashes: readonly string[],
): string {
  const entry = [
    `provider "${source}" {`,
    `  version     = "${version}"`,
    `  constraints = "${version}"`,
    '  hashes = [',
    ...[...hashes].sort().map((h) => `    "${h}",`),
    '  ]',
    '}',
    '',
  ].join('\n');
  if (!existing || existing.trim() === '') return `${LOCK_HEADER}\n${entry}`;
  const start = existing.indexOf(`provider "${source}" {`);
  if (start < 0) return `${existing.replace(/\n*$/, '\n')}\n${entry}`;
  // The entry ends at the first line that is just "}" after it (lock entries have no nested braces).
  const end = existing.indexOf('\n}', start);
  const after = end < 0 ? '' : existing.slice(end + 2).replace(/^\n/, '');
  return `${existing.slice(0, start)}${entry}${after}`;
}
