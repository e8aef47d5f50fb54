/**
 * What a client must not notice when a config is applied: open WebSocket
 * connections (proxied and function-served) stay open and keep relaying after
 * the old generation retired, usage-plan counters are kept, and changed
 * server limits take effect on the listening servers.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import type { ApiConfig, BackendConfig, GatewayConfig } from '../../../model';
import { signRequest } from '../../../runtime/auth/sign';
import { api, gatewayConfig, mock } from '../../helpers/config';
import {
  admin,
  apply,
  bundle,
  bundledTarget,
  captureEvents,
  startAdminGateway,
  upload,
  type AdminGateway,
} from './harness';

/** The test configs' shutdownGraceMs is 500: after this, a replaced generation has retired. */
const RETIRED_AFTER_MS = 800;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

let events: ReturnType<typeof captureEvents>;
let g: AdminGateway | undefined;
beforeEach(() => {
  events = captureEvents();
});
afterEach(async () => {
  await g?.close();
  g = undefined;
  events.restore();
});

function wsApi(name: string, path: string, backend: BackendConfig): ApiConfig {
  return api(name, `=${path}`, backend, {
    frontend: { type: 'websocket', rawPath: `=${path}`, match: 'exact', path, method: 'GET' },
  });
}

async function echoServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  return {
    origin: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

/** Sends `text` and resolves with the reply; rejects when the connection closes instead. */
function roundTrip(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (ws.readyState !== WebSocket.OPEN) return reject(new Error(`the connection is not open (${ws.readyState})`));
    const onClose = (code: number): void => reject(new Error(`the connection closed with ${code}`));
    ws.once('close', onClose);
    ws.once('message', (data: Buffer) => {
      ws.off('close', onClose);
      resolve(data.toString());
    });
    ws.send(text);
  });
}

describe('open WebSocket connections across applies', () => {
  it('a proxied connection stays open and relays after applies (its API changed, then removed) and DELETE', async () => {
    const backend = await echoServer();
    try {
      const proxied = (connectTimeoutMs: number): ApiConfig =>
        wsApi('ws', '/ws', {
          type: 'websocket',
          origin: backend.origin,
          path: '/',
          connectTimeoutMs,
          parameterMappings: [],
          constants: [],
          maxMessageBytes: 65536,
        });
      g = await startAdminGateway(gatewayConfig([proxied(2000)]));
      const ws = new WebSocket(`ws://127.0.0.1:${g.port}/ws`);
      await once(ws, 'open');
      expect(await roundTrip(ws, 'before')).toBe('before');

      expect((await apply(g, gatewayConfig([proxied(3000), api('x', '=/x', mock('1'))]))).status).toBe(200);
      await delay(RETIRED_AFTER_MS);
      expect(await roundTrip(ws, 'after an apply')).toBe('after an apply');

      expect((await apply(g, gatewayConfig([api('x', '=/x', mock('1'))]))).status).toBe(200);
      await delay(RETIRED_AFTER_MS);
      expect(await roundTrip(ws, 'after its API was removed')).toBe('after its API was removed');

      expect((await admin(g, 'DELETE', '/v1/config')).status).toBe(200);
      expect(await g.gateway.reload()).toBe(true);
      await delay(RETIRED_AFTER_MS);
      expect(await roundTrip(ws, 'after DELETE and a reload')).toBe('after DELETE and a reload');
      expect(ws.readyState).toBe(WebSocket.OPEN);

      // Only shutdown closes it, with 1001.
      const closed = once(ws, 'close') as Promise<[number]>;
      await g.close();
      g = undefined;
      expect((await closed)[0]).toBe(1001);
    } finally {
      await backend.close();
    }
  });

  it('a function-served connection stays open and runs the newly applied function code', async () => {
    const code = (v: string) => bundle({ 'index.js': `exports.transfer = async (e) => '${v}:' + e.body;` });
    const v1 = code('v1');
    const v2 = code('v2');
    const chat = (sha256: string): GatewayConfig =>
      gatewayConfig([
        wsApi('chat', '/chat', {
          type: 'websocketFunctions',
          transfer: bundledTarget(sha256, 'transfer'),
          maxMessageBytes: 4096,
        }),
      ]);
    g = await startAdminGateway(gatewayConfig([api('x', '=/x', mock('1'))]));
    await upload(g, v1);
    await upload(g, v2);
    expect((await apply(g, chat(v1.sha256))).status).toBe(200);
    const ws = new WebSocket(`ws://127.0.0.1:${g.port}/chat`);
    await once(ws, 'open');
    expect(await roundTrip(ws, 'a')).toBe('v1:a');

    expect((await apply(g, chat(v2.sha256))).status).toBe(200);
    await delay(RETIRED_AFTER_MS);
    // The old generation's workers are stopped; the message runs the live generation's function.
    expect(await roundTrip(ws, 'b')).toBe('v2:b');
    expect(await roundTrip(ws, 'c')).toBe('v2:c');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});

describe('usage-plan counters across an apply', () => {
  it('a quota used before an apply stays used after it', async () => {
    const signedConfig = (extra: ApiConfig[]): GatewayConfig =>
      gatewayConfig([api('signed', '=/signed', mock('"ok"'), { auth: { type: 'keyPair' } }), ...extra], {
        keyPairs: [{ secretId: 'k', secretKey: { env: 'K' } }],
        usagePlans: [{ name: 'small', keyPairs: ['k'], quota: 3 }],
      });
    g = await startAdminGateway(signedConfig([]), { env: { K: 'key-secret' } });
    const call = async (): Promise<{ status: number; code?: string }> => {
      const res = await request(`${g!.base}/signed`, {
        headers: signRequest({ secretId: 'k', secretKey: 'key-secret' }),
      });
      const body = (await res.body.json()) as { code?: string };
      return { status: res.statusCode, code: body.code };
    };
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expect((await apply(g, signedConfig([api('more', '=/more', mock('1'))]))).status).toBe(200);
    expect(await g.gateway.reload()).toBe(true);
    expect((await call()).status).toBe(200);
    expect(await call()).toEqual({ status: 429, code: 'QuotaExceeded' });
  });
});

describe('server limits changed by an apply', () => {
  const raw = (port: number, text: string, waitMs: number): Promise<{ head: string; text: string }> =>
    new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (d: Buffer) => (out += d.toString()));
      socket.on('error', () => undefined);
      const timer = setTimeout(() => socket.destroy(), waitMs);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ head: out.split('\r\n')[0] ?? '', text: out });
      });
      socket.write(text);
    });

  it('take effect on the listening servers: header size, keep-alive and header timeouts', async () => {
    const config = gatewayConfig([api('x', '=/x', mock('1'))]);
    g = await startAdminGateway(config);
    const bigHeader = `x-big: ${'a'.repeat(4000)}\r\n`;
    expect((await raw(g.port, `GET /x HTTP/1.1\r\nhost: a\r\n${bigHeader}connection: close\r\n\r\n`, 5000)).head).toBe(
      'HTTP/1.1 200 OK',
    );

    const limited = gatewayConfig(config.apis, {
      limits: {
        ...config.service.limits,
        maxHeaderBytes: 2048,
        keepAliveTimeoutMs: 2000,
        headersTimeoutMs: 300,
        requestTimeoutMs: 1000,
      },
    });
    expect((await apply(g, limited)).status).toBe(200);

    const tooLarge = await raw(g.port, `GET /x HTTP/1.1\r\nhost: a\r\n${bigHeader}connection: close\r\n\r\n`, 5000);
    expect(tooLarge.head).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(tooLarge.text).toContain('"code":"HeadersTooLarge"');

    const res = await request(`${g.base}/x`);
    await res.body.dump();
    expect(res.headers['keep-alive']).toBe('timeout=2');

    // Headers that never finish: answered 408 well before the start config's 10 s.
    const slow = await raw(g.port, 'GET /x HTTP/1.1\r\nhost: a\r\n', 5000);
    expect(slow.head).toBe('HTTP/1.1 408 Request Timeout');
  });

  it('take effect on the connection cap', async () => {
    const config = gatewayConfig([api('x', '=/x', mock('1'))]);
    g = await startAdminGateway(config);
    const before = g.gateway.clientConnections.cap;
    const capped = gatewayConfig(config.apis, { limits: { ...config.service.limits, maxConnections: 37 } });
    expect((await apply(g, capped)).status).toBe(200);
    expect(g.gateway.clientConnections.cap).toBe(Math.min(37, before));
  });
});
