/**
 * An HTTP server on a listener of its own, beside the public ones (the admin
 * API, metrics): malformed requests are dropped without an answer, and its
 * sockets are tracked so that closing can cut what is still open.
 */
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export class SideListener {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(options: ServerOptions, handler: RequestListener) {
    this.server = createServer(options, handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Binds; rejects with the bind error (EADDRINUSE, ...). */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  /**
   * Stops accepting and closes idle connections; once `settled` resolves
   * (work that must not be cut), the connections still open are destroyed.
   */
  async close(settled?: () => Promise<void>): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    await settled?.();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
