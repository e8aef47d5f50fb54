/**
 * `service.workers: 2`: one `/metrics` for the instance, summing the requests
 * of both workers whichever worker (or the metrics listener) is scraped, and a
 * health answer that reports the instance on either worker.
 */
import type { Socket } from 'node:net';
import { request } from 'undici';
import { api, gatewayConfig, mock } from '../../helpers/config';
import {
  connectionToWorker,
  describeWithWorkers,
  healthOn,
  rawRequest,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

describeWithWorkers('metrics and health with two workers', () => {
  let gw: WorkersGateway;
  let pinned: Socket[];
  const get = (socket: Socket, path: string) => rawRequest(socket, `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);

  beforeAll(async () => {
    gw = await startWorkersGateway(
      gatewayConfig([api('hello', '=/hello', mock('"hi"'))], { workers: 2, metricsPath: '/__apigw/metrics' }),
    );
    pinned = [await connectionToWorker(gw.port, 0), await connectionToWorker(gw.port, 1)];
  });
  afterAll(async () => {
    for (const s of pinned ?? []) s.destroy();
    await gw?.stop();
  });

  it('sums the requests of both workers, scraped on either worker', async () => {
    for (let i = 0; i < 3; i++) expect((await get(pinned[0]!, '/hello')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await get(pinned[1]!, '/hello')).status).toBe(200);
    expect((await get(pinned[1]!, '/nowhere')).status).toBe(404);
    const scrapes = [
      (await get(pinned[0]!, '/__apigw/metrics')).body,
      (await get(pinned[1]!, '/__apigw/metrics')).body,
    ];
    for (const text of scrapes) {
      expect(text).toMatch(/^apigw_requests_total\{api="hello",code="200"\} 8$/m);
      expect(text).toMatch(/^apigw_workers 2$/m);
      expect(text).toMatch(/^apigw_workers_expected 2$/m);
      expect(text).toMatch(/^apigw_worker_event_loop_utilization\{worker="1"\} [\d.e-]+$/m);
      // The process metrics once, not once per worker.
      expect(text.match(/^# TYPE process_cpu_seconds_total counter$/gm)).toHaveLength(1);
      expect(text.match(/^# TYPE apigw_requests_total counter$/gm)).toHaveLength(1);
    }
  });

  it('sums them on the metrics listener too', async () => {
    const withListener = await startWorkersGateway(
      gatewayConfig([api('hello', '=/hello', mock('"hi"'))], {
        workers: 2,
        listeners: {
          http: { port: 0, host: '127.0.0.1', redirectToHttps: false },
          metrics: { port: 0, host: '127.0.0.1' },
        },
      }),
    );
    const sockets = [await connectionToWorker(withListener.port, 0), await connectionToWorker(withListener.port, 1)];
    try {
      for (const socket of [...sockets, ...sockets]) expect((await get(socket, '/hello')).status).toBe(200);
      const text = await (await request(`http://127.0.0.1:${withListener.metricsPort}/metrics`)).body.text();
      expect(text).toMatch(/^apigw_requests_total\{api="hello",code="200"\} 4$/m);
      expect(text).toMatch(/^apigw_workers 2$/m);
    } finally {
      for (const s of sockets) s.destroy();
      await withListener.stop();
    }
  });

  it('answers the health of the instance on either worker', async () => {
    for (const [worker, socket] of pinned.entries()) {
      expect(await healthOn(socket)).toEqual({
        status: 200,
        body: { status: 'ok', worker, generation: 1, workers: { serving: 2, expected: 2 } },
      });
    }
  });
});
