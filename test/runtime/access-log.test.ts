/** The access log: one JSON line per request, and APIGW_ACCESS_LOG=off. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { AccessLog } from '../../runtime/access-log';
import { api, gatewayConfig, mock } from '../helpers/config';
import { freePort } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

const BUNDLE = join(__dirname, '..', '..', 'dist', 'runtime-bundle', 'gateway.js');

describe('AccessLog', () => {
  it('writes each entry as one JSON line, escaping whatever needs it', () => {
    const out: string[] = [];
    const log = new AccessLog((t) => out.push(t));
    const entry = {
      time: log.now(),
      requestId: 'id-1',
      method: 'GET',
      path: '/a',
      api: 'x',
      status: 200,
      durationMs: 1.5,
      backendMs: null,
      clientIp: '::1',
    };
    log.write(entry);
    log.write({ ...entry, path: '/q"uote\\back\nline', api: null });
    log.flush();
    const lines = out.join('').split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toEqual(entry);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ path: '/q"uote\\back\nline', api: null });
  });
});

async function serveOnce(env: NodeJS.ProcessEnv): Promise<string> {
  const port = await freePort();
  const file = join(tempDir('apigw-log-'), 'gateway.json');
  writeFileSync(
    file,
    JSON.stringify(
      gatewayConfig([api('hello', '=/hello', mock('"hi"'))], {
        listeners: { http: { port, host: '127.0.0.1', redirectToHttps: false } },
      }),
    ),
  );
  const child = spawn(process.execPath, [BUNDLE, 'serve', '--config', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  await new Promise<void>((resolve) => child.stderr.on('data', (c: Buffer) => c.includes('"listening"') && resolve()));
  const r = await request(`http://127.0.0.1:${port}/hello`);
  expect(await r.body.text()).toBe('"hi"');
  child.kill('SIGTERM');
  await once(child, 'exit');
  return stdout;
}

describe('the gateway process', () => {
  it('logs requests to stdout by default', async () => {
    const lines = (await serveOnce({})).split('\n').filter(Boolean);
    expect(lines.map((l) => JSON.parse(l) as { api: string; status: number })).toEqual([
      expect.objectContaining({ api: 'hello', status: 200 }),
    ]);
  });

  it('logs nothing with APIGW_ACCESS_LOG=off', async () => {
    expect(await serveOnce({ APIGW_ACCESS_LOG: 'off' })).toBe('');
  });
});
