/**
 * HTTP backend: forwards through a pooled keep-alive undici Agent using the
 * raw dispatch API, and streams both bodies by hand (write, pause on a full
 * buffer, resume on drain) — measurably cheaper than `stream.pipeline()` and
 * than undici's `request()` Readable wrapper (see bench/).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { ApiConfig, HttpBackendConfig } from '../../model';
import type { ErrorConversion } from '../error-conversion';
import { Errors, GatewayError, errorCode, sendError } from '../errors';
import { backendRequestHeaders, responseHeaders } from '../headers';
import type { HttpBackendHandler, RequestContext } from '../pipeline';
import { compileMapping } from './mapping';

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
  const map = compileMapping(backend.path, backend.parameterMappings, backend.constants);
  const origin = backend.origin;
  const timeout = backend.timeoutMs;
  const forwardsMethod = backend.method === 'ANY';

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
      // A body read before (body validation) is sent as read; otherwise the client's is streamed.
      const buffered = ctx.body;
      const chunked = buffered === undefined && req.headers['transfer-encoding'] !== undefined;
      const hasBody =
        buffered !== undefined
          ? buffered.length > 0
          : chunked || (contentLength !== undefined && contentLength !== '0');
      const target = map({ params: ctx.params, rest: ctx.rest, rawQuery: ctx.rawQuery });
      // ANY forwards the request's method; a GET backend gets a HEAD request as HEAD (the client wants no body).
      const method =
        forwardsMethod || (req.method === 'HEAD' && backend.method === 'GET') ? (req.method as string) : backend.method;
      const headers = backendRequestHeaders(
        ctx,
        target.setHeaders,
        target.removeHeaders,
        hasBody && !chunked ? (buffered !== undefined ? String(buffered.length) : contentLength) : undefined,
      );
      const started = performance.now();
      let controller: Dispatcher.DispatchController | undefined;
      let done = false;
      let paused = false;
      let responded = false;
      let retried = !IDEMPOTENT.has(method) || hasBody;
      let hints = 0;
      /** Converted response: body bytes still allowed to be dropped; -1 when not converting. */
      let discarding = -1;
      /** The final response's head, until its first body byte or its end. */
      let head: OutgoingHttpHeaders | undefined;
      let headStatus = 0;
      const writeHead = (): void => {
        res.writeHead(headStatus, head);
        head = undefined;
      };

      const stream =
        hasBody && buffered === undefined
          ? chunked
            ? Readable.from(limitBody(req, env.maxBodyBytes), { objectMode: false })
            : req
          : null;
      const body = hasBody && buffered !== undefined ? buffered : stream;

      const abort = (reason: Error): void => {
        if (!done && controller && !controller.aborted) controller.abort(reason);
      };
      // The API's timeout, to the millisecond: until the response head, then between body chunks.
      // (undici's own timeouts tick at about one second, too coarse for short API timeouts.)
      // Time spent waiting for the client does not count against the backend: neither a slow
      // client reading the response, nor a slow client sending its body (that is `requestTimeoutMs`).
      const timer = setTimeout(function onTimeout() {
        if (discarding < 0 && (paused || waitingOnClient(stream))) timer.refresh();
        else
          abort(
            new GatewayError(Errors.GatewayTimeout, `the backend did not answer within ${timeout} ms`).because(
              'timeout',
            ),
          );
      }, timeout);
      // Once the body is in, the backend gets its whole timeout from there.
      const onBodyEnd = (): void => {
        if (!responded && !done) timer.refresh();
      };
      if (stream) stream.once('end', onBodyEnd);
      const onClientClose = (): void => abort(new Error('client closed the connection'));
      res.on('close', onClientClose);
      const onDrain = (): void => {
        paused = false;
        timer.refresh();
        controller?.resume();
      };
      res.on('drain', onDrain);
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        res.off('close', onClientClose);
        res.off('drain', onDrain);
        if (stream) stream.off('end', onBodyEnd);
      };

      const opts: Dispatcher.DispatchOptions = {
        origin,
        path: target.path,
        method,
        headers,
        body,
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(_c, statusCode, resHeaders) {
          if (done) return;
          if (statusCode < 200) {
            // Informational: never the client's final answer. 103 Early Hints are relayed (their
            // `Link` only, to HTTP/1.1 clients); the others mean nothing to the client and are dropped.
            // (undici itself fails on 100, never asked for, and on a 101 to a request that did not upgrade.)
            if (statusCode === 103 && hints < MAX_EARLY_HINTS && req.httpVersionMinor === 1) {
              hints++;
              relayEarlyHints(res, resHeaders.link);
            }
            return;
          }
          responded = true;
          timer.refresh();
          ctx.backendMs = performance.now() - started;
          const converted = env.conversion?.byStatus(statusCode);
          if (converted) {
            // The declared error replaces the answer now; the backend's body is read and dropped.
            discarding = MAX_DISCARDED_BYTES;
            res.off('close', onClientClose);
            res.off('drain', onDrain);
            sendError(res, ctx.requestId, converted, req.method === 'HEAD', ctx.extraResponseHeaders);
            return;
          }
          const out: OutgoingHttpHeaders = responseHeaders(resHeaders, ctx);
          if (statusCode === 204 || statusCode === 304) {
            // No body, whatever the backend sent after the head (204 carries no length either): answer
            // now, so that stray bytes that fail the backend connection cannot cut the client's response.
            if (statusCode === 204) delete out['content-length'];
            finish();
            res.writeHead(statusCode, out);
            res.end();
            return;
          }
          // The head goes out with the first body byte (as Node would send it anyway): a backend that fails
          // before then still gets the client a 502/504 answer instead of a head and nothing.
          headStatus = statusCode;
          head = out;
        },
        onResponseData(c, chunk) {
          if (done) return;
          if (discarding >= 0) {
            discarding -= chunk.length;
            if (discarding >= 0) timer.refresh();
            else {
              finish();
              c.abort(new Error('the body of a converted response is too large to drop'));
            }
            return;
          }
          timer.refresh();
          if (head) writeHead();
          if (!res.write(chunk)) {
            paused = true;
            c.pause();
          }
        },
        onResponseEnd() {
          if (done) return;
          finish();
          if (discarding >= 0) return;
          if (head) writeHead();
          res.end();
        },
        onResponseError(_c, err) {
          if (done) return;
          if (discarding >= 0) return finish();
          if (!responded && !retried && !res.destroyed && RETRY_CODES.has((err as { code?: string }).code ?? '')) {
            retried = true;
            env.agent.dispatch(opts, handler);
            return;
          }
          finish();
          if (res.destroyed) return;
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
        },
      };
      // No per-request undici timeouts: the timer above is the API's timeout (a per-request value costs ~2 µs in undici).
      env.agent.dispatch(opts, handler);
    },
    async close() {
      // The Agent is shared by the config's APIs and closed by the gateway.
    },
  };
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
