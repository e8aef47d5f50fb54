/**
 * `service.workers: 2`: the connections endpoint reaches a WebSocket
 * connection on either worker, whichever worker the endpoint's request lands
 * on (the coordinator asks the worker that holds it).
 */
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { FunctionTarget } from '../../../model';
import { api, gatewayConfig } from '../../helpers/config';
import { tempDir } from '../../helpers/temp';
import {
  connectionToWorker,
  describeWithWorkers,
  rawRequest,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

const target = (handler: string): FunctionTarget => ({
  namespace: 'default',
  functionName: handler,
  version: '$LATEST',
  timeoutMs: 1000,
  source: { type: 'bundled', dir: 'fn', handler: `index.${handler}`, memoryMb: 64 },
});

describeWithWorkers('the connections endpoint with two workers', () => {
  let gw: WorkersGateway;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const dir = tempDir('apigw-workers-ws-');
    mkdirSync(join(dir, 'fn'));
    writeFileSync(
      join(dir, 'fn', 'index.js'),
      `exports.register = async () => ({ errNo: 0 });
exports.transfer = async (e) => JSON.stringify({ id: e.requestContext.connectionId });
exports.cleanup = async () => {};`,
    );
    gw = await startWorkersGateway(
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
            { frontend: { type: 'websocket', rawPath: '=/chat', match: 'exact', path: '/chat', method: 'GET' } },
          ),
        ],
        { workers: 2, connectionsAdminToken: { env: 'ADMIN' } },
      ),
      { ADMIN: 'admin-token' },
      dir,
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await gw?.stop();
  });

  /** A WebSocket connection on worker `worker`, and its connection id. */
  async function webSocketOn(worker: number): Promise<{ ws: WebSocket; id: string }> {
    const socket = await connectionToWorker(gw.port, worker);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/chat`, { createConnection: () => socket });
    await once(ws, 'open');
    ws.send('who am I');
    const [reply] = (await once(ws, 'message')) as [Buffer];
    return { ws, id: (JSON.parse(reply.toString()) as { id: string }).id };
  }

  /** A connections-endpoint request sent on a connection of worker `via`. */
  async function endpoint(via: number, method: string, id: string, body = '') {
    const socket = await connectionToWorker(gw.port, via);
    sockets.push(socket);
    return rawRequest(
      socket,
      `${method} /__apigw/connections/${id} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer admin-token\r\n` +
        `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  it.each([
    [0, 1],
    [1, 0],
  ])('a connection on worker %i is found, sent to and closed through worker %i', async (holder, via) => {
    const { ws, id } = await webSocketOn(holder);
    // Found (only POST and DELETE are allowed on it), where an unknown id is not.
    expect((await endpoint(via, 'GET', id)).status).toBe(405);
    expect((await endpoint(via, 'GET', 'no-such-connection')).status).toBe(404);
    const message = once(ws, 'message') as Promise<[Buffer]>;
    expect((await endpoint(via, 'POST', id, `pushed to worker ${holder}`)).status).toBe(204);
    expect((await message)[0].toString()).toBe(`pushed to worker ${holder}`);
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    expect((await endpoint(via, 'DELETE', id)).status).toBe(204);
    const [code] = await closed;
    expect(code).toBe(1000);
    // Gone from the instance once closed.
    expect((await endpoint(via, 'POST', id, 'too late')).status).toBe(404);
  });
});
