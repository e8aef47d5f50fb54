/**
 * The real `terraform` CLI for provider tests. Without it the tests skip with
 * a visible reason; on CI (`CI=true`) a missing terraform fails instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp';

export function terraformAvailable(): { ok: true; version: string } | { ok: false; reason: string } {
  const r = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { ok: false, reason: `terraform CLI not usable: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `terraform version failed: ${r.stderr.trim().split('\n')[0]}` };
  return { ok: true, version: (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version };
}

/** `describe` that runs when terraform is on PATH, skips with the reason otherwise, and fails on CI. */
export function describeWithTerraform(name: string, fn: () => void): void {
  const state = terraformAvailable();
  if (state.ok) {
    describe(name, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs terraform', () => {
        throw new Error(`CI=true but ${state.reason}; the provider tests need terraform 1.11 on PATH`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${state.reason}`);
  describe.skip(`${name} (skipped: ${state.reason})`, fn);
}

export interface TfResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Environment for terraform in tests: no user CLI config (an explicit
 * provider_installation block would turn the implied ./terraform.d mirror
 * off), no checkpoint calls, no colour, and the given extras.
 */
export function terraformEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const cliConfig = join(tempDir('apigw-tfrc-'), 'terraformrc');
  writeFileSync(cliConfig, '');
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TF_PLUGIN_CACHE_DIR;
  delete env.TF_LOG;
  return {
    ...env,
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Runs terraform in `cwd` and resolves with its output (never rejects on a non-zero exit). */
export function terraform(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<TfResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Like `terraform`, but throws with the output when the exit code is not 0. */
export async function terraformOk(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<TfResult> {
  const r = await terraform(cwd, args, env);
  if (r.code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}
