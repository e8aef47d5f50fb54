/**
 * Real commands started by tests (`apigw`, `npm start`, `npx apigw`): their
 * output, their exit, and the ports they hold. Every process started here,
 * and every PID a test hands to `adopt`, is stopped by its PID after the test
 * file, so a failing test cannot leave a gateway serving.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
export const apigwBin = join(repoRoot, 'dist', 'cli', 'apigw.js');

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly output: { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stderr or stdout matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

const running = new Set<number>();

export function start(command: string, args: readonly string[], options: SpawnOptions = {}): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const pid = child.pid as number;
  running.add(pid);
  const output = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((w) => w());
  child.stdout?.on('data', (d: Buffer) => ((output.stdout += d.toString()), wake()));
  child.stderr?.on('data', (d: Buffer) => ((output.stderr += d.toString()), wake()));
  const exited = (async () => {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    running.delete(pid);
    wake();
    return { code, signal };
  })();
  const waitFor = (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(output.stderr) ?? pattern.exec(output.stdout);
        if (m) done(() => resolve(m));
        else if (child.exitCode !== null || child.signalCode !== null)
          done(() => reject(new Error(`exited before ${pattern}:\n${output.stderr}${output.stdout}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${output.stderr}${output.stdout}`))),
        timeoutMs,
      );
      const done = (f: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  return { child, pid, output, exited, waitFor };
}

/** Stops `pid` with the others after the test file (a gateway a test found by its PID). */
export function adopt(pid: number): void {
  running.add(pid);
}

/** Runs a command to its end. */
export async function run(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(command, args, options);
  const { code } = await p.exited;
  return { code, ...p.output };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Waits until 127.0.0.1:port refuses connections; false if it still accepts them after `timeoutMs`. */
export async function waitUntilClosed(port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isListening(port))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Whether a process with this PID exists (and is not a zombie waiting to be reaped). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Waits until the process is gone; false if it is still running after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The gateway events a process wrote on stderr (JSON lines), by name. */
export function events(stderr: string, name: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((e) => e.event === name);
}

if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    running.clear();
  });
}
