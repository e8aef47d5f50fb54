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

/** Lines are flushed at least this often, or when this much text is waiting. */
const FLUSH_MS = 50;
const FLUSH_BYTES = 64 * 1024;

export class AccessLog {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private lastIso = '';

  constructor(private readonly sink: LogSink | undefined = (t) => process.stdout.write(t)) {}

  get enabled(): boolean {
    return this.sink !== undefined;
  }

  /** The ISO time of now, formatted at most once per millisecond. */
  now(): string {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  // HOT PATH: one line per request, built by hand; only the path and the API name can hold
  // text from outside, and both go through JSON.stringify.
  write(entry: AccessLogEntry): void {
    if (!this.sink) return;
    this.buffer +=
      `{"time":"${entry.time}","requestId":"${entry.requestId}","method":${JSON.stringify(entry.method)},` +
      `"path":${JSON.stringify(entry.path)},"api":${entry.api === null ? 'null' : JSON.stringify(entry.api)},` +
      `"status":${entry.status},"durationMs":${entry.durationMs},"backendMs":${entry.backendMs},` +
      `"clientIp":${JSON.stringify(entry.clientIp)}}\n`;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0 || !this.sink) return;
    const text = this.buffer;
    this.buffer = '';
    this.sink(text);
  }
}

/** Gateway events (start, reload, errors) as JSON lines on stderr. Never pass secrets here. */
export function logEvent(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), event, ...fields }) + '\n');
}
