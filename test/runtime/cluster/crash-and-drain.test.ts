/**
 * `service.workers: 2`: a worker that crashes is logged and replaced while the
 * other one goes on answering (no request lost on it), and SIGTERM drains
 * every worker: requests in flight on both are answered before the process
 * exits 0. The crash is the test-only fault `crash-on-sigusr2` (worker 0
 * throws an uncaught error on SIGUSR2, runtime/cluster/faults.ts).
 */
import type { Socket } from 'node:net';
import { api, gatewayConfig, http } from '../../helpers/config';
import { startBackend, type Backend } from '../../helpers/servers';
import {
  connectionToWorker,
  describeWithWorkers,
  healthOn,
  rawRequest,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

let backend: Backend;
const sockets: Socket[] = [];

beforeAll(async () => {
  // Answers /<ms> after that many milliseconds.
  backend = await startBackend((req, res) => {
    setTimeout(() => res.end('{"ok":true}'), Number((req.url ?? '/').slice(1)) || 0);
  });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await backend.close();
});

/** A keep-alive connection worker `worker` serves. */
async function pinned(gw: WorkersGateway, worker: number): Promise<Socket> {
  const socket = await connectionToWorker(gw.port, worker);
  sockets.push(socket);
  return socket;
}

/** GET /<ms> on `socket` (20 or 600: answered after that many milliseconds by the backend); the status. */
const slow = async (socket: Socket, ms: 20 | 600) =>
  (await rawRequest(socket, `GET /${ms} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`)).status;

const start = () =>
  startWorkersGateway(
    gatewayConfig(
      [
        api('fast', '=/20', http(backend.origin, '/20', { timeoutMs: 5000 })),
        api('slow', '=/600', http(backend.origin, '/600', { timeoutMs: 5000 })),
      ],
      {
        workers: 2,
        metricsPath: '/__apigw/metrics',
        limits: { ...gatewayConfig([]).service.limits, shutdownGraceMs: 5000 },
      },
    ),
    { APIGW_TEST_FAULTS: 'crash-on-sigusr2' },
  );

describeWithWorkers('two workers, one crashing', () => {
  it('a crashed worker loses no request on the other, is logged and replaced', async () => {
    const gw = await start();
    try {
      const others = await Promise.all([1, 1, 1].map((w) => pinned(gw, w)));
      let running = true;
      const statuses: number[] = [];
      // Requests on worker 1, some always in flight (20 ms each), until the replacement serves.
      const loops = others.map(async (client) => {
        while (running) statuses.push(await slow(client, 20).catch(() => -1));
      });
      await new Promise((r) => setTimeout(r, 200));
      process.kill(gw.pid, 'SIGUSR2');
      const crashed = await gw.waitForEvent('worker_crashed');
      const replaced = await gw.waitForEvent('worker_replaced');
      await new Promise((r) => setTimeout(r, 200));
      running = false;
      await Promise.all(loops);

      expect(crashed).toMatchObject({ level: 'error', worker: 0, error: expect.stringContaining('injected crash') });
      expect(replaced).toMatchObject({ worker: 0, generation: 1, restarts: 1 });
      expect(statuses.length).toBeGreaterThan(20);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      // The replacement serves, and the instance is whole again.
      const zero = await pinned(gw, 0);
      expect(await slow(zero, 20)).toBe(200);
      const socket = await connectionToWorker(gw.port, 1);
      sockets.push(socket);
      expect((await healthOn(socket)).body).toMatchObject({ status: 'ok', workers: { serving: 2, expected: 2 } });
      const metrics = (await rawRequest(zero, 'GET /__apigw/metrics HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n')).body;
      expect(metrics).toMatch(/^apigw_worker_restarts_total 1$/m);
      expect(metrics).toMatch(/^apigw_workers 2$/m);
    } finally {
      await gw.stop();
    }
  });

  it('SIGTERM drains every worker: requests in flight on both are answered, then the process exits 0', async () => {
    const gw = await start();
    // One request per connection: a draining gateway closes each connection after its answer.
    const connections = await Promise.all([0, 1, 0, 1].map((w) => pinned(gw, w)));
    const inFlight = connections.map((socket) => slow(socket, 600));
    await new Promise((r) => setTimeout(r, 150));
    const exited = gw.stop();
    expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200]);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(gw.events('worker_crashed')).toEqual([]);
    expect(gw.events('stopped')).toHaveLength(1);
  });
});
