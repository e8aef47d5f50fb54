/** apigw diff on configs made by the tests. */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Testing, TerraformStack } from 'cdktf';
import { Duration, FunctionCode, HttpBackend, ScfBackend, Service } from '../../lib';
import type { GatewayConfig, ScfBackendConfig } from '../../model';
import { functionCodeHash } from '../../review/code-hash';
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
        { field: 'auth.type', before: 'keyPair', after: 'none', impact: 'applied live' },
        {
          field: 'backend.origin',
          before: 'https://users.internal',
          after: 'http://users.internal',
          impact: 'applied live',
        },
        { field: 'backend.timeoutMs', before: 2000, after: 120000, impact: 'applied live' },
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
    expect(s.risks.find((r) => r.kind === 'route-shadowed')).toEqual({
      kind: 'route-shadowed',
      apis: ['orders'],
      detail: 'GET /orders/list was served by orders and is now captured by catchAll (^~/orders)',
    });
    const md = renderDiff(d, 'markdown');
    expect(md).toContain('| `getUser` | `auth.type` | `"keyPair"` | `"none"` | applied live |');
    expect(md).toContain('> - **auth-removed** `getUser`: authentication removed (keyPair → none)');
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

const text = (d: ReturnType<typeof diffGateways>) => renderDiff(d, 'text');
const cors = (...allowOrigins: string[]) => ({
  allowOrigins,
  allowMethods: [],
  allowHeaders: [],
  exposeHeaders: [],
  allowCredentials: false,
});

describe('gateway diff findings', () => {
  it('shows one shared Cors change on seven APIs as one finding, not seven', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const withCors = (c: ReturnType<typeof cors>) =>
      gatewayConfig(names.map((n) => api(n, `=/${n}`, mock('{}'), { cors: c })));
    const d = diffGateways(
      map(withCors(cors('https://app.example'))),
      map(withCors(cors('https://app.example', 'https://new.example'))),
    );
    const s = d.services[0]!;
    expect(s.changed).toEqual([]);
    expect(s.shared).toEqual([
      {
        field: 'cors.allowOrigins',
        before: ['https://app.example'],
        after: ['https://app.example', 'https://new.example'],
        impact: 'applied live',
        apis: names,
      },
    ]);
    expect(s.risks).toEqual([{ kind: 'cors-opened', apis: names, detail: expect.stringContaining('CORS opened') }]);
    const lines = text(d).split('\n');
    expect(lines.filter((l) => l.includes('cors.allowOrigins'))).toEqual([
      '  ~ 7 APIs (a, b, c, d, e, f, g): cors.allowOrigins: ["https://app.example"] → ["https://app.example","https://new.example"]  [applied live]',
    ]);
    expect(lines.filter((l) => l.includes('cors-opened'))).toHaveLength(1);
  });

  it('summarises keys and JWKS by fingerprint instead of dumping them', () => {
    const pem = () =>
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const jwks = (...kids: string[]) => JSON.stringify({ keys: kids.map((kid) => ({ kty: 'EC', kid, crv: 'P-256' })) });
    const verifier = (v: { publicKeyPem?: string; jwks?: string }) => ({
      type: 'oauth2' as const,
      verifier: {
        ...v,
        algorithms: ['ES256' as const],
        clockToleranceSec: 0,
        tokenLocation: { from: 'header' as const, name: 'authorization', scheme: 'Bearer' },
        forwardClaims: [],
      },
    });
    const config = (key: string, set: string) =>
      gatewayConfig([
        api('pem', '=/pem', mock('{}'), { auth: verifier({ publicKeyPem: key }) }),
        api('jwks', '=/jwks', mock('{}'), { auth: verifier({ jwks: set }) }),
      ]);
    const [before, after] = [pem(), pem()];
    const out = text(diffGateways(map(config(before, jwks('k1'))), map(config(after, jwks('k1', 'k2')))));
    expect(out).not.toContain('BEGIN PUBLIC KEY');
    expect(out).not.toContain('"kty"');
    const print = (k: string) => `sha256:${createHash('sha256').update(k.trim()).digest('hex').slice(0, 12)}`;
    expect(out).toContain(`auth.verifier.publicKeyPem: "${print(before)}" → "${print(after)}"`);
    expect(out).toMatch(
      /auth\.verifier\.jwks: "JWKS of 1 key \(kid k1\) sha256:[0-9a-f]{12}" → "JWKS of 2 keys \(kid k1, k2\) sha256:[0-9a-f]{12}"/,
    );
  });

  it('flags a raised maxBodyBytes and new http:// backends', () => {
    const head = base();
    head.service.limits = { ...head.service.limits, maxBodyBytes: 100 * 1024 * 1024 };
    head.apis[1] = { ...head.apis[1]!, backend: http('http://health.internal') }; // mock → plain HTTP
    head.apis.push(api('legacy', '=/legacy', http('http://legacy.internal')));
    const s = diffGateways(map(base()), map(head)).services[0]!;
    expect(s.risks).toEqual(
      expect.arrayContaining([
        {
          kind: 'body-limit-raised',
          apis: [],
          detail: 'limits.maxBodyBytes raised from 10 MiB to 100 MiB: every API accepts larger bodies',
        },
        {
          kind: 'plaintext-backend',
          apis: ['health'],
          detail: 'now calls an unencrypted backend http://health.internal',
        },
        {
          kind: 'plaintext-backend',
          apis: ['legacy'],
          detail: 'new API calls an unencrypted backend http://legacy.internal',
        },
      ]),
    );
  });

  it('flags removed APIs, removed and newly required parameters, and changed paths and methods as breaking', () => {
    const head = base();
    const user = head.apis[0]!;
    head.apis[0] = {
      ...user,
      frontend: { ...user.frontend, method: 'POST' },
      parameters: [
        { name: 'id', in: 'path', type: 'int', required: true },
        { name: 'tenant', in: 'header', type: 'string', required: true },
      ],
    };
    head.apis[2] = { ...head.apis[2]!, ...api('orders', '/orders/all', http('https://orders.internal', '/')) };
    head.apis.splice(1, 1); // health removed
    const before = base();
    before.apis[0]!.parameters.push({ name: 'verbose', in: 'query', type: 'boolean', required: false });
    const s = diffGateways(map(before), map(head)).services[0]!;
    expect(s.breaking).toEqual([
      { kind: 'api-removed', apis: ['health'], detail: 'API removed (GET =/ping): its clients get 404 or 405' },
      { kind: 'method-changed', apis: ['getUser'], detail: 'method changed from GET to POST' },
      { kind: 'parameter-removed', apis: ['getUser'], detail: 'query parameter verbose removed' },
      { kind: 'parameter-now-required', apis: ['getUser'], detail: 'header parameter tenant is new and required' },
      { kind: 'path-changed', apis: ['orders'], detail: 'path changed from /orders/list to /orders/all' },
    ]);
    expect(text(diffGateways(map(before), map(head)))).toContain(
      '  BREAKING method-changed: getUser: method changed from GET to POST',
    );
  });

  it('flags a method change as breaking only when a method is no longer served (ANY → GET, not GET → ANY)', () => {
    const withMethod = (method: 'GET' | 'ANY') => {
      const c = base();
      c.apis[0] = { ...c.apis[0]!, frontend: { ...c.apis[0]!.frontend, method } };
      return c;
    };
    const kinds = (b: GatewayConfig, h: GatewayConfig) =>
      diffGateways(map(b), map(h)).services[0]!.breaking.map((f) => f.kind);
    expect(kinds(withMethod('GET'), withMethod('ANY'))).not.toContain('method-changed');
    expect(diffGateways(map(withMethod('ANY')), map(withMethod('GET'))).services[0]!.breaking).toContainEqual({
      kind: 'method-changed',
      apis: ['getUser'],
      detail: 'method changed from ANY to GET',
    });
  });

  it('says the deploy impact of every change in text, Markdown and JSON', () => {
    const head = base();
    head.service.listeners = { http: { port: 9090, host: '0.0.0.0', redirectToHttps: false } };
    head.service.limits = { ...head.service.limits, keepAliveTimeoutMs: 6000 };
    head.apis[1] = { ...head.apis[1]!, backend: mock('{"v":2}') };
    const d = diffGateways(map(base()), map(head));
    const s = d.services[0]!;
    expect(s.impact).toBe('restarts the gateway');
    const t = text(d);
    expect(t).toContain('service test (changed; restarts the gateway)');
    expect(t).toContain('  ~ service.listeners.http.port: 0 → 9090  [restarts the gateway]');
    expect(t).toContain('  ~ service.limits.keepAliveTimeoutMs: 5000 → 6000  [applied live]');
    expect(t).toContain('      backend.body: "{}" → "{\\"v\\":2}"  [applied live]');
    const md = renderDiff(d, 'markdown');
    expect(md).toContain('### Service `test` (changed) — restarts the gateway');
    expect(md).toContain('| (service) | `service.listeners.http.port` | `0` | `9090` | restarts the gateway |');
    expect(md).toContain('| `health` | `backend.body` | `"{}"` | `"{\\"v\\":2}"` | applied live |');
    const json = JSON.parse(renderDiff(d, 'json')) as {
      services: { serviceChanges: { field: string; impact: string }[] }[];
    };
    expect(json.services[0]!.serviceChanges).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'service.listeners.http.port', impact: 'restarts the gateway' }),
        expect.objectContaining({ field: 'service.limits.keepAliveTimeoutMs', impact: 'applied live' }),
      ]),
    );
    // An API-only change is applied live as a whole.
    const apiOnly = base();
    apiOnly.apis[1] = { ...apiOnly.apis[1]!, backend: mock('{"v":2}') };
    expect(diffGateways(map(base()), map(apiOnly)).services[0]!.impact).toBe('applied live');
  });
});

describe('gateway diff of traffic policies', () => {
  const policies = (
    service: Partial<GatewayConfig['service']> = {},
    apis: Partial<GatewayConfig['apis'][0]>[] = [{}, {}],
  ): GatewayConfig =>
    gatewayConfig(
      [
        api('users', '=/users', http('https://users.internal'), apis[0]),
        api('orders', '=/orders', http('https://orders.internal'), apis[1]),
      ],
      service,
    );
  const risksOf = (b: GatewayConfig, h: GatewayConfig) =>
    diffGateways(map(b), map(h)).services[0]!.risks.filter((r) =>
      ['ip-allow-widened', 'ip-deny-removed', 'rate-limit-raised', 'body-validation-removed', 'auth-weakened'].includes(
        r.kind,
      ),
    );

  it('flags an allow list that admits more, on the API and through the service default (one finding for every API)', () => {
    const b = policies({ apiDefaults: { ipAccess: { allow: ['10.0.0.0/8'], deny: [] } } });
    // Narrowing is not a risk.
    expect(risksOf(b, policies({ apiDefaults: { ipAccess: { allow: ['10.1.0.0/16'], deny: [] } } }))).toEqual([]);
    expect(
      risksOf(b, policies({ apiDefaults: { ipAccess: { allow: ['10.0.0.0/8', '192.168.0.0/16'], deny: [] } } })),
    ).toEqual([
      {
        kind: 'ip-allow-widened',
        apis: ['users', 'orders'],
        detail: 'IP allow list widened: 192.168.0.0/16 now admitted',
      },
    ]);
    expect(risksOf(b, policies({}))).toEqual([
      {
        kind: 'ip-allow-widened',
        apis: ['users', 'orders'],
        detail: 'IP allow list removed: any address may call (was 10.0.0.0/8)',
      },
    ]);
    // An API's own empty lists replace the default: that API admits anyone now.
    expect(risksOf(b, policies(b.service, [{ ipAccess: { allow: [], deny: [] } }, {}]))).toEqual([
      {
        kind: 'ip-allow-widened',
        apis: ['users'],
        detail: 'IP allow list removed: any address may call (was 10.0.0.0/8)',
      },
    ]);
    const d = diffGateways(map(b), map(policies({ apiDefaults: { ipAccess: { allow: ['0.0.0.0/0'], deny: [] } } })));
    expect(text(d)).toContain('service.apiDefaults.ipAccess.allow: ["10.0.0.0/8"] → ["0.0.0.0/0"]');
  });

  it('flags a deny entry that no remaining entry covers', () => {
    const b = policies({}, [{ ipAccess: { allow: [], deny: ['203.0.113.0/24', '2001:db8::/32'] } }, {}]);
    expect(
      risksOf(b, policies({}, [{ ipAccess: { allow: [], deny: ['203.0.0.0/16', '2001:db8::/32'] } }, {}])),
    ).toEqual([]);
    expect(risksOf(b, policies({}, [{ ipAccess: { allow: [], deny: ['203.0.113.0/25'] } }, {}]))).toEqual([
      {
        kind: 'ip-deny-removed',
        apis: ['users'],
        detail: 'IP deny list no longer refuses 203.0.113.0/24, 2001:db8::/32',
      },
    ]);
  });

  it('flags a rate limit raised or removed, and a body schema removed', () => {
    const schema = '{"type":"object"}';
    const b = policies({ apiDefaults: { rateLimitPerSecond: 10 } }, [
      { bodySchema: schema },
      { rateLimitPerSecond: 5 },
    ]);
    expect(
      risksOf(
        b,
        policies({ apiDefaults: { rateLimitPerSecond: 5 } }, [{ bodySchema: schema }, { rateLimitPerSecond: 2 }]),
      ),
    ).toEqual([]);
    expect(risksOf(b, policies({}, [{}, { rateLimitPerSecond: 50 }]))).toEqual([
      { kind: 'rate-limit-raised', apis: ['users'], detail: 'rate limit removed (was 10 requests per second)' },
      {
        kind: 'body-validation-removed',
        apis: ['users'],
        detail: 'request body schema removed: bodies reach the backend unchecked',
      },
      { kind: 'rate-limit-raised', apis: ['orders'], detail: 'rate limit raised from 5 to 50 requests per second' },
    ]);
  });

  it('shows converted error codes and JWKS URLs field by field, and flags keys fetched over http://', () => {
    const oauth = (url: string): Partial<GatewayConfig['apis'][0]> => ({
      auth: {
        type: 'oauth2',
        verifier: {
          remoteJwks: { url, timeoutMs: 5000, cooldownMs: 30000, cacheMaxAgeMs: 600000 },
          algorithms: ['RS256'],
          clockToleranceSec: 30,
          tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
          forwardClaims: [],
        },
      },
    });
    const b = policies({}, [oauth('https://login.example/jwks'), {}]);
    const h = policies({}, [
      oauth('http://login.example/jwks'),
      {
        response: {
          errorCodes: [
            { code: 'Gone', message: 'gone', status: 404, from: { type: 'backendStatus', statuses: [404] } },
          ],
        },
      },
    ]);
    expect(risksOf(b, h)).toEqual([
      {
        kind: 'auth-weakened',
        apis: ['users'],
        detail: 'OAuth 2.0 weakened (keys now fetched over unencrypted http://login.example/jwks)',
      },
    ]);
    const t = text(diffGateways(map(b), map(h)));
    expect(t).toContain('auth.verifier.remoteJwks.url: "https://login.example/jwks" → "http://login.example/jwks"');
    expect(t).toContain('response.errorCodes[Gone].from.statuses: (none) → [404]');
  });

  it('shows a long body schema by size and fingerprint', () => {
    const long = JSON.stringify({
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, { type: 'string' }])),
    });
    const d = diffGateways(map(policies()), map(policies({}, [{ bodySchema: long }, {}])));
    expect(text(d)).toMatch(/bodySchema: \(none\) → "JSON Schema of \d+ characters sha256:[0-9a-f]{12}"/);
  });
});

describe('apigw diff on function code', () => {
  /** A synth-like output folder: config/gateway.json and the function's code next to it. */
  function synthFolder(root: string, code: string, sha256?: string): string {
    const context = join(root, 'stacks', 's', 'assets', 'x', 'HASH');
    mkdirSync(join(context, 'config'), { recursive: true });
    mkdirSync(join(context, 'functions', 'default', 'hello', '$LATEST'), { recursive: true });
    writeFileSync(join(context, 'functions', 'default', 'hello', '$LATEST', 'index.js'), code);
    const fn: ScfBackendConfig = {
      type: 'scf',
      responseIntegration: false,
      function: {
        namespace: 'default',
        functionName: 'hello',
        version: '$LATEST',
        timeoutMs: 3000,
        source: {
          type: 'bundled',
          dir: '../functions/default/hello/$LATEST',
          handler: 'index.main_handler',
          memoryMb: 128,
          ...(sha256 ? { sha256 } : {}),
        },
      },
    };
    writeFileSync(
      join(context, 'config', 'gateway.json'),
      JSON.stringify(gatewayConfig([api('hello', '=/hello', fn)])),
    );
    return root;
  }

  const apigw = (...args: string[]) =>
    spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli', 'apigw.js'), ...args], {
      encoding: 'utf8',
    });

  it('shows a change of the code folder when the config has no sha256 (it used to print "No changes.")', () => {
    const dir = tempDir('apigw-diff-code-');
    const a = synthFolder(join(dir, 'a'), 'exports.main_handler = async () => 1;\n');
    const b = synthFolder(join(dir, 'b'), 'exports.main_handler = async () => 2;\n');
    const same = synthFolder(join(dir, 'c'), 'exports.main_handler = async () => 1;\n');
    expect(apigw('diff', a, same).status).toBe(0);
    const r = apigw('diff', a, b);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /backend\.function\.code: "sha256:[0-9a-f]{12}" → "sha256:[0-9a-f]{12}"  \[applied live\]/,
    );
  });

  it("compares the config's sha256 when synth wrote one", () => {
    const dir = tempDir('apigw-diff-sha-');
    const code = 'exports.main_handler = async () => 1;\n';
    const r = apigw(
      'diff',
      synthFolder(join(dir, 'a'), code, 'a'.repeat(64)),
      synthFolder(join(dir, 'b'), code, 'b'.repeat(64)),
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('backend.function.code: "sha256:aaaaaaaaaaaa" → "sha256:bbbbbbbbbbbb"');
  });
});

describe('functionCodeHash', () => {
  it('does not read a code folder outside the config folder a hostile config names', () => {
    const dir = tempDir('apigw-diff-hostile-');
    const source = { type: 'bundled' as const, dir: '../../../../../../../etc', handler: 'a.b', memoryMb: 128 };
    expect(functionCodeHash(source, join(dir, 'config'))).toBe(
      'unknown (../../../../../../../etc is outside the build context)',
    );
  });
});

describe('apigw diff and openapi on cdktf synth output', () => {
  /** Synthesizes the default (live Docker) target into `outdir`, as `cdktf synth` does. */
  function synth(outdir: string, codeDir: string, timeoutSeconds: number): string {
    const app = Testing.app({ outdir });
    const stack = new TerraformStack(app, 'gw');
    new DockerProvider(stack, 'docker', {});
    const svc = new Service(stack, 'pets');
    svc.addApi('getPet', {
      path: '/pets/{id}',
      parameters: [{ name: 'id', in: 'path', type: 'int' }],
      backend: new HttpBackend({ origin: 'https://pets.internal', timeout: Duration.seconds(timeoutSeconds) }),
    });
    svc.addApi('hello', {
      path: '=/hello',
      backend: new ScfBackend({
        functionName: 'hello',
        code: FunctionCode.fromDirectory(codeDir, { handler: 'index.main' }),
      }),
    });
    app.synth();
    return outdir;
  }

  const apigw = (...args: string[]) =>
    spawnSync(process.execPath, [join(__dirname, '..', '..', 'dist', 'cli', 'apigw.js'), ...args], {
      encoding: 'utf8',
    });

  it("reads each service's apigw/<service>.json, never the live image's start config (which has no APIs)", () => {
    const dir = tempDir('apigw-diff-synth-');
    const code = (name: string, text: string): string => {
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(join(dir, name, 'index.js'), text);
      return join(dir, name);
    };
    const v1 = code('v1', 'exports.main = async () => 1;\n');
    const v2 = code('v2', 'exports.main = async () => 2;\n');
    const a = synth(join(dir, 'a'), v1, 5);
    const same = synth(join(dir, 'same'), v1, 5);
    const b = synth(join(dir, 'b'), v2, 6);
    // The build context in the assets holds the start config: a service with no APIs.
    expect(apigw('diff', a, same).status).toBe(0);
    const r = apigw('diff', a, b);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('backend.timeoutMs: 5000 → 6000');
    expect(r.stdout).toMatch(/backend\.function\.code: "sha256:[0-9a-f]{12}" → "sha256:[0-9a-f]{12}"/);
    expect(r.stdout).not.toContain('api-removed');
    const openapi = apigw('openapi', join(a, 'stacks', 'gw'));
    expect(openapi.status).toBe(0);
    const paths = Object.keys((JSON.parse(openapi.stdout) as { paths: Record<string, unknown> }).paths);
    expect(paths.sort()).toEqual(['/hello', '/pets/{id}']);
  });
});
