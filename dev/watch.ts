/**
 * Watches a project's sources for `apigw dev` (chokidar): every file under
 * the project folder except `node_modules`, `.git`, `cdktf.out`, `.terraform`
 * and the dev output folder. Saves are debounced: an editor's write, rename
 * and chmod of one save, or a `git checkout` of many files, are one change.
 */
import { relative, resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/** Folders never watched, wherever they are in the project. */
export const IGNORED_FOLDERS: readonly string[] = ['node_modules', '.git', 'cdktf.out', '.terraform'];

/** Quiet time after the last file event before a change is reported. */
export const DEBOUNCE_MS = 200;

export interface SourceWatcher {
  /** Resolves once the initial scan is done (changes from then on are reported). */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Calls `onChange` with the changed paths (relative to `dir`) after each burst of changes. */
export function watchSources(
  dir: string,
  outdir: string,
  onChange: (paths: readonly string[]) => void,
  debounceMs = DEBOUNCE_MS,
): SourceWatcher {
  const root = resolve(dir);
  const out = resolve(outdir);
  const ignored = (path: string): boolean => {
    const abs = resolve(path);
    if (abs === out || abs.startsWith(out + sep)) return true;
    const rel = relative(root, abs);
    return rel.split(sep).some((segment) => IGNORED_FOLDERS.includes(segment));
  };
  const watcher: FSWatcher = watch(root, { ignored, ignoreInitial: true });
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  watcher.on('all', (_event, path) => {
    pending.add(relative(root, path) || '.');
    clearTimeout(timer);
    timer = setTimeout(() => {
      const paths = [...pending];
      pending = new Set();
      onChange(paths);
    }, debounceMs);
  });
  // A folder that cannot be watched (permissions, too many watches) must not end the dev loop.
  watcher.on('error', (err) => process.stderr.write(`apigw dev: watching ${root}: ${(err as Error).message}\n`));
  const ready = new Promise<void>((done) => watcher.once('ready', () => done()));
  return {
    ready,
    async close() {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
