/** Traffic policies on Api and Service props: the config they synthesize, and what synth tells a user who gets them wrong. */
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { AnnotationMetadataEntryType, Testing, TerraformStack } from 'cdktf';
import { Auth, Duration, ErrorSource, FunctionCode, HttpBackend, MockBackend, ScfBackend, Service } from '../../lib';

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'gateway');
  new DockerProvider(s, 'docker', {});
  return s;
}

/** Each `[path] message` line of a failed synth; [] when it succeeds. */
function errors(s: TerraformStack): string[] {
  try {
    Testing.synth(s, true);
    return [];
  } catch (err) {
    return (err as Error).message
      .split('\n')
      .filter((line) => line.startsWith('  ['))
      .map((line) => line.trim());
  }
}

function warnings(s: TerraformStack): string[] {
  Testing.synth(s, true);
  return s.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === (AnnotationMetadataEntryType.WARN as string))
        .map((m) => `[${c.node.path}] ${String(m.data)}`),
    );
}

const backend = new HttpBackend({ origin: 'https://pets.internal', path: '/v1/pets' });
const ok = MockBackend.json({ ok: true });

describe('traffic policies in the synthesized config', () => {
  it('writes IP lists, rate limits, the body schema, converted error codes and the service defaults', () => {
    const s = stack();
    const svc = new Service(s, 'petstore', {
      apiDefaults: { ipAccess: { deny: ['203.0.113.0/24'] }, rateLimitPerSecond: 100 },
    });
    svc.addApi('addPet', {
      path: '=/pets',
      method: 'POST',
      backend,
      ipAccess: { allow: ['10.0.0.0/8', '2001:db8::/32'] },
      rateLimitPerSecond: 20,
      bodySchema: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } },
      response: {
        errorCodes: [
          { code: 'PetNotFound', message: 'no such pet', status: 404, from: ErrorSource.backendStatus(404, 410) },
          { code: 'Documented', message: 'just documented' },
        ],
      },
    });
    expect(errors(s)).toEqual([]);
    const config = svc.toConfig();
    expect(config.service.apiDefaults).toEqual({
      ipAccess: { allow: [], deny: ['203.0.113.0/24'] },
      rateLimitPerSecond: 100,
    });
    const api = config.apis[0];
    expect(api).toMatchObject({
      ipAccess: { allow: ['10.0.0.0/8', '2001:db8::/32'], deny: [] },
      rateLimitPerSecond: 20,
      bodySchema: '{"type":"object","required":["name"],"properties":{"name":{"type":"string","maxLength":64}}}',
    });
    expect(api?.response.errorCodes).toEqual([
      {
        code: 'PetNotFound',
        message: 'no such pet',
        status: 404,
        from: { type: 'backendStatus', statuses: [404, 410] },
      },
      { code: 'Documented', message: 'just documented' },
    ]);
  });

  it('writes a JWKS URL with its cache settings (defaults 5 s, 30 s, 10 minutes) and function error codes', () => {
    const s = stack();
    const svc = new Service(s, 'petstore');
    svc.addApi('me', {
      path: '=/me',
      auth: Auth.oauth2({ jwksUrl: 'https://login.example/.well-known/jwks.json', issuer: 'https://login.example' }),
      backend: ok,
    });
    svc.addApi('tuned', {
      path: '=/tuned',
      auth: Auth.oauth2({
        jwksUrl: 'https://login.example/jwks',
        jwksTimeout: Duration.seconds(2),
        jwksCooldown: Duration.minutes(1),
        jwksCacheMaxAge: Duration.minutes(30),
      }),
      backend: new ScfBackend({
        functionName: 'pets',
        code: FunctionCode.remote('https://functions.internal/pets'),
      }),
      response: {
        errorCodes: [
          { code: 'NoPet', message: 'no such pet', status: 404, from: ErrorSource.functionError('E404', 1001) },
        ],
      },
    });
    expect(errors(s)).toEqual([]);
    const [me, tuned] = svc.toConfig().apis;
    expect(me?.auth).toMatchObject({
      verifier: {
        remoteJwks: {
          url: 'https://login.example/.well-known/jwks.json',
          timeoutMs: 5000,
          cooldownMs: 30000,
          cacheMaxAgeMs: 600000,
        },
      },
    });
    expect(tuned?.auth).toMatchObject({
      verifier: { remoteJwks: { timeoutMs: 2000, cooldownMs: 60000, cacheMaxAgeMs: 1800000 } },
    });
    expect(tuned?.response.errorCodes[0]?.from).toEqual({ type: 'functionError', errorCodes: ['E404', '1001'] });
  });
});

describe('traffic policy mistakes at synth', () => {
  it('reports a malformed CIDR under the construct path, for an API and for the service default', () => {
    const s = stack();
    const svc = new Service(s, 'petstore', { apiDefaults: { ipAccess: { allow: ['10.0.0.0/33'] } } });
    svc.addApi('getPet', {
      path: '=/pet',
      backend: ok,
      ipAccess: { allow: ['10.0.0.300/8'], deny: ['192.168.1.10/24'] },
    });
    expect(errors(s)).toEqual([
      '[gateway/petstore] apiDefaults ipAccess allow: "10.0.0.0/33" has a prefix length that is not 0 to 32',
      '[gateway/petstore/getPet] ipAccess allow: "10.0.0.300/8" is not an IPv4 or IPv6 address or CIDR block (write 10.0.0.0/8, 203.0.113.7 or 2001:db8::/32)',
      '[gateway/petstore/getPet] ipAccess deny: "192.168.1.10/24" has bits set after its /24 prefix: write the network address (192.168.1.0/24), or /32 for one address',
    ]);
  });

  it('reports a body schema ajv cannot compile, and one on a GET API', () => {
    const s = stack();
    const svc = new Service(s, 'petstore');
    svc.addApi('addPet', {
      path: '=/pets',
      method: 'POST',
      backend,
      bodySchema: { properties: { name: { type: 'string' } } },
    });
    svc.addApi('remote', {
      path: '=/remote',
      method: 'POST',
      backend,
      bodySchema: { $ref: 'https://schemas.example/pet.json' },
    });
    svc.addApi('redos', {
      path: '=/redos',
      method: 'POST',
      backend,
      bodySchema: { type: 'string', pattern: '^(a+)+$' },
    });
    svc.addApi('getPet', { path: '=/pet', backend, bodySchema: { type: 'object' } });
    svc.addApi('text', { path: '=/text', method: 'PUT', backend, bodySchema: '{"type": "object",' });
    expect(errors(s)).toEqual([
      '[gateway/petstore/addPet] bodySchema: does not compile: strict mode: missing type "object" for keyword "properties" at "#" (strictTypes)',
      "[gateway/petstore/remote] bodySchema: does not compile: can't resolve reference https://schemas.example/pet.json from id #",
      '[gateway/petstore/redos] bodySchema: pattern "^(a+)+$": regular expression can backtrack catastrophically (nested quantifiers); rewrite it',
      '[gateway/petstore/getPet] bodySchema: a GET API has no request body to validate',
      '[gateway/petstore/text] bodySchema: is not valid JSON',
    ]);
  });

  it('reports error codes that cannot convert: no status, a backend without statuses or error codes, a status claimed twice', () => {
    const s = stack();
    const svc = new Service(s, 'petstore');
    svc.addApi('getPet', {
      path: '=/pet',
      backend,
      response: {
        errorCodes: [
          { code: 'A', message: 'a', from: ErrorSource.backendStatus(404) },
          { code: 'B', message: 'b', status: 404, from: ErrorSource.backendStatus(404) },
          { code: 'C', message: 'c', status: 502, from: ErrorSource.functionError('E1') },
          { code: 'D', message: 'd', status: 700 },
        ],
      },
    });
    svc.addApi('mock', {
      path: '=/mock',
      backend: ok,
      response: { errorCodes: [{ code: 'M', message: 'm', status: 500, from: ErrorSource.backendStatus(500) }] },
    });
    expect(errors(s)).toEqual([
      '[gateway/petstore/getPet] response errorCodes "D" status: at most 599, got 700',
      '[gateway/petstore/getPet] response errorCodes: error code "A" converts backend answers, so it needs the status the client gets',
      '[gateway/petstore/getPet] response errorCodes: status 404 is already converted to "A"',
      '[gateway/petstore/getPet] response errorCodes: only a function backend has error codes to convert, not an HTTP backend',
      '[gateway/petstore/mock] response errorCodes: a mock backend has no statuses to convert',
    ]);
  });

  it('reports JWKS URL settings in the props the user wrote, and a rate limit below 1', () => {
    const s = stack();
    const svc = new Service(s, 'petstore', { apiDefaults: { rateLimitPerSecond: 0 } });
    svc.addApi('me', {
      path: '=/me',
      backend: ok,
      rateLimitPerSecond: 2.5,
      auth: Auth.oauth2({
        jwksUrl: 'ftp://login.example/jwks',
        jwksTimeout: Duration.minutes(2),
        jwksCooldown: Duration.millis(10),
      }),
    });
    svc.addApi('both', {
      path: '=/both',
      backend: ok,
      auth: Auth.oauth2({ jwksUrl: 'https://login.example/jwks', jwks: '{"keys":[{"kty":"RSA"}]}' }),
    });
    expect(errors(s)).toEqual([
      '[gateway/petstore] apiDefaults rateLimitPerSecond: at least 1 request per second, got 0 requests per second',
      '[gateway/petstore/me] auth jwksUrl: must start with https:// or http://, got "ftp://login.example/jwks"',
      '[gateway/petstore/me] auth jwksTimeout: at most 1 minute, got 2 minutes',
      '[gateway/petstore/me] auth jwksCooldown: at least 1 second, got 10 milliseconds',
      '[gateway/petstore/me] rateLimitPerSecond: must be a whole number, got 2.5',
      '[gateway/petstore/both] auth: give exactly one of publicKeyPem, jwks or remoteJwks',
    ]);
  });

  it('warns about schema parts that are slow on large hostile bodies and about keys fetched over http://', () => {
    const s = stack();
    const svc = new Service(s, 'petstore');
    svc.addApi('addPet', {
      path: '=/pets',
      method: 'POST',
      backend,
      bodySchema: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
    });
    svc.addApi('me', { path: '=/me', backend: ok, auth: Auth.oauth2({ jwksUrl: 'http://127.0.0.1:9000/jwks' }) });
    expect(warnings(s)).toEqual([
      "[gateway/petstore/addPet] bodySchema: maxLength is not bounded at /properties/email: validating large hostile bodies may be slow (ajv's security assessment); set maxLength or maxItems",
      '[gateway/petstore/me] auth jwksUrl: the signing keys are fetched over unencrypted http:// (http://127.0.0.1:9000/jwks): anyone on the path could replace them; use https://',
    ]);
  });
});
