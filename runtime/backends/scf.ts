/** Function backend: buffers the request body (bounded), invokes the function, writes its result. */
import type { ApiConfig, ScfBackendConfig } from '../../model';
import { Errors, GatewayError, errorBody, sendError } from '../errors';
import { buildEvent } from '../functions/event';
import type { FunctionInvoker } from '../functions/invoker';
import { FunctionThrew } from '../functions/pool';
import { integrationResult, passthroughResult } from '../functions/response';
import type { HttpBackendHandler, RequestContext } from '../pipeline';
import { readBody } from '../read-body';

export interface ScfEnv {
  readonly invoker: FunctionInvoker;
  readonly maxBodyBytes: number;
  /** Include the function's error message and stack in 502 bodies (APIGW_DEBUG=1). */
  readonly debug: boolean;
}

export function createScfHandler(_api: ApiConfig, backend: ScfBackendConfig, env: ScfEnv): HttpBackendHandler {
  env.invoker.register(backend.function);
  return {
    handle(ctx: RequestContext): void {
      const started = process.hrtime.bigint();
      readBody(ctx.req, env.maxBodyBytes)
        .then((body) => env.invoker.invoke(backend.function, buildEvent(ctx, body), ctx.requestId))
        .then((value) => {
          ctx.backendMs = Number(process.hrtime.bigint() - started) / 1e6;
          const result = backend.responseIntegration ? integrationResult(value) : passthroughResult(value);
          if (ctx.res.destroyed) return;
          ctx.res.writeHead(result.statusCode, {
            ...result.headers,
            ...ctx.extraResponseHeaders,
            'content-length': result.body.length,
            'x-api-requestid': ctx.requestId,
          });
          ctx.res.end(ctx.req.method === 'HEAD' ? undefined : result.body);
        })
        .catch((err: unknown) => {
          ctx.backendMs = Number(process.hrtime.bigint() - started) / 1e6;
          if (err instanceof FunctionThrew && env.debug) return sendDebug(ctx, err);
          sendError(
            ctx.res,
            ctx.requestId,
            err instanceof GatewayError ? err : new GatewayError(Errors.InternalError),
            ctx.req.method === 'HEAD',
          );
        });
    },
    close: async () => {},
  };
}

function sendDebug(ctx: RequestContext, err: FunctionThrew): void {
  const body = JSON.stringify({
    ...(JSON.parse(errorBody(err, ctx.requestId)) as object),
    functionError: { message: err.failure.message, stack: err.failure.stack },
  });
  ctx.res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8',
    'x-api-requestid': ctx.requestId,
  });
  ctx.res.end(body);
}
