/**
 * Function code uploaded through the admin API, one folder per bundle named
 * by its content hash (`bundleHash`): `<root>/<sha256>/...`. An upload is
 * written into a temp folder, its files' hash and paths checked, then renamed
 * into place, so a bundle folder is always complete and always matches its name.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import {
  ADMIN_MAX_BUNDLE_FILES,
  bundleHash,
  checkBundlePath,
  type BundleFile,
  type BundleUpload,
  type ConfigIssue,
} from '../../model';
import { syncDir } from './atomic-file';
import { adminFailure } from './failure';
import { SerialQueue } from './serial-queue';

const SHA256 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const TEMP_PREFIX = '.tmp-';

export class BundleStore {
  /** Uploads, keep-alives and removals one at a time: a bundle answered 200 is never removed under its client. */
  private readonly queue = new SerialQueue();

  private constructor(
    readonly root: string,
    private readonly temporary: boolean,
  ) {}

  /** The store in a state directory; temp folders of interrupted uploads are removed. */
  static at(root: string): BundleStore {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(root))
      if (name.startsWith(TEMP_PREFIX)) rmSync(join(root, name), { recursive: true, force: true });
    return new BundleStore(root, false);
  }

  /** A store for a gateway without a state directory; removed by `close`. */
  static temporary(): BundleStore {
    return new BundleStore(mkdtempSync(join(tmpdir(), 'apigw-bundles-')), true);
  }

  /** Folder of a bundle (whether stored or not). */
  dir(sha256: string): string {
    return join(this.root, sha256);
  }

  has(sha256: string): boolean {
    return SHA256.test(sha256) && existsSync(this.dir(sha256));
  }

  /** The sha256 of every stored bundle, sorted. */
  list(): string[] {
    return readdirSync(this.root)
      .filter((n) => SHA256.test(n))
      .sort();
  }

  /**
   * HEAD: whether the bundle is stored; when it is, it counts as just used,
   * so removal of unused bundles keeps it a while (ADMIN_BUNDLE_KEEP_MS).
   */
  keep(sha256: string): Promise<boolean> {
    return this.queue.run(async () => {
      if (!this.has(sha256)) return false;
      await this.touch(sha256);
      return true;
    });
  }

  private async touch(sha256: string): Promise<void> {
    const now = new Date();
    await utimes(this.dir(sha256), now, now).catch(() => undefined);
  }

  /** Hashes a stored bundle again; returns what is wrong with it, or undefined when it matches its name. */
  verify(sha256: string): string | undefined {
    const files: BundleFile[] = [];
    const walk = (rel: string): string | undefined => {
      for (const entry of readdirSync(join(this.dir(sha256), rel), { withFileTypes: true })) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          const problem = walk(path);
          if (problem) return problem;
        } else if (entry.isFile()) files.push({ path, data: readFileSync(join(this.dir(sha256), path)) });
        else return `bundle ${sha256} holds ${path}, which is not a file or folder`;
      }
      return undefined;
    };
    try {
      const problem = walk('');
      if (problem) return problem;
    } catch (err) {
      return `bundle ${sha256} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`;
    }
    const actual = bundleHash(files);
    return actual === sha256 ? undefined : `bundle ${sha256} was changed on disk: its files hash to ${actual}`;
  }

  /**
   * Stores an upload under `sha256`. Throws BundleInvalid when a path is
   * unsafe or repeated, a content is not base64, or the files do not hash to
   * `sha256`; nothing is stored then. Storing a bundle already held is a no-op.
   */
  async put(sha256: string, upload: BundleUpload): Promise<void> {
    const files = decode(upload);
    const actual = bundleHash(files);
    if (actual !== sha256)
      throw adminFailure('BundleInvalid', `the files hash to ${actual}, not to the bundle's name ${sha256}`);
    await this.queue.run(() => this.write(sha256, upload, files));
  }

  private async write(sha256: string, upload: BundleUpload, files: readonly BundleFile[]): Promise<void> {
    if (this.has(sha256)) return this.touch(sha256);

    const temp = join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(temp, { mode: 0o755 });
      for (const [i, file] of files.entries()) {
        const target = join(temp, ...file.path.split('/'));
        // checkBundlePath already refused `..`; this keeps a future change to it from writing elsewhere.
        if (!target.startsWith(temp + sep)) throw new Error(`file ${i} leaves the bundle`);
        await mkdir(dirname(target), { recursive: true, mode: 0o755 });
        const handle = await open(target, 'wx', upload.files[i]?.executable ? 0o755 : 0o644);
        try {
          await handle.writeFile(file.data);
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      await rename(temp, this.dir(sha256));
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
    await syncDir(this.root);
  }

  /** Removes bundles not in `keep` and not used within `keepMs`; returns their names. */
  removeUnused(keep: ReadonlySet<string>, keepMs: number): Promise<string[]> {
    return this.queue.run(() => this.remove(keep, keepMs));
  }

  private async remove(keep: ReadonlySet<string>, keepMs: number): Promise<string[]> {
    const removed: string[] = [];
    const now = Date.now();
    for (const name of await readdir(this.root)) {
      if (keep.has(name) || !(SHA256.test(name) || name.startsWith(TEMP_PREFIX))) continue;
      const info = await stat(join(this.root, name)).catch(() => undefined);
      if (!info || now - info.mtimeMs < keepMs) continue;
      await rm(join(this.root, name), { recursive: true, force: true });
      if (SHA256.test(name)) removed.push(name);
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.temporary) await rm(this.root, { recursive: true, force: true });
  }
}

/** The upload's files, decoded; throws BundleInvalid naming every bad file. */
function decode(upload: BundleUpload): BundleFile[] {
  if (upload.files.length === 0) throw adminFailure('BundleInvalid', 'a bundle needs at least one file');
  if (upload.files.length > ADMIN_MAX_BUNDLE_FILES)
    throw adminFailure('BundleInvalid', `a bundle holds at most ${ADMIN_MAX_BUNDLE_FILES} files`);
  const issues: ConfigIssue[] = [];
  const paths = new Set(upload.files.map((f) => f.path));
  const seen = new Set<string>();
  const files = upload.files.map((f, i) => {
    const problem = checkBundlePath(f.path);
    if (problem) issues.push({ field: `/files/${i}/path`, message: problem });
    else if (seen.has(f.path)) issues.push({ field: `/files/${i}/path`, message: `${f.path} is given twice` });
    else {
      const segments = f.path.split('/');
      for (let n = 1; n < segments.length; n++) {
        const folder = segments.slice(0, n).join('/');
        if (paths.has(folder)) {
          issues.push({ field: `/files/${i}/path`, message: `${folder} is both a file and a folder` });
          break;
        }
      }
    }
    seen.add(f.path);
    if (f.content.length % 4 !== 0 || !BASE64.test(f.content))
      issues.push({ field: `/files/${i}/content`, message: 'is not base64' });
    return { path: f.path, data: Buffer.from(f.content, 'base64') };
  });
  if (issues.length > 0) throw adminFailure('BundleInvalid', 'the bundle has unsafe or malformed files', { issues });
  return files;
}
