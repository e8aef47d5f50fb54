/**
 * A throwaway OpenSSH server on 127.0.0.1 (Debian's openssh-server), for the
 * provider's ssh:// endpoint: its own host key, one client key, known_hosts
 * for strict host checking. Started and stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './servers';
import { tempDir } from './temp';

export const SSHD = '/usr/sbin/sshd';

export function sshdAvailable(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(SSHD)) return { ok: false, reason: `${SSHD} is missing (apt-get install openssh-server)` };
  if (spawnSync('ssh', ['-V']).error) return { ok: false, reason: 'the ssh client is missing' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'sshd needs root here (privilege separation directory)' };
  return { ok: true };
}

/** `describe` that runs with sshd, skips with the reason otherwise, and fails on CI. */
export function describeWithSshd(name: string, fn: () => void): void {
  const state = sshdAvailable();
  if (state.ok) return describe(name, fn);
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs sshd', () => {
        throw new Error(`CI=true but ${state.reason}; .ci/run installs openssh-server`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${state.reason}`);
  describe.skip(`${name} (skipped: ${state.reason})`, fn);
}

export interface Sshd {
  readonly port: number;
  readonly user: string;
  /** ssh options for a client: the key and strict host checking against this server's key. */
  readonly clientOptions: string[];
  readonly log: () => string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<Sshd> {
  const dir = tempDir('apigw-sshd-');
  const keygen = (file: string): void => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  };
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      '',
    ].join('\n'),
  );
  const hostKey = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  // sshd's privilege separation directory (systemd makes it on a normal host).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  let log = '';
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (c: Buffer) => (log += c.toString('utf8')));
  await waitForPort(port, child, () => log);
  return {
    port,
    user: userInfo().username,
    clientOptions: [
      '-i',
      join(dir, 'client_key'),
      '-o',
      `UserKnownHostsFile=${join(dir, 'known_hosts')}`,
      '-o',
      'StrictHostKeyChecking=yes',
      '-F',
      '/dev/null',
    ],
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(child.pid!, 'SIGTERM');
      }),
  };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}
