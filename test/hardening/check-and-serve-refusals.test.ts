/**
 * `apigw check` exited 0 for configs that `serve` refuses (a missing
 * certificate file, a missing secret variable, a key file given as the
 * certificate), and `serve` with its HTTPS port taken kept serving HTTP only.
 * Both now fail with exit code 1, and the failed start closes what it opened.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { GatewayConfig } from '../../model';
import { runGateway } from '../../runtime/main';
import { api, gatewayConfig, mock } from '../helpers/config';
import { freePort } from '../helpers/servers';
import { eventually, openFds } from './raw';
import { tempDir } from '../helpers/temp';

const dir = tempDir('apigw-check-');
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=a.example'].concat([
    '-keyout',
    join(dir, 'a.key'),
    '-out',
    join(dir, 'a.crt'),
  ]),
  { stdio: 'ignore' },
);

let stderr: string[] = [];
let spies: jest.SpyInstance[] = [];
beforeEach(() => {
  stderr = [];
  // The CLI writes its verdict and the gateway its events; keep them out of the test output but readable.
  spies = [
    jest.spyOn(process.stderr, 'write').mockImplementation((c) => (stderr.push(String(c)), true)),
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true),
  ];
});
afterEach(() => spies.forEach((s) => s.mockRestore()));

function writeConfig(name: string, config: GatewayConfig): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function httpsConfig(cert: string, key: string, ports = { http: 0, https: 0 }): GatewayConfig {
  return gatewayConfig([api('hello', '=/hello', mock('"hi"'))], {
    listeners: {
      http: { port: ports.http, host: '127.0.0.1', redirectToHttps: false },
      https: {
        port: ports.https,
        host: '127.0.0.1',
        minVersion: 'TLSv1.2',
        certificates: [{ domains: ['a.example'], cert: { file: cert }, key: { file: key } }],
      },
    },
  });
}

describe('apigw check refuses what serve refuses', () => {
  it('a valid config with certificates and secrets → 0', async () => {
    expect(await runGateway(['check', '--config', writeConfig('ok', httpsConfig('a.crt', 'a.key'))], {})).toBe(0);
  });

  it.each([
    ['a missing certificate file', httpsConfig('missing.crt', 'a.key'), 'missing.crt'],
    ['a key file given as the certificate', httpsConfig('a.key', 'a.key'), 'certificate for a.example'],
    [
      'a missing secret variable',
      gatewayConfig([api('k', '=/k', mock('"k"'), { auth: { type: 'keyPair' } })], {
        keyPairs: [{ secretId: 'p', secretKey: { env: 'APIGW_TEST_UNSET_SECRET' } }],
        usagePlans: [{ name: 'p', keyPairs: ['p'] }],
      }),
      'APIGW_TEST_UNSET_SECRET',
    ],
  ])('%s → 1, as serve', async (_name, config, reason) => {
    const file = writeConfig(`bad-${reason.replace(/\W/g, '')}`, config);
    const fds = openFds();
    expect(await runGateway(['check', '--config', file], {})).toBe(1);
    expect(stderr.join('')).toContain(reason);
    expect(await runGateway(['serve', '--config', file], {})).toBe(1);
    await eventually(() => openFds() <= fds, 'the refused start to close what it opened');
  });
});

describe('apigw check --no-secrets (the image build, where secrets are not present)', () => {
  it('checks the schema and rules only', async () => {
    const missingSecret = writeConfig('no-secrets', httpsConfig('missing.crt', 'a.key'));
    expect(await runGateway(['check', '--no-secrets', '--config', missingSecret], {})).toBe(0);
    const broken = gatewayConfig([api('a', '=/a', mock('"a"')), api('a', '=/b', mock('"b"'))]);
    expect(await runGateway(['check', '--no-secrets', '--config', writeConfig('broken', broken)], {})).toBe(1);
    expect(stderr.join('')).toContain('already used');
  });
});

describe('serve with the HTTPS port taken', () => {
  it('exits 1 and closes the HTTP listener it had opened', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const httpPort = await freePort();
    const fds = openFds();
    try {
      const file = writeConfig(
        'taken',
        httpsConfig('a.crt', 'a.key', { http: httpPort, https: (taken.address() as AddressInfo).port }),
      );
      expect(await runGateway(['serve', '--config', file], {})).toBe(1);
      expect(stderr.join('')).toContain('start_failed');
      // Nothing listens on the HTTP port any more.
      await expect(
        new Promise((resolve, reject) => {
          const s = connect(httpPort, '127.0.0.1', () => (s.destroy(), resolve('connected')));
          s.once('error', reject);
        }),
      ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await eventually(() => openFds() <= fds, 'the refused start to close what it opened');
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
