/**
 * `apigw dev`'s loop in this process (dev-loop.test.ts runs the CLI): a real
 * cdktf app in a temp folder, edited on disk and picked up by the real
 * watcher; what the loop prints and what HTTP and WebSocket clients see.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fetch } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { DevLoop, type PortChoice } from '../../dev/dev-loop';
import { readCdktfProject } from '../../dev/synth';
import { watchSources, type SourceWatcher } from '../../dev/watch';
import { EventLog } from '../../runtime/access-log';
import { createDevApp, devApis, writeDevService } from '../helpers/dev-app';
import { freePort } from '../helpers/servers';
import { isListening } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

const HELLO = `  service.addApi('hello', { path: '=/hello', backend: MockBackend.json({ hello: 'world' }) });`;
const TOO_SLOW = `  service.addApi('hello', { path: '=/hello', backend: new HttpBackend({ origin: 'http://127.0.0.1:1', timeout: Duration.minutes(31) }) });`;
const TOKEN = 'PETS_PUSH_TOKEN';
const TOKEN_MISSING = `  secret ${TOKEN} (read by /service/connectionsAdminToken) is not set: export ${TOKEN}=... or add ${TOKEN}=... to .apigw-dev.env`;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

const portOf = (url: string): number => Number(new URL(url).port);

/** A loop on the app in `dir` with its printed lines; `waitFor` waits for lines printed since the last wait. */
class Harness {
  readonly lines: string[] = [];
  readonly loop: DevLoop;
  private seen = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly dir: string,
    env: NodeJS.ProcessEnv,
    ports: PortChoice = { offset: 0, overrides: new Map([['pets', 0]]) },
    readonly outdir = tempDir(),
  ) {
    this.loop = new DevLoop({
      project: readCdktfProject(dir),
      outdir,
      ports,
      events: new EventLog('error', () => undefined),
      accessLog: null,
      env,
      print: (line) => {
        this.lines.push(line);
        for (const w of this.waiters) w();
      },
    });
  }

  /** The new lines (joined by newlines) once they match `re`, within `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = re.exec(this.lines.slice(this.seen).join('\n'));
        if (!match) return;
        this.seen = this.lines.length;
        cleanup();
        resolve(match);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no line matched ${re} in:\n${this.lines.slice(this.seen).join('\n')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

describe('DevLoop', () => {
  let echo: WebSocketServer;
  let env: NodeJS.ProcessEnv;
  const loops: DevLoop[] = [];
  const watchers: SourceWatcher[] = [];
  const servers: Server[] = [];
  const harness = (...args: ConstructorParameters<typeof Harness>): Harness => {
    const h = new Harness(...args);
    loops.push(h.loop);
    return h;
  };

  beforeAll(async () => {
    echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    echo.on('connection', (s) => s.on('message', (data, binary) => s.send(data, { binary })));
    await new Promise<void>((r) => echo.once('listening', () => r()));
    env = { ...process.env, ECHO_ORIGIN: `ws://127.0.0.1:${(echo.address() as AddressInfo).port}` };
    delete env[TOKEN];
  });

  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.close()));
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  afterAll(async () => {
    for (const client of echo.clients) client.terminate();
    await new Promise((r) => echo.close(r));
  });

  it('serves the app, applies each save live, keeps the last good config on a broken save, and stops everything', async () => {
    const h = harness(createDevApp(devApis()), env);
    const watcher = watchSources(h.dir, h.outdir, () => void h.loop.cycle());
    watchers.push(watcher);
    await watcher.ready;
    await h.loop.cycle();
    const [, url] = await h.waitFor(/^pets {2}(http:\/\/127\.0\.0\.1:\d+) {2}\(2 APIs\)$/);
    expect(h.loop.urls).toEqual(new Map([['pets', url]]));
    expect(await get(`${url}/status`)).toEqual({ status: 200, body: '{"ok":true}' });

    const socket = new WebSocket(`${url!.replace('http', 'ws')}/chat`);
    await new Promise((r, j) => socket.once('open', r).once('error', j));
    const closes: number[] = [];
    socket.on('close', (code) => closes.push(code));

    // A save that adds an API.
    writeFileSync(join(h.dir, 'apis.js'), devApis(HELLO));
    await h.waitFor(/^pets: added hello \(applied in \d+ ms, generation \d+\)$/m);
    expect(await get(`${url}/hello`)).toEqual({ status: 200, body: '{"hello":"world"}' });
    socket.send('still here');
    expect(await new Promise<string>((r) => socket.once('message', (d) => r(String(d))))).toBe('still here');

    // A broken save: the construct error with its path; the last good config keeps serving.
    writeFileSync(join(h.dir, 'apis.js'), devApis(TOO_SLOW));
    await h.waitFor(
      /^synth failed; the last good config keeps serving:\n {2}\[dev\/pets\/hello\] backend timeout: at most 30 minutes, got 31 minutes$/m,
    );
    expect(await get(`${url}/hello`)).toEqual({ status: 200, body: '{"hello":"world"}' });

    // Back to what is served: nothing to apply.
    writeFileSync(join(h.dir, 'apis.js'), devApis(HELLO));
    await h.waitFor(/^no change \(synth \d+ ms\)$/m);

    // A change only the gateway can refuse: its fields are printed; the last good config keeps serving.
    writeDevService(h.dir, { tokenFile: '/nonexistent/apigw-dev-token' });
    await h.waitFor(
      /^pets: the gateway refused the change; the last good config keeps serving:\n {2}ConfigInvalid: [^\n]+\n {4}\/service\/connectionsAdminToken: [^\n]*\/nonexistent\/apigw-dev-token/m,
    );
    expect((await get(`${url}/hello`)).status).toBe(200);

    // A secret that is not set: named, not applied; set in .apigw-dev.env: applied.
    writeDevService(h.dir, { tokenEnv: TOKEN });
    await h
      .waitFor(/^pets: not applied; the last good config keeps serving:\n(.*)$/m)
      .then(([, missing]) => expect(missing).toBe(TOKEN_MISSING));
    writeFileSync(join(h.dir, '.apigw-dev.env'), `${TOKEN}=a-long-enough-token-0123456789\n`);
    await h.waitFor(/^pets: service settings changed \(applied in \d+ ms, generation \d+\)$/m);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    expect(closes).toEqual([]);

    // A new health path is bound at start: the gateway restarts (its connections close), with every API.
    writeDevService(h.dir, { tokenEnv: TOKEN, healthPath: '/healthz' });
    const [, restarted] = await h.waitFor(
      /^pets: its port or health path changed; restarting its gateway\npets {2}(http:\/\/127\.0\.0\.1:\d+) {2}\(3 APIs\)$/m,
    );
    await new Promise((r) => (socket.readyState === WebSocket.CLOSED ? r(null) : socket.once('close', r)));
    expect(closes).toEqual([1001]);
    expect((await get(`${restarted}/healthz`)).status).toBe(200);
    expect(await get(`${restarted}/hello`)).toEqual({ status: 200, body: '{"hello":"world"}' });
    if (restarted !== url) expect(await isListening(portOf(url!))).toBe(false);

    // The service removed from the app: its gateway stops.
    rmSync(join(h.dir, 'service.json'));
    await h.waitFor(
      /^the app declares no Service: nothing to serve\npets: removed from the app; its gateway stopped$/m,
    );
    expect(h.loop.urls.size).toBe(0);
    expect(await isListening(portOf(restarted!))).toBe(false);
  }, 120_000);

  it('stop() closes every gateway and its connections', async () => {
    const h = harness(createDevApp(devApis()), env);
    await h.loop.cycle();
    const url = h.loop.urls.get('pets')!;
    const socket = new WebSocket(`${url.replace('http', 'ws')}/chat`);
    await new Promise((r, j) => socket.once('open', r).once('error', j));
    const closed = new Promise<number>((r) => socket.once('close', r));
    await h.loop.stop();
    expect(await closed).toBe(1001);
    expect(await isListening(portOf(url))).toBe(false);
    expect(h.loop.urls.size).toBe(0);
  });

  it('serves nothing while the first synth fails, then serves once it succeeds', async () => {
    const h = harness(createDevApp('exports.addApis = () => { throw new Error("typo in apis.js"); };\n'), env);
    await h.loop.cycle();
    await h.waitFor(
      /^synth failed; nothing is served until it succeeds:\n {2}the app exited with code 1:[\s\S]*typo in apis\.js/,
    );
    expect(h.loop.urls.size).toBe(0);
    writeFileSync(join(h.dir, 'apis.js'), devApis());
    await h.loop.cycle();
    await h.waitFor(/^pets {2}http:\/\/127\.0\.0\.1:\d+ {2}\(2 APIs\)$/m);
  });

  it('says when the app declares no Service', async () => {
    const h = harness(createDevApp(devApis(), null), env);
    await h.loop.cycle();
    expect(h.lines).toEqual(['the app declares no Service: nothing to serve']);
  });

  it('serves no API until a missing secret is set, then applies everything', async () => {
    const h = harness(createDevApp(devApis(), { tokenEnv: TOKEN }), env);
    await h.loop.cycle();
    const [, url] = await h.waitFor(
      /^pets {2}(http:\/\/127\.0\.0\.1:\d+) {2}\(2 APIs\)\npets: serves no API until its secrets are set:\n(.*)$/m,
    );
    expect(h.lines.at(-1)).toBe(TOKEN_MISSING);
    expect((await get(`${url}/status`)).status).toBe(404);
    writeFileSync(join(h.dir, '.apigw-dev.env'), `${TOKEN}=a-long-enough-token-0123456789\n`);
    await h.loop.cycle();
    await h.waitFor(/^pets: added status, chat \(applied in \d+ ms, generation \d+\)$/m);
    expect((await get(`${url}/status`)).status).toBe(200);
  });

  it('serves no API while the gateway refuses the first config, then applies the fixed one', async () => {
    const h = harness(createDevApp(devApis(), { tokenFile: '/nonexistent/apigw-dev-token' }), env);
    await h.loop.cycle();
    const [, url] = await h.waitFor(
      /^pets {2}(http:\/\/127\.0\.0\.1:\d+) {2}\(2 APIs\)\npets: the gateway refused the config; it serves no API until a change is accepted:\n {2}ConfigInvalid: /m,
    );
    expect((await get(`${url}/status`)).status).toBe(404);
    writeDevService(h.dir, {});
    await h.loop.cycle();
    await h.waitFor(/^pets: added status, chat; service settings changed \(applied/m);
    expect((await get(`${url}/status`)).status).toBe(200);
  });

  it('says when .apigw-dev.env cannot be read', async () => {
    const h = harness(createDevApp(), env);
    mkdirSync(join(h.dir, '.apigw-dev.env'));
    await h.loop.cycle();
    await h.waitFor(/^pets: .*EISDIR/m);
    expect(h.loop.urls.size).toBe(0);
  });

  it("says when a service's port is taken, and serves on its own port plus the offset", async () => {
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    const dir = createDevApp();
    const blocked = harness(dir, env, { offset: 0, overrides: new Map([['*', port]]) });
    await blocked.loop.cycle();
    await blocked.waitFor(new RegExp(`^pets: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`, 'm'));
    expect(blocked.loop.urls.size).toBe(0);

    // The app's httpPort is 18080: an offset moves it to a free port.
    const free = await freePort();
    const shifted = harness(dir, env, { offset: free - 18080, overrides: new Map() });
    await shifted.loop.cycle();
    expect(shifted.loop.urls.get('pets')).toBe(`http://127.0.0.1:${free}`);
  });

  it('runs once more when a change arrives during a cycle, and stop() ends a synth in progress', async () => {
    const h = harness(createDevApp(), env);
    const first = h.loop.cycle();
    const second = h.loop.cycle();
    expect(second).toBe(first);
    await first;
    expect(h.lines).toEqual([
      expect.stringMatching(/^pets {2}http/),
      expect.stringMatching(/^no change \(synth \d+ ms\)$/),
    ]);

    const stopped = harness(createDevApp(), env);
    const cycle = stopped.loop.cycle();
    await stopped.loop.stop();
    await cycle;
    expect(stopped.lines).toEqual([]);
    expect(stopped.loop.urls.size).toBe(0);
  });
});
