/** A WebSocket client connection through a test gateway, made for assertions. */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';

/** How a WebSocket connection closed. */
export interface CloseInfo {
  /** The close code (1000 normal, 1001 going away, 1006 closed without a close frame, ...). */
  readonly code: number;
  readonly reason: string;
}

/** The gateway refused a WebSocket upgrade: its HTTP answer. */
export class UpgradeRefused extends Error {
  constructor(
    /** The HTTP status of the answer (401, 403, 404, 502, ...). */
    readonly status: number,
    /** The answer's body: for the gateway's own errors, JSON `{"code","message","requestId"}`. */
    readonly body: string,
  ) {
    super(`the WebSocket upgrade was refused with ${status}: ${body}`);
  }
}

/**
 * An open WebSocket connection. Messages are queued as they arrive, so a test
 * reads them in order with {@link TestWebSocket.next} whenever it likes.
 */
export class TestWebSocket {
  private readonly queue: (string | Buffer)[] = [];
  private readonly waiters: ((m: string | Buffer | Error) => void)[] = [];
  private closeInfo: CloseInfo | undefined;
  /** Resolves when the connection has closed (by either side). */
  readonly closed: Promise<CloseInfo>;

  private readonly socket: WebSocket;

  /**
   * @internal Opened by {@link TestGateway.webSocket}; typed `unknown` so that the declarations of this
   * package do not need the `ws` library's types.
   */
  constructor(socket: unknown) {
    this.socket = socket as WebSocket;
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? data : data.toString('utf8');
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        for (const w of this.waiters.splice(0)) w(new Error(`the WebSocket closed (${code}) before a message came`));
        resolve(this.closeInfo);
      });
    });
    // Errors surface as a close (1006); never as an unhandled event.
    this.socket.on('error', () => undefined);
  }

  /** The subprotocol the backend chose (`''` for none). */
  get protocol(): string {
    return this.socket.protocol;
  }

  /** Whether the connection is open. */
  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a text (string) or binary (Buffer) message. */
  send(data: string | Buffer): void {
    this.socket.send(data, { binary: typeof data !== 'string' });
  }

  /**
   * The next message: text as a string, binary as a Buffer. Rejects when the
   * connection closes first or nothing comes within `timeoutMs`.
   * @default timeoutMs 5000
   */
  next(timeoutMs = 5000): Promise<string | Buffer> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closeInfo) return Promise.reject(new Error(`the WebSocket is closed (${this.closeInfo.code})`));
    return new Promise((resolve, reject) => {
      const waiter = (m: string | Buffer | Error): void => {
        clearTimeout(timer);
        if (m instanceof Error) reject(m);
        else resolve(m);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no WebSocket message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Closes the connection and resolves with how it closed.
   * @default code 1000
   */
  close(code = 1000, reason = ''): Promise<CloseInfo> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code, reason);
    else if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    return this.closed;
  }

  /** @internal Ends the connection at once (when the gateway stops). */
  terminate(): void {
    this.socket.terminate();
  }
}

/** Opens a WebSocket; resolves once open, rejects with {@link UpgradeRefused} when the gateway answers otherwise. */
export function openWebSocket(
  url: string,
  protocols: readonly string[],
  headers: Record<string, string>,
): Promise<TestWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [...protocols], { headers, perMessageDeflate: false });
    socket.once('open', () => resolve(new TestWebSocket(socket)));
    socket.once('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        reject(new UpgradeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        socket.terminate();
      });
      res.on('error', () => reject(new UpgradeRefused(res.statusCode ?? 0, '')));
    });
    socket.once('error', (err) => reject(err));
  });
}
