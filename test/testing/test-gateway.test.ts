/**
 * The public testing helper (`cdktf-apigw/testing`), beyond what the example
 * (examples/pets-testing) shows: its refusals say what is wrong, bundled
 * functions run from their folders, failures show in the gateway's events.
 */
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import {
  ApiPath,
  Auth,
  Duration,
  FunctionCode,
  HttpBackend,
  MockBackend,
  ScfBackend,
  Secret,
  Service,
  WebSocketBackend,
} from '../../lib';
import { startGateway, UpgradeRefused } from '../../testing';
import { functionsDir } from '../../examples/quickstart/stack';
import { startBackend } from '../helpers/servers';

function stack(build: (service: Service, s: TerraformStack) => void, name = 'petstore'): TerraformStack {
  const s = new TerraformStack(new App(), 'testing');
  new DockerProvider(s, 'docker', {});
  build(new Service(s, name, {}), s);
  return s;
}

/** A key-pair secret from a sensitive variable, read by the gateway as `env`. */
function variableSecret(s: TerraformStack, env: string): Secret {
  return Secret.fromVariable(new TerraformVariable(s, env.toLowerCase(), { type: 'string', sensitive: true }), env);
}

it('points a backend at the test server by API name and by origin', async () => {
  const backend = await startBackend((req, res) => res.end(`backend saw ${req.url}`));
  const s = stack((service) => {
    const pets = new HttpBackend({ origin: 'https://pets.internal', path: '/v1/pets' });
    service.addApi('a', { path: '=/a', backend: pets });
    service.addApi('b', { path: '=/b', backend: new HttpBackend({ origin: 'https://other.internal', path: '/b' }) });
  });
  const gateway = await startGateway(s, { backends: { 'https://pets.internal': backend.origin, b: backend.origin } });
  try {
    expect((await gateway.request('/a')).body).toBe('backend saw /v1/pets');
    expect((await gateway.request('/b')).body).toBe('backend saw /b');
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
  } finally {
    await gateway.stop();
    await backend.close();
  }
});

it('refuses a backend key that names nothing, so a typo cannot reach a real backend', async () => {
  const s = stack((service) =>
    service.addApi('getPet', { path: '=/pet', backend: new HttpBackend({ origin: 'https://pets.internal' }) }),
  );
  await expect(startGateway(s, { backends: { 'https://pets.internl': 'http://127.0.0.1:1' } })).rejects.toThrow(
    'backends: "https://pets.internl" names no API with an HTTP or WebSocket backend and no backend origin of service "petstore" (known: getPet, https://pets.internal)',
  );
  await expect(startGateway(s, { backends: { getPet: 'ws://127.0.0.1:1' } })).rejects.toThrow(
    'backends["getPet"]: give http://host:port or https://host:port (an origin, no path) for this HTTP backend, got "ws://127.0.0.1:1"',
  );
});

it('names a secret the test did not give, and a mistake in the stack by its construct path', async () => {
  const withSecret = stack((service, s) => {
    service.addKeyPair({ secretId: 'partner', secretKey: variableSecret(s, 'APIGW_TESTING_UNSET_KEY') });
    service.addApi('status', { path: '=/status', backend: MockBackend.json({ ok: true }) });
  });
  await expect(startGateway(withSecret)).rejects.toThrow(
    'reads secrets that are not set: APIGW_TESTING_UNSET_KEY (/service/keyPairs/0/secretKey)',
  );
  const broken = stack((service) =>
    service.addApi('slow', {
      path: '=/slow',
      backend: new HttpBackend({ origin: 'https://pets.internal', timeout: Duration.minutes(31) }),
    }),
  );
  await expect(startGateway(broken)).rejects.toThrow(
    '[testing/petstore/slow] backend timeout: at most 30 minutes, got 31 minutes',
  );
});

it('asks which service when the stack has several', async () => {
  const s = new TerraformStack(new App(), 'two');
  new DockerProvider(s, 'docker', {});
  new Service(s, 'a', { httpPort: 8081 }).addApi('x', { path: '=/x', backend: MockBackend.json({ from: 'a' }) });
  new Service(s, 'b', { httpPort: 8082 }).addApi('x', { path: '=/x', backend: MockBackend.json({ from: 'b' }) });
  await expect(startGateway(s)).rejects.toThrow("two has 2 services (a, b); name one with { service: '<name>' }");
  await expect(startGateway(s, { service: 'c' })).rejects.toThrow('two has no service "c" (services: a, b)');
  const b = await startGateway(s, { service: 'b' });
  try {
    expect((await b.request('/x')).json()).toEqual({ from: 'b' });
  } finally {
    await b.stop();
  }
});

it('runs bundled functions from their folders, and shows a backend failure in its events', async () => {
  const s = stack((service) => {
    service.addApi('hello', {
      path: ApiPath.exact('/hello'),
      backend: new ScfBackend({
        functionName: 'hello',
        code: FunctionCode.fromDirectory(`${functionsDir}/hello`, { handler: 'index.main_handler' }),
        responseIntegration: true,
      }),
    });
    service.addApi('down', { path: '=/down', backend: new HttpBackend({ origin: 'http://127.0.0.1:1' }) });
  });
  const gateway = await startGateway(s);
  try {
    const hello = await gateway.request('/hello');
    expect(hello.status).toBe(200);
    expect(hello.json()).toMatchObject({ message: 'hello, world', function: 'hello' });
    const down = await gateway.request('/down');
    expect(down.status).toBe(502);
    expect(gateway.events).toContainEqual(
      expect.objectContaining({ event: 'backend_failed', api: 'down', cause: 'ECONNREFUSED' }),
    );
  } finally {
    await gateway.stop();
  }
});

it('rejects a refused WebSocket upgrade with the status and body the client got', async () => {
  const s = stack((service, st) => {
    service.addKeyPair({ secretId: 'k', secretKey: variableSecret(st, 'APIGW_TESTING_KEY') });
    const chat = service.addApi('chat', {
      protocol: 'websocket',
      path: '=/chat',
      auth: Auth.keyPair(),
      backend: new WebSocketBackend({ origin: 'ws://127.0.0.1:1' }),
    });
    service.addUsagePlan({ name: 'p', keyPairs: ['k'], apis: [chat] });
  });
  const gateway = await startGateway(s, { secrets: { APIGW_TESTING_KEY: 'secret' } });
  try {
    const refused = await gateway.webSocket('/chat').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(401);
    expect(JSON.parse((refused as UpgradeRefused).body)).toMatchObject({ code: 'Unauthorized' });
    // Signed, the handshake passes admission and reaches the (absent) backend: 502.
    const signed = await gateway
      .webSocket('/chat', { keyPair: { secretId: 'k', secretKey: 'secret' } })
      .catch((e: unknown) => e);
    expect((signed as UpgradeRefused).status).toBe(502);
  } finally {
    await gateway.stop();
  }
});
