/**
 * How many workers serve: `service.workers`, by default the CPUs the process
 * may use (lowered to its cgroup CPU quota), and one — with a warning, once —
 * on a Node.js that cannot bind one port on several threads (before 22.12).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { cgroupCpuQuota, defaultWorkers, reusePortUnsupported } from '../../../runtime/cluster/worker-count';
import { api, gatewayConfig, mock } from '../../helpers/config';
import { tempDir } from '../../helpers/temp';
import { describeWithWorkers, startWorkersGateway } from '../../helpers/workers';

/** A folder standing for `/`, with `/proc/self/cgroup` and the cgroup files given. */
function fakeRoot(cgroup: string, files: Record<string, string>): string {
  const root = tempDir('apigw-cgroup-');
  const write = (path: string, text: string): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('proc/self/cgroup', cgroup);
  for (const [path, text] of Object.entries(files)) write(path, text);
  return root;
}

describe('the default worker count', () => {
  it('is lowered to a cgroup v2 CPU quota, rounded up (docker run --cpus 1.5 gives 2)', () => {
    const root = fakeRoot('0::/docker/abc\n', { 'sys/fs/cgroup/docker/abc/cpu.max': '150000 100000\n' });
    expect(cgroupCpuQuota(root)).toBe(1.5);
    expect(defaultWorkers(root)).toBe(Math.min(2, availableParallelism()));
  });

  it('takes the tightest quota along the cgroup path, and none when it says max', () => {
    const tight = fakeRoot('0::/a/b\n', {
      'sys/fs/cgroup/a/cpu.max': '100000 100000\n',
      'sys/fs/cgroup/a/b/cpu.max': 'max 100000\n',
    });
    expect(cgroupCpuQuota(tight)).toBe(1);
    expect(defaultWorkers(tight)).toBe(1);
    const none = fakeRoot('0::/a\n', { 'sys/fs/cgroup/a/cpu.max': 'max 100000\n' });
    expect(cgroupCpuQuota(none)).toBeUndefined();
    expect(defaultWorkers(none)).toBe(availableParallelism());
  });

  it('reads a cgroup v1 quota (cpu.cfs_quota_us over cpu.cfs_period_us; -1 is none)', () => {
    const v1 = fakeRoot('4:cpu,cpuacct:/\n', {
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '300000\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(v1)).toBe(3);
    const unlimited = fakeRoot('4:cpu,cpuacct:/\n', {
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(unlimited)).toBeUndefined();
  });

  it('needs Node.js 22.12 (23.1 on the 23 line) on Linux for several workers', () => {
    expect(reusePortUnsupported('20.18.1', 'linux')).toMatch(/needs Node.js 22.12 or later/);
    expect(reusePortUnsupported('22.11.0', 'linux')).toBeDefined();
    expect(reusePortUnsupported('23.0.0', 'linux')).toBeDefined();
    expect(reusePortUnsupported('22.12.0', 'linux')).toBeUndefined();
    expect(reusePortUnsupported('23.1.0', 'linux')).toBeUndefined();
    expect(reusePortUnsupported('24.11.1', 'linux')).toBeUndefined();
    expect(reusePortUnsupported('24.11.1', 'darwin')).toMatch(/no SO_REUSEPORT/);
  });
});

const hello = (service: Partial<ReturnType<typeof gatewayConfig>['service']> = {}) =>
  gatewayConfig([api('hello', '=/hello', mock('"hi"'))], service);

describeWithWorkers('a gateway on a Node.js with reusePort', () => {
  it('runs the CPUs the process may use when workers is not set', async () => {
    const gw = await startWorkersGateway(hello());
    try {
      expect(gw.listening.workers).toBe(defaultWorkers());
      expect(gw.events('workers_unavailable')).toEqual([]);
    } finally {
      await gw.stop();
    }
  });

  it('refuses to start on a port another process holds, even one bound with SO_REUSEPORT', async () => {
    const first = await startWorkersGateway(hello({ workers: 2 }));
    try {
      const taken = hello({
        workers: 2,
        listeners: { http: { port: first.port, host: '127.0.0.1', redirectToHttps: false } },
      });
      const second = startWorkersGateway(taken);
      await expect(second).rejects.toThrow(/start_failed.*EADDRINUSE/s);
    } finally {
      await first.stop();
    }
  });
});

const noReusePort = reusePortUnsupported();
(noReusePort === undefined ? describe.skip : describe)(
  `a gateway on a Node.js without reusePort (${process.versions.node})`,
  () => {
    it('serves with one worker and warns once when more are asked for', async () => {
      const gw = await startWorkersGateway(hello({ workers: 4 }));
      try {
        expect(gw.listening.workers).toBe(1);
        expect(gw.events('workers_unavailable')).toEqual([
          expect.objectContaining({ level: 'warn', workers: 4, serving: 1, reason: noReusePort }),
        ]);
        expect((await fetch(`${gw.origin}/hello`)).status).toBe(200);
      } finally {
        await gw.stop();
      }
    });

    it('says so at info level when the default asked for more (the CPUs)', async () => {
      const gw = await startWorkersGateway(hello());
      try {
        expect(gw.listening.workers).toBe(1);
        const expected = defaultWorkers();
        expect(gw.events('workers_unavailable')).toEqual(
          expected > 1 ? [expect.objectContaining({ level: 'info', workers: expected, configured: false })] : [],
        );
      } finally {
        await gw.stop();
      }
    });
  },
);
