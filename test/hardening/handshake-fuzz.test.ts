/**
 * Structure-aware fuzzing of WebSocket handshakes against a running gateway
 * with a WebSocket backend API (whose backend sends an oversize message at
 * once on `/big`), a WebSocket API served by functions and a CORS-guarded
 * one. A fixed seed and a bounded count run here; `bench/fuzz-handshakes.mjs`
 * runs any count against the built gateway.
 *
 * Asserted: every answer is 101 or a documented 4xx with the JSON error body
 * (so no 500), the gateway keeps serving, and afterwards no socket of the
 * process and no backend connection is left open.
 */
import { fuzz } from '../../bench/handshake-fuzz';
import { eventually, openSockets, send } from './raw';
import { ALLOWED_ORIGIN, startWsWorld, type WsWorld } from './ws-world';

const SEED = 20260515;
const COUNT = Number(process.env.APIGW_FUZZ_COUNT ?? 2000);

let world: WsWorld;

beforeAll(async () => {
  world = await startWsWorld();
});

afterAll(() => world.close());

it(`${COUNT} fuzzed handshakes (seed ${SEED}): no crash, no 500, documented answers, nothing left open`, async () => {
  const socketsBefore = openSockets();
  const report = await fuzz({
    port: world.gw.port,
    seed: SEED,
    count: COUNT,
    paths: ['/ws', '/big', '/fn', '/browser', '/nowhere'],
    allowedOrigin: ALLOWED_ORIGIN,
  });
  expect(report.failures).toEqual([]);
  expect(Object.keys(report.outcomes).filter((k) => k.startsWith('5'))).toEqual([]);
  // The run reached every kind of answer: opened, refused for the handshake, for the version, for the route.
  expect(Object.keys(report.outcomes)).toEqual(
    expect.arrayContaining(['101', '400 BadRequest', '426 UpgradeRequired', '404 RouteNotFound']),
  );
  expect((await send(world.gw.port, 'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  await eventually(() => world.backendConnections() === 0, 'the backend connections to close', 10_000);
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
    10_000,
  );
});
