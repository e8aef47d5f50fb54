/** The `apigw` command line as a user runs it: the built bin, spawned, its exit codes and output. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { GatewayConfig } from '../../model';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { apigwBin, events, isListening, run, start, waitUntilClosed } from '../helpers/processes';
import { freePort } from '../helpers/servers';
import { tempDir } from '../helpers/temp';

const COMMANDS = ['serve', 'check', 'sign', 'diff', 'openapi'];

/** An empty working folder: a command that reads ./config/gateway.json would fail here. */
let emptyCwd: string;
let configFile: string;
beforeAll(() => {
  emptyCwd = tempDir('apigw-cli-cwd-');
  configFile = join(tempDir('apigw-cli-'), 'gateway.json');
  writeFileSync(configFile, JSON.stringify(config()));
});

function config(extra: GatewayConfig['apis'] = []): GatewayConfig {
  return gatewayConfig([api('a', '=/a', mock('{"api":"a"}')), ...extra], {
    listeners: { http: { port: 8080, host: '0.0.0.0', redirectToHttps: false } },
  });
}

const apigw = (...args: string[]) =>
  run(process.execPath, [apigwBin, ...args], { cwd: emptyCwd, env: { ...process.env, NO_COLOR: '1' } });

describe('apigw --help', () => {
  it.each(COMMANDS)('apigw %s --help prints the usage and exits 0 without reading a config', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await apigw(command, flag);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: apigw ${command} `));
      expect(r.stdout).toContain('-h, --help');
    }
  });

  it('apigw --help lists every command', async () => {
    const r = await apigw('--help');
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
  });

  it.each(COMMANDS)('apigw %s --nope is an error: exit 2, the usage on stderr', async (command) => {
    const r = await apigw(command, '--nope');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`apigw ${command}: unknown option --nope`);
    expect(r.stderr).toContain(`usage: apigw ${command} `);
  });

  it('an unknown command or a missing value is an error with exit 2', async () => {
    expect(await apigw('nope')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "nope"') });
    expect(await apigw('serve', '--port')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('apigw serve: --port needs a value'),
    });
    expect(await apigw('serve', '--port', 'http')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--port must be a port number from 0 to 65535, got "http"'),
    });
    expect(await apigw('check', '--port', '1')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--port and --host apply to serve'),
    });
  });
});

describe('apigw check', () => {
  it('takes the config file as its argument or with --config', async () => {
    for (const args of [[configFile], ['--config', configFile], ['-c', configFile]]) {
      const r = await apigw('check', ...args);
      expect({ code: r.code, stdout: r.stdout }).toEqual({
        code: 0,
        stdout: `config ${configFile} is valid: 1 APIs\n`,
      });
    }
  });

  it('exits 1 naming the bad field, and 2 for two files', async () => {
    const bad = join(tempDir('apigw-cli-bad-'), 'gateway.json');
    writeFileSync(bad, JSON.stringify({ ...config(), version: 2 }));
    const r = await apigw('check', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('version');
    expect((await apigw('check', configFile, bad)).code).toBe(2);
    expect((await apigw('check', configFile, '--config', bad)).stderr).toContain('two config files given');
  });
});

describe('apigw serve --port --host', () => {
  it('listens where the flags say, keeps that listener across a SIGHUP reload, and drains on SIGTERM', async () => {
    const dir = tempDir('apigw-cli-serve-');
    const file = join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify(config()));
    const port = await freePort();
    const served = start(process.execPath, [apigwBin, 'serve', file, '--port', String(port), '--host', '127.0.0.1'], {
      cwd: emptyCwd,
      env: { ...process.env, APIGW_ACCESS_LOG: 'off' },
    });
    await served.waitFor(/"event":"listening"/);
    // The config says 0.0.0.0:8080; the process bound the flags' address and port.
    expect(events(served.output.stderr, 'listening')[0]).toMatchObject({ pid: served.pid, http: `127.0.0.1:${port}` });
    const get = async (path: string) => (await request(`http://127.0.0.1:${port}${path}`)).statusCode;
    expect(await get('/a')).toBe(200);
    expect(await get('/b')).toBe(404);

    // A reload compares the file's listeners with the file's: the override does not make it refuse.
    writeFileSync(file, JSON.stringify(config([api('b', '=/b', mock('{"api":"b"}'))])));
    process.kill(served.pid, 'SIGHUP');
    await served.waitFor(/"event":"reloaded"/);
    expect(await get('/b')).toBe(200);

    process.kill(served.pid, 'SIGTERM');
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(await waitUntilClosed(port)).toBe(true);
  });

  it('refuses --port for a config without an HTTP listener', async () => {
    const dir = tempDir('apigw-cli-nohttp-');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-days',
        '2',
        '-subj',
        '/CN=a.example',
        '-keyout',
        join(dir, 'tls.key'),
        '-out',
        join(dir, 'tls.crt'),
      ]),
      { stdio: 'ignore' },
    );
    const c = config();
    c.service.listeners = {
      https: {
        port: 0,
        host: '127.0.0.1',
        minVersion: 'TLSv1.2',
        certificates: [{ domains: ['a.example'], cert: { file: 'tls.crt' }, key: { file: 'tls.key' } }],
      },
    };
    writeFileSync(join(dir, 'gateway.json'), JSON.stringify(c));
    const r = await apigw('serve', join(dir, 'gateway.json'), '--port', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port and --host set the HTTP listener');
  });
});

async function waitUntilListening(port: number): Promise<void> {
  for (let i = 0; i < 200 && !(await isListening(port)); i++) await new Promise((r) => setTimeout(r, 50));
}

describe('apigw serve --log-level', () => {
  it('writes the events of that level and above; the flag wins over APIGW_LOG_LEVEL', async () => {
    const dir = tempDir('apigw-cli-log-');
    const file = join(dir, 'gateway.json');
    writeFileSync(file, JSON.stringify(config([api('down', '=/down', http('http://127.0.0.1:1', '/'))])));
    const port = await freePort();
    const served = start(process.execPath, [apigwBin, 'serve', file, '--port', String(port), '--log-level', 'error'], {
      cwd: emptyCwd,
      env: { ...process.env, APIGW_ACCESS_LOG: 'off', APIGW_LOG_LEVEL: 'debug' },
    });
    await waitUntilListening(port);
    const res = await request(`http://127.0.0.1:${port}/down`);
    await res.body.text();
    expect(res.statusCode).toBe(502);
    await served.waitFor(/"event":"backend_failed"/);
    expect(events(served.output.stderr, 'backend_failed')[0]).toMatchObject({
      level: 'error',
      requestId: res.headers['x-api-requestid'],
      api: 'down',
      cause: 'ECONNREFUSED',
    });
    // info (listening) and debug (request_refused) are below the level.
    expect((await request(`http://127.0.0.1:${port}/nowhere`)).statusCode).toBe(404);
    process.kill(served.pid, 'SIGTERM');
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(events(served.output.stderr, 'listening')).toEqual([]);
    expect(events(served.output.stderr, 'request_refused')).toEqual([]);
  });

  it('refuses a level it does not know, from the flag or the environment', async () => {
    const r = await apigw('serve', configFile, '--log-level', 'loud');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('apigw serve: --log-level must be one of error, warn, info, debug; got "loud"');
    const env = await run(process.execPath, [apigwBin, 'serve', configFile], {
      cwd: emptyCwd,
      env: { ...process.env, APIGW_LOG_LEVEL: 'verbose' },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('APIGW_LOG_LEVEL must be one of error, warn, info, debug; got "verbose"');
  });
});

describe('colour', () => {
  async function diffOutput(env: NodeJS.ProcessEnv): Promise<string> {
    const dir = tempDir('apigw-cli-color-');
    for (const [name, c] of [
      ['a', config()],
      ['b', config([api('b', '=/b', mock('{}'))])],
    ] as const) {
      mkdirSync(join(dir, name, 'config'), { recursive: true });
      writeFileSync(join(dir, name, 'config', 'gateway.json'), JSON.stringify(c));
    }
    const { NO_COLOR: _n, FORCE_COLOR: _f, ...clean } = process.env;
    const r = await run(process.execPath, [apigwBin, 'diff', join(dir, 'a'), join(dir, 'b')], {
      env: { ...clean, ...env },
    });
    expect(r.code).toBe(1);
    return r.stdout;
  }

  it('is off when the output is not a terminal, and NO_COLOR wins over FORCE_COLOR', async () => {
    const ansi = /\u001b\[/;
    expect(await diffOutput({})).not.toMatch(ansi);
    expect(await diffOutput({ FORCE_COLOR: '1' })).toMatch(ansi);
    expect(await diffOutput({ FORCE_COLOR: '1', NO_COLOR: '1' })).not.toMatch(ansi);
  });
});
