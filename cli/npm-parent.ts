/**
 * A gateway started by npm (`npm start`, `npx apigw serve`) stops when npm
 * does, instead of serving on as an orphan.
 *
 * Why it is needed: npm runs a command as `npm → sh -c "<command>" → node`
 * and, of the signals sent to its own PID, passes on only SIGINT and SIGTERM,
 * to the shell. The shell dies of them without passing them on, and SIGHUP
 * (or SIGKILL) ends npm while the shell and the gateway stay. So the gateway
 * watches npm and the shell in between, and drains (as on SIGTERM) when one
 * of them is gone. SIGHUP cannot reach the gateway through npm: to reload,
 * send it to the gateway's own PID (logged at start).
 *
 * Outside npm nothing is watched: a gateway started from a shell with
 * `nohup ... &` must outlive that shell.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { EventLog } from '../runtime/access-log';

/** How often the watched processes are checked; a check is one syscall per process. */
const CHECK_MS = 250;

const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);

interface ProcessInfo {
  readonly ppid: number;
  readonly args: readonly string[];
  readonly zombie: boolean;
}

/**
 * The processes to watch, read when this module loads (before the gateway
 * binds and announces itself): the parent, and above a shell the process that
 * started it. npm may be stopped the moment `listening` is seen, before
 * `stopWithNpm` runs, and the parents read then would be the processes that
 * adopted the orphans.
 */
const START_PPID = currentPpid();
const WATCHED = parentsToWatch(START_PPID);

function parentsToWatch(ppid: number): readonly number[] {
  const parent = processInfo(ppid);
  return parent && SHELLS.has(basename(parent.args[0] ?? '')) ? [ppid, parent.ppid] : [ppid];
}

/**
 * When this process runs under npm, drains it (SIGTERM to itself) once npm or
 * the shell npm started is gone. Returns a function that stops watching.
 */
export function stopWithNpm(
  env: NodeJS.ProcessEnv,
  onGone: (parent: number) => void = stopSelf,
): (() => void) | undefined {
  if (env.npm_lifecycle_event === undefined) return undefined;
  const timer = setInterval(() => {
    // Reparenting is the sure sign (a PID can be reused); liveness covers npm above the shell.
    const gone = currentPpid() !== START_PPID ? START_PPID : WATCHED.find((pid) => !alive(pid));
    if (gone === undefined) return;
    clearInterval(timer);
    onGone(gone);
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function stopSelf(parent: number): void {
  // At the default level whatever --log-level says: it explains why the gateway stops.
  new EventLog().warn('parent_exited', {
    parent,
    message:
      `npm (or the shell it started, pid ${parent}) is gone: stopping. npm passes on only SIGINT and SIGTERM; ` +
      `to reload, send SIGHUP to the gateway itself: kill -HUP ${process.pid}`,
  });
  process.kill(process.pid, 'SIGTERM');
}

/**
 * The parent's PID now. `process.ppid` is read once at startup (Node 20 and
 * 24), so it never shows the reparenting that follows the parent's exit;
 * /proc is read where it is cheap (elsewhere liveness alone is checked).
 */
function currentPpid(): number {
  return (process.platform === 'linux' && processInfo(process.pid)?.ppid) || process.ppid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An exited process that its parent has not reaped yet still answers signal 0 (checked where it is cheap).
  return process.platform !== 'linux' || processInfo(pid)?.zombie !== true;
}

/** Parent PID and arguments of a process: /proc on Linux, `ps` elsewhere; undefined when unknown. */
function processInfo(pid: number): ProcessInfo | undefined {
  try {
    if (process.platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name in parentheses may hold spaces: the fields after it are fixed.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      return { ppid: Number(ppid), args, zombie: state === 'Z' };
    }
    const out = execFileSync('ps', ['-o', 'ppid=,stat=,args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const [ppid, state, ...args] = out.split(/\s+/);
    return { ppid: Number(ppid), args, zombie: state?.startsWith('Z') === true };
  } catch {
    return undefined;
  }
}
