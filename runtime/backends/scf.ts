/** Function backend: buffers the request body (bounded), invokes the function, writes its result. */
import type { ApiConfig, ScfBackendConfig } from '../../model';
import { resultErrorCode, type ErrorConversion } from '../error-conversion';
import { Errors, GatewayError, sendError } from '../errors';
import { buildEvent } from '../functions/event';
import { responseHeaders } from '../headers';
import { FunctionInvoker } from '../functions/invoker';
import { FunctionThrew } from '../functions/pool';
import { integrationResult, passthroughResult, type HttpResult } from '../functions/response';
import type { HttpBackendHandler, RequestContext } from '../pipeline';
import { readBody } from '../read-body';

export type ScfEnv = {
  /** Include the function's error message and stack in 502 bodies (APIGW_DEBUG=1); never in production. */
  readonly debug: boolean;
  /** Request body limit; default: the config's `limits.maxBodyBytes`. */
  readonly maxBodyBytes?: number;
  /** The API's declared error codes that replace function error codes (and integration statuses). */
  readonly conversion?: ErrorConversion;
} & (
  | {
      /** A shared invoker (the gateway's, also used by WebSocket function APIs); its owner closes it. */
      readonly invoker: FunctionInvoker;
    }
  | {
      /** Folder of the config file: bundled code resolves against it. The handler owns its invoker. */
      readonly baseDir: string;
    }
);

/** Statuses whose responses never have a body. */
const NO_BODY = new Set([204, 304]);

export function createScfHandler(_api: ApiConfig, backend: ScfBackendConfig, env: ScfEnv): HttpBackendHandler {
  const owned = 'invoker' in env ? undefined : new FunctionInvoker({ baseDir: env.baseDir });
  const invoker = 'invoker' in env ? env.invoker : (owned as FunctionInvoker);
  // Missing code fails here, at config load.
  invoker.register(backend.function);

  const write = (ctx: RequestContext, result: HttpResult): void => {
    const { req, res } = ctx;
    if (res.destroyed || res.headersSent) return;
    const empty = NO_BODY.has(result.statusCode);
    // With CORS on, the gateway's Access-Control-* headers replace the function's.
    const headers = responseHeaders(result.headers, ctx);
    if (!empty) headers['content-length'] = result.body.length;
    res.writeHead(result.statusCode, headers);
    res.end(req.method === 'HEAD' || empty ? undefined : result.body);
  };

  const conversion = env.conversion;
  /** The declared error a result converts to, if any: its error code first, then an integration status. */
  const convertResult = (value: unknown): GatewayError | undefined => {
    if (!conversion) return undefined;
    const byCode = conversion.byFunctionCode(resultErrorCode(value));
    if (byCode || !backend.responseIntegration) return byCode;
    const status = (value as { statusCode?: unknown } | null)?.statusCode;
    return typeof status === 'number' ? conversion.byStatus(status) : undefined;
  };

  const fail = (ctx: RequestContext, err: unknown): void => {
    const head = ctx.req.method === 'HEAD';
    // A function's error code the API converts (`response.errorCodes` from a function) is an answer, not a failure.
    const converted = err instanceof FunctionThrew ? conversion?.byFunctionCode(err.thrown.code) : undefined;
    if (converted) return sendError(ctx.res, ctx.requestId, withCors(converted, ctx), head);
    const gatewayErr =
      err instanceof GatewayError
        ? err
        : new GatewayError(Errors.InternalError).because('gateway_bug', (err as Error)?.message);
    if (gatewayErr.status >= 500) {
      ctx.backendFailure = gatewayErr.def.code;
      ctx.failure = gatewayErr.failure;
    }
    if (err instanceof FunctionThrew && env.debug) return sendDebug(ctx, err, head);
    sendError(ctx.res, ctx.requestId, withCors(gatewayErr, ctx), head);
  };

  return {
    handle(ctx: RequestContext): void {
      const started = process.hrtime.bigint();
      const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e6;
      // A body read before (body validation) is the one to send.
      const body = ctx.body
        ? Promise.resolve(ctx.body)
        : readBody(ctx.req, env.maxBodyBytes ?? ctx.config.service.limits.maxBodyBytes);
      body
        .then((bytes) => invoker.invoke(backend.function, buildEvent(ctx, bytes), ctx.requestId))
        .then((value) => {
          ctx.backendMs = elapsed();
          const converted = convertResult(value);
          if (converted) return sendError(ctx.res, ctx.requestId, withCors(converted, ctx), ctx.req.method === 'HEAD');
          write(ctx, backend.responseIntegration ? integrationResult(value) : passthroughResult(value));
        })
        .catch((err: unknown) => {
          ctx.backendMs ??= elapsed();
          fail(ctx, err);
        });
    },
    close: async () => {
      await owned?.close();
    },
  };
}

/** Errors carry the CORS headers too, so a browser can read them. */
function withCors(err: GatewayError, ctx: RequestContext): GatewayError {
  if (!ctx.extraResponseHeaders) return err;
  return new GatewayError(err.def, err.message, { ...err.headers, ...ctx.extraResponseHeaders });
}

/** The usual error body plus what the function threw: for development only. */
function sendDebug(ctx: RequestContext, err: FunctionThrew, head: boolean): void {
  if (ctx.res.headersSent) {
    ctx.res.destroy();
    return;
  }
  const body = JSON.stringify({
    code: err.def.code,
    message: err.message,
    requestId: ctx.requestId,
    functionError: { message: err.thrown.message, stack: err.thrown.stack },
  });
  ctx.res.writeHead(err.status, {
    ...ctx.extraResponseHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-api-requestid': ctx.requestId,
  });
  ctx.res.end(head ? undefined : body);
}
