/**
 * The apigw_service schema is derived from the model's AppliedConfig: names,
 * flags, nesting, defaults, and config → Terraform value → config for a
 * config that uses every field.
 */
import { DEFAULT_LIMITS, validateAppliedConfig, type AppliedConfig } from '../../model';
import { attributePathOf, fillDefaults, fromTerraformValue, toTerraformValue } from '../../provider/convert';
import { describer } from '../../provider/describe';
import { pathText } from '../../provider/diagnostics';
import { schemaDocs } from '../../provider/schema-docs-table';
import { completeValue, serviceShapes, stateFromJson, validateValue } from '../../provider/service-resource';
import type { Shape } from '../../provider/shape';
import { objectAttributes, type SchemaAttribute } from '../../provider/tf-schema';
import { UNKNOWN, type TfObject, type TfValue } from '../../provider/tf-value';
import * as adminModule from '../../model/admin';
import * as schemaModule from '../../model/schema';
import { otherRichConfig, richConfig } from './rich-config';

const shapes = serviceShapes();
const order = (c: AppliedConfig) => () => c.apis.map((a) => a.name);

function attribute(attrs: readonly SchemaAttribute[], path: string): SchemaAttribute {
  let current: SchemaAttribute | undefined;
  let list = attrs;
  for (const name of path.split('.')) {
    current = list.find((a) => a.name === name);
    if (!current) throw new Error(`no attribute ${name} in ${path}`);
    list = current.nested_type?.attributes ?? [];
  }
  return current!;
}

/** Every attribute path of a shape (variants included), and those the value sets. */
function attributePaths(shape: Shape, value: TfValue, prefix: string, all: Set<string>, set: Set<string>): void {
  const visit = (name: string, s: Shape, v: TfValue): void => {
    const p = prefix ? `${prefix}.${name}` : name;
    all.add(p);
    if (v !== null && v !== undefined) set.add(p);
    attributePaths(s, v, p, all, set);
  };
  const each = (s: Shape, v: TfValue, fn: (x: TfValue) => void): void => {
    if (Array.isArray(v)) v.forEach(fn);
    else if (v && typeof v === 'object' && s.kind === 'objectMap') Object.values(v as TfObject).forEach(fn);
    else fn(null);
  };
  const obj = (v: TfValue): TfObject => (v && typeof v === 'object' && !Array.isArray(v) ? (v as TfObject) : {});
  switch (shape.kind) {
    case 'object':
    case 'oneOf':
      for (const f of shape.fields) visit(f.name, f.shape, obj(value)[f.name] ?? null);
      return;
    case 'tagged':
      visit(shape.tagKey, { kind: 'string' }, obj(value)[shape.tagKey] ?? null);
      for (const v of shape.variants) if (v.field) visit(v.field.name, v.field.shape, obj(value)[v.field.name] ?? null);
      return;
    case 'objectList':
    case 'objectMap':
      each(shape, value, (x) => attributePaths(shape.element, x, prefix, all, set));
      return;
    default:
      return;
  }
}

describe('apigw_service schema', () => {
  it('uses snake_case attributes, nested attributes for objects, a map of APIs, and sensitive secrets', () => {
    const attrs = objectAttributes(shapes.resource);
    expect(attrs.map((a) => a.name)).toEqual(['id', 'etag', 'generation', 'service', 'apis', 'api_order', 'secrets']);
    expect(attribute(attrs, 'apis').nested_type?.nesting).toBe(4); // MAP
    expect(attribute(attrs, 'service').nested_type?.nesting).toBe(1); // SINGLE
    expect(attribute(attrs, 'service.key_pairs').nested_type?.nesting).toBe(2); // LIST
    expect(attribute(attrs, 'secrets')).toMatchObject({ sensitive: true, optional: true, computed: false });
    expect(attribute(attrs, 'api_order')).toMatchObject({ optional: true, computed: true });
    expect(attribute(attrs, 'etag')).toMatchObject({ computed: true, optional: false, required: false });
    expect(Buffer.from(attribute(attrs, 'service.stage.variables').type!).toString()).toBe('["map","string"]');
    expect(Buffer.from(attribute(attrs, 'service.usage_plans.key_pairs').type!).toString()).toBe('["list","string"]');
    expect(Buffer.from(attribute(attrs, 'service.limits.max_body_bytes').type!).toString()).toBe('"number"');
  });

  it('makes a tagged union an object with `type` and one optional attribute per variant with fields', () => {
    const attrs = objectAttributes(shapes.resource);
    const backend = attribute(attrs, 'apis.backend');
    expect(backend.nested_type?.attributes.map((a) => a.name)).toEqual([
      'type',
      'http',
      'scf',
      'mock',
      'websocket',
      'websocket_functions',
    ]);
    expect(attribute(attrs, 'apis.backend.type')).toMatchObject({ required: true });
    expect(attribute(attrs, 'apis.backend.http')).toMatchObject({ optional: true, computed: false });
    // Every field of a mock backend has a default: `backend = { type = "mock" }` is enough.
    expect(attribute(attrs, 'apis.backend.mock')).toMatchObject({ optional: true, computed: true });
    expect(attribute(attrs, 'apis.auth').nested_type?.attributes.map((a) => a.name)).toEqual([
      'type',
      'key_pair',
      'oauth2',
    ]);
    // An untagged union ({env} | {file}): one object, every field optional.
    expect(attribute(attrs, 'service.key_pairs.secret_key').nested_type?.attributes).toEqual([
      expect.objectContaining({ name: 'env', optional: true }),
      expect.objectContaining({ name: 'file', optional: true }),
    ]);
  });

  it('follows the schema for required and optional, and makes defaulted and derived fields optional+computed', () => {
    const attrs = objectAttributes(shapes.resource);
    expect(attribute(attrs, 'service.name')).toMatchObject({ required: true });
    expect(attribute(attrs, 'service.metrics_path')).toMatchObject({ optional: true, computed: false });
    expect(attribute(attrs, 'apis.cors')).toMatchObject({ optional: true, computed: false }); // Cors | null
    expect(attribute(attrs, 'apis.backend.http.timeout_ms')).toMatchObject({ optional: true, computed: true });
    expect(attribute(attrs, 'apis.backend.http.origin')).toMatchObject({ required: true });
    expect(attribute(attrs, 'apis.frontend.match')).toMatchObject({ optional: true, computed: true });
    expect(attribute(attrs, 'apis.backend.scf.function.source.bundled.sha256')).toMatchObject({
      optional: true,
      computed: true,
    });
  });

  it('takes descriptions from the schema TSDoc', () => {
    const withDocs = serviceShapes(
      describer(schemaDocs(), [schemaModule, adminModule], [[adminModule.AppliedService, schemaModule.Service]]),
    );
    const attrs = objectAttributes(withDocs.resource);
    expect(attribute(attrs, 'apis.frontend.raw_path').description).toContain('The path as the user wrote it');
    expect(attribute(attrs, 'service.metrics_path').description).toContain('Prometheus metrics path');
    expect(attribute(attrs, 'service.key_pairs.secret_key').description).toContain('A secret is never a literal');
    expect(attribute(attrs, 'apis.backend.http.timeout_ms').description).toContain('milliseconds');
  });

  it.each([
    ['richConfig', richConfig],
    ['otherRichConfig', otherRichConfig],
  ])('round-trips every config field of %s: config → Terraform value → config', (_name, make) => {
    const config = make();
    expect(validateAppliedConfig(config).issues).toEqual([]);
    const value = toTerraformValue(shapes.config, config);
    const back = fromTerraformValue(shapes.config, value, { order: order(config) });
    expect(back.issues).toEqual([]);
    expect(back.unknown).toEqual([]);
    expect(back.value).toEqual(config);
  });

  it('has rich configs that between them set every attribute of the schema, in every place', () => {
    const all = new Set<string>();
    const set = new Set<string>();
    for (const config of [richConfig(), otherRichConfig()])
      attributePaths(shapes.config, toTerraformValue(shapes.config, config), '', all, set);
    expect([...all].filter((p) => !set.has(p))).toEqual([]);
  });

  it('fills the model defaults at plan, so plain HCL can leave them out', () => {
    const minimal: TfObject = {
      service: { name: 'pets', id: 'service-pets' },
      apis: {
        hello: { frontend: { raw_path: '=/hello' }, backend: { type: 'mock' } },
      },
    };
    const completed = completeValue(shapes, stateFromJson(shapes, JSON.stringify(minimal)), []);
    const config = fromTerraformValue(shapes.config, completed).value as AppliedConfig;
    expect(validateAppliedConfig(config).issues).toEqual([]);
    expect(config.service).toEqual({
      name: 'pets',
      id: 'service-pets',
      stage: { name: 'release', variables: {} },
      limits: DEFAULT_LIMITS,
      keyPairs: [],
      usagePlans: [],
    });
    expect(config.apis[0]).toEqual({
      name: 'hello',
      frontend: { type: 'http', rawPath: '=/hello', match: 'exact', path: '/hello', method: 'GET' },
      auth: { type: 'none' },
      cors: null,
      parameters: [],
      backend: {
        type: 'mock',
        statusCode: 200,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: '',
        isBase64Encoded: false,
      },
      response: { errorCodes: [] },
    });
    expect(completed.api_order).toEqual(['hello']);
  });

  it('keeps what the configuration sets over a default (a set limit, a given match)', () => {
    const value = fillDefaults(shapes.config, {
      service: { name: 's', id: 'i', limits: { max_body_bytes: 1 } },
      apis: {},
    }) as TfObject;
    expect((value.service as TfObject).limits).toMatchObject({ max_body_bytes: 1, max_header_bytes: 16 * 1024 });
  });
});

describe('errors at attribute paths', () => {
  const config = richConfig();

  it('maps JSON pointers into the config to Terraform attribute paths', () => {
    const at = (pointer: string): string => pathText(attributePathOf(shapes.config, config, pointer));
    expect(at('/apis/0/backend/timeoutMs')).toBe('apis["getPet"].backend.http.timeout_ms');
    expect(at('/apis/0/name')).toBe('apis["getPet"]');
    expect(at('/apis/2/backend/function/source/sha256')).toBe('apis["jwt"].backend.scf.function.source.bundled.sha256');
    expect(at('/apis/1/auth')).toBe('apis["signed"].auth');
    expect(at('/apis/3/auth/verifier/publicKeyPem')).toBe('apis["pem"].auth.oauth2.verifier.public_key_pem');
    expect(at('/service/keyPairs/1/secretKey/file')).toBe('service.key_pairs[1].secret_key.file');
    expect(at('/service/stage/variables/x.y')).toBe('service.stage.variables["x.y"]');
    expect(at('/service/usagePlans/0/apis/0')).toBe('service.usage_plans[0].apis[0]');
  });

  it('reports each problem of the whole config at its attribute, in the words of the HCL', () => {
    const value = toTerraformValue(shapes.config, config) as TfObject;
    const apis = value.apis as TfObject;
    ((apis.getPet as TfObject).backend as TfObject).http = {
      ...(((apis.getPet as TfObject).backend as TfObject).http as TfObject),
      timeout_ms: 0,
    };
    const diagnostics = validateValue(shapes, { ...value, api_order: config.apis.map((a) => a.name) });
    expect(diagnostics).toEqual([
      expect.objectContaining({
        summary: 'apis["getPet"].backend.http.timeout_ms: must be >= 1',
        path: [{ attr: 'apis' }, { key: 'getPet' }, { attr: 'backend' }, { attr: 'http' }, { attr: 'timeout_ms' }],
      }),
    ]);
  });

  it('reports a rule across APIs (a duplicate route) and a variant set for another type', () => {
    const value = toTerraformValue(shapes.config, config) as TfObject;
    const apis = value.apis as TfObject;
    const hello = structuredClone(apis.signed) as TfObject;
    (hello.backend as TfObject).http = { origin: 'http://x', method: 'GET' };
    apis.copy = hello;
    const diagnostics = validateValue(shapes, value);
    expect(diagnostics.map((d) => d.summary)).toEqual(
      expect.arrayContaining([
        'apis["copy"].backend.http: http is set but type is "mock"',
        'apis["signed"].frontend.path: POST =/signed is already declared by apis["copy"]',
      ]),
    );
  });

  it('skips what is unknown at plan (a value from another resource) and checks the rest', () => {
    const value = toTerraformValue(shapes.config, config) as TfObject;
    const getPet = (value.apis as TfObject).getPet as TfObject;
    ((getPet.backend as TfObject).http as TfObject).origin = UNKNOWN;
    expect(validateValue(shapes, value)).toEqual([]);
    (((value.apis as TfObject).signed as TfObject).backend as TfObject).mock = {
      ...((((value.apis as TfObject).signed as TfObject).backend as TfObject).mock as TfObject),
      status_code: 42,
    };
    expect(validateValue(shapes, value).map((d) => d.summary)).toEqual([
      'apis["signed"].backend.mock.status_code: must be >= 100',
    ]);
  });

  it('requires api_order to name every API once', () => {
    const value = toTerraformValue(shapes.config, config) as TfObject;
    const diagnostics = validateValue(shapes, { ...value, api_order: ['getPet', 'getPet', 'nope'] });
    expect(diagnostics[0]).toMatchObject({
      summary: 'api_order must name every API once',
      path: [{ attr: 'api_order' }],
    });
  });

  it('checks secret names and values at plan: names an { env = ... } reference can use, no empty values', () => {
    const value = toTerraformValue(shapes.config, config) as TfObject;
    const diagnostics = validateValue(shapes, { ...value, secrets: { 'bad-name': 'x', EMPTY: '', OK: 'v' } });
    expect(diagnostics.map((d) => d.path)).toEqual([
      [{ attr: 'secrets' }, { key: 'bad-name' }],
      [{ attr: 'secrets' }, { key: 'EMPTY' }],
    ]);
  });
});
