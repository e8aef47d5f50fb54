/**
 * Real function code on disk and a real HTTP server that hands each request
 * to a backend handler through a `RequestContext`, as the gateway does after
 * routing, parameters and auth.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { ApiConfig, FunctionTarget, GatewayConfig } from '../../../model';
import { requestInfo } from '../../../runtime/admission';
import { GatewayError } from '../../../runtime/errors';
import { compileHeaderPolicy } from '../../../runtime/headers';
import type { HttpBackendHandler, Identity, RequestContext, RequestParams } from '../../../runtime/pipeline';
import { api, gatewayConfig } from '../../helpers/config';
import { tempDir } from '../../helpers/temp';

/** Writes `files` (path → text) under a fresh temp folder and returns it. */
export function writeCode(files: Record<string, string>): string {
  const root = tempDir('apigw-fn-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A bundled function target in `dir` (relative to the config folder). */
export function bundled(dir: string, handler: string, extra: Partial<FunctionTarget> = {}): FunctionTarget {
  return {
    namespace: 'default',
    functionName: 'demo',
    version: '$LATEST',
    timeoutMs: 2000,
    source: { type: 'bundled', dir, handler, memoryMb: 64 },
    ...extra,
  };
}

/** What the gateway's earlier stages would have produced for a request. */
export interface Stages {
  readonly api?: ApiConfig;
  readonly config?: GatewayConfig;
  readonly pathParams?: (path: string) => Record<string, string>;
  readonly params?: (req: IncomingMessage, query: URLSearchParams) => Partial<RequestParams>;
  readonly identity?: (req: IncomingMessage) => Identity | undefined;
  readonly cors?: Record<string, string>;
}

export interface Served {
  readonly base: string;
  /** Request ids handed to the handler, in arrival order. */
  readonly requestIds: string[];
  close(): Promise<void>;
}

export async function serve(handler: HttpBackendHandler, stages: Stages = {}): Promise<Served> {
  const config = stages.config ?? gatewayConfig([]);
  const theApi =
    stages.api ??
    api('fn', '/fn/{id}', { type: 'mock', statusCode: 200, headers: {}, body: '', isBase64Encoded: false });
  const requestIds: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = new URLSearchParams(url.search);
    const requestId = randomUUID();
    requestIds.push(requestId);
    const info = requestInfo(req, config.service.limits.trustForwardedHeaders);
    const declared = stages.params?.(req, query) ?? {};
    const ctx: RequestContext = {
      req,
      res,
      requestId,
      startedAt: performance.now(),
      api: theApi,
      config,
      path: url.pathname,
      rawQuery: url.search.slice(1),
      query,
      pathParams: stages.pathParams?.(url.pathname) ?? {},
      params: { path: {}, query: {}, header: {}, ...declared },
      identity: stages.identity?.(req),
      peerIp: info.peerIp,
      clientIp: info.clientIp,
      protocol: 'http',
      host: req.headers.host ?? '',
      rest: '',
      headerPolicy: compileHeaderPolicy(theApi, config.service.limits),
      extraResponseHeaders: stages.cors,
      backendMs: undefined,
    };
    handler.handle(ctx);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    requestIds,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The GatewayError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof GatewayError)) throw new Error(`expected a GatewayError, got ${String(err)}`);
  return err;
}
