/**
 * WebSocket APIs served by functions: `register` on connect (may refuse the
 * connection), `transfer` for each message (a returned value is sent back),
 * `cleanup` on close. Events follow the function event of the document, with
 * `requestContext.connectionId` and `requestContext.websocketEvent`, built by
 * the same builder as HTTP events (`functions/event.ts`). Messages of one
 * connection are handled in order.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import type { FunctionTarget, WebSocketFunctionBackendConfig } from '../../model';
import type { EventLog } from '../access-log';
import { Errors, GatewayError, errorCode } from '../errors';
import { webSocketEvents } from '../functions/event';
import { functionLabel, type FunctionInvoker } from '../functions/invoker';
import type { AdmittedRequest } from '../pipeline';
import type { ConnectionRegistry } from './connections';
import type { WebSocketProxy } from './proxy';
import { rejectUpgrade } from './raw-response';

export interface WebSocketFunctionEnv {
  /** Only `invoke`: the compiler may hand a connection one that follows config changes. */
  readonly invoker: Pick<FunctionInvoker, 'invoke'>;
  readonly registry: ConnectionRegistry;
  /** Where a message or cleanup function's failure is logged (`function_failed`); none: not logged. */
  readonly events?: EventLog;
}

export function createWebSocketFunctions(
  backend: WebSocketFunctionBackendConfig,
  env: WebSocketFunctionEnv,
): WebSocketProxy {
  const wss = new WebSocketServer({ noServer: true, maxPayload: backend.maxMessageBytes, perMessageDeflate: false });
  const live = new Set<WebSocket>();
  // A promise that never rejects: a throwing invoker (or a sync throw) becomes a rejection to handle.
  const invoke = (target: FunctionTarget, requestId: string, e: unknown): Promise<unknown> =>
    Promise.resolve().then(() => env.invoker.invoke(target, e, requestId));

  return {
    handle(input) {
      const { ctx, socket, head } = input;
      const connectionId = randomUUID();
      const event = webSocketEvents(ctx, connectionId);
      const register = backend.register
        ? invoke(backend.register, ctx.requestId, event('connecting'))
        : Promise.resolve(undefined);
      register.then(
        (verdict) => {
          if (refused(verdict)) {
            rejectUpgrade(
              socket,
              ctx.requestId,
              new GatewayError(Errors.Forbidden, 'the registration function refused the connection'),
              ctx.extraResponseHeaders,
            );
            return input.answered(403);
          }
          if (!socket.writable) {
            // The client went away while the registration function ran.
            socket.destroy();
            return input.answered(499);
          }
          wss.handleUpgrade(ctx.req as IncomingMessage, socket, head, (ws) => {
            input.answered(101);
            serve(ws, connectionId, ctx, event);
          });
        },
        (err: unknown) => {
          const failure = err instanceof GatewayError ? err : new GatewayError(Errors.FunctionError);
          // The upgrade path logs it (`backend_failed`), as for an HTTP request.
          ctx.failure = failure.failure ?? { cause: errorCode(err, 'unknown') };
          rejectUpgrade(socket, ctx.requestId, failure, ctx.extraResponseHeaders);
          input.answered(failure.status, failure.def.code);
        },
      );
    },
    async close() {
      for (const ws of live) ws.close(1001, 'gateway shutting down');
      wss.close();
    },
  };

  /** `function_failed` (error): a message or cleanup function failed on an open connection. */
  function logFailure(ctx: AdmittedRequest, connectionId: string, target: FunctionTarget, err: unknown): void {
    const failure = err instanceof GatewayError ? err.failure : undefined;
    env.events?.error('function_failed', {
      requestId: ctx.requestId,
      connectionId,
      api: ctx.api.name,
      function: functionLabel(target),
      error: err instanceof GatewayError ? err.def.code : 'FunctionError',
      cause: failure?.cause ?? errorCode(err, 'unknown'),
      ...(failure?.detail ? { detail: failure.detail } : {}),
    });
  }

  function serve(
    ws: WebSocket,
    connectionId: string,
    ctx: AdmittedRequest,
    event: ReturnType<typeof webSocketEvents>,
  ): void {
    const requestId = ctx.requestId;
    live.add(ws);
    env.registry.add(connectionId, ws);
    ws.on('error', () => {
      // An oversize or malformed frame: ws closes the connection (1009/1002) and 'close' follows.
    });
    // Every link of the chain handles its own failure, so the chain never holds a rejection.
    let queue: Promise<unknown> = Promise.resolve();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const e = event('message', isBinary ? data.toString('base64') : data.toString('utf8'), isBinary);
      queue = queue
        .then(() => invoke(backend.transfer, requestId, e))
        .then(
          (reply) => sendReply(ws, reply),
          // A failing message function ends the connection: the client cannot be answered sensibly.
          (err: unknown) => {
            logFailure(ctx, connectionId, backend.transfer, err);
            ws.close(1011, 'the message function failed');
          },
        )
        .catch((err: unknown) => {
          logFailure(
            ctx,
            connectionId,
            backend.transfer,
            new GatewayError(Errors.FunctionBadResponse).because('bad_response', (err as Error)?.message),
          );
          ws.close(1011, 'the message function returned what cannot be sent');
        });
    });
    ws.once('close', () => {
      live.delete(ws);
      if (backend.cleanup) {
        const target = backend.cleanup;
        void queue
          .then(() => invoke(target, requestId, event('closing')))
          .catch((err: unknown) => logFailure(ctx, connectionId, target, err));
      }
    });
  }
}

/** A registration result that refuses: `false`, or an object with a 4xx/5xx `statusCode` or a non-zero `errNo`. */
function refused(v: unknown): boolean {
  if (v === false) return true;
  if (v && typeof v === 'object') {
    const r = v as { statusCode?: unknown; errNo?: unknown };
    if (typeof r.statusCode === 'number' && r.statusCode >= 400) return true;
    if (typeof r.errNo === 'number' && r.errNo !== 0) return true;
  }
  return false;
}

/**
 * Sends a transfer function's return value: strings as text, `{ body, isBase64Encoded }` as given, other values as
 * JSON. Throws for a value JSON cannot carry (a BigInt, a cycle): the caller closes the connection.
 */
function sendReply(ws: WebSocket, reply: unknown): void {
  if (reply === undefined || reply === null || ws.readyState !== WebSocket.OPEN) return;
  if (typeof reply === 'string') return ws.send(reply);
  const r = reply as { body?: unknown; isBase64Encoded?: unknown };
  if (typeof r === 'object' && typeof r.body === 'string') {
    return r.isBase64Encoded === true ? ws.send(Buffer.from(r.body, 'base64'), { binary: true }) : ws.send(r.body);
  }
  ws.send(JSON.stringify(reply));
}
