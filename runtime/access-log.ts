/**
 * Access log: one JSON line per request on stdout. Lines are batched and
 * written once per event-loop turn, so logging costs one syscall per burst
 * rather than one per request. Values are the gateway's own (the request id
 * is generated, never taken from the client), so a client cannot forge lines.
 */
export interface AccessLogEntry {
  readonly time: string;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly api: string | null;
  readonly status: number;
  readonly durationMs: number;
  readonly backendMs: number | null;
  readonly clientIp: string;
  readonly error?: string;
}

export type LogSink = (text: string) => void;

export class AccessLog {
  private buffer: string[] = [];
  private scheduled = false;

  constructor(private readonly sink: LogSink | undefined = (t) => process.stdout.write(t)) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  write(entry: AccessLogEntry): void {
    if (!this.sink) return;
    this.buffer.push(JSON.stringify(entry));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.buffer.length === 0 || !this.sink) return;
    const text = this.buffer.join('\n') + '\n';
    this.buffer = [];
    this.sink(text);
  }
}

/** Gateway events (start, reload, errors) as JSON lines on stderr. Never pass secrets here. */
export function logEvent(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n');
}
