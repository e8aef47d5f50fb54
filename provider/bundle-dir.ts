/**
 * Function code folders as bundles: the files under a folder, read the way
 * the hash is defined (`model/bundle-hash.ts`): relative `/`-separated paths,
 * regular files (symbolic links to files count as the file they point to).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleHash, checkBundlePath, type BundleFile, type BundleUpload } from '../model';

export interface Bundle {
  readonly sha256: string;
  readonly files: readonly (BundleFile & { readonly executable: boolean })[];
}

/** Reads a code folder. Throws with a readable message when it cannot. */
export function readBundleDir(dir: string): Bundle {
  const files: (BundleFile & { executable: boolean })[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(abs, entry.name);
      const stat = statSync(full);
      if (stat.isDirectory()) {
        if (entry.isSymbolicLink()) throw new Error(`${full} is a symbolic link to a folder; bundles take files only`);
        walk(full, path);
      } else if (stat.isFile()) {
        const problem = checkBundlePath(path);
        if (problem) throw new Error(`${full}: ${problem}`);
        files.push({ path, data: readFileSync(full), executable: (stat.mode & 0o111) !== 0 });
      }
    }
  };
  const top = statSync(dir, { throwIfNoEntry: false });
  if (!top?.isDirectory()) throw new Error(`${dir} is not a folder`);
  walk(dir, '');
  return { sha256: bundleHash(files), files };
}

/** The admin API's upload body for a bundle. */
export function bundleUpload(bundle: Bundle): BundleUpload {
  return {
    files: bundle.files.map((f) => ({
      path: f.path,
      content: f.data.toString('base64'),
      ...(f.executable ? { executable: true } : {}),
    })),
  };
}
