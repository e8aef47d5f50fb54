/**
 * The gateway's client connections, counted across its listeners, and the
 * cap on them (`limits.maxConnections`).
 *
 * At the cap a new connection first takes the place of the connection that
 * has been idle longest — one with no response in progress: it has not sent a
 * whole request head yet, is between keep-alive requests, or is still in the
 * TLS handshake — as nginx does with its reusable connections, so that idle
 * clients cannot lock others out. Open WebSockets are never taken.
 * When every connection is busy, a small reserve admits a few more for one
 * request each: the health path is served (orchestrators keep seeing the
 * process), anything else gets 503 `ConnectionLimit`, and the connection is
 * closed. Past the reserve, new connections are closed at once.
 *
 * Every connection whose sending side the gateway closes is destroyed after
 * `LINGER_MS` unless the client closed it first.
 *
 * With several worker threads the cap is the instance's: each worker
 * publishes how many connections it holds and compares the sum with the cap
 * (`SharedConnectionCount`), so one worker may hold more than its share while
 * another holds fewer. A worker takes the place only of its own idle
 * connections.
 *
 * Node's HTTP server keeps the response it is writing on a connection as
 * `socket._httpMessage` (its own idle-connection sweep reads the same field),
 * and a TLS socket keeps the TCP socket under it as `_parent`; both are read
 * here only when the cap is reached.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** How long a reserve connection may take to send its request before it is closed. */
const RESERVE_DEADLINE_MS = 2000;

/**
 * How long a connection whose sending side the gateway has closed (after an
 * error answer, a 408, a refused upgrade, a `Connection: close` response) may
 * wait for the client to close its side before it is destroyed. A client that
 * never reads or closes would otherwise keep the socket for ever.
 */
export const LINGER_MS = 1000;

interface Connection {
  /** The socket the HTTP server reads: the TCP socket, or the TLS socket over it once the handshake is done. */
  http: Duplex;
  /** Upgraded to a WebSocket: never idle again. */
  upgraded: boolean;
}

type HttpSocket = Duplex & { _httpMessage?: unknown; _parent?: unknown };

/** The connections of every worker of an instance (`cluster/instance-state.ts`). */
export interface SharedConnectionCount {
  /** This thread now holds `open` admitted connections (reserve ones are not counted). */
  publish(open: number): void;
  /** The instance's admitted connections. */
  total(): number;
}

export class ConnectionGuard {
  /** Admitted connections by TCP socket, oldest first. */
  private readonly open = new Map<Socket, Connection>();
  /** Connections admitted past the cap, for one request each. */
  private readonly reserve = new Set<Socket>();
  private capValue: number;
  private reserveValue: number;

  constructor(
    cap: number,
    private readonly shared?: SharedConnectionCount,
  ) {
    this.capValue = cap;
    this.reserveValue = reserveFor(cap);
  }

  get cap(): number {
    return this.capValue;
  }

  get reserveSize(): number {
    return this.reserveValue;
  }

  /** A new cap (a live apply changed `limits.maxConnections`): open connections stay; new ones meet it. */
  setCap(cap: number): void {
    this.capValue = cap;
    this.reserveValue = reserveFor(cap);
  }

  /** Open connections, reserve included. */
  get size(): number {
    return this.open.size + this.reserve.size;
  }

  /** Every socket, for the drain's last resort. */
  sockets(): Socket[] {
    return [...this.open.keys(), ...this.reserve];
  }

  /** A new TCP connection on any listener. */
  admit(socket: Socket): void {
    socket.once('finish', () => lingerThenDestroy(socket));
    const admitted = this.shared ? this.shared.total() : this.open.size;
    if (admitted >= this.capValue && !this.evictIdle()) {
      if (this.reserve.size >= this.reserveValue) {
        socket.destroy();
        return;
      }
      this.reserve.add(socket);
      const deadline = setTimeout(() => socket.destroy(), RESERVE_DEADLINE_MS);
      deadline.unref();
      socket.once('close', () => {
        clearTimeout(deadline);
        this.reserve.delete(socket);
      });
      return;
    }
    this.open.set(socket, { http: socket, upgraded: false });
    this.shared?.publish(this.open.size);
    socket.once('close', () => {
      if (this.open.delete(socket)) this.shared?.publish(this.open.size);
    });
  }

  /** An HTTPS connection finished its handshake: requests now arrive on the TLS socket. */
  secured(tls: Duplex): void {
    const c = this.open.get(parentOf(tls));
    if (c) c.http = tls;
    // The TLS socket writes to the TCP handle itself: its end, not the TCP socket's, starts the linger.
    tls.once('finish', () => lingerThenDestroy(tls));
  }

  /** A connection became a WebSocket. */
  upgraded(socket: Duplex): void {
    const c = this.open.get(socket as Socket) ?? this.open.get(parentOf(socket));
    if (c) c.upgraded = true;
  }

  /** True when the request's connection was admitted past the cap (answer it, then close). HOT PATH */
  isReserve(socket: Duplex): boolean {
    return this.reserve.size > 0 && (this.reserve.has(socket as Socket) || this.reserve.has(parentOf(socket)));
  }

  /** Closes the connection idle longest; false when every connection is busy. */
  private evictIdle(): boolean {
    for (const [socket, c] of this.open) {
      if (c.upgraded || (c.http as HttpSocket)._httpMessage) continue;
      this.open.delete(socket);
      this.shared?.publish(this.open.size);
      socket.destroy();
      return true;
    }
    return false;
  }
}

/** The reserve past the cap: 1 % of it, at least 8 and at most 64 connections. */
function reserveFor(cap: number): number {
  return Math.min(64, Math.max(8, Math.ceil(cap / 100)));
}

function lingerThenDestroy(socket: Duplex): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function parentOf(socket: Duplex): Socket {
  return (socket as HttpSocket)._parent as Socket;
}

/**
 * The connection cap in force: the configured one, lowered when the process
 * may not open enough files for it (each client connection can hold a
 * backend connection too, and the reserve comes on top).
 */
export function effectiveConnectionCap(configured: number): number {
  const files = openFileLimit();
  if (files === undefined) return configured;
  const reserve = reserveFor(configured);
  return Math.max(1, Math.min(configured, Math.floor((files - 64) / 2) - reserve));
}

/** The soft limit on open files (Linux; Node raises it to the hard limit at start), or undefined when unknown. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
