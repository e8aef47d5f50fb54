/**
 * Live WebSocket connections served by functions, by connection id, so that
 * backend services can push a message to a connection or close it. The
 * registry is per gateway process: with several replicas, push to the
 * replica that holds the connection (or broadcast to all).
 */
import type WebSocket from 'ws';

export class ConnectionRegistry {
  private readonly byId = new Map<string, WebSocket>();

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
