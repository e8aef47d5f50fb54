/**
 * The document `apigw docs` renders, built in process: every API is an
 * operation (prefix, regex and WebSocket routes under their path as written),
 * grouped by kind under DOC_TAGS, with its match note, parameters and
 * samples; the introduction's worked signed request carries a signature that
 * is the HMAC of the string it shows; the OAuth example says where the token
 * goes; the error codes are the catalogue's and the APIs' own.
 */
import { createHmac } from 'node:crypto';
import { ANY_METHODS, validateConfig, type ApiConfig, type BackendConfig, type GatewayConfig } from '../../model';
import { DOC_TAGS, docsDocument } from '../../review/docs';
import { Errors } from '../../runtime/errors';
import { api, gatewayConfig, mock } from '../helpers/config';

type Operation = {
  operationId: string;
  tags: string[];
  description?: string;
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown>; example?: unknown }[];
  security: unknown[];
  'x-apigw-path': string;
  'x-apigw-match': string;
  'x-apigw-api'?: string;
  'x-apigw-method'?: string;
};
type Doc = {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, Operation>>;
  tags: { name: string; description: string }[];
  'x-apigw-routes'?: unknown;
};

const ws: BackendConfig = {
  type: 'websocket',
  origin: 'ws://chat.internal',
  path: '/',
  connectTimeoutMs: 10_000,
  parameterMappings: [],
  constants: [],
  maxMessageBytes: 1024 * 1024,
};

const keyPair: ApiConfig['auth'] = { type: 'keyPair' };
const idParam: ApiConfig['parameters'][number] = { name: 'id', in: 'path', type: 'long', required: true };

function oauth(tokenLocation: { from: 'header' | 'query' | 'cookie'; name: string; scheme?: string }, more = {}) {
  return {
    type: 'oauth2' as const,
    verifier: {
      publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
      algorithms: ['RS256' as const, 'ES256' as const],
      clockToleranceSec: 30,
      tokenLocation,
      forwardClaims: [],
      ...more,
    },
  };
}

/** One API of each kind of route, parameters of each kind, key-pair and OAuth APIs, samples and error codes. */
function petstore(): GatewayConfig {
  return gatewayConfig(
    [
      api('getPet', '/pets/{petId}', mock('{"id":42}'), {
        description: 'One pet.',
        auth: keyPair,
        parameters: [
          { name: 'petId', in: 'path', type: 'int', required: true, sample: '42', description: 'the pet' },
          { name: 'verbose', in: 'query', type: 'boolean', required: false, default: 'false' },
          { name: 'x-trace', in: 'header', type: 'string', required: true, description: 'a trace id' },
        ],
        response: {
          successSample: '{"id":42,"name":"Rex"}',
          failureSample: 'no such pet <',
          errorCodes: [
            { code: 'PetGone', message: 'the pet is gone', description: 'deleted by its owner', status: 410 },
          ],
        },
      }),
      api('status', '=/status', mock('ok'), {
        response: { contentType: 'text/plain', successSample: 'ok', errorCodes: [] },
      }),
      api('shop', '=/shop', mock('{}')),
      api('shopAll', '/shop', mock('{}')), // plain: its literal path is held by the exact API
      api('home', '/home', mock('{}')),
      api('static', '^~/static/', mock('')),
      {
        ...api('order', '~^/orders/(?<id>[0-9]+)$', mock('{}'), { parameters: [idParam] }),
        auth: oauth(
          { from: 'header', name: 'authorization', scheme: 'Bearer' },
          { issuer: 'https://id.example', audience: ['pets', 'orders'] },
        ),
      },
      {
        ...api('anyOrder', '~^/any/(?<id>[0-9]+)$', mock('{}'), { parameters: [idParam] }),
        frontend: { ...api('x', '~^/any/(?<id>[0-9]+)$', mock('')).frontend, method: 'ANY' },
      },
      { ...api('chat', '=/chat', ws), frontend: { ...api('x', '=/chat', ws).frontend, type: 'websocket' } },
    ],
    {
      description: 'Pets, orders and a chat.',
      keyPairs: [{ secretId: 'partner', secretKey: { env: 'PARTNER_KEY' } }],
      usagePlans: [{ name: 'partners', keyPairs: ['partner'] }],
    },
  );
}

/** The fenced blocks of a markdown text, each with its language. */
function blocks(text: string): { lang: string; body: string }[] {
  return [...text.matchAll(/```([a-z]*)\n([\s\S]*?)\n```/g)].map((m) => ({
    lang: m[1] as string,
    body: m[2] as string,
  }));
}

describe('docsDocument', () => {
  const config = petstore();
  const doc = docsDocument(config) as Doc;
  const intro = doc.info.description;

  it('is built from a config the gateway accepts', () => {
    const r = validateConfig(JSON.parse(JSON.stringify(config)));
    expect(r.ok ? [] : r.issues).toEqual([]);
  });

  it('lists every API as an operation, the routes OpenAPI cannot express under their path as written', () => {
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/pets/{petId}',
        '/status',
        '/shop',
        '/shop (shopAll)', // the plain API whose literal path the exact one holds
        '/home',
        '^~/static/',
        '~^/orders/(?<id>[0-9]+)$',
        '~^/any/(?<id>[0-9]+)$',
        '=/chat',
      ].sort(),
    );
    expect(doc['x-apigw-routes']).toBeUndefined();
    const opIds = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    for (const a of config.apis.filter((x) => x.name !== 'anyOrder')) expect(opIds).toContain(a.name);
    expect(doc.paths['^~/static/']?.get?.['x-apigw-path']).toBe('^~/static/');
    expect(doc.paths['/shop (shopAll)']?.get?.['x-apigw-path']).toBe('/shop');
  });

  it('gives an ANY route one operation per method, each naming its API', () => {
    const item = doc.paths['~^/any/(?<id>[0-9]+)$'] ?? {};
    expect(Object.keys(item).sort()).toEqual(ANY_METHODS.map((m) => m.toLowerCase()).sort());
    for (const [m, op] of Object.entries(item)) {
      expect(op.operationId).toBe(`anyOrder.${m}`);
      expect(op['x-apigw-api']).toBe('anyOrder');
      expect(op['x-apigw-method']).toBe('ANY');
      expect(op.tags).toEqual([DOC_TAGS.regex]);
    }
  });

  it('tags each operation with its kind and lists the tags used, in DOC_TAGS order, with their descriptions', () => {
    const tag = (path: string, method = 'get') => doc.paths[path]?.[method]?.tags;
    expect(tag('/pets/{petId}')).toEqual([DOC_TAGS.http]);
    expect(tag('/status')).toEqual([DOC_TAGS.http]);
    expect(tag('/home')).toEqual([DOC_TAGS.http]);
    expect(tag('^~/static/')).toEqual([DOC_TAGS.prefix]);
    expect(tag('~^/orders/(?<id>[0-9]+)$')).toEqual([DOC_TAGS.regex]);
    expect(tag('=/chat')).toEqual([DOC_TAGS.websocket]);
    expect(doc.tags.map((t) => t.name)).toEqual([DOC_TAGS.http, DOC_TAGS.prefix, DOC_TAGS.regex, DOC_TAGS.websocket]);
    expect(doc.tags.find((t) => t.name === DOC_TAGS.prefix)?.description).toContain('the longest matching prefix wins');
    expect(doc.tags.find((t) => t.name === DOC_TAGS.websocket)?.description).toContain('ws://');

    const httpOnly = docsDocument(gatewayConfig([api('a', '=/a', mock('{}'))])) as Doc;
    expect(httpOnly.tags).toEqual([{ name: DOC_TAGS.http, description: expect.stringContaining('/pets/{petId}') }]);
  });

  it('says how each route matches, first in its description', () => {
    const first = (path: string) => doc.paths[path]?.get?.description?.split('\n\n')[0];
    expect(first('/status')).toBe('**Route** `=/status` (GET): exact match: only `/status`.');
    expect(first('/pets/{petId}')).toBe(
      '**Route** `/pets/{petId}` (GET): path template: `/pets/{petId}`, one segment per `{parameter}`.',
    );
    expect(first('/home')).toBe(
      '**Route** `/home` (GET): `/home` exactly, else every path that starts with `/home` (lowest priority).',
    );
    expect(first('^~/static/')).toBe(
      '**Route** `^~/static/` (GET): prefix match: every path that starts with `/static/`.',
    );
    expect(first('~^/orders/(?<id>[0-9]+)$')).toBe(
      '**Route** `~^/orders/(?<id>[0-9]+)$` (GET): regular expression: paths matching `^/orders/(?<id>[0-9]+)$`.',
    );
    expect(first('=/chat')).toBe(
      '**Route** `=/chat` (GET): exact match: only `/chat`. WebSocket: open it with a `GET` upgrade (`ws://host:port` and the path).',
    );
    // The API's own description follows the note.
    expect(doc.paths['/pets/{petId}']?.get?.description?.split('\n\n')[1]).toBe('One pet.');
    expect(doc.paths['/home']?.get?.description).toContain('as a plain prefix of lowest priority');
  });

  it('documents parameters with their type, required, default, sample and description', () => {
    const params = doc.paths['/pets/{petId}']?.get?.parameters ?? [];
    expect(params).toEqual([
      {
        name: 'petId',
        in: 'path',
        required: true,
        schema: { type: 'integer', format: 'int32' },
        description: 'the pet',
        example: 42,
      },
      { name: 'verbose', in: 'query', required: false, schema: { type: 'boolean', default: false } },
      { name: 'x-trace', in: 'header', required: true, schema: { type: 'string' }, description: 'a trace id' },
    ]);
  });

  it('shows the success and failure samples with the operation: JSON pretty-printed, other text as written', () => {
    const description = doc.paths['/pets/{petId}']?.get?.description ?? '';
    expect(description).toContain('**Success sample**');
    expect(description).toContain('**Failure sample**');
    expect(blocks(description)).toEqual([
      { lang: 'json', body: JSON.stringify({ id: 42, name: 'Rex' }, null, 2) },
      { lang: 'json', body: 'no such pet <' },
    ]);
    // A text/plain API's sample is a block without a language.
    expect(blocks(doc.paths['/status']?.get?.description ?? '')).toEqual([{ lang: '', body: 'ok' }]);
    // No samples: no sample heading.
    expect(doc.paths['/shop']?.get?.description).not.toContain('sample');
  });

  it('introduces the service, its description first', () => {
    const parts = intro.split('\n\n');
    expect(parts[0]).toBe('Pets, orders and a chat.');
    expect(parts[1]).toMatch(/^Served by the gateway of service `test`, stage `release`\. /);
    expect(parts[1]).toContain('`^~/path` prefix, `~regex` regular expression');
    expect(doc.info.title).toBe('test');
    expect(doc.info.version).toBe('release');
  });

  it('works a signed request through: the signature shown is the HMAC-SHA256 of the string shown', () => {
    expect(intro).toContain('# Authentication');
    expect(intro).toContain('## Key pairs (signed requests)');
    expect(intro).toContain(
      '**Worked example**: `GET /pets/42` with key id `partner` and the secret `example-secret`, at Tue, 01 Dec 2026 10:00:00 GMT.',
    );
    const [toSign, request, shell] = blocks(intro);
    expect(toSign).toEqual({ lang: '', body: '(request-target): get /pets/42\nx-date: Tue, 01 Dec 2026 10:00:00 GMT' });
    expect(request?.lang).toBe('http');
    const lines = request?.body.split('\n') ?? [];
    expect(lines.slice(0, 3)).toEqual([
      'GET /pets/42 HTTP/1.1',
      'Host: localhost',
      'X-Date: Tue, 01 Dec 2026 10:00:00 GMT',
    ]);
    const auth =
      /^Authorization: hmac id="partner", algorithm="hmac-sha256", headers="\(request-target\) x-date", signature="([^"]+)"$/.exec(
        lines[3] ?? '',
      );
    expect(auth).not.toBeNull();
    const expected = createHmac('sha256', 'example-secret')
      .update(toSign?.body ?? '')
      .digest('base64');
    expect(auth?.[1]).toBe(expected);
    expect(shell).toEqual({
      lang: 'sh',
      body:
        'export API_SECRET=...   # your secret\n' +
        "eval curl $(npx apigw sign --id partner --secret-env API_SECRET --request-target 'GET /pets/42') http://localhost/pets/42",
    });
  });

  it('explains OAuth 2.0 with the token where the verifier reads it', () => {
    expect(intro).toContain('## OAuth 2.0 (bearer tokens)');
    expect(intro).toContain(
      'APIs marked with the `oauth2` scheme take a JWT access token in the `authorization` header as `Bearer <token>`, ' +
        'signed with RS256 or ES256, issued by `https://id.example`, for the audience `pets` or `orders`, with an `exp` claim. Example:',
    );
    // A regular-expression route has no path to show: `/...`.
    expect(intro).toContain(`curl -H 'Authorization: Bearer '"$TOKEN" http://localhost/...`);
    expect(intro).toContain('`401 Unauthorized` with `WWW-Authenticate: Bearer error="invalid_token"`');
  });

  it.each([
    [
      { from: 'query' as const, name: 'access_token' },
      'the `access_token` query parameter',
      `curl "http://localhost/me?access_token=$TOKEN"`,
    ],
    [
      { from: 'cookie' as const, name: 'session' },
      'the `session` cookie',
      `curl --cookie "session=$TOKEN" http://localhost/me`,
    ],
    [
      { from: 'header' as const, name: 'x-access-token' },
      'the `x-access-token` header',
      `curl -H 'X-Access-Token: '"$TOKEN" http://localhost/me`,
    ],
  ])('shows an OAuth token taken from %o', (location, where, curl) => {
    const c = gatewayConfig([{ ...api('me', '=/me', mock('{}')), auth: oauth(location, { requireExp: false }) }]);
    const text = (docsDocument(c) as Doc).info.description;
    expect(text).toContain(`take a JWT access token in ${where}, signed with RS256 or ES256. Example:`);
    expect(text).toContain(curl);
    expect(text).not.toContain('## Key pairs');
  });

  it('fills a key-pair example path with defaults and placeholders when no sample is given', () => {
    const c = gatewayConfig([
      {
        ...api('item', '/shops/{shop}/items/{item}/{n}/{name}', mock('{}'), {
          auth: keyPair,
          parameters: [
            { name: 'shop', in: 'path', type: 'string', required: true, default: 'main st' },
            { name: 'item', in: 'path', type: 'long', required: true },
          ],
        }),
        frontend: { ...api('x', '/shops/{shop}/items/{item}/{n}/{name}', mock('')).frontend, method: 'ANY' },
      },
    ]);
    const text = (docsDocument(c) as Doc).info.description;
    // default (URL-encoded), '1' for a number, the name for an undeclared one; ANY is shown as GET; no key pair: a placeholder id.
    expect(text).toContain('**Worked example**: `GET /shops/main%20st/items/1/n/name` with key id `your-key-id`');
    expect(blocks(text)[0]?.body).toBe(
      '(request-target): get /shops/main%20st/items/1/n/name\nx-date: Tue, 01 Dec 2026 10:00:00 GMT',
    );
    expect(text).not.toContain('## OAuth 2.0');
  });

  it("lists the gateway's error codes and the APIs' declared ones", () => {
    expect(intro).toContain('# Error codes');
    for (const e of Object.values(Errors)) expect(intro).toContain(`| \`${e.code}\` | ${e.status} | ${e.message} |`);
    expect(intro).toContain('Error codes the APIs declare (answered by their backends):');
    expect(intro).toContain('| getPet | `PetGone` | the pet is gone | deleted by its owner |');
  });

  it('has no authentication section for public APIs, nor a declared-codes table when none is declared', () => {
    const text = (docsDocument(gatewayConfig([api('a', '=/a', mock('{}'))])) as Doc).info.description;
    expect(text.startsWith('Served by the gateway of service `test`')).toBe(true);
    expect(text).not.toContain('# Authentication');
    expect(text).toContain('# Error codes');
    expect(text).not.toContain('Error codes the APIs declare');
  });
});
