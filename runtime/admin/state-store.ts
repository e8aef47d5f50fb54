/**
 * The state directory (`--state-dir`, APIGW_STATE_DIR): what a restart needs
 * to serve the last applied config again.
 *
 *   config.json    generation, source, the applied config, the sha256 of secrets.json
 *   secrets.json   the applied secrets by name (mode 0600)
 *   bundles/<sha256>/...   function code (bundle-store.ts)
 *
 * Both JSON files are replaced atomically, secrets first; config.json names
 * the secrets file's hash, so a crash between the two renames is detected at
 * start (and refused) instead of pairing a config with another's secrets.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppliedConfig } from '../../model';
import { writeFileAtomic } from './atomic-file';
import { applyEnvelopeIssues } from './shapes';

const FORMAT = 1;

export interface SavedState {
  readonly generation: number;
  /** The applied config and its secrets; absent when the start config serves (after DELETE /v1/config). */
  readonly applied?: { readonly config: AppliedConfig; readonly secrets: Readonly<Record<string, string>> };
}

interface ConfigFile {
  readonly format: number;
  readonly generation: number;
  readonly source: 'applied' | 'started';
  readonly etag: string;
  readonly savedAt: string;
  readonly secretsSha256: string;
  readonly config?: AppliedConfig;
}

export class StateStore {
  readonly bundlesDir: string;
  private readonly configFile: string;
  private readonly secretsFile: string;

  private constructor(readonly dir: string) {
    this.bundlesDir = join(dir, 'bundles');
    this.configFile = join(dir, 'config.json');
    this.secretsFile = join(dir, 'secrets.json');
  }

  /** Creates the directory when needed (mode 0700) and checks it is writable; throws otherwise. */
  static open(dir: string): StateStore {
    const store = new StateStore(dir);
    try {
      mkdirSync(store.bundlesDir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
    } catch (err) {
      throw new Error(`state directory ${dir} cannot be used: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    // Temp files of a write a crash interrupted.
    for (const name of readdirSync(dir)) if (name.includes('.tmp-')) rmSync(join(dir, name), { force: true });
    return store;
  }

  /** What the last apply saved; undefined in a new directory. Throws, with the reason, when it cannot be used. */
  load(): SavedState | undefined {
    let text: string;
    try {
      text = readFileSync(this.configFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`config.json cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    let file: ConfigFile;
    try {
      file = JSON.parse(text) as ConfigFile;
    } catch (err) {
      throw new Error(`config.json is not JSON: ${(err as Error).message}`);
    }
    if (file === null || typeof file !== 'object' || file.format !== FORMAT)
      throw new Error(`config.json is not a state file of format ${FORMAT}`);
    if (!Number.isInteger(file.generation) || file.generation < 1)
      throw new Error('config.json has no valid generation');
    if (file.source === 'started') return { generation: file.generation };
    if (file.source !== 'applied') throw new Error('config.json has no valid source');

    let secretsText: string;
    try {
      secretsText = readFileSync(this.secretsFile, 'utf8');
    } catch (err) {
      throw new Error(`secrets.json cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (sha256(secretsText) !== file.secretsSha256)
      throw new Error('secrets.json does not belong to config.json (a write was interrupted, or a file was edited)');
    let secrets: unknown;
    try {
      secrets = JSON.parse(secretsText);
    } catch (err) {
      throw new Error(`secrets.json is not JSON: ${(err as Error).message}`);
    }
    const issues = applyEnvelopeIssues({ config: file.config, secrets });
    if (issues.length > 0)
      throw new Error(
        `config.json or secrets.json is malformed: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`,
      );
    return {
      generation: file.generation,
      applied: { config: file.config as AppliedConfig, secrets: secrets as Record<string, string> },
    };
  }

  /**
   * Replaces the saved state (see the module comment for the order). When
   * config.json cannot be written, secrets.json is put back, so the state on
   * disk stays the previous one, whole.
   */
  async save(state: SavedState, etag: string): Promise<void> {
    const secretsText = `${JSON.stringify(state.applied?.secrets ?? {})}\n`;
    const before = await readFile(this.secretsFile, 'utf8').catch(() => undefined);
    if (before !== secretsText) await writeFileAtomic(this.secretsFile, secretsText, 0o600);
    const file: ConfigFile = {
      format: FORMAT,
      generation: state.generation,
      source: state.applied ? 'applied' : 'started',
      etag,
      savedAt: new Date().toISOString(),
      secretsSha256: sha256(secretsText),
      ...(state.applied ? { config: state.applied.config } : {}),
    };
    try {
      await writeFileAtomic(this.configFile, `${JSON.stringify(file, null, 2)}\n`, 0o600);
    } catch (err) {
      if (before !== undefined && before !== secretsText)
        await writeFileAtomic(this.secretsFile, before, 0o600).catch(() => undefined);
      throw err;
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
