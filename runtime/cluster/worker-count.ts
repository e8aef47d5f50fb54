/**
 * How many worker threads a gateway process runs (`service.workers`), and
 * whether this Node can run more than one.
 *
 * The default is the CPUs the process may use: `os.availableParallelism()`
 * (the CPUs its affinity mask allows) lowered to its cgroup CPU quota — v2
 * `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`, the tightest of the
 * process's cgroup and its ancestors, rounded up (`docker run --cpus 1.5`
 * gives 2) — and at most MAX_WORKERS.
 *
 * Several workers need `reusePort` (SO_REUSEPORT) on `listen()`: Node 22.12
 * or later (23.1 on the 23 line), on Linux, FreeBSD, Solaris or AIX. Without
 * it each worker would need its own port, so one worker serves.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MAX_WORKERS } from '../../model';

const REUSE_PORT_PLATFORMS: readonly string[] = ['linux', 'freebsd', 'sunos', 'aix'];

/** Why several workers cannot listen on one port with this Node, or undefined when they can. */
export function reusePortUnsupported(
  version: string = process.versions.node,
  platform: string = process.platform,
): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const supported = major >= 24 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  if (!supported)
    return `Node.js ${version} cannot bind one port on several threads (reusePort needs Node.js 22.12 or later)`;
  if (!REUSE_PORT_PLATFORMS.includes(platform))
    return `${platform} has no SO_REUSEPORT load balancing for Node.js's reusePort`;
  return undefined;
}

/** The default worker count: the CPUs the process may use, at most MAX_WORKERS. */
export function defaultWorkers(root = '/'): number {
  const quota = cgroupCpuQuota(root);
  const cpus = Math.min(availableParallelism(), quota === undefined ? Infinity : Math.max(1, Math.ceil(quota)));
  return Math.max(1, Math.min(MAX_WORKERS, cpus));
}

/**
 * The process's cgroup CPU quota in CPUs (1.5 for 150 ms per 100 ms), the
 * tightest along its cgroup path, or undefined when it has none. `root` is
 * where `/proc` and `/sys` are (tests give a folder of their own).
 */
export function cgroupCpuQuota(root = '/'): number | undefined {
  const membership = read(join(root, 'proc/self/cgroup'));
  if (membership === undefined) return undefined;
  let tightest: number | undefined;
  const consider = (q: number | undefined): void => {
    if (q !== undefined && (tightest === undefined || q < tightest)) tightest = q;
  };
  for (const line of membership.split('\n')) {
    // hierarchy-ID:controller-list:cgroup-path
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, controllers = '', path = '/'] = m;
    if (id === '0' && controllers === '') {
      for (const dir of ancestors(join(root, 'sys/fs/cgroup'), path)) consider(cgroupV2Quota(dir));
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((d) => join(root, 'sys/fs/cgroup', d))) {
        for (const dir of ancestors(mount, path)) consider(cgroupV1Quota(dir));
      }
    }
  }
  return tightest;
}

/** `mount/path` and each of its parents up to `mount` (in a container, only `mount` itself may exist). */
function ancestors(mount: string, path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  const out: string[] = [];
  for (let i = parts.length; i >= 0; i--) out.push(join(mount, ...parts.slice(0, i)));
  return out;
}

/** `cpu.max`: "max 100000" (none) or "150000 100000". */
function cgroupV2Quota(dir: string): number | undefined {
  const text = read(join(dir, 'cpu.max'));
  const m = text === undefined ? null : /^(\d+)\s+(\d+)/.exec(text.trim());
  return m ? ratio(Number(m[1]), Number(m[2])) : undefined;
}

/** `cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`. */
function cgroupV1Quota(dir: string): number | undefined {
  const quota = Number(read(join(dir, 'cpu.cfs_quota_us'))?.trim());
  const period = Number(read(join(dir, 'cpu.cfs_period_us'))?.trim());
  return ratio(quota, period);
}

function ratio(quota: number, period: number): number | undefined {
  return Number.isFinite(quota) && Number.isFinite(period) && quota > 0 && period > 0 ? quota / period : undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
