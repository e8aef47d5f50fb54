/** Per-API rate limits through a real gateway: all callers together, HTTP and WebSocket, kept across live applies. */
import { request } from 'undici';
import WebSocket from 'ws';
import type { ApiConfig, GatewayConfig } from '../../../model';
import { LocalRateCounters } from '../../../runtime/rate-limit';
import { api, gatewayConfig, mock } from '../../helpers/config';
import { startGateway, type RunningGateway } from '../../helpers/servers';
import { apply, startAdminGateway, type AdminGateway } from '../admin/harness';

const running: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
});

async function serve(config: GatewayConfig): Promise<RunningGateway> {
  const g = await startGateway(config);
  running.push(g);
  return g;
}

async function call(base: string, path: string) {
  const res = await request(base + path);
  const body = (await res.body.json()) as { code?: string; message?: string };
  return { status: res.statusCode, retryAfter: res.headers['retry-after'], code: body.code, message: body.message };
}

/** Waits until a new one-second window has surely begun for every counter (windows start at a request). */
const nextWindow = (): Promise<void> => new Promise((r) => setTimeout(r, 1100));

describe('per-API rate limits', () => {
  it('admits rateLimitPerSecond requests per window from all callers, then 429 ApiRateLimited with Retry-After', async () => {
    const g = await serve(gatewayConfig([api('limited', '=/limited', mock('"ok"'), { rateLimitPerSecond: 3 })]));
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await call(g.base, '/limited'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
    expect(answers[3]).toEqual({
      status: 429,
      retryAfter: '1',
      code: 'ApiRateLimited',
      message: 'API limited admits 3 requests per second',
    });
    await nextWindow();
    expect((await call(g.base, '/limited')).status).toBe(200);
  });

  it('counts each API on its own, also under the service default, and leaves APIs with their own limit alone', async () => {
    const g = await serve(
      gatewayConfig(
        [
          api('a', '=/a', mock('"a"')),
          api('b', '=/b', mock('"b"')),
          api('own', '=/own', mock('"own"'), { rateLimitPerSecond: 5 }),
        ],
        { apiDefaults: { rateLimitPerSecond: 1 } },
      ),
    );
    expect((await call(g.base, '/a')).status).toBe(200);
    expect((await call(g.base, '/a')).status).toBe(429);
    expect((await call(g.base, '/b')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call(g.base, '/own')).status).toBe(200);
    expect((await call(g.base, '/own')).status).toBe(429);
  });

  it('limits WebSocket upgrades on the same counter as HTTP requests', async () => {
    const wsApi: ApiConfig = api(
      'chat',
      '=/chat',
      {
        type: 'websocket',
        origin: 'ws://127.0.0.1:9',
        path: '/',
        connectTimeoutMs: 500,
        parameterMappings: [],
        constants: [],
        maxMessageBytes: 1024,
      },
      {
        frontend: { type: 'websocket', rawPath: '=/chat', match: 'exact', path: '/chat', method: 'GET' },
        rateLimitPerSecond: 1,
      },
    );
    const g = await serve(gatewayConfig([wsApi]));
    const statusOf = (): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${g.port}/chat`);
        ws.on('unexpected-response', (_req, res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        ws.on('open', () => {
          ws.terminate();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    // The first upgrade is admitted (its backend is unreachable: 502); the second is over the limit.
    expect(await statusOf()).toBe(502);
    expect(await statusOf()).toBe(429);
  });

  it('keeps the counters across a live apply, like usage-plan counters, and drops those of APIs no longer limited', async () => {
    const config = (extra: ApiConfig[] = [], limit: number | null = 2): GatewayConfig =>
      gatewayConfig([
        api('limited', '=/limited', mock('"ok"'), limit === null ? {} : { rateLimitPerSecond: limit }),
        ...extra,
      ]);
    const g: AdminGateway = await startAdminGateway(config());
    running.push(g);
    // A window lasts one second from its first request; on a busy machine the steps could outlast it, then the
    // sequence runs again in a fresh window (a guard against a false failure, not a speed assertion).
    const sequence = async (): Promise<number[] | undefined> => {
      const start = Date.now();
      const statuses = [(await call(g.base, '/limited')).status, (await call(g.base, '/limited')).status];
      expect((await apply(g, config([api('more', '=/more', mock('1'))]))).status).toBe(200);
      statuses.push((await call(g.base, '/limited')).status);
      return Date.now() - start < 900 ? statuses : undefined;
    };
    let statuses = await sequence();
    for (let attempt = 0; statuses === undefined && attempt < 3; attempt++) {
      await nextWindow();
      statuses = await sequence();
    }
    // Same window, same counter: the apply did not hand out a fresh allowance.
    expect(statuses).toEqual([200, 200, 429]);
    expect((await apply(g, config([], null))).status).toBe(200);
    expect((await call(g.base, '/limited')).status).toBe(200);
    expect((await apply(g, config([], 1))).status).toBe(200);
    // The counter was dropped with the limit: a new window starts.
    expect((await call(g.base, '/limited')).status).toBe(200);
    expect((await call(g.base, '/limited')).status).toBe(429);
  });
});

describe('LocalRateCounters', () => {
  it('counts per key in windows that start at the first request after the last one ended', () => {
    const c = new LocalRateCounters();
    expect([c.take('a', 2, 1000, 0), c.take('a', 2, 1000, 10), c.take('a', 2, 1000, 400)]).toEqual([0, 0, 600]);
    expect(c.take('b', 2, 1000, 400)).toBe(0);
    expect(c.take('a', 2, 1000, 1000)).toBe(0);
    c.keep(new Set(['b']));
    expect(c.take('a', 1, 1000, 1001)).toBe(0);
  });
});
