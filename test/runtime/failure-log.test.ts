/**
 * Regression: a function with a wrong handler name, or a backend whose host
 * does not resolve, answered 502 with nothing logged anywhere. Every backend
 * and function failure is now a `backend_failed` event (or `function_failed`
 * for a WebSocket message function) with the request id the client got and
 * the cause, which the client is never told; WebSocket upgrades are in the
 * access log; nothing secret and no body is ever logged.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import type { BackendConfig, FunctionTarget } from '../../model';
import { EventLog } from '../../runtime/access-log';
import { api, gatewayConfig, http } from '../helpers/config';
import { startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';
import { writeCode } from './functions/harness';

// Function timeouts well above a cold start on a loaded machine: only the `hangs` API tests a timeout.
const FUNCTION_TIMEOUT_MS = 15_000;
// A DNS label longer than 63 characters: the resolver fails it (ENOTFOUND) without sending a query.
const UNRESOLVABLE = `http://${'a'.repeat(64)}.invalid`;
const SECRET_BODY = 'body-that-must-never-be-logged';

let slow: Backend;
let wsServer: Server;
let gw: RunningGateway;

const fn = (handler: string, extra: Partial<FunctionTarget> = {}): BackendConfig => ({
  type: 'scf',
  responseIntegration: false,
  function: {
    namespace: 'default',
    functionName: handler.replace('index.', ''),
    version: '$LATEST',
    timeoutMs: FUNCTION_TIMEOUT_MS,
    source: { type: 'bundled', dir: 'fn', handler, memoryMb: 64 },
    ...extra,
  },
});

beforeAll(async () => {
  slow = await startBackend((_req, res) => setTimeout(() => res.end('late'), 1000));
  wsServer = createServer();
  const wss = new WebSocketServer({ server: wsServer });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
  await new Promise<void>((r) => wsServer.listen(0, '127.0.0.1', () => r()));
  const wsOrigin = `ws://127.0.0.1:${(wsServer.address() as AddressInfo).port}`;
  const code = writeCode({
    'fn/index.js': `
      exports.throws = async () => { throw new Error('the order service said no'); };
      exports.exits = async () => process.exit(3);
      exports.hangs = () => new Promise(() => {});
      exports.message = async (event) => { if (event.body === 'fail') throw new Error('cannot handle fail'); return event.body; };`,
  });
  const ws = (name: string, path: string, backend: BackendConfig) =>
    api(name, `=${path}`, backend, {
      frontend: { type: 'websocket', rawPath: `=${path}`, match: 'exact', path, method: 'GET' },
    });
  gw = await startGateway(
    gatewayConfig(
      [
        api('refused', '=/refused', http('http://127.0.0.1:1', '/')),
        api('unresolvable', '=/unresolvable', http(UNRESOLVABLE, '/')),
        api('slow', '=/slow', http(slow.origin, '/', { timeoutMs: 100 })),
        api('upload', '=/upload', http('http://127.0.0.1:1', '/', { method: 'POST' }), {
          frontend: { type: 'http', rawPath: '=/upload', match: 'exact', path: '/upload', method: 'POST' },
        }),
        api('wrongHandler', '=/wrong-handler', fn('index.nope')),
        api('throws', '=/throws', fn('index.throws')),
        api('exits', '=/exits', fn('index.exits')),
        api('hangs', '=/hangs', fn('index.hangs', { timeoutMs: 100 })),
        api('remote', '=/remote', {
          type: 'scf',
          responseIntegration: false,
          function: {
            namespace: 'default',
            functionName: 'remote',
            version: '$LATEST',
            timeoutMs: 2000,
            source: { type: 'remote', url: 'http://127.0.0.1:1/invoke?key=remote-url-secret', headers: {} },
          },
        }),
        ws('wsRefused', '/ws-refused', {
          type: 'websocket',
          origin: 'ws://127.0.0.1:1',
          path: '/',
          connectTimeoutMs: 1000,
          parameterMappings: [],
          constants: [],
          maxMessageBytes: 1024,
        }),
        ws('wsEcho', '/ws-echo', {
          type: 'websocket',
          origin: wsOrigin,
          path: '/',
          connectTimeoutMs: 1000,
          parameterMappings: [],
          constants: [],
          maxMessageBytes: 1024,
        }),
        ws('wsFunctions', '/ws-fn', {
          type: 'websocketFunctions',
          transfer: {
            namespace: 'default',
            functionName: 'message',
            version: '$LATEST',
            timeoutMs: FUNCTION_TIMEOUT_MS,
            source: { type: 'bundled', dir: 'fn', handler: 'index.message', memoryMb: 64 },
          },
          maxMessageBytes: 1024,
        }),
        api('partner', '=/partner', http(slow.origin, '/'), { auth: { type: 'keyPair' } }),
      ],
      {
        keyPairs: [{ secretId: 'p', secretKey: { env: 'PARTNER_KEY' } }],
        usagePlans: [{ name: 'p', keyPairs: ['p'] }],
      },
    ),
    { PARTNER_KEY: 'partner-key-secret' },
    code,
  );
});

afterAll(async () => {
  await gw.close();
  await slow.close();
  wsServer.closeAllConnections();
  await new Promise<void>((r) => wsServer.close(() => r()));
});

/** Calls the gateway; returns what the client got and the `backend_failed` event of that request. */
async function call(path: string, method = 'GET', body?: string) {
  const res = await request(`${gw.base}${path}`, { method, body });
  const text = await res.body.text();
  const requestId = String(res.headers['x-api-requestid']);
  const event = await eventOf(requestId, 'backend_failed');
  return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown>, requestId, event };
}

/** The event of `name` for a request id; events are written when the answer is done, so wait a moment. */
async function eventOf(requestId: string, name: string): Promise<Record<string, unknown> | undefined> {
  for (let i = 0; i < 50; i++) {
    const e = gw.events.find((x) => x.event === name && x.requestId === requestId);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

describe('HTTP backends', () => {
  it.each([
    ['refused', '/refused', 502, 'BadGateway', 'ECONNREFUSED'],
    ['unresolvable', '/unresolvable', 502, 'BadGateway', 'ENOTFOUND'],
    ['slow', '/slow', 504, 'GatewayTimeout', 'timeout'],
  ])(
    'logs a %s backend with the request id and cause; the client gets only the error',
    async (api, path, status, code, cause) => {
      const got = await call(path);
      expect(got.status).toBe(status);
      expect(got.body.code).toBe(code);
      expect(got.event).toMatchObject({ level: 'error', api, backend: 'http', status, error: code, cause });
      expect(JSON.stringify(got.body)).not.toContain(cause === 'timeout' ? 'UND_ERR' : cause);
    },
  );

  it('never logs the request body', async () => {
    const got = await call('/upload', 'POST', SECRET_BODY);
    expect(got.event).toMatchObject({ cause: 'ECONNREFUSED' });
    expect(JSON.stringify(gw.events)).not.toContain(SECRET_BODY);
  });
});

describe('functions', () => {
  it.each([
    ['a wrong handler name', '/wrong-handler', 502, 'handler_not_found', 'handler "index.nope" is not a function'],
    ['a throw', '/throws', 502, 'threw', 'the order service said no'],
    ['an exit', '/exits', 502, 'exited', 'exit code 3'],
    ['a timeout', '/hangs', 504, 'timeout', undefined],
  ])(
    'logs %s with the function and cause, and tells the client only the code',
    async (_what, path, status, cause, detail) => {
      const got = await call(path);
      expect(got.status).toBe(status);
      expect(got.event).toMatchObject({ backend: 'scf', function: expect.stringMatching(/^default\//), status, cause });
      if (detail) {
        expect(got.event?.detail).toBe(detail);
        expect(JSON.stringify(got.body)).not.toContain(detail);
      }
    },
  );

  it('logs a remote function that cannot be reached without its URL (it may hold a key)', async () => {
    const got = await call('/remote');
    expect(got.status).toBe(502);
    expect(got.event).toMatchObject({ function: 'default/remote/$LATEST', cause: 'ECONNREFUSED' });
    expect(JSON.stringify(gw.events)).not.toContain('remote-url-secret');
  });
});

describe('WebSocket', () => {
  const open = (path: string) =>
    new Promise<{ ws: WebSocket | undefined; status: number; requestId: string }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.port}${path}`);
      ws.once('open', () => resolve({ ws, status: 101, requestId: '' }));
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve({ ws: undefined, status: res.statusCode ?? 0, requestId: String(res.headers['x-api-requestid']) });
      });
      ws.once('error', () => undefined);
    });
  const accessLines = () =>
    gw.logs
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('logs an upgrade whose backend refuses, and puts upgrades in the access log (101 or the error status)', async () => {
    const refused = await open('/ws-refused');
    expect(refused.status).toBe(502);
    expect(await eventOf(refused.requestId, 'backend_failed')).toMatchObject({
      api: 'wsRefused',
      backend: 'websocket',
      cause: 'ECONNREFUSED',
    });
    const echo = await open('/ws-echo');
    expect(echo.status).toBe(101);
    echo.ws?.close();
    await new Promise((r) => setTimeout(r, 100)); // the access log is flushed every 50 ms
    const lines = accessLines();
    expect(lines).toContainEqual(
      expect.objectContaining({ requestId: refused.requestId, api: 'wsRefused', path: '/ws-refused', status: 502 }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ api: 'wsEcho', method: 'GET', status: 101 }));
  });

  it('logs a message function that fails on an open connection', async () => {
    const { ws } = await open('/ws-fn');
    const closed = new Promise<number>((r) => ws?.once('close', (code) => r(code)));
    ws?.send('fail');
    expect(await closed).toBe(1011);
    const event = gw.events.find((e) => e.event === 'function_failed');
    expect(event).toMatchObject({
      level: 'error',
      api: 'wsFunctions',
      function: 'default/message/$LATEST',
      cause: 'threw',
      detail: 'cannot handle fail',
    });
    expect(event?.connectionId).toEqual(expect.any(String));
  });
});

describe('log level', () => {
  it('at debug, says why the gateway refused a request, without the credentials', async () => {
    const res = await request(`${gw.base}/partner`, { headers: { authorization: 'hmac id="p", signature="x"' } });
    await res.body.text();
    const requestId = String(res.headers['x-api-requestid']);
    expect(res.statusCode).toBe(401);
    expect(await eventOf(requestId, 'request_refused')).toMatchObject({
      level: 'debug',
      api: 'partner',
      status: 401,
      code: 'Unauthorized',
      message: expect.any(String),
    });
    expect(JSON.stringify(gw.events)).not.toContain('partner-key-secret');
  });

  it('writes only the events of its level and above', () => {
    const lines: string[] = [];
    const events = new EventLog('warn', (t) => lines.push(t));
    events.debug('a');
    events.info('b');
    events.warn('c');
    events.error('d');
    expect(lines.map((l) => (JSON.parse(l) as { event: string; level: string }).event)).toEqual(['c', 'd']);
    expect(events.enabled('info')).toBe(false);
    expect(events.enabled('error')).toBe(true);
  });
});
