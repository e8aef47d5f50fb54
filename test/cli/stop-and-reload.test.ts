/**
 * Stopping `npm start` and `npx apigw serve` by their PID stops the gateway
 * (it used to be left orphaned and serving), `npm start` binds loopback, and
 * SIGHUP reloads when it reaches the gateway. The real commands, spawned;
 * the assertions are what an operator sees: the port closed, the process
 * gone, the reload served.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { api, gatewayConfig, mock } from '../helpers/config';
import { adopt, events, repoRoot, start, waitUntilClosed, waitUntilGone, type Started } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

jest.setTimeout(120_000);

interface NpmStart {
  readonly npm: Started;
  readonly gatewayPid: number;
  readonly port: number;
}

/** `npm start` as the README says, without its build step (global-setup built dist/ already). */
async function npmStart(): Promise<NpmStart> {
  const npm = start('npm', ['start', '--ignore-scripts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      APIGW_PORT: '0',
      APIGW_SAMPLE_HTTP_PORT: '0',
      APIGW_SAMPLE_WS_PORT: '0',
      APIGW_ACCESS_LOG: 'off',
    },
  });
  await npm.waitFor(/"event":"listening"/);
  const listening = events(npm.output.stderr, 'listening')[0] as { pid: number; http: string };
  adopt(listening.pid);
  return { npm, gatewayPid: listening.pid, port: Number(listening.http.split(':').pop()) };
}

/** The port closed and the gateway gone; on failure the message shows what the gateway logged and its state. */
async function expectStopped(npm: Started, gatewayPid: number, port: number): Promise<void> {
  const closed = await waitUntilClosed(port);
  const gone = await waitUntilGone(gatewayPid);
  if (closed && gone) return;
  let stat = 'gone';
  try {
    stat = readFileSync(`/proc/${gatewayPid}/stat`, 'utf8');
  } catch {
    // exited meanwhile
  }
  throw new Error(
    `port closed: ${closed}, gateway gone: ${gone}\ngateway /proc stat: ${stat}\nlog:\n` +
      npm.output.stderr.split('\n').slice(-25).join('\n'),
  );
}

describe('npm start', () => {
  it('binds 127.0.0.1, reloads on SIGHUP to the gateway, and stops with SIGTERM to npm', async () => {
    const { npm, gatewayPid, port } = await npmStart();
    expect(gatewayPid).not.toBe(npm.pid);
    expect(events(npm.output.stderr, 'listening')[0]?.http).toBe(`127.0.0.1:${port}`);
    expect(npm.output.stderr).toContain(`quickstart gateway on http://127.0.0.1:${port} (pid ${gatewayPid};`);

    const generation = async (): Promise<string | undefined> => {
      const res = await request(`http://127.0.0.1:${port}/__apigw/metrics`);
      return /^apigw_config_generation (\d+)$/m.exec(await res.body.text())?.[1];
    };
    expect(await generation()).toBe('1');
    process.kill(gatewayPid, 'SIGHUP');
    await npm.waitFor(/"event":"reloaded"/);
    expect(await generation()).toBe('2');

    process.kill(npm.pid, 'SIGTERM');
    await npm.exited;
    await expectStopped(npm, gatewayPid, port);
  });

  it('stops the gateway on SIGINT to npm', async () => {
    const { npm, gatewayPid, port } = await npmStart();
    process.kill(npm.pid, 'SIGINT');
    await npm.exited;
    await expectStopped(npm, gatewayPid, port);
  });

  it('stops the gateway, rather than orphaning it, on SIGHUP to npm (which npm does not pass on)', async () => {
    const { npm, gatewayPid, port } = await npmStart();
    process.kill(npm.pid, 'SIGHUP');
    await npm.exited;
    await expectStopped(npm, gatewayPid, port);
    expect(events(npm.output.stderr, 'parent_exited')[0]?.message).toContain(`kill -HUP ${gatewayPid}`);
  });
});

describe('npx apigw serve', () => {
  let file: string;
  beforeAll(() => {
    file = join(tempDir('apigw-npx-'), 'gateway.json');
    writeFileSync(file, JSON.stringify(gatewayConfig([api('a', '=/a', mock('{}'))])));
  });

  async function npxServe(): Promise<NpmStart> {
    const npm = start('npx', ['--offline', '--yes', 'apigw', 'serve', file, '--port', '0', '--host', '127.0.0.1'], {
      cwd: repoRoot,
      env: { ...process.env, APIGW_ACCESS_LOG: 'off' },
    });
    await npm.waitFor(/"event":"listening"/, 60_000);
    const listening = events(npm.output.stderr, 'listening')[0] as { pid: number; http: string };
    adopt(listening.pid);
    return { npm, gatewayPid: listening.pid, port: Number(listening.http.split(':').pop()) };
  }

  it('stops the gateway on SIGTERM to npx', async () => {
    const { npm, gatewayPid, port } = await npxServe();
    expect(gatewayPid).not.toBe(npm.pid);
    expect((await request(`http://127.0.0.1:${port}/a`)).statusCode).toBe(200);
    process.kill(npm.pid, 'SIGTERM');
    await npm.exited;
    await expectStopped(npm, gatewayPid, port);
  });

  it('stops the gateway, rather than orphaning it, on SIGHUP to npx', async () => {
    const { npm, gatewayPid, port } = await npxServe();
    process.kill(npm.pid, 'SIGHUP');
    await npm.exited;
    await expectStopped(npm, gatewayPid, port);
    expect(events(npm.output.stderr, 'parent_exited')[0]?.message).toContain(`kill -HUP ${gatewayPid}`);
  });
});
