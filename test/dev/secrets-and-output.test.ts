/** What `apigw dev` prints and where it finds secrets, piece by piece. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDevEnvFile, resolveSecrets, secretNeeds } from '../../dev/secrets';
import { synthErrors } from '../../dev/synth';
import { describeChange } from '../../dev/dev-loop';
import { diffGateways } from '../../review/diff';
import { api, gatewayConfig, mock } from '../helpers/config';
import { tempDir } from '../helpers/temp';

it('finds every secret reference of the applied config, with the field that reads it', () => {
  const config = gatewayConfig([], {
    keyPairs: [
      { secretId: 'a', secretKey: { env: 'KEY_A' } },
      { secretId: 'b', secretKey: { file: '/run/secrets/b' } },
    ],
    connectionsAdminToken: { env: 'PUSH_TOKEN' },
  });
  expect(secretNeeds(config)).toEqual([
    { name: 'KEY_A', field: '/service/keyPairs/0/secretKey' },
    { name: 'PUSH_TOKEN', field: '/service/connectionsAdminToken' },
  ]);
});

it('takes a secret from the environment before .apigw-dev.env, and names each missing one once', () => {
  const dir = tempDir();
  writeFileSync(join(dir, '.apigw-dev.env'), '# local only\nKEY_A=from-file\nKEY_B="quoted value"\n');
  const file = readDevEnvFile(dir);
  expect(file).toEqual({ KEY_A: 'from-file', KEY_B: 'quoted value' });
  const needs = [
    { name: 'KEY_A', field: '/x' },
    { name: 'KEY_B', field: '/y' },
    { name: 'KEY_C', field: '/z' },
    { name: 'KEY_C', field: '/w' },
  ];
  expect(resolveSecrets(needs, { KEY_A: 'from-env' }, file)).toEqual({
    values: { KEY_A: 'from-env', KEY_B: 'quoted value' },
    missing: ['secret KEY_C (read by /z) is not set: export KEY_C=... or add KEY_C=... to .apigw-dev.env'],
  });
  expect(readDevEnvFile(join(dir, 'nowhere'))).toEqual({});
});

it("prints cdktf's validation errors with their construct paths, else the app's last lines", () => {
  const output = `/app/node_modules/cdktf/lib/app.js:1
Error: Validation failed with the following errors:
  [dev/pets/hello] backend timeout: at most 30 minutes, got 31 minutes
  [dev/pets] limits maxHeaderBytes: at least 1 KiB, got 512 bytes

If you wish to ignore these validations, pass 'skipValidation: true' to your App configuration.
    at App.synth (/app/node_modules/cdktf/lib/app.js:1:1)`;
  expect(synthErrors(output, 1)).toEqual([
    '[dev/pets/hello] backend timeout: at most 30 minutes, got 31 minutes',
    '[dev/pets] limits maxHeaderBytes: at least 1 KiB, got 512 bytes',
  ]);
  expect(synthErrors('SyntaxError: Unexpected token )\n', 1)).toEqual([
    'the app exited with code 1:',
    '  SyntaxError: Unexpected token )',
  ]);
});

it('says a change in one line: APIs added, changed (also through a shared setting) and removed', () => {
  const before = gatewayConfig([api('a', '=/a', mock('1')), api('b', '=/b', mock('2')), api('c', '=/c', mock('3'))]);
  const after = gatewayConfig(
    [api('a', '=/a', mock('1')), api('b', '=/b', mock('changed')), api('d', '=/d', mock('4'))],
    {
      stage: { name: 'beta', variables: {} },
    },
  );
  const diff = diffGateways(new Map([['s', before]]), new Map([['s', after]])).services[0]!;
  expect(describeChange(diff)).toBe('added d; changed b; removed c; service settings changed');
});
