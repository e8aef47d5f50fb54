/**
 * `apigw openapi`: every API appears, prefix routes are not literal paths,
 * public operations say `security: []`, gateway errors come from the
 * catalogue, bodies are documented; the document is valid for an
 * independent validator and lints clean with Redocly's recommended rules.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import type { GatewayConfig } from '../../model';
import { toOpenApi } from '../../review/openapi';
import { Errors } from '../../runtime/errors';
import { QuickstartStack } from '../../examples/quickstart/stack';
import { api, http, mock } from '../helpers/config';
import { apigwBin, repoRoot, run } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

type ErrorSchema = { $ref?: string; properties?: { code?: { enum: string[] } } }[];
type Operation = {
  operationId: string;
  security: unknown[];
  responses: Record<
    string,
    {
      description?: string;
      content?: Record<string, { schema?: { allOf?: ErrorSchema; anyOf?: { allOf: ErrorSchema }[] } }>;
    }
  >;
  requestBody?: unknown;
  description?: string;
  'x-apigw-served-by'?: string;
  'x-apigw-api'?: string;
  'x-apigw-method'?: string;
};
type Route = { api: string; protocol: string; match: string; rawPath: string; reason: string; operation: Operation };
type Doc = { paths: Record<string, Record<string, Operation>>; 'x-apigw-routes': Route[] };

/** The quickstart's APIs, and routes that share a path and method with them. */
function config(): GatewayConfig {
  const c = new QuickstartStack(new App(), 'quickstart').service.toConfig();
  c.apis.push(
    api('statusPrefix', '^~/status', mock('{}')), // same path and method as =/status
    api('everything', '^~/', mock('{}')), // same path and method as the plain / (home)
    {
      ...api('createOrder', '=/orders', http('https://orders.internal')),
      frontend: { ...api('x', '=/orders', mock('')).frontend, method: 'POST' },
    },
    // ANY at a path where a GET API wins for GET and HEAD.
    {
      ...api('items', '=/items', http('https://items.internal', '/', { method: 'ANY' })),
      frontend: { ...api('x', '=/items', mock('')).frontend, method: 'ANY' },
    },
    api('listItems', '=/items', mock('[]')),
    {
      ...api('addPet', '=/pets', http('https://pets.internal'), {
        bodySchema: JSON.stringify({
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', maxLength: 64 } },
        }),
        ipAccess: { allow: ['10.0.0.0/8'], deny: [] },
        rateLimitPerSecond: 50,
        response: {
          errorCodes: [
            {
              code: 'PetExists',
              message: 'the pet exists',
              status: 409,
              from: { type: 'backendStatus', statuses: [409] },
            },
            {
              code: 'StoreDown',
              message: 'the store is down',
              status: 502,
              from: { type: 'backendStatus', statuses: [500] },
            },
            { code: 'Undocumented', message: 'no status' },
          ],
        },
      }),
      frontend: { ...api('x', '=/pets', mock('')).frontend, method: 'PUT' },
    },
    api('me', '=/me', mock('{}'), {
      auth: {
        type: 'oauth2',
        verifier: {
          publicKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
            type: 'spki',
            format: 'pem',
          }) as string,
          algorithms: ['ES256'],
          clockToleranceSec: 0,
          tokenLocation: { from: 'header', name: 'authorization', scheme: 'Bearer' },
          forwardClaims: [],
        },
      },
    }),
  );
  return c;
}

/** The real CLI's output for `config`, in a file. */
async function exported(c: GatewayConfig): Promise<{ file: string; doc: Doc }> {
  const dir = tempDir('apigw-oas-');
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify(c));
  const r = await run(process.execPath, [apigwBin, 'openapi', join(dir, 'gateway.json')]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const file = join(dir, 'openapi.json');
  writeFileSync(file, r.stdout);
  return { file, doc: JSON.parse(r.stdout) as Doc };
}

const operations = (doc: Doc): Operation[] => Object.values(doc.paths).flatMap((item) => Object.values(item));

describe('apigw openapi', () => {
  let file: string;
  let doc: Doc;
  beforeAll(async () => ({ file, doc } = await exported(config())));

  it('is valid OpenAPI 3.1 for an independent validator', () => {
    // The validator is ESM-only: run it in plain node rather than through jest's CommonJS loader.
    const script = `import { Validator } from '@seriousme/openapi-schema-validator';
      const r = await new Validator().validate(${JSON.stringify(file)});
      process.stdout.write(JSON.stringify(r));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      cwd: repoRoot,
    });
    expect(JSON.parse(out)).toEqual({ valid: true });
  });

  it("lints clean with Redocly's recommended rules", () => {
    // A service's license is not part of its gateway config, so info-license is the one rule off.
    const dir = tempDir('apigw-redocly-');
    writeFileSync(join(dir, 'redocly.yaml'), 'extends:\n  - recommended\nrules:\n  info-license: off\n');
    const out = execFileSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/@redocly/cli/bin/cli.js'),
        'lint',
        file,
        '--config',
        join(dir, 'redocly.yaml'),
        '--format',
        'json',
      ],
      {
        encoding: 'utf8',
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const report = JSON.parse(out.slice(out.indexOf('{'))) as { totals: Record<string, number>; problems: unknown[] };
    expect(report.problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('shows every API once, including routes that share a path and method', () => {
    const inPaths = [...new Set(operations(doc).map((o) => o['x-apigw-api'] ?? o.operationId))];
    const inRoutes = doc['x-apigw-routes'].map((r) => r.api);
    expect([...inPaths, ...inRoutes].sort()).toEqual(
      config()
        .apis.map((a) => a.name)
        .sort(),
    );
    expect(doc.paths['/status']?.get?.operationId).toBe('status');
    expect(doc['x-apigw-routes'].find((r) => r.api === 'statusPrefix')).toMatchObject({
      match: 'prefix',
      rawPath: '^~/status',
    });
    expect(doc['x-apigw-routes'].find((r) => r.api === 'everything')).toMatchObject({
      match: 'prefix',
      rawPath: '^~/',
    });
  });

  it('does not list prefix or regex routes as literal paths, and says when another route serves a path', () => {
    expect(Object.keys(doc.paths)).not.toContain('/static/');
    expect(Object.keys(doc.paths).some((p) => p.includes('^') || p.includes('~'))).toBe(false);
    expect(doc['x-apigw-routes'].find((r) => r.api === 'static')?.reason).toContain('prefix route');
    expect(doc['x-apigw-routes'].find((r) => r.api === 'orderByNumber')?.reason).toContain('regular expression');
    // `^~/` has priority over the plain `/`: the runtime's router serves GET / with it.
    expect(doc.paths['/']?.get).toMatchObject({ operationId: 'home', 'x-apigw-served-by': 'everything' });
    expect(doc.paths['/']?.get?.description).toContain('served by `everything` (`^~/`)');
  });

  it('lists WebSocket APIs in the extension, not as operations', () => {
    expect(doc.paths['/chat']).toBeUndefined();
    expect(doc['x-apigw-routes'].find((r) => r.api === 'chat')).toMatchObject({ protocol: 'websocket' });
  });

  it('marks public operations with security: [] and others with their scheme', () => {
    expect(doc.paths['/status']?.get?.security).toEqual([]);
    expect(doc.paths['/partner/report']?.get?.security).toEqual([{ keyPair: [] }]);
    expect(doc.paths['/me']?.get?.security).toEqual([{ oauth2: [] }]);
  });

  it("documents the gateway's own 4XX/5XX answers with the catalogue's codes", () => {
    const codes = codesOf;
    const report = doc.paths['/partner/report']?.get;
    expect(codes(report, 401)).toEqual(['Unauthorized']);
    expect(codes(report, 429)).toEqual(['RateLimited']); // the partners plan has a rate limit and no quota
    const pet = doc.paths['/pets/{petId}']?.get;
    expect(codes(pet, 400)).toEqual(['BadRequest', 'InvalidParameter']);
    expect(codes(pet, 502)).toEqual(['BadGateway']);
    expect(codes(pet, 504)).toEqual(['GatewayTimeout']);
    expect(codes(doc.paths['/hello']?.get, 502)).toEqual(['FunctionError', 'FunctionBadResponse']);
    expect(codes(doc.paths['/status']?.get, 502)).toBeUndefined(); // a mock cannot fail upstream
    // Every documented gateway code is the catalogue's, under its status.
    for (const op of operations(doc)) {
      for (const status of Object.keys(op.responses)) {
        for (const code of codes(op, Number(status)) ?? []) {
          expect(Object.values(Errors).find((e) => e.code === code)?.status).toBe(Number(status));
        }
      }
    }
  });

  it('documents a request body for POST and PUT', () => {
    expect(doc.paths['/orders']?.post?.requestBody).toMatchObject({ required: false });
    expect(codesOf(doc.paths['/orders']?.post, 413)).toEqual(['PayloadTooLarge']);
    expect(doc.paths['/status']?.get?.requestBody).toBeUndefined();
  });

  it('documents an ANY API as the operations of the methods it serves, and the API of a method for that method', () => {
    const items = doc.paths['/items'] ?? {};
    expect(Object.keys(items).sort()).toEqual(['delete', 'get', 'options', 'patch', 'post', 'put']);
    expect(items.get?.operationId).toBe('listItems');
    for (const m of ['post', 'put', 'patch', 'delete', 'options'])
      expect(items[m]).toMatchObject({ operationId: `items.${m}`, 'x-apigw-api': 'items', 'x-apigw-method': 'ANY' });
    expect(items.post?.requestBody).toMatchObject({ required: false });
    expect(items.delete?.requestBody).toBeUndefined();
  });

  it("documents a body schema as the requestBody, and the API's error codes under their status next to the gateway's", () => {
    const addPet = doc.paths['/pets']?.put;
    expect(addPet?.requestBody).toEqual({
      description: expect.stringContaining('checked by the gateway before the backend') as unknown,
      required: true,
      content: {
        'application/json': {
          schema: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } },
        },
      },
    });
    expect(codesOf(addPet, 400)).toEqual(['BadRequest', 'InvalidBody']);
    expect(codesOf(addPet, 403)).toEqual(['IpDenied']);
    expect(codesOf(addPet, 415)).toEqual(['UnsupportedMediaType']);
    expect(codesOf(addPet, 429)).toEqual(['ApiRateLimited']);
    expect(declaredOf(addPet, 409)).toEqual(['PetExists']);
    expect(codesOf(addPet, 409)).toBeUndefined();
    // 502: the gateway's own and the API's, either may answer.
    expect(codesOf(addPet, 502)).toEqual(['BadGateway']);
    expect(declaredOf(addPet, 502)).toEqual(['StoreDown']);
    expect(addPet?.responses['502']?.description).toContain('`StoreDown` (the store is down, for backend status 500)');
  });

  it('is the same document as toOpenApi', () => {
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(toOpenApi(config()));
  });
});

/** The codes of one kind of error schema (`GatewayError` or `ApiError`) documented under a status. */
function codesIn(op: Operation | undefined, status: number, ref: string): string[] | undefined {
  const schema = op?.responses[String(status)]?.content?.['application/json']?.schema;
  const branches = schema?.anyOf?.map((b) => b.allOf) ?? (schema?.allOf ? [schema.allOf] : []);
  const branch = branches.find((b) => b[0]?.$ref === `#/components/schemas/${ref}`);
  return branch?.[1]?.properties?.code?.enum;
}

function codesOf(op: Operation | undefined, status: number): string[] | undefined {
  return codesIn(op, status, 'GatewayError');
}

function declaredOf(op: Operation | undefined, status: number): string[] | undefined {
  return codesIn(op, status, 'ApiError');
}
