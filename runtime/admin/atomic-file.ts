/** Crash-safe file writes for the state directory: a reader sees the old file or the new one, never half of one. */
import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes a temp file next to `file`, flushes it to disk, renames it over `file` and flushes the folder. */
export async function writeFileAtomic(file: string, data: string | Buffer, mode: number): Promise<void> {
  const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // The umask may have taken bits away; `mode` is what the file must have (0600 for secrets).
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDir(dirname(file));
}

/** Flushes a folder's entries (a rename) to disk; a file system that cannot is left as it is. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename stands either way.
  } finally {
    await handle.close();
  }
}
