/**
 * The state directory: an applied config, its secrets and its function
 * bundles survive a restart; a state that cannot be served is refused (and
 * logged) in favour of the start config; SIGHUP does not undo applies; unused
 * bundles are removed.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { GatewayConfig } from '../../../model';
import { signRequest } from '../../../runtime/auth/sign';
import { Gateway } from '../../../runtime/gateway';
import { api, gatewayConfig, mock } from '../../helpers/config';
import {
  admin,
  apply,
  bundle,
  bundledTarget,
  captureEvents,
  startAdminGateway,
  upload,
  withAdmin,
  type AdminGateway,
} from './harness';
import { tempDir } from '../../helpers/temp';

const start = (): GatewayConfig => gatewayConfig([api('one', '=/one', mock('"one"'))]);
const code = bundle({ 'index.js': 'exports.hi = async () => "hi from the bundle";' });
const applied = (): GatewayConfig =>
  gatewayConfig(
    [
      api('new', '=/new', mock('"new"')),
      api('fn', '=/fn', { type: 'scf', function: bundledTarget(code.sha256, 'hi'), responseIntegration: false }),
      api('signed', '=/signed', mock('"signed"'), { auth: { type: 'keyPair' } }),
    ],
    {
      keyPairs: [{ secretId: 'k', secretKey: { env: 'K_SECRET' } }],
      usagePlans: [{ name: 'p', keyPairs: ['k'] }],
    },
  );

let events: ReturnType<typeof captureEvents>;
let stateDir: string;
let dir: string;
const running: AdminGateway[] = [];

beforeEach(() => {
  events = captureEvents();
  stateDir = tempDir('apigw-state-');
  dir = tempDir('apigw-admin-');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
  events.restore();
});

async function boot(config = start(), extra: { bundleKeepMs?: number } = {}): Promise<AdminGateway> {
  const g = await startAdminGateway(config, { stateDir, dir, ...extra });
  running.push(g);
  return g;
}

async function stop(g: AdminGateway): Promise<void> {
  running.splice(running.indexOf(g), 1);
  await g.close();
}

const get = async (g: AdminGateway, path: string, headers: Record<string, string> = {}) => {
  const res = await request(`${g.base}${path}`, { headers });
  return { status: res.statusCode, text: await res.body.text() };
};

async function applyAll(g: AdminGateway): Promise<void> {
  expect((await upload(g, code)).status).toBe(200);
  const res = await apply(g, applied(), { K_SECRET: 'stored-secret' });
  expect(res.status).toBe(200);
}

describe('restart with the same state directory', () => {
  it('serves the applied config, its bundle and its secrets, with the same generation and ETag', async () => {
    const first = await boot();
    await applyAll(first);
    const before = (await admin(first, 'GET', '/v1/config')).body;
    await stop(first);

    const second = await boot();
    expect(await get(second, '/new')).toEqual({ status: 200, text: '"new"' });
    expect(await get(second, '/fn')).toEqual({ status: 200, text: '"hi from the bundle"' });
    const signed = await get(second, '/signed', signRequest({ secretId: 'k', secretKey: 'stored-secret' }));
    expect(signed.status).toBe(200);
    expect((await get(second, '/one')).status).toBe(404);
    expect((await admin(second, 'GET', '/v1/config')).body).toEqual(before);
    expect(before).toMatchObject({ generation: 2, source: 'applied' });
    expect(events.events).toContainEqual(expect.objectContaining({ event: 'state_loaded', generation: 2 }));
  });

  it('keeps secrets in a file only the gateway user can read, and never in config.json', async () => {
    const g = await boot();
    await applyAll(g);
    expect(statSync(join(stateDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(stateDir, 'secrets.json'), 'utf8')).toContain('stored-secret');
    const configJson = readFileSync(join(stateDir, 'config.json'), 'utf8');
    expect(configJson).not.toContain('stored-secret');
    expect(JSON.parse(configJson)).toMatchObject({ format: 1, generation: 2, source: 'applied' });
    expect(existsSync(join(stateDir, 'bundles', code.sha256, 'index.js'))).toBe(true);
  });

  it('serves the start config after DELETE, and keeps counting generations', async () => {
    const first = await boot();
    await applyAll(first);
    expect((await admin(first, 'DELETE', '/v1/config')).body.generation).toBe(3);
    await stop(first);
    const second = await boot();
    expect((await get(second, '/one')).status).toBe(200);
    expect((await get(second, '/new')).status).toBe(404);
    expect((await admin(second, 'GET', '/v1/config')).body).toMatchObject({ source: 'started', generation: 4 });
  });

  it('takes listeners and the admin listener from the start config, even when the file changed', async () => {
    const first = await boot();
    await applyAll(first);
    await stop(first);
    // A new image: another start config; the applied config still serves, on the new file's listeners.
    const second = await boot(gatewayConfig([api('other', '=/other', mock('"other"'))]));
    expect((await get(second, '/new')).status).toBe(200);
    expect((await get(second, '/other')).status).toBe(404);
  });
});

describe('a state directory that cannot be written', () => {
  it('refuses the apply (500, nothing changed) and leaves the previous state whole on disk', async () => {
    const g = await boot();
    await applyAll(g);
    const saved = readFileSync(join(stateDir, 'config.json'));
    const secrets = readFileSync(join(stateDir, 'secrets.json'), 'utf8');
    // config.json cannot be replaced: a non-empty folder stands in its place.
    rmSync(join(stateDir, 'config.json'));
    mkdirSync(join(stateDir, 'config.json', 'blocked'), { recursive: true });
    const res = await apply(g, gatewayConfig([api('other', '=/other', mock('1'))]), { K_SECRET: 'new-secret' });
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'InternalError', message: expect.stringContaining('nothing changed') });
    expect((await get(g, '/new')).status).toBe(200);
    expect((await get(g, '/other')).status).toBe(404);
    expect((await admin(g, 'GET', '/v1/config')).body.generation).toBe(2);
    expect(readFileSync(join(stateDir, 'secrets.json'), 'utf8')).toBe(secrets);
    await stop(g);

    rmSync(join(stateDir, 'config.json'), { recursive: true });
    writeFileSync(join(stateDir, 'config.json'), saved);
    const again = await boot();
    expect((await get(again, '/new')).status).toBe(200);
    expect(events.events.map((e) => e.event)).not.toContain('state_refused');
  });
});

describe('a state that cannot be served', () => {
  const refusedWith = (reason: RegExp): void => {
    expect(events.events).toContainEqual(
      expect.objectContaining({ event: 'state_refused', stateDir, reason: expect.stringMatching(reason) }),
    );
  };

  it('corrupt config.json: the start config serves and state_refused is logged', async () => {
    const first = await boot();
    await applyAll(first);
    await stop(first);
    writeFileSync(join(stateDir, 'config.json'), '{"format": 1, "generation": ');
    const second = await boot();
    expect((await get(second, '/one')).status).toBe(200);
    expect((await get(second, '/new')).status).toBe(404);
    refusedWith(/^config.json is not JSON/);
    expect((await admin(second, 'GET', '/v1/config')).body.source).toBe('started');
  });

  it('secrets.json from another write: refused rather than paired with the wrong config', async () => {
    const first = await boot();
    await applyAll(first);
    await stop(first);
    writeFileSync(join(stateDir, 'secrets.json'), '{"K_SECRET":"other"}\n');
    await boot();
    refusedWith(/secrets.json does not belong to config.json/);
  });

  it('a bundle changed or removed on disk: refused, naming the API', async () => {
    const first = await boot();
    await applyAll(first);
    await stop(first);
    writeFileSync(join(stateDir, 'bundles', code.sha256, 'index.js'), 'exports.hi = async () => "tampered";');
    const second = await boot();
    refusedWith(new RegExp(`API fn: bundle ${code.sha256} was changed on disk`));
    expect((await get(second, '/fn')).status).toBe(404);
    await stop(second);
    rmSync(join(stateDir, 'bundles', code.sha256), { recursive: true });
    await boot();
    refusedWith(new RegExp(`API fn: bundle ${code.sha256} is not stored`));
  });

  it('an applied config that does not validate (edited by hand): refused, the start config serves', async () => {
    const first = await boot();
    await applyAll(first);
    await stop(first);
    const config = JSON.parse(readFileSync(join(stateDir, 'config.json'), 'utf8')) as { config: { apis: unknown[] } };
    config.config.apis.push(config.config.apis[0]);
    writeFileSync(join(stateDir, 'config.json'), JSON.stringify(config));
    const second = await boot();
    refusedWith(/API name "new" is already used/);
    expect((await get(second, '/one')).status).toBe(200);
  });
});

describe('SIGHUP (reload) with an applied config', () => {
  it('does not read the file (that would undo the applies); it recompiles the applied config', async () => {
    const g = await boot();
    await applyAll(g);
    writeFileSync(g.file, JSON.stringify(withAdmin(gatewayConfig([api('edited', '=/edited', mock('1'))]))));
    expect(await g.gateway.reload()).toBe(true);
    expect((await get(g, '/new')).status).toBe(200);
    expect((await get(g, '/edited')).status).toBe(404);
    expect((await admin(g, 'GET', '/v1/config')).body).toMatchObject({ source: 'applied', generation: 3 });
    // After DELETE the start config (as the gateway started with it) serves, and SIGHUP reads the file again.
    await admin(g, 'DELETE', '/v1/config');
    expect((await get(g, '/one')).status).toBe(200);
    expect(await g.gateway.reload()).toBe(true);
    expect((await get(g, '/edited')).status).toBe(200);
  });

  it('refuses a reload of the file that moves the admin listener', async () => {
    const g = await boot();
    const moved = withAdmin(start());
    moved.service.admin = { ...moved.service.admin!, port: 1 };
    writeFileSync(g.file, JSON.stringify(moved));
    expect(await g.gateway.reload()).toBe(false);
    expect(events.events).toContainEqual(
      expect.objectContaining({
        event: 'reload_refused',
        reason: 'service.admin changed; restart the gateway to change it',
      }),
    );
  });
});

describe('unused bundles', () => {
  it('are removed after an apply unless the current or the previous config runs them', async () => {
    const g = await boot(start(), { bundleKeepMs: 0 });
    const versions = ['a', 'b', 'c'].map((v) => bundle({ 'index.js': `exports.hi = async () => "${v}";` }));
    for (const v of versions) {
      await upload(g, v);
      const config = gatewayConfig([
        api('fn', '=/fn', { type: 'scf', function: bundledTarget(v.sha256, 'hi'), responseIntegration: false }),
      ]);
      expect((await apply(g, config)).status).toBe(200);
    }
    expect((await get(g, '/fn')).text).toBe('"c"');
    const held = (await admin(g, 'GET', '/v1/config')).body.bundles as string[];
    expect(held.sort()).toEqual([versions[1]!.sha256, versions[2]!.sha256].sort());
    expect(events.events).toContainEqual({
      time: expect.any(String),
      level: 'info',
      event: 'bundles_removed',
      bundles: [versions[0]!.sha256],
    });
  });

  it('are kept for a while after their upload, so an upload-then-apply cannot lose them', async () => {
    const g = await boot();
    const early = bundle({ 'index.js': 'exports.hi = async () => "early";' });
    await upload(g, early);
    await apply(g, gatewayConfig([api('x', '=/x', mock('1'))]));
    await apply(g, gatewayConfig([api('y', '=/y', mock('1'))]));
    expect((await admin(g, 'HEAD', `/v1/bundles/${early.sha256}`)).status).toBe(200);
  });
});

describe('without an admin listener', () => {
  it('the state directory is not used: the config file is the whole truth', async () => {
    const first = await boot();
    await applyAll(first);
    await stop(first);
    const gateway = Gateway.fromConfig(
      { config: start(), file: join(dir, 'plain.json'), baseDir: dir },
      { env: {}, stateDir, accessLog: null },
    );
    try {
      const { http } = await gateway.listen();
      const res = await request(`http://127.0.0.1:${http!.port}/one`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(events.events.map((e) => e.event)).not.toContain('state_loaded');
    } finally {
      await gateway.close();
    }
  });
});

describe('without a state directory', () => {
  it('warns at start that applies live in memory only', async () => {
    const g = await startAdminGateway(start());
    running.push(g);
    expect(events.events).toContainEqual(expect.objectContaining({ event: 'admin_state_in_memory' }));
  });
});
