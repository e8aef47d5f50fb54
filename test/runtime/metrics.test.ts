/** The Prometheus metrics path of a running gateway, scraped while real traffic flows. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import type { ApiConfig } from '../../model';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

let gw: RunningGateway;
let wss: WebSocketServer;

const wsApi = (name: string, path: string, origin: string): ApiConfig =>
  api(
    name,
    `=${path}`,
    {
      type: 'websocket',
      origin,
      path: '/',
      connectTimeoutMs: 1000,
      parameterMappings: [],
      constants: [],
      maxMessageBytes: 1024,
    },
    { frontend: { type: 'websocket', rawPath: `=${path}`, match: 'exact', path, method: 'GET' } },
  );

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const dir = tempDir('apigw-metrics-');
  mkdirSync(join(dir, 'fn'));
  writeFileSync(
    join(dir, 'fn', 'index.js'),
    'exports.main = (event) => new Promise((r) => setTimeout(() => r({ ok: true }), Number(event.queryString.ms ?? 0)));',
  );
  gw = await startGateway(
    gatewayConfig(
      [
        api('hello', '=/hello', mock('"hi"')),
        wsApi('live', '/live', `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`),
        wsApi('gone', '/gone', 'ws://127.0.0.1:1'),
        api('down', '=/down', http('http://127.0.0.1:1', '/')),
        api('fn', '=/fn', {
          type: 'scf',
          responseIntegration: false,
          function: {
            namespace: 'default',
            functionName: 'sleepy',
            version: '$LATEST',
            timeoutMs: 5000,
            source: { type: 'bundled', dir: 'fn', handler: 'index.main', memoryMb: 64 },
          },
        }),
      ],
      { metricsPath: '/__apigw/metrics' },
    ),
    {},
    dir,
  );
});

afterAll(async () => {
  await gw.close();
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
});

async function scrape(url = `${gw.base}/__apigw/metrics`): Promise<Map<string, number>> {
  const res = await request(url);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  const out = new Map<string, number>();
  for (const line of (await res.body.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

const call = async (path: string): Promise<number> => {
  const res = await request(gw.base + path);
  await res.body.dump();
  return res.statusCode;
};

describe('metrics', () => {
  it('counts requests by API and status, with a latency histogram', async () => {
    for (let i = 0; i < 3; i++) expect(await call('/hello')).toBe(200);
    expect(await call('/nope')).toBe(404);
    const m = await scrape();
    expect(m.get('apigw_requests_total{api="hello",code="200"}')).toBe(3);
    expect(m.get('apigw_requests_total{api="",code="404"}')).toBe(1);
    expect(m.get('apigw_request_duration_seconds_count{api="hello"}')).toBe(3);
    expect(m.get('apigw_request_duration_seconds_bucket{api="hello",le="+Inf"}')).toBe(3);
    // Mock answers take well under a second; buckets are cumulative.
    expect(m.get('apigw_request_duration_seconds_bucket{api="hello",le="1"}')).toBe(3);
    expect(m.get('apigw_request_duration_seconds_sum{api="hello"}')).toBeGreaterThan(0);
  });

  it('counts backend failures by the error the client got', async () => {
    expect(await call('/down')).toBe(502);
    expect(await call('/down')).toBe(502);
    const m = await scrape();
    expect(m.get('apigw_backend_failures_total{api="down",error="BadGateway"}')).toBe(2);
    expect(m.get('apigw_requests_total{api="down",code="502"}')).toBe(2);
  });

  it('shows requests in flight and the function worker pool state', async () => {
    const slow = call('/fn?ms=800');
    // Wait until the invocation runs in a worker.
    let m = await scrape();
    for (let i = 0; i < 100 && m.get('apigw_function_workers_busy{function="default/sleepy/$LATEST"}') !== 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      m = await scrape();
    }
    expect(m.get('apigw_function_workers_busy{function="default/sleepy/$LATEST"}')).toBe(1);
    expect(m.get('apigw_function_workers{function="default/sleepy/$LATEST"}')).toBe(1);
    expect(m.get('apigw_function_queue{function="default/sleepy/$LATEST"}')).toBe(0);
    // The scrape itself and the slow call.
    expect(m.get('apigw_requests_in_flight')).toBe(2);
    expect(await slow).toBe(200);
    m = await scrape();
    expect(m.get('apigw_function_workers_busy{function="default/sleepy/$LATEST"}')).toBe(0);
    expect(m.get('apigw_requests_in_flight')).toBe(1);
  });

  it('counts WebSocket upgrades: 101 when opened, and backend failures when the backend is unreachable', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/live`);
    await once(ws, 'open');
    ws.close(1000);
    await once(ws, 'close');
    const refused = new WebSocket(`ws://127.0.0.1:${gw.port}/gone`);
    refused.on('error', () => undefined);
    const [, res] = (await once(refused, 'unexpected-response')) as [unknown, { statusCode: number; resume(): void }];
    expect(res.statusCode).toBe(502);
    res.resume();
    const m = await scrape();
    expect(m.get('apigw_requests_total{api="live",code="101"}')).toBe(1);
    expect(m.get('apigw_requests_total{api="gone",code="502"}')).toBe(1);
    expect(m.get('apigw_backend_failures_total{api="gone",error="BadGateway"}')).toBe(1);
  });
});

describe('process and runtime metrics', () => {
  it('follow the gateway metrics in the same scrape, once per name', async () => {
    const res = await request(`${gw.base}/__apigw/metrics`);
    const text = await res.body.text();
    const m = await scrape();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_active_handles_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(m.get(name)).toBeGreaterThanOrEqual(0);
    expect([...m.keys()].some((k) => k.startsWith('nodejs_version_info{'))).toBe(true);
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
    expect(text.indexOf('# TYPE apigw_requests_total')).toBeLessThan(text.indexOf('# TYPE process_'));
  });
});

describe('a metrics listener of its own', () => {
  let separate: RunningGateway;
  let metricsBase: string;
  beforeAll(async () => {
    separate = await startGateway(
      gatewayConfig([api('hello', '=/hello', mock('"hi"')), api('userMetrics', '=/metrics', mock('"mine"'))], {
        listeners: {
          http: { port: 0, host: '127.0.0.1', redirectToHttps: false },
          metrics: { port: 0, host: '127.0.0.1' },
        },
      }),
    );
    metricsBase = `http://127.0.0.1:${(separate.addresses.metrics as AddressInfo).port}`;
  });
  afterAll(() => separate.close());

  it('serves the metrics (at /metrics when metricsPath is absent), and the public listener never does', async () => {
    expect((await request(`${separate.base}/hello`)).statusCode).toBe(200);
    const m = await scrape(`${metricsBase}/metrics`);
    expect(m.get('apigw_requests_total{api="hello",code="200"}')).toBe(1);
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    // On the public listener /metrics is an ordinary path: here an API's.
    const pub = await request(`${separate.base}/metrics`);
    expect(await pub.body.text()).toBe('"mine"');
  });

  it('answers other paths and methods with the JSON errors', async () => {
    const other = await request(`${metricsBase}/hello`);
    expect(other.statusCode).toBe(404);
    expect(((await other.body.json()) as { code: string }).code).toBe('RouteNotFound');
    const post = await request(`${metricsBase}/metrics`, { method: 'POST', body: 'x' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    await post.body.dump();
    const head = await request(`${metricsBase}/metrics`, { method: 'HEAD' });
    expect(head.statusCode).toBe(200);
    await head.body.dump();
  });

  it('uses metricsPath when set, and turns it off on the public listener', async () => {
    const g = await startGateway(
      gatewayConfig([api('hello', '=/hello', mock('"hi"'))], {
        metricsPath: '/__apigw/metrics',
        listeners: {
          http: { port: 0, host: '127.0.0.1', redirectToHttps: false },
          metrics: { port: 0, host: '127.0.0.1' },
        },
      }),
    );
    try {
      const base = `http://127.0.0.1:${(g.addresses.metrics as AddressInfo).port}`;
      expect((await request(`${base}/__apigw/metrics`)).statusCode).toBe(200);
      expect((await request(`${base}/metrics`)).statusCode).toBe(404);
      expect((await request(`${g.base}/__apigw/metrics`)).statusCode).toBe(404);
    } finally {
      await g.close();
    }
  });
});
