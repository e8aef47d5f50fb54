/** Reading the gateway into state: secrets by digest, a gateway back on its start config, ETags, old state JSON. */
import { secretDigest, type ConfigState } from '../../model';
import {
  ifMatchOf,
  SECRET_CHANGED_MARKER,
  serviceShapes,
  stateFromGateway,
  stateFromJson,
} from '../../provider/service-resource';
import type { TfObject } from '../../provider/tf-value';
import { richConfig } from './rich-config';

const shapes = serviceShapes();
const TOKEN = 'admin-token-0123456789';

function gatewayState(overrides: Partial<ConfigState> = {}): ConfigState {
  return {
    generation: 3,
    etag: '"abc123"',
    config: richConfig(),
    secretDigests: {},
    bundles: [],
    source: 'applied',
    ...overrides,
  };
}

describe('state from the gateway', () => {
  const prior = (secrets: Record<string, string> | null): TfObject => ({
    ...(stateFromGateway(shapes, gatewayState(), null, TOKEN) as TfObject),
    secrets,
  });

  it('keeps a secret whose digest matches, marks one changed elsewhere, drops one the gateway lacks', () => {
    const state = stateFromGateway(
      shapes,
      gatewayState({
        secretDigests: {
          SAME: secretDigest(TOKEN, 'one'),
          CHANGED: secretDigest(TOKEN, 'someone else set this'),
          ADDED: secretDigest(TOKEN, 'x'),
        },
      }),
      prior({ SAME: 'one', CHANGED: 'two', GONE: 'three' }),
      TOKEN,
    );
    expect(state?.secrets).toEqual({ SAME: 'one', CHANGED: SECRET_CHANGED_MARKER, ADDED: SECRET_CHANGED_MARKER });
  });

  it('holds no secrets when neither side has any, and an empty map when the gateway lost them', () => {
    expect(stateFromGateway(shapes, gatewayState(), prior(null), TOKEN)?.secrets).toBeNull();
    expect(stateFromGateway(shapes, gatewayState(), prior({ A: 'a' }), TOKEN)?.secrets).toEqual({});
  });

  it('is gone when the gateway serves its start config and none of our APIs', () => {
    const started = gatewayState({ source: 'started', config: { ...richConfig(), apis: [] } });
    expect(stateFromGateway(shapes, started, prior(null), TOKEN)).toBeNull();
    // Import of a gateway on its start config adopts it.
    expect(stateFromGateway(shapes, started, null, TOKEN)).toMatchObject({ id: 'pets', apis: {} });
  });

  it('shows the difference when a start config shares APIs with ours', () => {
    const started = gatewayState({
      source: 'started',
      config: { ...richConfig(), apis: richConfig().apis.slice(0, 1) },
    });
    expect(Object.keys((stateFromGateway(shapes, started, prior(null), TOKEN)?.apis as TfObject) ?? {})).toEqual([
      'getPet',
    ]);
  });

  it('holds the ETag without its quotes and the API order as served', () => {
    const state = stateFromGateway(shapes, gatewayState(), null, TOKEN)!;
    expect(state).toMatchObject({ id: 'pets', etag: 'abc123', generation: 3 });
    expect(state.api_order).toEqual(richConfig().apis.map((a) => a.name));
    expect(ifMatchOf('abc123')).toBe('"abc123"');
    expect(ifMatchOf('W/"x"')).toBe('W/"x"');
  });

  it('reads a stored state JSON with every attribute of the current schema (missing ones null, unknown ones dropped)', () => {
    const state = stateFromJson(
      shapes,
      JSON.stringify({
        id: 'pets',
        etag: 'e',
        generation: 1,
        service: { name: 'pets', id: 's' },
        apis: {},
        retired: 1,
      }),
    );
    expect(Object.keys(state)).toEqual(['id', 'etag', 'generation', 'service', 'apis', 'api_order', 'secrets']);
    expect(state.api_order).toBeNull();
    expect(Object.keys(state.service as TfObject)).toContain('usage_plans');
  });
});
