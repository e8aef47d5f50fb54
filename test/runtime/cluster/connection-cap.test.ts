/**
 * `service.workers: 2`: `limits.maxConnections` is the instance's cap. Each
 * worker used to take half of it, so a worker the kernel happened to give
 * more connections refused them while the other had room.
 */
import type { Socket } from 'node:net';
import { DEFAULT_LIMITS } from '../../../model';
import { api, gatewayConfig, http } from '../../helpers/config';
import { startBackend, type Backend } from '../../helpers/servers';
import { eventually, open, parseFirst, readAll } from '../../hardening/raw';
import {
  connectionToWorker,
  describeWithWorkers,
  rawRequest,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

const CAP = 12;
let gw: WorkersGateway;
let backend: Backend;
/** Backend requests held open until released. */
const held: (() => void)[] = [];
const sockets: Socket[] = [];

describeWithWorkers('maxConnections with two workers', () => {
  beforeAll(async () => {
    backend = await startBackend((_req, res) => held.push(() => res.end('released')));
    gw = await startWorkersGateway(
      gatewayConfig([api('hold', '=/hold', http(backend.origin, '/', { timeoutMs: 60_000 }))], {
        workers: 2,
        limits: { ...DEFAULT_LIMITS, maxConnections: CAP },
      }),
    );
  });

  afterAll(async () => {
    for (const release of held.splice(0)) release();
    for (const s of sockets) s.destroy();
    await gw?.stop();
    await backend?.close();
  });

  /** Sends a request that the backend holds on `socket`, once the backend has it: the answer, when released. */
  async function hold(socket: Socket): Promise<{ reading: Promise<string> }> {
    const before = held.length;
    const reading = readAll(socket, 20_000);
    socket.write('GET /hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await eventually(() => held.length === before + 1, 'the request to reach the backend');
    return { reading }; // wrapped: an async function would wait for it
  }

  it('lets one worker hold more than half of the cap, and answers from the reserve past it', async () => {
    const readings: Promise<string>[] = [];
    // Eight busy connections on worker 0: more than its half (6), fewer than the instance's cap.
    for (let i = 0; i < 8; i++) {
      const socket = await connectionToWorker(gw.port, 0);
      sockets.push(socket);
      readings.push((await hold(socket)).reading);
    }
    // The connections opened on worker 1 while looking for worker 0 were closed: let the workers see it.
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 4; i++) {
      const socket = await open(gw.port);
      sockets.push(socket);
      readings.push((await hold(socket)).reading);
    }
    expect(held).toHaveLength(CAP);

    // Every connection busy: whichever worker gets the next one answers from the reserve.
    for (let i = 0; i < 4; i++) {
      const socket = await open(gw.port);
      sockets.push(socket);
      const refused = await rawRequest(socket, 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toMatchObject({ code: 'ConnectionLimit' });
    }

    for (const release of held.splice(0)) release();
    for (const raw of await Promise.all(readings)) expect(parseFirst(raw).body).toBe('released');
  });
});
