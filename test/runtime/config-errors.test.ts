/** `apigw check` and a reload list every mistake of a config file at once. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCommand } from '../../cli/commands/serve';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { startGateway } from '../helpers/servers';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'apigw-check-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function check(config: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `gateway-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c) => ((stdout += String(c)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
  try {
    const code = await checkCommand.run(['--config', file]);
    return { code, stdout: stdout.replaceAll(file, 'FILE'), stderr: stderr.replaceAll(file, 'FILE') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A long API name (a schema error), an undeclared parameter, a reserved route, a bad plan... */
function manyMistakes() {
  return gatewayConfig(
    [
      api('u'.repeat(61), '/users/{userid}', http('http://users.internal/api')),
      api('health', '=/__apigw/health', mock('{}')),
      api('proxy', '=/proxy', http('http://proxy.internal', '/', { timeoutMs: 1_800_001 })),
    ],
    { usagePlans: [{ name: 'plan', keyPairs: ['ghost'], apis: ['proxy'], rateLimitPerSecond: 10 }] },
  );
}

describe('apigw check', () => {
  it('lists every mistake of the file, not only the first kind (a long name hid the rest)', async () => {
    const { code, stderr } = await check(manyMistakes());
    expect(code).toBe(1);
    expect(stderr).toBe(
      [
        'config FILE is invalid:',
        '  /apis/0/backend/origin: origin "http://users.internal/api" must not have a path, query or fragment (put the path in the backend path)',
        '  /apis/0/name: must NOT have more than 60 characters',
        '  /apis/0/parameters: {userid} in the path /users/{userid} must be declared as a path parameter',
        '  /apis/1/frontend/path: the gateway answers GET and HEAD /__apigw/health itself (its health path), so no request reaches this API',
        '  /apis/2/backend/timeoutMs: must be <= 1800000',
        '  /service/usagePlans/0/apis/0: usage plan "plan" limits API "proxy", which does not use key-pair authentication, so the limit never applies',
        '  /service/usagePlans/0/keyPairs/0: usage plan "plan" names key pair "ghost", which the service does not declare',
        '',
      ].join('\n'),
    );
  });

  it('prints the warnings of a valid file', async () => {
    const { code, stdout } = await check(gatewayConfig([api('admin', '^~/__apigw/', mock('{}'))]));
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'config FILE is valid: 1 APIs',
        'warnings:',
        '  /apis/0/frontend/path: the gateway answers GET and HEAD /__apigw/health itself (its health path), before any API',
        '',
      ].join('\n'),
    );
  });
});

describe('reload', () => {
  it('refuses a file with several mistakes and logs all of them', async () => {
    const g = await startGateway(gatewayConfig([api('one', '=/one', mock('"one"'))]));
    try {
      writeFileSync(join(g.dir, 'gateway.json'), JSON.stringify(manyMistakes()));
      expect(await g.gateway.reload()).toBe(false);
    } finally {
      await g.close();
    }
    const refused = g.events.find((e) => e.event === 'reload_refused') as { level: string; reason: string };
    expect(refused.level).toBe('warn');
    for (const field of [
      '/apis/0/backend/origin',
      '/apis/0/name',
      '/apis/0/parameters',
      '/apis/1/frontend/path',
      '/apis/2/backend/timeoutMs',
      '/service/usagePlans/0/apis/0',
      '/service/usagePlans/0/keyPairs/0',
    ])
      expect(refused?.reason).toContain(`  ${field}: `);
  });
});
