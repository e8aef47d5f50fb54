/**
 * `apigw dev` as a user runs it: a cdktf app in its own folder (using this
 * package as an installed dependency), `apigw dev` started as a process and
 * stopped by its PID, the app's source file edited while it runs.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { signRequest } from '../../runtime/auth/sign';
import { apigwBin, isListening, repoRoot, run, start, type Started } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

/** A cdktf app: main.js declares the service, apis.js (the file the tests edit) its APIs. */
function createProject(apisJs: string, files: Record<string, string> = {}): string {
  const dir = tempDir('apigw-dev-app-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repoRoot, join(dir, 'node_modules', 'cdktf-apigw'));
  for (const m of ['cdktf', 'constructs']) symlinkSync(join(repoRoot, 'node_modules', m), join(dir, 'node_modules', m));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: 'node main.js', context: {} }));
  writeFileSync(
    join(dir, 'main.js'),
    `const { App, TerraformStack, TerraformVariable } = require('cdktf');
const { ExistingGatewayTarget, Secret, Service } = require('cdktf-apigw');
const app = new App();
const stack = new TerraformStack(app, 'dev');
const partnerKey = new TerraformVariable(stack, 'partner_key', { type: 'string', sensitive: true });
const service = new Service(stack, 'pets', {
  httpPort: 18080,
  keyPairs: [{ secretId: 'partner', secretKey: Secret.fromVariable(partnerKey, 'PARTNER_KEY') }],
  deployment: new ExistingGatewayTarget({ endpoint: 'http://127.0.0.1:9901' }),
});
require('./apis').addApis(service);
app.synth();
`,
  );
  writeFileSync(join(dir, 'apis.js'), apisJs);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const apis = (
  extra: string,
): string => `const { Auth, MockBackend, WebSocketBackend, HttpBackend, Duration } = require('cdktf-apigw');
exports.addApis = (service) => {
  service.addApi('status', { path: '=/status', backend: MockBackend.json({ ok: true }) });
  service.addApi('chat', { protocol: 'websocket', path: '=/chat', backend: new WebSocketBackend({ origin: process.env.ECHO_ORIGIN }) });
  const report = service.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({ report: 1 }) });
  service.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [report] });
${extra}
};
`;

/** `apigw dev` in `dir`; `outdir` (inside the project, to test that it is not watched) instead of a temp folder. */
function startDev(dir: string, env: NodeJS.ProcessEnv, outdir?: string): Started {
  const args = [apigwBin, 'dev', '--port', 'pets=0', ...(outdir ? ['--outdir', join(dir, outdir)] : [])];
  return start(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, ...env, NO_COLOR: '1' },
  });
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** Stops `apigw dev` by its PID and waits for it to exit. */
async function stopDev(dev: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  process.kill(dev.pid, 'SIGTERM');
  return dev.exited;
}

describe('apigw dev', () => {
  let echo: WebSocketServer;
  let echoOrigin: string;

  beforeAll(async () => {
    echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    echo.on('connection', (s) => s.on('message', (data, binary) => s.send(data, { binary })));
    await new Promise<void>((r) => echo.once('listening', () => r()));
    echoOrigin = `ws://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const client of echo.clients) client.terminate();
    await new Promise((r) => echo.close(r));
  });

  it('serves the app, applies a saved change live with a WebSocket left open, and keeps the old config on a broken save', async () => {
    const dir = createProject(apis(''), { '.apigw-dev.env': 'PARTNER_KEY=from-the-dev-env-file\n' });
    const dev = startDev(dir, { ECHO_ORIGIN: echoOrigin });
    const [, url] = await dev.waitFor(/^pets {2}(http:\/\/127\.0\.0\.1:\d+) {2}\(3 APIs\)$/m);
    await dev.waitFor(/watching for changes/);
    expect(await get(`${url}/status`)).toEqual({ status: 200, body: '{"ok":true}' });
    // The key pair's secret came from .apigw-dev.env.
    const signed = signRequest({ secretId: 'partner', secretKey: 'from-the-dev-env-file' });
    expect((await fetch(`${url}/report`, { headers: signed })).status).toBe(200);

    const socket = new WebSocket(`${url!.replace('http', 'ws')}/chat`);
    await new Promise((r, j) => socket.once('open', r).once('error', j));
    const closes: number[] = [];
    socket.on('close', (code) => closes.push(code));

    // A save that adds an API: served within a few seconds, through a live apply.
    const saved = Date.now();
    writeFileSync(
      join(dir, 'apis.js'),
      apis(`  service.addApi('hello', { path: '=/hello', backend: MockBackend.json({ hello: 'world' }) });`),
    );
    await dev.waitFor(/^pets: added hello \(applied in \d+ ms, generation \d+\)$/m, 20_000);
    expect(await get(`${url}/hello`)).toEqual({ status: 200, body: '{"hello":"world"}' });
    process.stdout.write(`apigw dev: the new API served ${Date.now() - saved} ms after the save\n`);

    // The WebSocket opened before the change is still open and relays.
    socket.send('still here');
    const echoed = await new Promise<string>((r) => socket.once('message', (data) => r(String(data))));
    expect(echoed).toBe('still here');
    expect(closes).toEqual([]);

    // A broken save: printed with its construct path; the last good config keeps serving.
    writeFileSync(
      join(dir, 'apis.js'),
      apis(
        `  service.addApi('hello', { path: '=/hello', backend: new HttpBackend({ origin: 'http://127.0.0.1:1', timeout: Duration.minutes(31) }) });`,
      ),
    );
    await dev.waitFor(
      /synth failed; the last good config keeps serving:\n {2}\[dev\/pets\/hello\] backend timeout: at most 30 minutes, got 31 minutes/,
    );
    expect(await get(`${url}/hello`)).toEqual({ status: 200, body: '{"hello":"world"}' });
    expect(socket.readyState).toBe(WebSocket.OPEN);

    // Stopped by its PID: the gateway stops, and the WebSocket is closed by it.
    const exit = await stopDev(dev);
    expect(exit.code).toBe(0);
    expect(await isListening(Number(new URL(url!).port))).toBe(false);
    await new Promise((r) => (socket.readyState === WebSocket.CLOSED ? r(null) : socket.once('close', r)));
  }, 90_000);

  it('names a missing secret, serves nothing until it is set, then applies once it is', async () => {
    const dir = createProject(apis(''));
    const env: NodeJS.ProcessEnv = { ...process.env, ECHO_ORIGIN: echoOrigin };
    delete env.PARTNER_KEY;
    const dev = startDev(dir, env, '.dev-out');
    const [, url] = await dev.waitFor(/^pets {2}(http:\/\/127\.0\.0\.1:\d+)/m);
    await dev.waitFor(
      /pets: serves no API until its secrets are set:\n {2}secret PARTNER_KEY \(read by \/service\/keyPairs\/0\/secretKey\) is not set: export PARTNER_KEY=\.\.\. or add PARTNER_KEY=\.\.\. to \.apigw-dev\.env/,
    );
    expect((await get(`${url}/status`)).status).toBe(404);
    writeFileSync(join(dir, '.apigw-dev.env'), 'PARTNER_KEY=now-set\n');
    await dev.waitFor(/^pets: added status, chat, report \(applied/m, 20_000);
    expect((await get(`${url}/status`)).status).toBe(200);
    expect((await stopDev(dev)).code).toBe(0);
  }, 60_000);

  it('prints a gateway refusal with its fields, and the error of an app that does not run', async () => {
    const dir = createProject(apis(''), { '.apigw-dev.env': 'PARTNER_KEY=x\n' });
    const dev = startDev(dir, { ECHO_ORIGIN: echoOrigin }, '.dev-out');
    const [, url] = await dev.waitFor(/^pets {2}(http:\/\/127\.0\.0\.1:\d+)/m);
    await dev.waitFor(/watching for changes/);
    // Synth cannot know whether a file exists where the gateway runs; the gateway refuses the apply.
    const main = readFileSync(join(dir, 'main.js'), 'utf8');
    writeFileSync(
      join(dir, 'main.js'),
      main.replace(
        'httpPort: 18080,',
        "httpPort: 18080, connectionsAdminToken: Secret.fromFile('/nonexistent/apigw-dev-token'),",
      ),
    );
    await dev.waitFor(
      /pets: the gateway refused the change; the last good config keeps serving:\n {2}ConfigInvalid: [^\n]+\n {4}\/service\/connectionsAdminToken: [^\n]*\/nonexistent\/apigw-dev-token/,
    );
    expect((await get(`${url}/status`)).status).toBe(200);

    writeFileSync(join(dir, 'apis.js'), 'exports.addApis = () => { throw new Error("typo in apis.js"); };\n');
    await dev.waitFor(
      /synth failed; the last good config keeps serving:\n {2}the app exited with code 1:[\s\S]*typo in apis\.js/,
    );
    expect((await get(`${url}/status`)).status).toBe(200);
    expect((await stopDev(dev)).code).toBe(0);
  }, 60_000);

  it('refuses an output folder that would hold the project, a bad port, and a folder without cdktf.json', async () => {
    const dir = createProject(apis(''));
    const inProject = await run(process.execPath, [apigwBin, 'dev', '--outdir', '.'], { cwd: dir });
    expect(inProject.code).toBe(2);
    expect(inProject.stderr).toContain(`apigw dev: --outdir must be a folder of its own, not ${dir}`);
    const cdktfOut = await run(process.execPath, [apigwBin, 'dev', '--outdir', 'cdktf.out'], { cwd: dir });
    expect(cdktfOut.stderr).toContain('--outdir must be a folder of its own');
    const port = await run(process.execPath, [apigwBin, 'dev', '--port', 'pets=99999'], { cwd: dir });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port takes [SERVICE=]PORT (0 to 65535), got "pets=99999"');
    const empty = tempDir();
    const none = await run(process.execPath, [apigwBin, 'dev'], { cwd: empty });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`${empty}/cdktf.json not found: run apigw dev in a cdktf project`);
  });
});
