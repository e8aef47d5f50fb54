/**
 * Regular-expression routes against hostile paths. `(a|aa)+$` passes the
 * star-height check but backtracks exponentially on V8's default engine; the
 * gateway's linear-time fallback must answer in bounded time.
 */
import { api, gatewayConfig, mock } from '../helpers/config';
import { startGateway, type RunningGateway } from '../helpers/servers';
import { send } from './raw';

let gw: RunningGateway;

beforeAll(async () => {
  gw = await startGateway(
    gatewayConfig([
      api('worst', '~^/r/(a|aa)+$', mock('"matched"')),
      api('named', '~^/n/(?<x>a|a)*b$', mock('"named"'), {
        parameters: [{ name: 'x', in: 'path', type: 'string', required: false }],
      }),
      api('ok', '=/ok', mock('"ok"')),
    ]),
  );
});

afterAll(() => gw.close());

const get = (path: string) => send(gw.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);

describe('ReDoS', () => {
  it('still matches honest paths', async () => {
    expect((await get('/r/aaaa')).body).toBe('"matched"');
    expect((await get('/n/aab')).body).toBe('"named"');
  });

  it.each([
    ['/r/', 'a', '!'],
    ['/n/', 'a', '!'],
  ])('answers %s + 2000 × "%s" + "%s" with 404 in bounded time, and keeps serving', async (prefix, unit, tail) => {
    // Without the fallback this takes longer than the age of the universe (2^2000 paths).
    const started = Date.now();
    const r = await get(prefix + unit.repeat(2000) + tail);
    expect(r.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await get('/ok')).body).toBe('"ok"');
  });
});
