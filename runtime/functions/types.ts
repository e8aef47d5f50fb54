/**
 * What function code is written against, published as `cdktf-apigw/functions`:
 * types only, so a handler can import them without loading the gateway.
 *
 *   import type { FunctionEvent, FunctionContext, IntegrationResponse } from 'cdktf-apigw/functions';
 *   export async function main_handler(event: FunctionEvent, context: FunctionContext): Promise<IntegrationResponse> { ... }
 */
import type { FunctionEvent } from './event';
import type { FunctionContext } from './invoker';

export type { FunctionEvent } from './event';
export type { FunctionContext } from './invoker';

/**
 * What a function with response integration returns (`responseIntegration: true`);
 * anything else is answered `502 FunctionBadResponse`. Without response
 * integration the return value itself is sent as JSON with status 200.
 */
export interface IntegrationResponse {
  /** 200 to 599. */
  readonly statusCode: number;
  /** Header values are strings, never arrays; framing and hop-by-hop headers are the gateway's and dropped. */
  readonly headers?: Record<string, string>;
  /** Text, or base64 when `isBase64Encoded` is true. @default '' */
  readonly body?: string;
  /** @default false */
  readonly isBase64Encoded?: boolean;
}

/** The event of a function behind a WebSocket API (`WebSocketFunctionBackend`). */
export interface WebSocketFunctionEvent extends FunctionEvent {
  readonly requestContext: FunctionEvent['requestContext'] & {
    readonly connectionId: string;
    readonly websocketEvent: 'connecting' | 'message' | 'closing';
  };
}

/** A handler, `exports.main_handler = async (event, context) => ...` (callback style works too). */
export type FunctionHandler<Result = IntegrationResponse | unknown> = (
  event: FunctionEvent,
  context: FunctionContext,
) => Result | Promise<Result>;
