/**
 * The gateway's logs, both JSON lines:
 *
 * - the access log (`AccessLog`): one line per request and per WebSocket
 *   upgrade on stdout, batched and written once per event-loop turn, so
 *   logging costs one syscall per burst rather than one per request. Values
 *   are the gateway's own (the request id is generated, never taken from the
 *   client), so a client cannot forge lines;
 * - the event log (`EventLog`): what happens to the gateway (start, reloads,
 *   applies, backend and function failures), one line per event on stderr,
 *   filtered by a level (`APIGW_LOG_LEVEL`, `serve --log-level`).
 *
 * Neither ever holds a secret or a request or response body.
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

/** Event levels, most severe first: a level writes its own events and those before it. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** The level named by `text` (`APIGW_LOG_LEVEL`, `--log-level`); throws a message for the user when it names none. */
export function parseLogLevel(text: string, what: string): LogLevel {
  const level = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`${what} must be one of ${LOG_LEVELS.join(', ')}; got "${text}"`);
}

const stderr: LogSink = (text) => process.stderr.write(text);

/**
 * Gateway events as JSON lines (`{"time","level","event",...fields}`), stderr
 * by default, written when their level is enabled. Events are rare (none per
 * successful request), so each is written at once. Never pass a secret or a
 * body in `fields`.
 */
export class EventLog {
  private readonly rank: number;

  /** `context`: fields every event carries (a worker thread's `worker` number). */
  constructor(
    readonly level: LogLevel = DEFAULT_LOG_LEVEL,
    private readonly sink: LogSink = stderr,
    private readonly context?: Readonly<Record<string, unknown>>,
  ) {
    this.rank = LOG_LEVELS.indexOf(level);
  }

  /** Whether events of `level` are written: check before building fields that cost something. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.rank;
  }

  error(event: string, fields?: Record<string, unknown>): void {
    this.write('error', event, fields);
  }

  warn(event: string, fields?: Record<string, unknown>): void {
    this.write('warn', event, fields);
  }

  info(event: string, fields?: Record<string, unknown>): void {
    this.write('info', event, fields);
  }

  debug(event: string, fields?: Record<string, unknown>): void {
    this.write('debug', event, fields);
  }

  private write(level: LogLevel, event: string, fields: Record<string, unknown> | undefined): void {
    if (LOG_LEVELS.indexOf(level) > this.rank) return;
    this.sink(JSON.stringify({ time: new Date().toISOString(), level, event, ...this.context, ...fields }) + '\n');
  }
}
