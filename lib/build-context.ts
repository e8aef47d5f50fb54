/**
 * The gateway's build context: everything the image is built from, and what
 * `apigw serve` runs locally. Layout:
 *
 *   Dockerfile
 *   gateway/gateway.js, gateway/worker.js   the bundled runtime (and gateway-worker.js, a worker thread's script)
 *   config/gateway.json                     the validated config (stable key order)
 *   functions/<ns>/<name>/<version>/        bundled function code
 *
 * The folder's name is a hash of its content, so the image tag and the
 * Terraform asset change exactly when the config, function code or runtime do.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { canonicalJson, type GatewayConfig } from '../model';
import type { FunctionBundle } from './backends/backend';
import { dockerfilePath, runtimeBundleDir } from './package-files';

/** A staged build context: the folder the gateway image is built from (and `npm start` serves). */
export interface BuildContext {
  /** Absolute path of the staged folder. */
  readonly dir: string;
  /** sha256 of every file of the context (names and contents). */
  readonly hash: string;
  /** The config document as written (pretty, stable key order). */
  readonly configJson: string;
}

const DOCKERIGNORE = '**/node_modules/.cache\n**/.git\n';

const SHARED_ROOT = join(tmpdir(), 'cdktf-apigw-contexts');

/** Files of the context as (relative path → absolute source | content). */
function plan(
  config: GatewayConfig,
  bundles: readonly FunctionBundle[],
): Map<string, { from: string } | { text: string }> {
  const files = new Map<string, { from: string } | { text: string }>();
  files.set('Dockerfile', { from: dockerfilePath() });
  files.set('.dockerignore', { text: DOCKERIGNORE });
  const bundle = runtimeBundleDir();
  for (const f of walk(bundle)) files.set(`gateway/${f}`, { from: join(bundle, f) });
  files.set('config/gateway.json', { text: canonicalJson(config) });
  // The Dockerfile copies functions/ unconditionally.
  files.set('functions/.keep', { text: '' });
  for (const b of bundles) {
    if (!existsSync(b.sourceDir) || !statSync(b.sourceDir).isDirectory()) {
      throw new Error(`function code folder ${b.sourceDir} does not exist`);
    }
    for (const f of walk(b.sourceDir)) {
      if (f.split('/').includes('.git')) continue;
      files.set(`${b.targetDir}/${f}`, { from: join(b.sourceDir, f) });
    }
  }
  return files;
}

/**
 * Stages the context under `root` and returns it; reuses an identical one. Other contexts under `root`
 * (earlier synths of the same service) are removed, so a root holds only the latest. Without `root`, a
 * shared folder in the OS temp folder is used and nothing is removed.
 */
export function stageBuildContext(
  config: GatewayConfig,
  bundles: readonly FunctionBundle[],
  root = SHARED_ROOT,
): BuildContext {
  const files = plan(config, bundles);
  const hash = createHash('sha256');
  const contents = new Map<string, Buffer>();
  for (const name of [...files.keys()].sort()) {
    const f = files.get(name) as { from: string } | { text: string };
    const data = 'text' in f ? Buffer.from(f.text) : readFileSync(f.from);
    contents.set(name, data);
    hash.update(name).update('\0').update(data).update('\0');
  }
  const digest = hash.digest('hex');
  const dir = join(root, digest.slice(0, 32));
  if (!existsSync(dir)) {
    // Write to a sibling and rename, so a half-written context is never reused.
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    for (const [name, data] of contents) {
      mkdirSync(join(tmp, name, '..'), { recursive: true });
      writeFileSync(join(tmp, name), data);
    }
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another synth won the race with identical content
    }
  }
  if (root !== SHARED_ROOT) {
    for (const entry of readdirSync(root)) {
      if (entry !== basename(dir) && !entry.includes('.tmp-'))
        rmSync(join(root, entry), { recursive: true, force: true });
    }
  }
  return { dir, hash: digest, configJson: (contents.get('config/gateway.json') as Buffer).toString() };
}

/** Copies a staged context to `target` (for `apigw serve` and tests). */
export function copyBuildContext(context: BuildContext, target: string): void {
  cpSync(context.dir, target, { recursive: true });
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full, base));
    else if (entry.isFile()) out.push(relative(base, full).split('\\').join('/'));
  }
  return out.sort();
}
