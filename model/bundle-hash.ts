/**
 * The content hash of a function code folder: what synth writes into the
 * config (`source.sha256`), what the admin API stores code under, and what
 * the gateway checks at load. Names and contents count; file modes do not.
 *
 *   sha256( for each file, sorted by path: `<sha256 hex of the file>  <path>\n` )
 *
 * Paths are relative, `/`-separated, without `.` or `..` segments.
 */
import { createHash } from 'node:crypto';

export interface BundleFile {
  /** Relative path, `/`-separated. */
  readonly path: string;
  readonly data: Buffer;
}

/** Hex sha256 of a bundle's files (see the module comment). */
export function bundleHash(files: readonly BundleFile[]): string {
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${createHash('sha256').update(f.data).digest('hex')}  ${f.path}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** A bundle path is relative, `/`-separated, and never leaves its folder. */
export function checkBundlePath(path: string): string | undefined {
  if (path.length === 0 || path.length > 1024) return 'path must be 1 to 1024 characters';
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0')) return 'path must be relative and use "/"';
  if (path.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return 'path must not contain empty, "." or ".." segments';
  return undefined;
}
