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

/** Characters that never need escaping in a JSON string. */
const JSON_SAFE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal of `value`: quoted as is when nothing needs escaping. */
function safe(value: string): string {
  return JSON_SAFE.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** Lines are flushed at least this often, or when this much text is waiting. */
const FLUSH_MS = 50;
const FLUSH_BYTES = 64 * 1024;

export class AccessLog {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private lastIso = '';

  /** `undefined` turns the log off. */
  constructor(private readonly sink: LogSink | undefined) {}

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

  // HOT PATH: one line per request, built by hand. Every field is JSON-safe by construction — the
  // method is an HTTP token (Node's parser), the path is normalised (RFC 3986 characters and %XX
  // only), API names match the config's name pattern, the id and time are ours — so nothing needs
  // escaping; `safe` re-checks the fields a client influences and escapes them if ever needed.
  write(entry: AccessLogEntry): void {
    if (!this.sink) return;
    this.buffer +=
      `{"time":"${entry.time}","requestId":"${entry.requestId}","method":${safe(entry.method)},` +
      `"path":${safe(entry.path)},"api":${entry.api === null ? 'null' : safe(entry.api)},` +
      `"status":${entry.status},"durationMs":${entry.durationMs},"backendMs":${entry.backendMs},` +
      `"clientIp":${safe(entry.clientIp)}}\n`;
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
