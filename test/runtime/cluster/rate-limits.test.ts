/**
 * `service.workers: 2`: a usage plan's rate limit and quota count per
 * instance, on counters the worker threads share — N per second admits N in
 * total, not N on each worker.
 */
import type { Socket } from 'node:net';
import type { Client } from 'undici';
import { signRequest } from '../../../runtime/auth/sign';
import { api, gatewayConfig, mock } from '../../helpers/config';
import {
  clientOn,
  connectionToWorker,
  describeWithWorkers,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

const PER_SECOND = 10;
const QUOTA = 12;
let gw: WorkersGateway;
const sockets: Socket[] = [];
const clients: Client[] = [];

describeWithWorkers('usage plans with two workers', () => {
  beforeAll(async () => {
    gw = await startWorkersGateway(
      gatewayConfig(
        [
          api('limited', '=/limited', mock('{"ok":true}'), { auth: { type: 'keyPair' } }),
          api('metered', '=/metered', mock('{"ok":true}'), { auth: { type: 'keyPair' } }),
        ],
        {
          workers: 2,
          keyPairs: [
            { secretId: 'A', secretKey: { env: 'KEY_A' } },
            { secretId: 'B', secretKey: { env: 'KEY_B' } },
          ],
          usagePlans: [
            { name: 'per-second', keyPairs: ['A'], apis: ['limited'], rateLimitPerSecond: PER_SECOND },
            { name: 'quota', keyPairs: ['B'], apis: ['metered'], quota: QUOTA },
          ],
        },
      ),
      { KEY_A: 'secret-a', KEY_B: 'secret-b' },
    );
    // Three keep-alive connections on each worker.
    for (const worker of [0, 1, 0, 1, 0, 1]) {
      const socket = await connectionToWorker(gw.port, worker);
      sockets.push(socket);
      clients.push(clientOn(socket, gw.origin));
    }
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.destroy()));
    for (const s of sockets) s.destroy();
    await gw?.stop();
  });

  /** `perClient` requests on every pinned connection at once; the statuses by worker (even clients are worker 0). */
  async function burst(path: string, secretId: string, secretKey: string, perClient: number) {
    const byWorker: [number[], number[]] = [[], []];
    await Promise.all(
      clients.map(async (client, i) => {
        const sent = Array.from({ length: perClient }, () =>
          client
            .request({ path, method: 'GET', headers: signRequest({ secretId, secretKey }) })
            .then(async (r) => (await r.body.text(), r.statusCode)),
        );
        byWorker[i % 2]!.push(...(await Promise.all(sent)));
      }),
    );
    const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;
    return {
      admitted: count(byWorker[0], 200) + count(byWorker[1], 200),
      refused: [...byWorker[0], ...byWorker[1]].filter((s) => s !== 200),
      perWorker: byWorker.map((s) => s.length),
    };
  }

  it('a rate limit of N per second admits N in total over connections on both workers, not 2N', async () => {
    // 4 x 6 = 24 requests sent at once: one window of the key (it starts at the first request).
    const { admitted, refused, perWorker } = await burst('/limited', 'A', 'secret-a', 4);
    expect(perWorker).toEqual([12, 12]);
    expect(admitted).toBe(PER_SECOND);
    expect(refused).toEqual(Array(24 - PER_SECOND).fill(429));
  });

  it('a quota counts the requests of both workers', async () => {
    const { admitted, refused } = await burst('/metered', 'B', 'secret-b', 4);
    expect(admitted).toBe(QUOTA);
    expect(refused).toEqual(Array(24 - QUOTA).fill(429));
  });
});
