/** Issues of the schema check: one per problem, at the field, for every API. */
import { validateAppliedConfig, validateConfig } from '../../model';
import { api, gatewayConfig, http, mock } from '../helpers/config';

describe('validateConfig', () => {
  it('reports the field of each broken backend when two APIs have one (not "has an unknown type")', () => {
    const config = gatewayConfig([api('a', '=/a', http('http://127.0.0.1:1')), api('b', '=/b', mock('x'))]);
    const doc = JSON.parse(JSON.stringify(config)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    delete doc.apis[0].backend.origin;
    doc.apis[1].backend.statusCode = 42;
    expect(validateConfig(doc).issues).toEqual([
      { field: '/apis/0/backend', message: "must have required property 'origin'" },
      { field: '/apis/1/backend/statusCode', message: 'must be >= 100' },
    ]);
  });

  it('still says "has an unknown type" for a type no variant has', () => {
    const config = gatewayConfig([api('a', '=/a', mock('x'))]);
    const doc = JSON.parse(JSON.stringify(config)) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    doc.apis[0].backend.type = 'ftp';
    expect(validateConfig(doc).issues).toEqual([{ field: '/apis/0/backend/type', message: 'has an unknown type' }]);
  });
});

describe('validateAppliedConfig', () => {
  it('checks the live part of a config: no listeners needed, none allowed', () => {
    const { listeners: _l, ...service } = gatewayConfig([api('a', '=/a', mock('x'))]).service;
    expect(validateAppliedConfig({ version: 1, service, apis: [api('a', '=/a', mock('x'))] }).issues).toEqual([]);
    expect(validateAppliedConfig({ version: 1, service: { ...service, listeners: {} }, apis: [] }).issues).toEqual([
      { field: '/service', message: 'unknown field "listeners"' },
    ]);
  });

  it('runs the rules over the applied config (a duplicate route)', () => {
    const { listeners: _l, ...service } = gatewayConfig([]).service;
    const result = validateAppliedConfig({
      version: 1,
      service,
      apis: [api('a', '=/a', mock('x')), api('b', '=/a', mock('y'))],
    });
    expect(result.issues).toEqual([
      { field: '/apis/1/frontend/path', message: 'GET =/a is already declared by /apis/0' },
    ]);
  });
});
