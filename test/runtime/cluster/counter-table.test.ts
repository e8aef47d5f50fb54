/** The shared counters of a multi-worker process (runtime/cluster/counter-table.ts). */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CounterTable } from '../../../runtime/cluster/counter-table';

describe('CounterTable', () => {
  it('admits perWindow per window and quota in all, and counts no refused request', () => {
    const table = new CounterTable(CounterTable.allocate(4));
    const takes = (n: number, now: number) => Array.from({ length: n }, () => table.take(1, 2, 3, 1000, now));
    expect(takes(3, 10_000)).toEqual([0, 0, 1000]);
    // A new window starts at the first request after the last one ended; the quota (3) is reached on its first.
    expect(takes(2, 11_000)).toEqual([0, -1]);
  });

  it('a thread whose views were made before the table grew reaches the new slots', () => {
    const buffer = CounterTable.allocate(1);
    const coordinator = new CounterTable(buffer, 0);
    const worker = new CounterTable(buffer, 1);
    coordinator.growTo(5000);
    coordinator.reset(4999);
    expect(worker.take(4999, 1, Infinity, 1000, 0)).toBe(0);
    expect(coordinator.take(4999, 1, Infinity, 1000, 0)).toBe(1000);
  });

  it('loses no count when two threads take the same slot at once', async () => {
    const buffer = CounterTable.allocate(2);
    const module = join(__dirname, '..', '..', '..', 'dist', 'runtime', 'cluster', 'counter-table.js');
    const source = `const { workerData, parentPort } = require('node:worker_threads');
const { CounterTable } = require(workerData.module);
const table = new CounterTable(workerData.buffer, workerData.owner);
let admitted = 0;
for (let i = 0; i < 200000; i++) if (table.take(1, 250000, Infinity, 1e9, 0) === 0) admitted++;
parentPort.postMessage(admitted);`;
    const admitted = await Promise.all(
      [1, 2].map(
        (owner) =>
          new Promise<number>((resolve, reject) => {
            const w = new Worker(source, { eval: true, workerData: { module, buffer, owner } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    // 400,000 tries against 250,000 per window: exactly 250,000 admitted between them.
    expect(admitted[0]! + admitted[1]!).toBe(250_000);
    expect(new CounterTable(buffer, 3).take(1, 250000, Infinity, 1e9, 0)).toBeGreaterThan(0);
  });

  it('releases the locks a dead worker held', () => {
    const buffer = CounterTable.allocate(4);
    const view = new Int32Array(buffer);
    Atomics.store(view, 8 * 2, 7); // slot 2 locked by owner 7, which died holding it
    const table = new CounterTable(buffer, 1);
    expect(table.releaseHeldBy(7)).toBe(1);
    expect(table.take(2, 1, Infinity, 1000, 0)).toBe(0);
  });
});
