/**
 * `apigw dev`'s gateway, in process: the services of a real cdktf app
 * (synthesized once), served on 127.0.0.1 and changed through the admin API
 * as a deploy changes them; seen from real HTTP and WebSocket clients.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fetch } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { defaultPort, devStartConfig, LocalGateway, startKeyOf } from '../../dev/local-gateway';
import { readCdktfProject, Synthesizer, type SynthesizedService } from '../../dev/synth';
import { EventLog } from '../../runtime/access-log';
import { createCdktfApp } from '../helpers/cdktf-app';
import { api, gatewayConfig, mock } from '../helpers/config';
import { isListening, repoRoot } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

/** `pets` (live target) and `baked` (an image target: its code is in the image build context), both with a bundled function. */
const MAIN_JS = `const { App, TerraformStack } = require('cdktf');
const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
const { ExistingGatewayTarget, SwarmServiceTarget, FunctionCode, MockBackend, ScfBackend, WebSocketBackend, Service } = require('cdktf-apigw');
const app = new App();
const stack = new TerraformStack(app, 'dev');
new DockerProvider(stack, 'docker', {});
const hello = () => new ScfBackend({ functionName: 'hello', code: FunctionCode.fromDirectory(__dirname + '/functions/hello', { handler: 'index.main' }) });
const pets = new Service(stack, 'pets', { httpPort: 18080, deployment: new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9901' }) });
pets.addApi('status', { path: '=/status', backend: MockBackend.json({ ok: true }) });
pets.addApi('chat', { protocol: 'websocket', path: '=/chat', backend: new WebSocketBackend({ origin: process.env.ECHO_ORIGIN }) });
pets.addApi('hello', { path: '=/hello', backend: hello() });
const baked = new Service(stack, 'baked', { httpPort: 18081, deployment: new SwarmServiceTarget() });
baked.addApi('hello', { path: '=/hello', backend: hello() });
app.synth();
`;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

const portOf = (url: string): number => Number(new URL(url).port);

/** The service with `change` applied to its config, as a later synth would return it. */
function changed(
  service: SynthesizedService,
  change: (c: SynthesizedService['config']) => SynthesizedService['config'],
): SynthesizedService {
  return { ...service, config: change(service.config) };
}

describe('LocalGateway', () => {
  let echo: WebSocketServer;
  let services: ReadonlyMap<string, SynthesizedService>;
  let pets: SynthesizedService;
  const events: string[] = [];
  const options = { port: 0, events: new EventLog('warn', (t) => void events.push(t)), accessLog: null };
  const started: LocalGateway[] = [];
  const start = async (service: SynthesizedService): Promise<LocalGateway> => {
    const gateway = await LocalGateway.start(service, options);
    started.push(gateway);
    return gateway;
  };

  beforeAll(async () => {
    echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    echo.on('connection', (s) => s.on('message', (data, binary) => s.send(data, { binary })));
    await new Promise<void>((r) => echo.once('listening', () => r()));
    const { dir } = createCdktfApp('dev', MAIN_JS, {
      'functions/hello/index.js': 'exports.main = async () => ({ hello: "from a function" });\n',
    });
    // The image target's resources need the Docker provider, as the package resolves it.
    mkdirSync(join(dir, 'node_modules', '@cdktf'));
    symlinkSync(
      join(repoRoot, 'node_modules', '@cdktf', 'provider-docker'),
      join(dir, 'node_modules', '@cdktf', 'provider-docker'),
    );
    const env = { ...process.env, ECHO_ORIGIN: `ws://127.0.0.1:${(echo.address() as AddressInfo).port}` };
    const result = await new Synthesizer(readCdktfProject(dir), join(tempDir(), 'out'), env).run();
    if (!result.ok) throw new Error(result.errors.join('\n'));
    services = result.services;
    pets = services.get('pets')!;
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((g) => g.close()));
  });

  afterAll(async () => {
    for (const client of echo.clients) client.terminate();
    await new Promise((r) => echo.close(r));
  });

  it('starts with the start config only: its health path answers, no API yet', async () => {
    const gateway = await start(pets);
    expect(gateway.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(`${gateway.url}${pets.config.service.healthPath}`)).status).toBe(200);
    expect((await get(`${gateway.url}/status`)).status).toBe(404);
    expect(gateway.startKey).toBe(startKeyOf(pets.config));
  });

  it('serves the applied config, bundled function included, and applies a change live with a WebSocket left open', async () => {
    const gateway = await start(pets);
    const first = await gateway.apply(pets, {});
    expect(first).toMatchObject({ ok: true, generation: expect.any(Number) });
    expect(await get(`${gateway.url}/status`)).toEqual({ status: 200, body: '{"ok":true}' });
    const hello = await get(`${gateway.url}/hello`);
    expect(hello.status).toBe(200);
    expect(hello.body).toContain('from a function');

    const socket = new WebSocket(`${gateway.url.replace('http', 'ws')}/chat`);
    await new Promise((r, j) => socket.once('open', r).once('error', j));
    const closes: number[] = [];
    socket.on('close', (code) => closes.push(code));

    const next = changed(pets, (c) => ({ ...c, apis: [...c.apis, api('added', '=/added', mock('{"added":true}'))] }));
    const second = await gateway.apply(next, {});
    if (!second.ok || !first.ok) throw new Error(JSON.stringify(second));
    expect(second.generation).toBeGreaterThan(first.generation);
    expect(await get(`${gateway.url}/added`)).toEqual({ status: 200, body: '{"added":true}' });
    expect((await get(`${gateway.url}/hello`)).body).toContain('from a function');

    socket.send('still here');
    expect(await new Promise<string>((r) => socket.once('message', (d) => r(String(d))))).toBe('still here');
    expect(closes).toEqual([]);

    // Stopped: the listener is closed, and so is the WebSocket (going away).
    await gateway.close();
    started.splice(0);
    expect(await isListening(portOf(gateway.url))).toBe(false);
    await new Promise((r) => (socket.readyState === WebSocket.CLOSED ? r(null) : socket.once('close', r)));
    expect(closes).toEqual([1001]);
  });

  it('refuses a config the gateway cannot load with its fields, and keeps serving the last one', async () => {
    const gateway = await start(pets);
    expect((await gateway.apply(pets, {})).ok).toBe(true);
    const bad = changed(pets, (c) => ({
      ...c,
      service: { ...c.service, connectionsAdminToken: { file: '/nonexistent/apigw-dev-token' } },
      apis: [...c.apis, api('added', '=/added', mock('{}'))],
    }));
    const outcome = await gateway.apply(bad, {});
    if (outcome.ok) throw new Error('applied');
    expect(outcome.problems[0]).toMatch(/^ConfigInvalid: /);
    expect(outcome.problems).toContainEqual(
      expect.stringMatching(/^ {2}\/service\/connectionsAdminToken: .*\/nonexistent\/apigw-dev-token/),
    );
    expect((await get(`${gateway.url}/added`)).status).toBe(404);
    expect(await get(`${gateway.url}/status`)).toEqual({ status: 200, body: '{"ok":true}' });
  });

  it('refuses a secret the config reads but was not given', async () => {
    const gateway = await start(pets);
    const outcome = await gateway.apply(
      changed(pets, (c) => ({ ...c, service: { ...c.service, connectionsAdminToken: { env: 'APIGW_DEV_UNSET' } } })),
      {},
    );
    if (outcome.ok) throw new Error('applied');
    expect(outcome.problems.join('\n')).toContain('APIGW_DEV_UNSET');
    expect((await get(`${gateway.url}/status`)).status).toBe(404);
    // Given the secret, the same config applies.
    const withSecret = changed(pets, (c) => ({
      ...c,
      service: { ...c.service, connectionsAdminToken: { env: 'APIGW_DEV_UNSET' } },
    }));
    expect((await gateway.apply(withSecret, { APIGW_DEV_UNSET: 'a-long-enough-token-0123456789' })).ok).toBe(true);
    expect((await get(`${gateway.url}/status`)).status).toBe(200);
  });

  it("serves a baked target's function from its image build context", async () => {
    const baked = services.get('baked')!;
    const gateway = await start(baked);
    expect((await gateway.apply(baked, {})).ok).toBe(true);
    expect((await get(`${gateway.url}/hello`)).body).toContain('from a function');
  });

  it('says which function code is missing from the synth output, and changes nothing', async () => {
    const gateway = await start(pets);
    const moved = { ...pets, dir: tempDir(), stackDir: tempDir() };
    const outcome = await gateway.apply(moved, {});
    expect(outcome).toEqual({
      ok: false,
      problems: [expect.stringMatching(/^pets: the code of .*functions.* is not in the synth output$/)],
    });
    expect((await get(`${gateway.url}/status`)).status).toBe(404);
  });

  it('says when its port is taken', async () => {
    const gateway = await start(pets);
    const port = portOf(gateway.url);
    await expect(LocalGateway.start(pets, { ...options, port })).rejects.toThrow(
      new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
    );
    // The one that holds the port still serves.
    expect((await get(`${gateway.url}${pets.config.service.healthPath}`)).status).toBe(200);
  });
});

describe('devStartConfig, defaultPort, startKeyOf', () => {
  it('starts plain HTTP on 127.0.0.1 with an admin listener and no API', () => {
    const config = gatewayConfig([api('a', '=/a', mock('{}'))], {
      listeners: {
        http: { port: 80, host: '0.0.0.0', redirectToHttps: true },
        https: { port: 443, host: '0.0.0.0', certFile: '/etc/cert.pem', keyFile: '/etc/key.pem' },
      } as never,
    });
    const start = devStartConfig(config, 0);
    expect(start.apis).toEqual([]);
    expect(start.service.listeners).toEqual({ http: { port: 0, host: '127.0.0.1', redirectToHttps: false } });
    expect(start.service.admin).toEqual({ host: '127.0.0.1', port: 0, token: { env: 'APIGW_DEV_ADMIN_TOKEN' } });
    expect(start.service.healthPath).toBe(config.service.healthPath);
  });

  it('serves on the HTTP port, else the HTTPS port, else 8080', () => {
    const http = { port: 18080, host: '0.0.0.0', redirectToHttps: false };
    const https = { port: 18443, host: '0.0.0.0' };
    expect(defaultPort(gatewayConfig([], { listeners: { http, https } as never }))).toBe(18080);
    expect(defaultPort(gatewayConfig([], { listeners: { https } as never }))).toBe(18443);
    expect(defaultPort(gatewayConfig([], { listeners: {} }))).toBe(8080);
  });

  it('needs a restart for a new port or health path, not for new APIs', () => {
    const config = gatewayConfig([]);
    const key = startKeyOf(config);
    expect(startKeyOf({ ...config, apis: [api('a', '=/a', mock('{}'))] })).toBe(key);
    expect(startKeyOf({ ...config, service: { ...config.service, healthPath: '/healthz' } })).not.toBe(key);
    const moved = { ...config.service, listeners: { http: { port: 9000, host: '127.0.0.1', redirectToHttps: false } } };
    expect(startKeyOf({ ...config, service: moved })).not.toBe(key);
  });
});
