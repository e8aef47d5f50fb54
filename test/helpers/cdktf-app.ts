/**
 * A cdktf app in a temp folder that uses this package as a user's app would
 * (`require('cdktf-apigw')`, resolved to this checkout's built `dist/`), run
 * with the real cdktf CLI (`node_modules/.bin/cdktf`) and the real terraform,
 * offline. Tests that need it skip with the reason when terraform is missing
 * (see `describeWithTerraform`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { terraformEnv, type TfResult } from './terraform';
import { tempDir } from './temp';

const ROOT = join(__dirname, '..', '..');
const CDKTF = join(ROOT, 'node_modules', '.bin', 'cdktf');

export interface CdktfApp {
  /** The app's folder (cdktf.json, main.js, the state file `terraform.<stack>.tfstate`). */
  readonly dir: string;
  /** The stack's working directory, Terraform's cwd: `cdktf.out/stacks/<stack>`. */
  readonly stackDir: string;
  /** Runs `cdktf <args>` in the app with the given extra environment. */
  cdktf(args: string[], env?: NodeJS.ProcessEnv): Promise<TfResult>;
  /** The environment cdktf and terraform run with (no user CLI config, no checkpoint calls, no colour). */
  readonly env: NodeJS.ProcessEnv;
}

/** Writes the app: `main.js` and the given extra files, cdktf.json, and node_modules links to this checkout. */
export function createCdktfApp(stack: string, mainJs: string, files: Record<string, string> = {}): CdktfApp {
  const dir = tempDir('apigw-cdktf-app-');
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  symlinkSync(ROOT, join(modules, 'cdktf-apigw'));
  // The same cdktf and constructs the package resolves, so constructs from both are one class each.
  for (const m of ['cdktf', 'constructs']) symlinkSync(join(ROOT, 'node_modules', m), join(modules, m));
  writeFileSync(
    join(dir, 'cdktf.json'),
    JSON.stringify({
      language: 'typescript',
      app: 'node main.js',
      projectId: 'cdktf-apigw-e2e',
      sendCrashReports: 'false',
      terraformProviders: [],
      terraformModules: [],
      context: {},
    }),
  );
  writeFileSync(join(dir, 'main.js'), mainJs);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const env = terraformEnv({ CI: 'true', FORCE_COLOR: '0' });
  return {
    dir,
    stackDir: join(dir, 'cdktf.out', 'stacks', stack),
    env,
    cdktf: (args, extra = {}) => run(CDKTF, args, dir, { ...env, ...extra }),
  };
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TfResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Like `app.cdktf`, but throws with the output when cdktf fails. */
export async function cdktfOk(app: CdktfApp, args: string[], env?: NodeJS.ProcessEnv): Promise<TfResult> {
  const r = await app.cdktf(args, env);
  if (r.code !== 0) throw new Error(`cdktf ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * The plan's changes: the lines from "Terraform will perform the following
 * actions:" to "Plan: ...", without cdktf's stack-name prefix and indentation.
 */
export function planChanges(output: string): string {
  const start = output.indexOf('Terraform will perform the following actions:');
  if (start < 0) return '';
  const end = output.indexOf('Plan:', start);
  const block = output.slice(start, end + output.slice(end).indexOf('\n'));
  const lines = block.split('\n');
  // cdktf indents every line of a stack's output by the width of its "<stack>  " prefix.
  const indent = Math.min(
    ...lines
      .slice(1)
      .filter((l) => l.trim())
      .map((l) => l.length - l.trimStart().length),
  );
  return [lines[0]!.trim(), ...lines.slice(1).map((l) => l.slice(indent).trimEnd())].join('\n').trim();
}

/** The changed lines of a plan block, trimmed: `~ timeout_ms = 5000 -> 6000` and the path to them. */
export function changedLines(block: string): string[] {
  return block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^[~+-] /.test(l) || l.startsWith('-/+ '));
}
