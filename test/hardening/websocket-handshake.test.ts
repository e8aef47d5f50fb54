/**
 * WebSocket handshakes that once stopped the gateway or leaked backend legs.
 * The whole handshake is checked before any backend leg opens; each case
 * asserts what the client got, that the backend saw no connection, that the
 * gateway serves the next upgrade, and that no socket leaked.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { eventually, openSockets, send } from './raw';
import { ALLOWED_ORIGIN, handshakeLines, rawUpgrade, startWsWorld, type WsWorld } from './ws-world';

let world: WsWorld;
let socketsBefore: number;

beforeAll(async () => {
  world = await startWsWorld();
  socketsBefore = openSockets();
});

afterAll(() => world.close());

/** After every case: the gateway still serves HTTP and upgrades, and nothing is left open. */
afterEach(async () => {
  expect((await send(world.gw.port, 'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).status).toBe(200);
  const ws = new WebSocket(`ws://127.0.0.1:${world.gw.port}/ws`, ['chat']);
  await once(ws, 'open');
  ws.send('still here');
  const [echoed] = (await once(ws, 'message')) as [Buffer];
  expect(echoed.toString()).toBe('still here');
  ws.close();
  await once(ws, 'close');
  await eventually(() => world.backendConnections() === 0, 'the backend connections to close');
  await eventually(
    () => openSockets() <= socketsBefore,
    `open sockets back to ${socketsBefore} (now ${openSockets()})`,
  );
});

const body = (r: { body: string }) => JSON.parse(r.body) as { code: string; message: string };

describe('Sec-WebSocket-Protocol that the ws library refuses', () => {
  it.each(['a, a', 'chat, chat', 'a b', 'a,,b', ',a', 'a,', 'a;b', 'ä'])(
    'a repeated or invalid subprotocol list (%s) is 400 BadRequest, not a crash, on every kind of WebSocket API',
    async (protocols) => {
      const upgradesBefore = world.backendUpgrades();
      for (const path of ['/ws', '/big', '/fn']) {
        const r = await rawUpgrade(world.gw.port, path, handshakeLines([`Sec-WebSocket-Protocol: ${protocols}`]));
        expect(r.status).toBe(400);
        expect(body(r)).toMatchObject({ code: 'BadRequest' });
        expect(body(r).message).toContain('Sec-WebSocket-Protocol');
      }
      expect(world.backendUpgrades()).toBe(upgradesBefore);
    },
  );

  it('the same subprotocol in two header lines is refused too', async () => {
    const r = await rawUpgrade(
      world.gw.port,
      '/ws',
      handshakeLines(['Sec-WebSocket-Protocol: chat', 'Sec-WebSocket-Protocol: chat']),
    );
    expect(r.status).toBe(400);
  });

  it('a valid list is passed to the backend and its choice relayed', async () => {
    const r = await rawUpgrade(world.gw.port, '/ws', handshakeLines(['Sec-WebSocket-Protocol: chat.v1 , chat.v2']));
    expect(r.status).toBe(101);
    expect(r.headers['sec-websocket-protocol']).toBe('chat.v1');
  });
});

describe('handshakes the ws library refuses after the backend leg opened', () => {
  const cases: [string, string[], string[], number, string][] = [
    ['no key', [], ['Sec-WebSocket-Key'], 400, 'Sec-WebSocket-Key'],
    ['a 10-byte key', ['Sec-WebSocket-Key: AAAAAAAAAAAAAA=='], ['Sec-WebSocket-Key'], 400, 'Sec-WebSocket-Key'],
    ['a 17-byte key', ['Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAAA='], ['Sec-WebSocket-Key'], 400, 'Sec-WebSocket-Key'],
    ['two keys', ['Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='], [], 400, 'Sec-WebSocket-Key'],
    ['version 7', ['Sec-WebSocket-Version: 7'], ['Sec-WebSocket-Version'], 426, 'version'],
    ['no version', [], ['Sec-WebSocket-Version'], 400, 'Sec-WebSocket-Version'],
    ['Upgrade: websocket, h2c', ['Upgrade: websocket, h2c'], ['Upgrade'], 400, 'Upgrade'],
  ];
  it.each(cases)(
    '%s: refused before a backend leg opens, even when the backend sends an oversize message at once',
    async (_name, extra, omit, status, mentions) => {
      const upgradesBefore = world.backendUpgrades();
      for (const path of ['/big', '/ws', '/fn']) {
        const r = await rawUpgrade(world.gw.port, path, handshakeLines(extra, omit));
        expect(r.status).toBe(status);
        expect(body(r).message).toContain(mentions);
      }
      expect(world.backendUpgrades()).toBe(upgradesBefore);
    },
  );
});

describe('WebSocket version', () => {
  it('Sec-WebSocket-Version: 8 is 426 UpgradeRequired naming version 13, not 101', async () => {
    const r = await rawUpgrade(
      world.gw.port,
      '/ws',
      handshakeLines(['Sec-WebSocket-Version: 8'], ['Sec-WebSocket-Version']),
    );
    expect(r.status).toBe(426);
    expect(r.headers['sec-websocket-version']).toBe('13');
    expect(body(r)).toMatchObject({ code: 'UpgradeRequired' });
  });
});

describe('a backend leg whose client went away', () => {
  it('a client that closes while the backend leg opens leaves no leg behind (oversize backend message included)', async () => {
    for (let i = 0; i < 20; i++) {
      const r = rawUpgrade(world.gw.port, '/big', handshakeLines(), 1);
      await r;
    }
  });

  it('an oversize message from the backend closes the client with 1009 and the gateway lives', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${world.gw.port}/big`);
    const [code] = (await once(ws, 'close')) as [number];
    expect([1009, 1011]).toContain(code);
  });

  it('an allowed origin still opens the CORS-guarded API', async () => {
    const r = await rawUpgrade(world.gw.port, '/browser', handshakeLines([`Origin: ${ALLOWED_ORIGIN}`]));
    expect(r.status).toBe(101);
  });
});
