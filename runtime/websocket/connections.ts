/**
 * Live WebSocket connections served by functions, by connection id, so that
 * backend services can push a message to a connection or close it. The
 * registry is per thread; the worker threads of one process reach each
 * other's connections through `remote` (the coordinator asks the others), so
 * the endpoint reaches every connection of the instance. With several
 * replicas, push to the replica that holds the connection (or broadcast).
 */
import type WebSocket from 'ws';

/** Connections of the other worker threads of the process. */
export interface RemoteConnections {
  /** Whether another worker holds connection `id`. */
  find(id: string): Promise<boolean>;
  /** Sends a message on connection `id` on the worker that holds it; false when none does. */
  send(id: string, data: Buffer, binary: boolean): Promise<boolean>;
  /** Closes connection `id` (1000) on the worker that holds it; false when none does. */
  close(id: string): Promise<boolean>;
}

export class ConnectionRegistry {
  private readonly byId = new Map<string, WebSocket>();
  /** Set on a worker thread of a multi-worker process. */
  remote: RemoteConnections | undefined;

  add(id: string, ws: WebSocket): void {
    this.byId.set(id, ws);
    ws.once('close', () => this.byId.delete(id));
  }

  get(id: string): WebSocket | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  closeAll(code: number, reason: string): void {
    for (const ws of this.byId.values()) ws.close(code, reason);
  }
}
