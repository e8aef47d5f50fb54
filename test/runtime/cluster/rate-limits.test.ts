/**
 * `service.workers: 2`: a usage plan's rate limit and quota count per
 * instance, on counters the worker threads share — N per second admits N in
 * total, not N on each worker.
 */
import type { Socket } from 'node:net';
import { signRequest } from '../../../runtime/auth/sign';
import { api, gatewayConfig, mock } from '../../helpers/config';
import {
  connectionToWorker,
  describeWithWorkers,
  rawRequest,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

const PER_SECOND = 10;
const QUOTA = 12;
let gw: WorkersGateway;
const sockets: Socket[] = [];

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
      sockets.push(await connectionToWorker(gw.port, worker));
    }
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await gw?.stop();
  });

  /** `perConnection` requests on every pinned connection at once; the statuses by worker (even ones are worker 0). */
  async function burst(path: string, secretId: string, secretKey: string, perConnection: number) {
    const byWorker: [number[], number[]] = [[], []];
    await Promise.all(
      sockets.map(async (socket, i) => {
        for (let n = 0; n < perConnection; n++) {
          const headers = Object.entries(signRequest({ secretId, secretKey }))
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('');
          const answer = await rawRequest(socket, `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}\r\n`);
          byWorker[i % 2]!.push(answer.status);
        }
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
