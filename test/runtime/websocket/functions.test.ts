/** WebSocket APIs served by functions, and the connections endpoint backends push through. */
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import type { FunctionTarget } from '../../../model';
import { api, gatewayConfig } from '../../helpers/config';
import { startGateway, type RunningGateway } from '../../helpers/servers';
import { tempDir } from '../../helpers/temp';

let gw: RunningGateway;
let dir: string;

const target = (handler: string): FunctionTarget => ({
  namespace: 'default',
  functionName: handler,
  version: '$LATEST',
  timeoutMs: 1000,
  source: { type: 'bundled', dir: 'fn', handler: `index.${handler}`, memoryMb: 64 },
});

beforeAll(async () => {
  dir = tempDir('apigw-wsfn-');
  mkdirSync(join(dir, 'fn'));
  const log = join(dir, 'cleanup.log');
  writeFileSync(
    join(dir, 'fn', 'index.js'),
    `const fs = require('fs');
exports.register = async (e) => (e.queryStringParameters.token === 'let-me-in' ? { errNo: 0 } : { errNo: 1, errMsg: 'no' });
exports.transfer = async (e) => e.isBase64Encoded
  ? { body: e.body, isBase64Encoded: true }
  : JSON.stringify({ echo: e.body, id: e.requestContext.connectionId, kind: e.requestContext.websocketEvent });
exports.cleanup = async (e) => { fs.appendFileSync(${JSON.stringify(log)}, e.requestContext.connectionId + ' ' + e.requestContext.websocketEvent + '\\n'); };`,
  );
  gw = await startGateway(
    gatewayConfig(
      [
        api(
          'chat',
          '=/chat',
          {
            type: 'websocketFunctions',
            register: target('register'),
            transfer: target('transfer'),
            cleanup: target('cleanup'),
            maxMessageBytes: 4096,
          },
          {
            frontend: { type: 'websocket', rawPath: '=/chat', match: 'exact', path: '/chat', method: 'GET' },
            parameters: [{ name: 'token', in: 'query', type: 'string', required: false }],
          },
        ),
      ],
      { connectionsAdminToken: { env: 'ADMIN' } },
    ),
    { ADMIN: 'admin-token' },
    dir,
  );
});

afterAll(() => gw.close());

async function connect(): Promise<{ ws: WebSocket; id: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat?token=let-me-in`);
  await once(ws, 'open');
  ws.send('hello');
  const [msg] = (await once(ws, 'message')) as [Buffer];
  const reply = JSON.parse(msg.toString()) as { echo: string; id: string; kind: string };
  expect(reply).toMatchObject({ echo: 'hello', kind: 'message' });
  return { ws, id: reply.id };
}

describe('WebSocket function backend', () => {
  it('runs register, transfer (text and binary) and cleanup with a connection id', async () => {
    const { ws, id } = await connect();
    ws.send(Buffer.from([9, 8, 7]));
    const [bin, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
    expect([[...bin], isBinary]).toEqual([[9, 8, 7], true]);
    ws.close(1000);
    await once(ws, 'close');
    for (let i = 0; i < 50; i++) {
      try {
        if (readFileSync(join(dir, 'cleanup.log'), 'utf8').includes(`${id} closing`)) return;
      } catch {
        // not written yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('cleanup was not called');
  });

  it('refuses the connection when the register function says so', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat?token=wrong`);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(403);
    ws.on('error', () => undefined);
    ws.terminate();
  });

  it('lets backends push to a connection and close it by id, with the token only', async () => {
    const { ws, id } = await connect();
    const url = `${gw.base}/__apigw/connections/${id}`;
    const denied = await request(url, { method: 'POST', body: 'x', headers: { authorization: 'Bearer wrong' } });
    expect(denied.statusCode).toBe(401);
    await denied.body.dump();
    const pushed = once(ws, 'message');
    const push = await request(url, {
      method: 'POST',
      body: 'from backend',
      headers: { authorization: 'Bearer admin-token' },
    });
    expect(push.statusCode).toBe(204);
    await push.body.dump();
    expect(((await pushed) as [Buffer])[0].toString()).toBe('from backend');
    const closed = once(ws, 'close');
    const del = await request(url, { method: 'DELETE', headers: { authorization: 'Bearer admin-token' } });
    expect(del.statusCode).toBe(204);
    await del.body.dump();
    expect(((await closed) as [number])[0]).toBe(1000);
    const gone = await request(url, { method: 'POST', body: 'x', headers: { authorization: 'Bearer admin-token' } });
    expect(gone.statusCode).toBe(404);
    await gone.body.dump();
  });
});
