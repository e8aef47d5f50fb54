/**
 * HTTP backend: forwards through a pooled keep-alive undici Agent using the
 * raw dispatch API, and streams both bodies by hand (write, pause on a full
 * buffer, resume on drain) — measurably cheaper than `stream.pipeline()` and
 * than undici's `request()` Readable wrapper (see bench/).
 */
import { Readable } from 'node:stream';
import type { Agent, Dispatcher } from 'undici';
import type { ApiConfig, HttpBackendConfig } from '../../model';
import { Errors, GatewayError, sendError } from '../errors';
import { backendRequestHeaders, responseHeaders } from '../headers';
import type { HttpBackendHandler, RequestContext } from '../pipeline';
import { compileMapping } from './mapping';

export interface HttpBackendEnv {
  readonly agent: Agent;
  /** Headers added to every response of this API (CORS), computed per request. */
  readonly trustForwarded: boolean;
  readonly maxBodyBytes: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export function createHttpHandler(api: ApiConfig, backend: HttpBackendConfig, env: HttpBackendEnv): HttpBackendHandler {
  const map = compileMapping(backend.path, backend.parameterMappings, backend.constants);
  const origin = backend.origin;
  const timeout = backend.timeoutMs;

  return {
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
      const chunked = req.headers['transfer-encoding'] !== undefined;
      const hasBody = chunked || (contentLength !== undefined && contentLength !== '0');
      const target = map({ params: ctx.params, rest: ctx.rest, rawQuery: ctx.rawQuery });
      const method = req.method === 'HEAD' && backend.method === 'GET' ? 'HEAD' : backend.method;
      const headers = backendRequestHeaders(
        ctx,
        target.setHeaders,
        target.removeHeaders,
        hasBody && !chunked ? contentLength : undefined,
      );
      const started = process.hrtime.bigint();
      let controller: Dispatcher.DispatchController | undefined;
      let done = false;
      let paused = false;

      const abort = (reason: Error): void => {
        if (!done && controller && !controller.aborted) controller.abort(reason);
      };
      // The API's timeout, to the millisecond: until the response head, then between body chunks.
      // (undici's own timeouts tick at about one second, too coarse for short API timeouts.)
      // Time spent waiting for a slow client to read is not the backend's fault.
      const timer = setTimeout(function onTimeout() {
        if (paused) timer.refresh();
        else abort(new GatewayError(Errors.GatewayTimeout, `the backend did not answer within ${timeout} ms`));
      }, timeout);
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
      };

      const body = hasBody
        ? chunked
          ? Readable.from(limitBody(req, env.maxBodyBytes), { objectMode: false })
          : req
        : null;

      env.agent.dispatch(
        // No per-request undici timeouts: the timer above is the API's timeout (a per-request value costs ~2 µs in undici).
        {
          origin,
          path: target.path,
          method,
          headers,
          body,
        },
        {
          onRequestStart(c) {
            controller = c;
          },
          onResponseStart(_c, statusCode, resHeaders) {
            timer.refresh();
            ctx.backendMs = Number(process.hrtime.bigint() - started) / 1e6;
            res.writeHead(statusCode, responseHeaders(resHeaders, ctx));
          },
          onResponseData(c, chunk) {
            timer.refresh();
            if (!res.write(chunk)) {
              paused = true;
              c.pause();
            }
          },
          onResponseEnd() {
            finish();
            res.end();
          },
          onResponseError(_c, err) {
            finish();
            if (res.destroyed) return;
            if (res.headersSent) {
              ctx.backendFailure = 'ResponseCut';
              res.destroy();
              return;
            }
            const mapped = mapError(err, timeout);
            ctx.backendFailure = mapped.def.code;
            sendError(res, ctx.requestId, mapped, req.method === 'HEAD', ctx.extraResponseHeaders);
          },
        },
      );
    },
    async close() {
      // The Agent is shared by the config's APIs and closed by the gateway.
    },
  };
}

function mapError(err: Error, timeout: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string }).code;
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new GatewayError(Errors.GatewayTimeout, `the backend did not answer within ${timeout} ms`);
  }
  if (code === 'ECONNREFUSED') return new GatewayError(Errors.BadGateway, 'the backend refused the connection');
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
    return new GatewayError(Errors.BadGateway, 'the backend closed the connection');
  }
  return new GatewayError(Errors.BadGateway);
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
