/**
 * What a service writes into its stack's working directory at synth
 * (`cdktf.out/stacks/<stack>/`, Terraform's cwd under cdktf):
 *
 *   apigw/<service>.json                       the service's whole config, for review
 *                                              (`apigw diff`, `apigw openapi`), every target
 *   apigw/<service>/functions/<ns>/<name>/<v>/  function code of a live target: the folders
 *                                              the `apigw_service` resource names, read by the
 *                                              provider at plan and uploaded at apply
 *
 * The paths are stable (no content hash in them), so a code change plans as
 * a changed `sha256` only. `apigw/` is rewritten whole at each synth, so
 * nothing of a removed service or function is left behind.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TerraformStack } from 'cdktf';
import type { ISynthesisSession } from 'cdktf/lib/synthesize/types';
import { bundleHash, type BundleFile } from '../model';
import { readBundleDir } from '../provider';

/** The folder, relative to the stack's working directory. */
export const STACK_FILES_DIR = 'apigw';

/** Function code as the provider hashes and uploads it. */
export interface CodeBundle {
  readonly sha256: string;
  readonly files: readonly (BundleFile & { readonly executable: boolean })[];
}

/** Reads a function's code folder the way the provider will read its staged copy (`.git` left out). */
export function readCodeBundle(dir: string): CodeBundle {
  const files = readBundleDir(dir).files.filter((f) => !f.path.split('/').includes('.git'));
  return { sha256: bundleHash(files), files };
}

/** Where a live service's function code is staged: `apigw/<service>/functions/<ns>/<name>/<version>`. */
export function stagedCodeDir(serviceName: string, targetDir: string): string {
  return `${STACK_FILES_DIR}/${serviceName}/${targetDir}`;
}

export interface ServiceFiles {
  readonly serviceName: string;
  /** The review config (canonical JSON). */
  readonly reviewJson: string;
  /** Function code to stage, by folder relative to the stack's working directory. */
  readonly code: ReadonlyMap<string, CodeBundle>;
}

const cleared = new WeakMap<ISynthesisSession, Set<TerraformStack>>();

/** Writes a service's files into `stackDir`; the first service of a stack in a session clears `apigw/`. */
export function writeServiceFiles(
  session: ISynthesisSession,
  stack: TerraformStack,
  stackDir: string,
  files: ServiceFiles,
): void {
  let stacks = cleared.get(session);
  if (!stacks) cleared.set(session, (stacks = new Set()));
  const root = join(stackDir, STACK_FILES_DIR);
  if (!stacks.has(stack)) {
    stacks.add(stack);
    rmSync(root, { recursive: true, force: true });
  }
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, `${files.serviceName}.json`), files.reviewJson);
  for (const [dir, bundle] of files.code) {
    mkdirSync(join(stackDir, dir), { recursive: true });
    for (const f of bundle.files) {
      const target = join(stackDir, dir, f.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, f.data);
      chmodSync(target, f.executable ? 0o755 : 0o644);
    }
  }
}
