/**
 * WebSocket APIs served by functions: `register` on connect (may refuse the
 * connection), `transfer` for each message (a returned value is sent back),
 * `cleanup` on close. Events follow the function event of the document, with
 * `requestContext.connectionId` and `requestContext.websocketEvent`.
 * Messages of one connection are handled in order.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';
import type { FunctionTarget, GatewayConfig, WebSocketFunctionBackendConfig } from '../../model';
import { Errors, GatewayError } from '../errors';
import type { FunctionInvoker } from '../functions/invoker';
import type { ConnectionRegistry } from './connections';
import type { UpgradeInput, WebSocketProxy } from './proxy';
import { rejectUpgrade } from './raw-response';

export interface WebSocketFunctionEnv {
  /** Only `invoke`: the compiler may hand a connection one that follows config changes. */
  readonly invoker: Pick<FunctionInvoker, 'invoke'>;
  readonly config: GatewayConfig;
  readonly registry: ConnectionRegistry;
}

type WsEvent = 'connecting' | 'message' | 'closing';

export function createWebSocketFunctions(
  apiPath: string,
  backend: WebSocketFunctionBackendConfig,
  env: WebSocketFunctionEnv,
): WebSocketProxy {
  const wss = new WebSocketServer({ noServer: true, maxPayload: backend.maxMessageBytes, perMessageDeflate: false });
  const live = new Set<WebSocket>();

  const event = (
    input: UpgradeInput,
    connectionId: string,
    kind: WsEvent,
    body = '',
    isBase64Encoded = false,
  ): unknown => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(input.req.headers))
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return {
      requestContext: {
        serviceId: env.config.service.id,
        path: apiPath,
        httpMethod: 'GET',
        requestId: input.requestId,
        connectionId,
        websocketEvent: kind,
        identity: input.identity?.secretId ? { secretId: input.identity.secretId } : {},
        sourceIp: input.clientIp,
        stage: env.config.service.stage.name,
      },
      headers,
      body,
      isBase64Encoded,
      pathParameters: { ...input.params.path },
      queryStringParameters: { ...input.params.query },
      headerParameters: { ...input.params.header },
      stageVariables: { stage: env.config.service.stage.name, ...env.config.service.stage.variables },
      path: input.path,
      httpMethod: 'GET',
    };
  };
  const invoke = (target: FunctionTarget, input: UpgradeInput, e: unknown): Promise<unknown> =>
    env.invoker.invoke(target, e, input.requestId);

  return {
    handle(input) {
      const connectionId = randomUUID();
      const register = backend.register
        ? invoke(backend.register, input, event(input, connectionId, 'connecting'))
        : Promise.resolve(undefined);
      register.then(
        (verdict) => {
          if (refused(verdict)) {
            rejectUpgrade(
              input.socket,
              input.requestId,
              new GatewayError(Errors.Forbidden, 'the registration function refused the connection'),
            );
            return input.answered(403);
          }
          wss.handleUpgrade(input.req as IncomingMessage, input.socket, input.head, (ws) => {
            input.answered(101);
            live.add(ws);
            env.registry.add(connectionId, ws);
            let queue: Promise<unknown> = Promise.resolve();
            ws.on('message', (data: Buffer, isBinary: boolean) => {
              const e = event(
                input,
                connectionId,
                'message',
                isBinary ? data.toString('base64') : data.toString('utf8'),
                isBinary,
              );
              queue = queue
                .then(() => invoke(backend.transfer, input, e))
                .then(
                  (reply) => sendReply(ws, reply),
                  // A failing message function ends the connection: the client cannot be answered sensibly.
                  () => ws.close(1011, 'the message function failed'),
                );
            });
            ws.once('close', () => {
              live.delete(ws);
              if (backend.cleanup) {
                const target = backend.cleanup;
                void queue
                  .then(() => invoke(target, input, event(input, connectionId, 'closing')))
                  .catch(() => undefined);
              }
            });
          });
        },
        (err: unknown) => {
          const failure = err instanceof GatewayError ? err : new GatewayError(Errors.FunctionError);
          rejectUpgrade(input.socket, input.requestId, failure);
          input.answered(failure.status, failure.def.code);
        },
      );
    },
    async close() {
      for (const ws of live) ws.close(1001, 'gateway shutting down');
      wss.close();
    },
  };
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

/** Sends a transfer function's return value: strings as text, `{ body, isBase64Encoded }` as given, other values as JSON. */
function sendReply(ws: WebSocket, reply: unknown): void {
  if (reply === undefined || reply === null || ws.readyState !== WebSocket.OPEN) return;
  if (typeof reply === 'string') return ws.send(reply);
  const r = reply as { body?: unknown; isBase64Encoded?: unknown };
  if (typeof r === 'object' && typeof r.body === 'string') {
    return r.isBase64Encoded === true ? ws.send(Buffer.from(r.body, 'base64'), { binary: true }) : ws.send(r.body);
  }
  ws.send(JSON.stringify(reply));
}
