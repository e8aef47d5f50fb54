/** apigw diff and apigw openapi on configs made by the tests. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayConfig } from '../../model';
import { diffGateways } from '../../review/diff';
import { renderDiff } from '../../review/render';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { tempDir } from '../helpers/temp';

const base = (): GatewayConfig =>
  gatewayConfig(
    [
      api('getUser', '/users/{id}', http('https://users.internal', '/v1/users/{id}'), {
        auth: { type: 'keyPair' },
        parameters: [{ name: 'id', in: 'path', type: 'int', required: true, sample: '42', description: 'user id' }],
        response: {
          successSample: '{"id":42}',
          errorCodes: [{ code: 'NoUser', message: 'no such user', description: 'unknown id' }],
        },
      }),
      api('health', '=/ping', mock('{}')),
      api('orders', '/orders/list', http('https://orders.internal', '/')),
    ],
    { keyPairs: [{ secretId: 'k', secretKey: { env: 'K' } }], usagePlans: [{ name: 'p', keyPairs: ['k'] }] },
  );

const map = (c: GatewayConfig) => new Map([[c.service.name, c]]);

describe('gateway diff', () => {
  it('is identical for identical configs', () => {
    const d = diffGateways(map(base()), map(base()));
    expect(d.identical).toBe(true);
    expect(renderDiff(d, 'text')).toBe('No changes.\n');
  });

  it('lists added, removed and changed APIs with old → new fields, and flags risks', () => {
    const head = base();
    const user = head.apis[0]!;
    head.apis[0] = {
      ...user,
      auth: { type: 'none' },
      cors: { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false },
      backend: {
        ...(user.backend as Extract<GatewayConfig['apis'][0]['backend'], { type: 'http' }>),
        origin: 'http://users.internal',
        timeoutMs: 120_000,
      },
    };
    head.apis.splice(1, 1);
    head.apis.push(api('catchAll', '^~/orders', mock('{}')));
    const d = diffGateways(map(base()), map(head));
    const s = d.services[0]!;
    expect(d.identical).toBe(false);
    expect(s.added.map((a) => a.name)).toEqual(['catchAll']);
    expect(s.removed.map((a) => a.name)).toEqual(['health']);
    expect(s.changed[0]?.changes).toEqual(
      expect.arrayContaining([
        { field: 'auth.type', before: 'keyPair', after: 'none' },
        { field: 'backend.origin', before: 'https://users.internal', after: 'http://users.internal' },
        { field: 'backend.timeoutMs', before: 2000, after: 120000 },
      ]),
    );
    expect(s.risks.map((r) => r.kind).sort()).toEqual(
      [
        'auth-removed',
        'backend-downgraded-to-http',
        'cors-opened',
        'public-api-added',
        'route-shadowed',
        'timeout-raised',
      ].sort(),
    );
    expect(s.risks.find((r) => r.kind === 'route-shadowed')?.message).toBe(
      'GET /orders/list was served by orders and is now captured by catchAll (^~/orders)',
    );
    const md = renderDiff(d, 'markdown');
    expect(md).toContain('| `getUser` | `auth.type` | `"keyPair"` | `"none"` |');
    expect(md).toContain('> - **auth-removed**: getUser: authentication removed (keyPair → none)');
    expect(JSON.parse(renderDiff(d, 'json'))).toMatchObject({ identical: false });
  });

  it('runs as apigw diff with diff-like exit codes on synth folders and files', () => {
    const dir = tempDir('apigw-diff-');
    const write = (name: string, c: GatewayConfig | string): string => {
      const folder = join(dir, name, 'stacks', 's', 'assets', 'x', 'HASH', 'config');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'gateway.json'), typeof c === 'string' ? c : JSON.stringify(c));
      return join(dir, name);
    };
    const head = base();
    head.apis[1] = { ...head.apis[1]!, backend: mock('{"changed":true}') };
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli', 'apigw.js'), ...args], {
        encoding: 'utf8',
      });
    expect(run('diff', write('a', base()), write('b', base())).status).toBe(0);
    const changed = run('diff', write('a', base()), write('c', head), '--format', 'markdown');
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('`health` | `backend.body`');
    const broken = run('diff', write('a', base()), write('d', '{"version":1}'));
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain('is not a valid gateway config');
  });
});
