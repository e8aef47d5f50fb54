/**
 * Reaching an admin listener on a remote host through SSH, the way the
 * docker provider reaches a remote engine: `ssh -W 127.0.0.1:<port> host`
 * (OpenSSH stdio forwarding) and HTTP over the child's stdin/stdout. The
 * admin port stays on the remote host's loopback; nothing is exposed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Agent, type AgentOptions } from 'node:http';
import { Duplex } from 'node:stream';

export interface SshTarget {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
  /** The admin listener's port on the remote host (reached on its 127.0.0.1). */
  readonly adminPort: number;
  /** Extra `ssh` arguments (`-i key`, `-o StrictHostKeyChecking=yes`, ...). */
  readonly options?: readonly string[];
  /** The ssh program. @default 'ssh' */
  readonly program?: string;
}

/** `ssh://[user@]host[:port]` → its parts. Refuses anything ssh could read as an option. */
export function parseSshUrl(url: URL): { host: string; port?: number; user?: string } {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = decodeURIComponent(url.username);
  if (!/^[A-Za-z0-9._:-]+$/.test(host) || host.startsWith('-'))
    throw new Error(`ssh host "${host}" is not a host name`);
  if (user && (!/^[A-Za-z0-9._-]+$/.test(user) || user.startsWith('-')))
    throw new Error(`ssh user "${user}" is not a user name`);
  if (url.pathname && url.pathname !== '/') throw new Error('an ssh:// endpoint has no path; set admin_port instead');
  return { host, ...(url.port ? { port: Number(url.port) } : {}), ...(user ? { user } : {}) };
}

/** The arguments of the ssh child for one connection. */
export function sshArguments(t: SshTarget): string[] {
  return [
    '-o',
    'BatchMode=yes',
    ...(t.port !== undefined ? ['-p', String(t.port)] : []),
    ...(t.user !== undefined ? ['-l', t.user] : []),
    ...(t.options ?? []),
    '-W',
    `127.0.0.1:${t.adminPort}`,
    '--',
    t.host,
  ];
}

/** A socket that is an ssh child's stdio. node:http only needs a Duplex and a few no-op socket methods. */
class SshSocket extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';

  constructor(target: SshTarget) {
    super({ allowHalfOpen: false });
    this.child = spawn(target.program ?? 'ssh', sshArguments(target), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = this.child.stdout;
    out.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) out.pause();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString('utf8');
    });
    this.child.on('error', (err) => this.destroy(err));
    // The end of the stream waits for ssh's exit status: a failed tunnel reads as ssh's
    // own message ("Permission denied", "Connection refused"), not as a hung-up socket.
    this.child.on('close', (code) => {
      if (this.destroyed) return;
      if (code === 0) this.push(null);
      else this.destroy(new Error(`ssh exited with ${code}: ${this.stderr.trim() || 'no message'}`));
    });
    // ssh's stdin closing early (EPIPE) shows as the exit error above.
    this.child.stdin.on('error', () => undefined);
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.child.stdin.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end(callback);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill();
    callback(err);
  }

  setKeepAlive(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** An HTTP agent whose connections are ssh children; kept alive so a provider process starts ssh once. */
export class SshAgent extends Agent {
  constructor(
    private readonly target: SshTarget,
    options: AgentOptions = {},
  ) {
    super({ keepAlive: true, maxSockets: 4, ...options });
  }

  override createConnection(): Duplex {
    return new SshSocket(this.target);
  }
}
