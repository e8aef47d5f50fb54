/**
 * Runs the user's cdktf app the way `cdktf synth` does — the `app` command of
 * their `cdktf.json`, in their project folder, through a shell, with the
 * `context` of `cdktf.json` — but into a private output folder, so their
 * `cdktf.out` is never touched. Then reads what synth wrote for every
 * service (`stacks/<stack>/apigw/<service>.json`, see lib/stack-files.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GatewayConfig } from '../model';
import { loadGateways } from '../review/load';

/** What `apigw dev` needs of `cdktf.json`. */
export interface CdktfProject {
  readonly dir: string;
  /** The `app` command. */
  readonly app: string;
  /** The `context` values, passed to the app as cdktf does (CDKTF_CONTEXT_JSON). */
  readonly context: Record<string, unknown>;
}

/** Reads `cdktf.json` in `dir`; throws a readable error when it is missing or has no `app`. */
export function readCdktfProject(dir: string): CdktfProject {
  const file = join(dir, 'cdktf.json');
  let doc: { app?: unknown; context?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT' ? `${file} not found: run apigw dev in a cdktf project` : `${file}: ${(err as Error).message}`,
    );
  }
  if (typeof doc.app !== 'string' || doc.app.trim() === '') throw new Error(`${file} has no "app" command`);
  const context = doc.context && typeof doc.context === 'object' ? (doc.context as Record<string, unknown>) : {};
  return { dir, app: doc.app, context };
}

/** One synthesized service. */
export interface SynthesizedService {
  readonly name: string;
  /** Its whole config, as synth validated and wrote it. */
  readonly config: GatewayConfig;
  /** The folder of its config file (`stacks/<stack>/apigw`); bundled `dir`s are relative to it. */
  readonly dir: string;
  /** The stack's working directory (`stacks/<stack>`). */
  readonly stackDir: string;
}

export type SynthResult =
  | { readonly ok: true; readonly services: ReadonlyMap<string, SynthesizedService>; readonly ms: number }
  | {
      readonly ok: false;
      /** The validation errors, each `[construct path] message` as cdktf prints them; else the app's last lines. */
      readonly errors: readonly string[];
      readonly ms: number;
    };

/** Runs synth; one at a time. `stop()` ends a synth in progress (its whole process group). */
export class Synthesizer {
  private child: ChildProcess | undefined;

  constructor(
    private readonly project: CdktfProject,
    private readonly outdir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async run(): Promise<SynthResult> {
    const started = Date.now();
    // A stack or service removed from the app must not linger from the previous synth. Only what cdktf
    // writes is removed: the folder itself may have been given with --outdir.
    rmSync(join(this.outdir, 'stacks'), { recursive: true, force: true });
    rmSync(join(this.outdir, 'manifest.json'), { force: true });
    mkdirSync(this.outdir, { recursive: true });
    const { code, output } = await this.spawnApp();
    const ms = Date.now() - started;
    if (code !== 0) return { ok: false, errors: synthErrors(output, code), ms };
    try {
      const stacks = join(this.outdir, 'stacks');
      if (!existsSync(stacks) || readdirSync(stacks).length === 0)
        return { ok: false, errors: [`the app wrote no stacks into ${this.outdir} (does it call app.synth()?)`], ms };
      const services = new Map<string, SynthesizedService>();
      for (const [name, g] of loadGateways(stacks))
        services.set(name, { name, config: g.config, dir: g.dir, stackDir: dirname(g.dir) });
      return { ok: true, services, ms };
    } catch (err) {
      const message = (err as Error).message;
      // A synth with no service at all is a valid app, just nothing to serve.
      if (/holds no stacks\/<stack>\/apigw/.test(message)) return { ok: true, services: new Map(), ms };
      return { ok: false, errors: [message], ms };
    }
  }

  /** Ends a synth in progress. */
  stop(): void {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        // The app runs in its own process group (a shell, npx, ts-node ...): end all of it.
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  private spawnApp(): Promise<{ code: number; output: string }> {
    return new Promise((resolve) => {
      const child = spawn(this.project.app, {
        cwd: this.project.dir,
        shell: true,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...this.env,
          CDKTF_OUTDIR: this.outdir,
          CDKTF_CONTEXT_JSON: JSON.stringify(this.project.context),
          // Synth output must not depend on the terminal.
          FORCE_COLOR: '0',
        },
      });
      this.child = child;
      let output = '';
      const keep = (c: Buffer): void => {
        output += c.toString('utf8');
        // Only the end matters (the errors); never hold an unbounded log.
        if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.on('error', (err) => {
        this.child = undefined;
        resolve({ code: -1, output: `${output}\ncannot run "${this.project.app}": ${err.message}` });
      });
      child.on('close', (code, signal) => {
        this.child = undefined;
        resolve({ code: code ?? (signal ? 128 : -1), output });
      });
    });
  }
}

/** `[construct path] message` lines of cdktf's validation failure, else the last lines of the output. */
export function synthErrors(output: string, code: number): string[] {
  const lines = output.split(/\r?\n/);
  const validation = lines.map((l) => l.trim()).filter((l) => /^\[[^\]\s][^\]]*\] \S/.test(l));
  if (validation.length > 0) return [...new Set(validation)];
  const tail = lines.filter((l) => l.trim() !== '').slice(-15);
  return [`the app exited with code ${code}${tail.length > 0 ? ':' : ''}`, ...tail.map((l) => `  ${l}`)];
}
