/**
 * HTTP backend: forwards through a pooled keep-alive undici Agent using the
 * raw dispatch API, and streams both bodies by hand (write, pause on a full
 * buffer, resume on drain) — measurably cheaper than `stream.pipeline()` and
 * than undici's `request()` Readable wrapper (see bench/).
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { ApiConfig, HttpBackendConfig } from '../../model';
import type { ErrorConversion } from '../error-conversion';
import { Errors, GatewayError, errorCode, sendError } from '../errors';
import { backendRequestHeaders, responseHeaders } from '../headers';
import type { BackendCallInFlight, HttpBackendHandler, RequestContext } from '../pipeline';
import { compileMapping, type BackendTarget, type MappingInput } from './mapping';

export interface HttpBackendEnv {
  readonly agent: Agent;
  /** Headers added to every response of this API (CORS), computed per request. */
  readonly trustForwarded: boolean;
  readonly maxBodyBytes: number;
  /** The API's declared error codes that replace backend statuses. */
  readonly conversion?: ErrorConversion;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Failures of a connection before any response byte that a keep-alive reuse
 * race produces (the backend closed the idle connection as the request went
 * out). An idempotent request without a body is sent once more on another
 * connection; a refused connect is not retried (a new connection fails alike).
 */
const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** 103 Early Hints relayed per response at most (a backend must not make the gateway write without bound). */
const MAX_EARLY_HINTS = 2;

/**
 * Body bytes of a converted response read and dropped at most, so that its
 * connection can be reused; past this (or the API's timeout) it is closed.
 */
const MAX_DISCARDED_BYTES = 64 * 1024;

export function createHttpHandler(api: ApiConfig, backend: HttpBackendConfig, env: HttpBackendEnv): HttpBackendHandler {
  const target: BackendTargetSpec = {
    env,
    map: compileMapping(backend.path, backend.parameterMappings, backend.constants),
    origin: backend.origin,
    timeout: backend.timeoutMs,
    method: backend.method,
    forwardsMethod: backend.method === 'ANY',
  };

  return {
    // HOT PATH
    handle(ctx: RequestContext): void {
      const { req, res } = ctx;
      const contentLength = req.headers['content-length'];
      if (contentLength !== undefined && Number(contentLength) > env.maxBodyBytes) {
        sendError(
          res,
          ctx.requestId,
          new GatewayError(Errors.PayloadTooLarge),
          req.method === 'HEAD',
          ctx.extraResponseHeaders,
        );
        req.resume();
        return;
      }
      new BackendCall(target, ctx, contentLength).start();
    },
    async close() {
      // The Agent is shared by the config's APIs and closed by the gateway.
    },
  };
}

/** What one HTTP backend is, compiled at config load. */
interface BackendTargetSpec {
  readonly env: HttpBackendEnv;
  readonly map: (input: MappingInput) => BackendTarget;
  readonly origin: string;
  readonly timeout: number;
  readonly method: string;
  readonly forwardsMethod: boolean;
}

/**
 * One request to the backend and its response to the client: the undici
 * dispatch handler itself, so that a request costs one object rather than a
 * closure per callback.
 * HOT PATH
 */
class BackendCall implements Dispatcher.DispatchHandler, BackendCallInFlight {
  private readonly req: IncomingMessage;
  private readonly res: ServerResponse;
  private readonly opts: Dispatcher.DispatchOptions;
  /** The client's body, streamed to the backend (null without a body, or when it was read before). */
  private readonly stream: Readable | null;
  private readonly timer: NodeJS.Timeout;
  private readonly started: number;
  private controller: Dispatcher.DispatchController | undefined = undefined;
  private done = false;
  private paused = false;
  private responded = false;
  private retried: boolean;
  private hints = 0;
  /** Converted response: body bytes still allowed to be dropped; -1 when not converting. */
  private discarding = -1;
  /** The final response's head, until its first body byte or its end. */
  private head: OutgoingHttpHeaders | undefined = undefined;
  private headStatus = 0;
  /** Set when the client's body is streamed: once it is in, the backend gets its whole timeout from there. */
  private onBodyEnd: (() => void) | undefined = undefined;
  private onDrain: (() => void) | undefined = undefined;

  constructor(
    private readonly target: BackendTargetSpec,
    private readonly ctx: RequestContext,
    contentLength: string | undefined,
  ) {
    const req = (this.req = ctx.req);
    this.res = ctx.res;
    const env = target.env;
    // A body read before (body validation) is sent as read; otherwise the client's is streamed.
    const buffered = ctx.body;
    const chunked = buffered === undefined && req.headers['transfer-encoding'] !== undefined;
    const hasBody =
      buffered !== undefined ? buffered.length > 0 : chunked || (contentLength !== undefined && contentLength !== '0');
    const mapped = target.map({ params: ctx.params, rest: ctx.rest, rawQuery: ctx.rawQuery });
    // ANY forwards the request's method; a GET backend gets a HEAD request as HEAD (the client wants no body).
    const method =
      target.forwardsMethod || (req.method === 'HEAD' && target.method === 'GET')
        ? (req.method as string)
        : target.method;
    const headers = backendRequestHeaders(
      ctx,
      mapped.setHeaders,
      mapped.removeHeaders,
      hasBody && !chunked ? (buffered !== undefined ? String(buffered.length) : contentLength) : undefined,
    );
    this.retried = !IDEMPOTENT.has(method) || hasBody;
    this.stream =
      hasBody && buffered === undefined
        ? chunked
          ? Readable.from(limitBody(req, env.maxBodyBytes), { objectMode: false })
          : req
        : null;
    this.opts = {
      origin: target.origin,
      path: mapped.path,
      method,
      headers,
      body: hasBody && buffered !== undefined ? buffered : this.stream,
    };
    this.started = performance.now();
    // The API's timeout, to the millisecond: until the response head, then between body chunks.
    // (undici's own timeouts tick at about one second, too coarse for short API timeouts.)
    this.timer = setTimeout(onBackendTimer, target.timeout, this);
  }

  start(): void {
    const stream = this.stream;
    if (stream) {
      this.onBodyEnd = () => {
        if (!this.responded && !this.done) this.timer.refresh();
      };
      stream.once('end', this.onBodyEnd);
    }
    // The client going away aborts the backend request (handler.ts calls `clientClosed`).
    this.ctx.backendCall = this;
    // No per-request undici timeouts: the timer is the API's timeout (a per-request value costs ~2 µs in undici).
    this.target.env.agent.dispatch(this.opts, this);
  }

  /**
   * Time spent waiting for the client does not count against the backend: neither a slow
   * client reading the response, nor a slow client sending its body (that is `requestTimeoutMs`).
   */
  timedOut(): void {
    if (this.discarding < 0 && (this.paused || waitingOnClient(this.stream))) this.timer.refresh();
    else
      this.abort(
        new GatewayError(Errors.GatewayTimeout, `the backend did not answer within ${this.target.timeout} ms`).because(
          'timeout',
        ),
      );
  }

  clientClosed(): void {
    // A converted response is the gateway's answer already; its backend body is only being dropped.
    if (this.discarding < 0) this.abort(new Error('client closed the connection'));
  }

  private abort(reason: Error): void {
    const c = this.controller;
    if (!this.done && c && !c.aborted) c.abort(reason);
  }

  private finish(): void {
    this.done = true;
    clearTimeout(this.timer);
    if (this.onDrain) this.res.off('drain', this.onDrain);
    if (this.onBodyEnd) (this.stream as Readable).off('end', this.onBodyEnd);
  }

  private writeHead(): void {
    this.res.writeHead(this.headStatus, this.head);
    this.head = undefined;
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, resHeaders: IncomingHttpHeaders): void {
    if (this.done) return;
    const { res, ctx } = this;
    if (statusCode < 200) {
      // Informational: never the client's final answer. 103 Early Hints are relayed (their
      // `Link` only, to HTTP/1.1 clients); the others mean nothing to the client and are dropped.
      // (undici itself fails on 100, never asked for, and on a 101 to a request that did not upgrade.)
      if (statusCode === 103 && this.hints < MAX_EARLY_HINTS && this.req.httpVersionMinor === 1) {
        this.hints++;
        relayEarlyHints(res, resHeaders.link);
      }
      return;
    }
    this.responded = true;
    this.timer.refresh();
    ctx.backendMs = performance.now() - this.started;
    const converted = this.target.env.conversion?.byStatus(statusCode);
    if (converted) {
      // The declared error replaces the answer now; the backend's body is read and dropped.
      this.discarding = MAX_DISCARDED_BYTES;
      if (this.onDrain) res.off('drain', this.onDrain);
      sendError(res, ctx.requestId, converted, this.req.method === 'HEAD', ctx.extraResponseHeaders);
      return;
    }
    const out: OutgoingHttpHeaders = responseHeaders(resHeaders, ctx);
    if (statusCode === 204 || statusCode === 304) {
      // No body, whatever the backend sent after the head (204 carries no length either): answer
      // now, so that stray bytes that fail the backend connection cannot cut the client's response.
      if (statusCode === 204) delete out['content-length'];
      this.finish();
      res.writeHead(statusCode, out);
      res.end();
      return;
    }
    // The head goes out with the first body byte (as Node would send it anyway): a backend that fails
    // before then still gets the client a 502/504 answer instead of a head and nothing.
    this.headStatus = statusCode;
    this.head = out;
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    if (this.discarding >= 0) {
      this.discarding -= chunk.length;
      if (this.discarding >= 0) this.timer.refresh();
      else {
        this.finish();
        c.abort(new Error('the body of a converted response is too large to drop'));
      }
      return;
    }
    this.timer.refresh();
    if (this.head) this.writeHead();
    if (!this.res.write(chunk)) {
      this.paused = true;
      c.pause();
      // Registered on the first full buffer only: most responses never need it.
      if (!this.onDrain) {
        this.onDrain = () => {
          if (this.done) return;
          this.paused = false;
          this.timer.refresh();
          this.controller?.resume();
        };
        this.res.on('drain', this.onDrain);
      }
    }
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.finish();
    if (this.discarding >= 0) return;
    if (this.head) this.writeHead();
    this.res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.done) return;
    if (this.discarding >= 0) return this.finish();
    const { req, res, ctx } = this;
    if (!this.responded && !this.retried && !res.destroyed && RETRY_CODES.has((err as { code?: string }).code ?? '')) {
      this.retried = true;
      this.target.env.agent.dispatch(this.opts, this);
      return;
    }
    this.finish();
    if (res.destroyed) return;
    const timeout = this.target.timeout;
    if (res.headersSent) {
      ctx.backendFailure = 'ResponseCut';
      ctx.failure = mapError(err, timeout).failure;
      res.destroy();
      return;
    }
    const mapped = mapError(err, timeout);
    if (mapped.status >= 500) {
      ctx.backendFailure = mapped.def.code;
      ctx.failure = mapped.failure;
    }
    // Whatever undici left of the request body is read and dropped, so the connection can serve on.
    if (!req.complete) req.resume();
    sendError(res, ctx.requestId, mapped, req.method === 'HEAD', ctx.extraResponseHeaders);
  }
}

function onBackendTimer(call: BackendCall): void {
  call.timedOut();
}

/**
 * True while the request body is being read from the client and none of it is
 * waiting for the backend: undici consumes the body in flowing mode and pauses
 * it when the backend connection is full, so "flowing and not ended" means the
 * gateway waits on the client.
 */
function waitingOnClient(body: Readable | null): boolean {
  return body !== null && !body.readableEnded && body.readableFlowing === true;
}

/** Relays a backend's 103 Early Hints; a `Link` that Node refuses (malformed) is dropped, never thrown. */
function relayEarlyHints(res: ServerResponse, link: string | string[] | undefined): void {
  if (link === undefined || res.headersSent) return;
  try {
    res.writeEarlyHints({ link });
  } catch {
    // Not a valid Link header: the hint is only an optimisation, drop it.
  }
}

function mapError(err: Error, timeout: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = errorCode(err, 'failed');
  if (TIMEOUT_CODES.has(code)) {
    return new GatewayError(Errors.GatewayTimeout, `the backend did not answer within ${timeout} ms`).because(
      'timeout',
      err.message,
    );
  }
  if (code === 'ECONNREFUSED') {
    return new GatewayError(Errors.BadGateway, 'the backend refused the connection').because(code, err.message);
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
    return new GatewayError(Errors.BadGateway, 'the backend closed the connection').because(code, err.message);
  }
  // DNS (ENOTFOUND, EAI_AGAIN), TLS (certificate errors), an invalid response (HPE_*, UND_ERR_*) ...
  return new GatewayError(Errors.BadGateway).because(code, err.message);
}

/** Streams a chunked request body, failing with 413 once it passes the limit. */
async function* limitBody(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw new GatewayError(Errors.PayloadTooLarge);
    yield chunk;
  }
}
