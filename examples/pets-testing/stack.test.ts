/**
 * The pets stack's gateway under test, as a user of the package writes it:
 * only `cdktf-apigw/testing` talks to the gateway. The backends are the
 * test's own servers on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from 'cdktf';
import { WebSocketServer } from 'ws';
import { createTestIssuer, startGateway, type TestGateway, type TestIssuer } from 'cdktf-apigw/testing';
import { PetsStack } from './stack';

const PARTNER_KEY = 'partner-test-secret';

let issuer: TestIssuer;
let gateway: TestGateway;
let pets: Server;
let chat: WebSocketServer;

beforeAll(async () => {
  // The backends: an HTTP server that answers pets and profiles, and a WebSocket server that echoes.
  pets = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, user: req.headers['x-user-id'] ?? null }));
  });
  await new Promise<void>((resolve) => pets.listen(0, '127.0.0.1', resolve));
  chat = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  chat.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
  await new Promise<void>((resolve) => chat.once('listening', resolve));

  issuer = await createTestIssuer({ issuer: 'https://login.example.com/', audience: 'pets' });
  const stack = new PetsStack(new App(), 'pets', { tokenPublicKeyPem: issuer.publicKeyPem });
  const petsOrigin = `http://127.0.0.1:${(pets.address() as AddressInfo).port}`;
  gateway = await startGateway(stack, {
    backends: {
      'https://pets.internal': petsOrigin,
      'https://accounts.internal': petsOrigin,
      chat: `ws://127.0.0.1:${(chat.address() as AddressInfo).port}`,
    },
    secrets: { PARTNER_KEY },
  });
});

afterAll(async () => {
  await gateway?.stop();
  chat?.close();
  await new Promise((resolve) => pets?.close(resolve));
});

it('proxies GET /pets/{petId} to the backend path, and checks the parameter', async () => {
  const ok = await gateway.request('/pets/42');
  expect(ok.status).toBe(200);
  expect(ok.json()).toEqual({ path: '/v1/pets/42', user: null });

  const bad = await gateway.request('/pets/rex');
  expect(bad.status).toBe(400);
  expect(bad.json()).toMatchObject({ code: 'InvalidParameter' });
});

it('serves the partner report to signed requests only', async () => {
  const signed = await gateway.request('/partner/report', { keyPair: { secretId: 'partner', secretKey: PARTNER_KEY } });
  expect(signed.status).toBe(200);
  expect(signed.json()).toEqual({ report: 'for partners only' });

  const wrong = await gateway.request('/partner/report', { keyPair: { secretId: 'partner', secretKey: 'guessed' } });
  expect(wrong.status).toBe(401);
  expect((await gateway.request('/partner/report')).status).toBe(401);
});

it('takes a valid bearer token and forwards its subject, and refuses an expired one', async () => {
  const token = await issuer.sign({ sub: 'user-7' });
  const me = await gateway.request('/me', { bearer: token });
  expect(me.status).toBe(200);
  expect(me.json()).toEqual({ path: '/v1/me', user: 'user-7' });

  const expired = await issuer.sign({ sub: 'user-7' }, { expiresInSeconds: -3600 });
  const refused = await gateway.request('/me', { bearer: expired });
  expect(refused.status).toBe(401);
  expect(refused.headers['www-authenticate']).toContain('invalid_token');
});

it('relays WebSocket messages both ways', async () => {
  const socket = await gateway.webSocket('/chat');
  socket.send('hello');
  expect(await socket.next()).toBe('hello');
  socket.send(Buffer.from([1, 2, 3]));
  expect(await socket.next()).toEqual(Buffer.from([1, 2, 3]));
  expect((await socket.close()).code).toBe(1000);
});

it('answers the mock status', async () => {
  expect((await gateway.request('/status')).json()).toEqual({ ok: true });
});
