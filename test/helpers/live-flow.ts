/**
 * The live deploy flow a user runs, with the real cdktf CLI and terraform
 * against a running gateway (a process or a container): deploy → a second
 * diff with no changes → a one-API change whose plan text is asserted →
 * deploy under continuous HTTP load with a WebSocket held open → the gateway
 * replaced (same state) still serving it → a change made outside Terraform
 * shown by the next diff → a refused config that fails
 * the deploy and changes nothing → terraform import into a fresh state →
 * destroy. Shared by the process and the container tests.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import type { ConfigState } from '../../model';
import { changedLines, cdktfOk, createCdktfApp, planChanges, type CdktfApp } from './cdktf-app';
import { startBackend, type Backend } from './servers';
import { terraform, terraformOk } from './terraform';

export const ADMIN_TOKEN = 'live-flow-admin-token-0123456789';

/** The gateway under test, once it runs. */
export interface LiveGateway {
  /** Public listener: `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Admin listener: `http://127.0.0.1:<port>`. */
  readonly adminEndpoint: string;
}

/** What the flow measured, for the report. */
export interface FlowFigures {
  readonly timings: Record<string, number>;
  load?: { readonly requests: number; readonly failed: number };
  /** The one-API change as `cdktf diff` showed it. */
  oneApiDiff?: string;
}

const MAIN_JS = `
// A user's cdktf app: one service applied live to a running gateway.
const { App, TerraformStack } = require('cdktf');
const {
  Auth, Duration, ExistingGatewayTarget, FunctionCode, HttpBackend, MockBackend, ScfBackend, Secret, Service,
  WebSocketBackend,
} = require('cdktf-apigw');

const app = new App();
const stack = new TerraformStack(app, 'live');
const service = new Service(stack, 'pets', {
  deployment: new ExistingGatewayTarget({ endpoint: process.env.GW_ENDPOINT }),
});
service.addApi('status', { path: '=/status', backend: MockBackend.json({ status: 'ok' }) });
service.addApi('getPet', {
  path: '/pets/{petId}',
  parameters: [{ name: 'petId', in: 'path', type: 'int' }],
  backend: new HttpBackend({
    origin: process.env.PETS_ORIGIN,
    path: '/v1/pets/{petId}',
    timeout: Duration.seconds(Number(process.env.PET_TIMEOUT_SECONDS || 5)),
  }),
});
service.addApi('hello', {
  path: '=/hello',
  backend: new ScfBackend({
    functionName: 'hello',
    code: FunctionCode.fromDirectory(__dirname + '/functions/hello', { handler: 'index.main' }),
  }),
});
service.addApi('chat', { protocol: 'websocket', path: '=/chat', backend: new WebSocketBackend({ origin: process.env.CHAT_ORIGIN }) });
if (process.env.REFUSED === '1') {
  // Valid at synth and at plan; only the gateway knows its environment has no such variable.
  service.addKeyPair({ secretId: 'partner', secretKey: Secret.fromEnv('APIGW_FLOW_NOT_SET') });
  const report = service.addApi('report', { path: '=/report', auth: Auth.keyPair(), backend: MockBackend.json({}) });
  service.addUsagePlan({ name: 'partners', keyPairs: ['partner'], apis: [report] });
}
app.synth();
`;

export interface FlowOptions {
  /** The running gateway; called after the caller's `beforeAll` hooks ran, and again after `replace`. */
  readonly gateway: () => LiveGateway;
  /** Replaces the gateway by a new one on the same state directory (a restarted process, a new container). */
  readonly replace: () => Promise<void>;
  /** What `replace` does, for the test's name. */
  readonly replaced: string;
}

/** Defines the flow's tests (in order) inside the caller's `describe`. */
export function liveFlow({ gateway, replace, replaced }: FlowOptions, figures: FlowFigures): void {
  let app: CdktfApp;
  let pets: Backend;
  let chat: WebSocketServer;
  let env: NodeJS.ProcessEnv;
  const t = figures.timings;

  // The endpoint is read each time: a replaced gateway may listen elsewhere.
  const vars = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    ...env,
    GW_ENDPOINT: gateway().adminEndpoint,
    ...extra,
  });
  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await request(`${gateway().base}${path}`);
    return { status: res.statusCode, text: await res.body.text() };
  };
  const admin = async (method: 'GET' | 'PUT', body?: unknown, etag?: string): Promise<ConfigState> => {
    const res = await request(`${gateway().adminEndpoint}/v1/config`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        'content-type': 'application/json',
        ...(etag ? { 'if-match': etag } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${method} /v1/config: ${res.statusCode} ${text}`);
    return JSON.parse(text) as ConfigState;
  };

  beforeAll(async () => {
    pets = await startBackend((req, res) => {
      const body = JSON.stringify({ url: req.url });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    chat = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    chat.on('connection', (ws) => ws.on('message', (m, binary) => ws.send(m, { binary })));
    await once(chat, 'listening');
    app = createCdktfApp('live', MAIN_JS, {
      'functions/hello/index.js': 'exports.main = async () => ({ hello: "from a function" });\n',
    });
    env = {
      PETS_ORIGIN: pets.origin,
      CHAT_ORIGIN: `ws://127.0.0.1:${(chat.address() as AddressInfo).port}`,
      TF_VAR_pets_admin_token: ADMIN_TOKEN,
    };
  });

  afterAll(async () => {
    await pets?.close();
    for (const c of chat?.clients ?? []) c.terminate();
    await new Promise((r) => chat?.close(r));
  });

  it('cdktf deploy applies the service live: every API serves', async () => {
    const r = await cdktfOk(app, ['deploy', '--auto-approve', '--no-color'], vars());
    t.deployCreate = r.ms;
    expect(r.stdout).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(await get('/status')).toEqual({ status: 200, text: '{"status":"ok"}' });
    expect(await get('/pets/7')).toEqual({ status: 200, text: '{"url":"/v1/pets/7"}' });
    expect(await get('/hello')).toEqual({ status: 200, text: '{"hello":"from a function"}' });
    expect((await admin('GET')).source).toBe('applied');
  }, 180_000);

  it('a second cdktf diff shows no changes', async () => {
    const r = await cdktfOk(app, ['diff', '--no-color'], vars());
    t.diffNoChanges = r.ms;
    expect(r.stdout).toContain('No changes. Your infrastructure matches the configuration.');
  }, 120_000);

  it('cdktf diff of a one-API change shows that API and field, old -> new, and nothing else', async () => {
    const r = await cdktfOk(app, ['diff', '--no-color'], vars({ PET_TIMEOUT_SECONDS: '6' }));
    t.diffOneApi = r.ms;
    const block = planChanges(r.stdout);
    // As cdktf prints it (the stack name in front of each of its outputs), for the README.
    const from = r.stdout.lastIndexOf('\n', r.stdout.indexOf('Terraform used the selected providers')) + 1;
    const to = r.stdout.indexOf('\n', r.stdout.indexOf('Plan:', from));
    figures.oneApiDiff = r.stdout.slice(from, to);
    expect(block).toContain('# apigw_service.pets (pets/ApiConfig) will be updated in-place');
    expect(changedLines(block)).toEqual([
      '~ resource "apigw_service" "pets" {',
      '~ apis       = {',
      '~ "getPet" = {',
      '~ backend    = {',
      '~ http = {',
      '~ timeout_ms         = 5000 -> 6000',
      expect.stringMatching(/^~ etag\s+= "[0-9a-f]+" -> \(known after apply\)$/),
      expect.stringMatching(/^~ generation = \d+ -> \(known after apply\)$/),
    ]);
    expect(block).toContain('# (3 unchanged elements hidden)');
    expect(block).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
  }, 120_000);

  it('cdktf deploy of the change under continuous load fails no request and keeps an open WebSocket open', async () => {
    const before = await admin('GET');
    const ws = new WebSocket(`${gateway().base.replace('http', 'ws')}/chat`);
    await once(ws, 'open');
    let closed = false;
    ws.on('close', () => (closed = true));

    const pool = new Pool(gateway().base, { connections: 8 });
    let running = true;
    let requests = 0;
    let failed = 0;
    const failures: string[] = [];
    const client = async (path: string): Promise<void> => {
      while (running) {
        try {
          const res = await pool.request({ path, method: 'GET' });
          await res.body.text();
          requests++;
          if (res.statusCode !== 200) {
            failed++;
            failures.push(`${path}: ${res.statusCode}`);
          }
        } catch (err) {
          requests++;
          failed++;
          failures.push(`${path}: ${(err as Error).message}`);
        }
      }
    };
    const clients = [...Array(8).keys()].map((i) => client(i % 2 ? '/status' : '/pets/1'));
    let r;
    try {
      r = await cdktfOk(app, ['deploy', '--auto-approve', '--no-color'], vars({ PET_TIMEOUT_SECONDS: '6' }));
    } finally {
      running = false;
      await Promise.all(clients);
      await pool.close();
    }
    t.deployOneApi = r.ms;
    figures.load = { requests, failed };
    expect(r.stdout).toContain('Apply complete! Resources: 0 added, 1 changed, 0 destroyed.');
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(0);

    const after = await admin('GET');
    expect(after.generation).toBe(before.generation + 1);
    expect(after.config.apis.find((a) => a.name === 'getPet')?.backend).toMatchObject({ timeoutMs: 6000 });
    // The WebSocket opened before the deploy still relays after it.
    ws.send('still here');
    const [message] = (await once(ws, 'message')) as [Buffer];
    expect(message.toString()).toBe('still here');
    expect(closed).toBe(false);
    ws.close();
  }, 180_000);

  it(`${replaced} serves the applied config again, and cdktf diff shows no changes`, async () => {
    const before = await admin('GET');
    await replace();
    const after = await admin('GET');
    expect(after).toMatchObject({ source: 'applied', generation: before.generation, etag: before.etag });
    expect(await get('/pets/3')).toEqual({ status: 200, text: '{"url":"/v1/pets/3"}' });
    expect(await get('/hello')).toEqual({ status: 200, text: '{"hello":"from a function"}' });
    const r = await cdktfOk(app, ['diff', '--no-color'], vars({ PET_TIMEOUT_SECONDS: '6' }));
    expect(r.stdout).toContain('No changes. Your infrastructure matches the configuration.');
  }, 180_000);

  it('a change made outside Terraform (a PUT to the admin API) shows in the next cdktf diff', async () => {
    const state = await admin('GET');
    const config = structuredClone(state.config);
    const status = config.apis.find((a) => a.name === 'status')!;
    status.backend = { ...status.backend, body: '{"status":"changed by hand"}' } as typeof status.backend;
    await admin('PUT', { config, secrets: {} }, state.etag);
    expect((await get('/status')).text).toBe('{"status":"changed by hand"}');

    const r = await cdktfOk(app, ['diff', '--no-color'], vars({ PET_TIMEOUT_SECONDS: '6' }));
    const block = planChanges(r.stdout);
    expect(block).toContain('~ "status" = {');
    expect(block).toMatch(/~ body\s+= jsonencode\(/);
    expect(block).toMatch(/~ status = "changed by hand" -> "ok"/);
    expect(block).not.toContain('"getPet"');
    expect(block).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
  }, 120_000);

  it('a config the gateway refuses fails cdktf deploy with the field-level error, and the old config keeps serving', async () => {
    const before = await admin('GET');
    const r = await app.cdktf(
      ['deploy', '--auto-approve', '--no-color'],
      vars({ PET_TIMEOUT_SECONDS: '6', REFUSED: '1' }),
    );
    expect(r.code).not.toBe(0);
    const output = r.stdout + r.stderr;
    expect(output).toContain('Error: service.key_pairs[0].secret_key:');
    expect(output).toContain('APIGW_FLOW_NOT_SET');
    const after = await admin('GET');
    expect(after.generation).toBe(before.generation);
    expect(after.etag).toBe(before.etag);
    expect((await get('/report')).status).toBe(404);
    expect((await get('/status')).text).toBe('{"status":"changed by hand"}');
  }, 180_000);

  it('terraform import adopts the running service into a fresh state', async () => {
    const fresh = join(app.dir, 'imported.tfstate');
    const tfEnv = { ...app.env, ...vars({ PET_TIMEOUT_SECONDS: '6' }) };
    // Synthesize the app as deployed (the refused variant above left its synth behind).
    await cdktfOk(app, ['synth'], tfEnv);
    const imported = await terraformOk(
      app.stackDir,
      ['import', '-no-color', '-input=false', `-state=${fresh}`, 'apigw_service.pets', 'pets'],
      tfEnv,
    );
    t.import = imported.ms;
    expect(imported.stdout).toContain('Import successful!');
    const plan = await terraform(
      app.stackDir,
      ['plan', '-no-color', '-input=false', '-detailed-exitcode', `-state=${fresh}`],
      tfEnv,
    );
    // Imported as the gateway serves it: the only difference is the change made by hand.
    expect(plan.code).toBe(2);
    const lines = changedLines(planChanges(plan.stdout));
    expect(lines).toContain('~ "status" = {');
    expect(lines.join('\n')).not.toContain('getPet');
  }, 180_000);

  it('cdktf destroy puts the gateway back on its start config', async () => {
    const r = await cdktfOk(app, ['destroy', '--auto-approve', '--no-color'], vars({ PET_TIMEOUT_SECONDS: '6' }));
    t.destroy = r.ms;
    expect(r.stdout).toContain('Destroy complete! Resources: 1 destroyed.');
    expect((await admin('GET')).source).toBe('started');
    expect((await get('/status')).status).toBe(404);
  }, 180_000);
}
