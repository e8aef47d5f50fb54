/**
 * Raw-socket clients for the hardening suite: they send bytes no well-behaved
 * HTTP client would, and read back exactly what the gateway answered.
 */
import { readdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Everything the gateway sent, for pipelining cases. */
  readonly raw: string;
}

/** Opens a connection to 127.0.0.1:port. */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Collects what the peer sends until it closes the connection (or `ms` pass). */
export function readAll(socket: Socket, ms = 5000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('close', done);
    socket.once('error', done);
  });
}

/** Parses the first response of `raw` (Content-Length framed, or up to the end). */
export function parseFirst(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '', raw };
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const rest = raw.slice(end + 4);
  return {
    status: Number(statusLine?.split(' ')[1] ?? 0),
    headers,
    body: length === undefined ? rest : rest.slice(0, length),
    raw,
  };
}

/**
 * Sends `request` (a string with `\r\n` line ends, or pieces sent `gapMs`
 * apart) and returns the first response; the connection is read until the
 * gateway closes it or `ms` pass.
 */
export async function send(
  port: number,
  request: string | readonly string[],
  opts: { gapMs?: number; ms?: number } = {},
): Promise<RawResponse> {
  const socket = await open(port);
  const reading = readAll(socket, opts.ms ?? 3000);
  const pieces = typeof request === 'string' ? [request] : request;
  for (const piece of pieces) {
    if (socket.destroyed) break;
    socket.write(piece);
    if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  return parseFirst(await reading);
}

/** Every response in `raw`, in order (Content-Length framed ones). */
export function parseAll(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let rest = raw;
  while (rest.startsWith('HTTP/')) {
    const r = parseFirst(rest);
    out.push(r);
    const headEnd = rest.indexOf('\r\n\r\n') + 4;
    rest = rest.slice(headEnd + Buffer.byteLength(r.body, 'latin1'));
  }
  return out;
}

/** Open file descriptors of this process (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Open sockets of this process (Linux): file descriptors that are sockets.
 * Unlike `openFds()` it does not count the event-loop descriptors of function
 * worker threads, which a pool starts on demand.
 */
export { openSockets } from '../../bench/fuzz-common';

/** Waits until `check` holds, or fails after `ms` with `what`. */
export async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What a raw backend does with one request: `index` counts the requests on this connection from 0. */
export type RawBehaviour = (socket: Socket, index: number, head: string) => void;

/**
 * A TCP backend that answers with whatever bytes a test writes: for responses
 * no HTTP server library would send. It counts its open connections and the
 * requests it has seen.
 */
export class RawBackend {
  behaviour: RawBehaviour = () => undefined;
  readonly sockets = new Set<Socket>();
  requests = 0;
  connections = 0;
  private constructor(readonly server: Server) {}

  static async start(): Promise<RawBackend> {
    const b = new RawBackend(createServer());
    b.server.on('connection', (socket) => {
      b.sockets.add(socket);
      b.connections++;
      socket.on('close', () => b.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffered = '';
      let index = 0;
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        for (;;) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buffered.slice(0, end);
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          buffered = buffered.slice(end + 4 + length);
          b.requests++;
          b.behaviour(socket, index++, head);
        }
      });
    });
    await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', () => r()));
    return b;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
