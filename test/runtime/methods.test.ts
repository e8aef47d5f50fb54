/**
 * PATCH, OPTIONS and ANY as API methods, through a real gateway to a real
 * backend: what the client gets and what the backend sees.
 */
import { request } from 'undici';
import type { ApiConfig, BackendConfig, HttpMethod } from '../../model';
import { api, gatewayConfig, http, mock } from '../helpers/config';
import { echo, startBackend, startGateway, type Backend, type RunningGateway } from '../helpers/servers';

let backend: Backend;
let gw: RunningGateway;

const CORS = { allowOrigins: ['https://app.example'], allowMethods: [], allowHeaders: [], exposeHeaders: [] };

function route(name: string, raw: string, method: HttpMethod, backendConfig: BackendConfig, extra = {}): ApiConfig {
  const a = api(name, raw, backendConfig, extra);
  return { ...a, frontend: { ...a.frontend, method } };
}

beforeAll(async () => {
  backend = await startBackend(echo);
  gw = await startGateway(
    gatewayConfig([
      route('patchPet', '/pets/{id}', 'PATCH', http(backend.origin, '/v1/pets/{id}', { method: 'PATCH' }), {
        parameters: [{ name: 'id', in: 'path', type: 'int', required: true }],
      }),
      // ANY with a backend that forwards the request's method; a GET API at the same path wins for GET.
      route('anyItem', '=/items', 'ANY', http(backend.origin, '/v1/items', { method: 'ANY' })),
      route('listItems', '=/items', 'GET', mock('"the list"')),
      // ANY with a backend of one method.
      route('anyToPost', '^~/inbox/', 'ANY', http(backend.origin, '/v1/inbox/', { method: 'POST' })),
      // OPTIONS as an API method, without CORS: it gets every OPTIONS request, preflights included.
      route('probe', '=/probe', 'OPTIONS', http(backend.origin, '/v1/probe', { method: 'OPTIONS' })),
      // ANY with CORS: the gateway answers preflights; the API gets the other OPTIONS requests.
      route('corsAny', '=/cors', 'ANY', http(backend.origin, '/v1/cors', { method: 'ANY' }), {
        cors: { ...CORS, allowCredentials: false },
      }),
    ]),
  );
});

afterAll(async () => {
  await gw.close();
  await backend.close();
});

async function call(path: string, method: string, headers: Record<string, string> = {}, body?: string) {
  const res = await request(`${gw.base}${path}`, { method, headers, body });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    seen: text.startsWith('{"method"') ? JSON.parse(text) : undefined,
  };
}

it('forwards a PATCH request with its body', async () => {
  const r = await call('/pets/7', 'PATCH', { 'content-type': 'application/json' }, '{"name":"Rex"}');
  expect(r.status).toBe(200);
  expect(r.seen).toMatchObject({ method: 'PATCH', url: '/v1/pets/7', body: '{"name":"Rex"}' });
  expect((await call('/pets/7', 'PUT')).headers.allow).toBe('PATCH');
});

it('serves every method with an ANY API and forwards the request method, except where an API of the method wins', async () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const r = await call('/items', method, {}, method === 'POST' ? 'payload' : undefined);
    expect({ method, status: r.status, seen: r.seen?.method }).toEqual({ method, status: 200, seen: method });
  }
  expect((await call('/items', 'POST', {}, 'payload')).seen?.body).toBe('payload');
  expect((await call('/items', 'GET')).text).toBe('"the list"');
  const head = await call('/items', 'HEAD');
  expect({ status: head.status, text: head.text }).toEqual({ status: 200, text: '' });
});

it('answers methods outside ANY with 405 and the seven methods in Allow', async () => {
  const r = await call('/items', 'TRACE');
  expect(r.status).toBe(405);
  expect(r.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  expect(JSON.parse(r.text)).toMatchObject({ code: 'MethodNotAllowed' });
});

it('sends the backend its own method when the backend sets one', async () => {
  const r = await call('/inbox/a', 'DELETE');
  expect(r.seen).toMatchObject({ method: 'POST', url: '/v1/inbox/a' });
});

it('routes a preflight-looking OPTIONS to an OPTIONS API without CORS', async () => {
  const r = await call('/probe', 'OPTIONS', { origin: 'https://app.example', 'access-control-request-method': 'PUT' });
  expect(r.seen).toMatchObject({ method: 'OPTIONS', url: '/v1/probe' });
});

it('answers CORS preflights of an ANY API itself, listing every method, and forwards other OPTIONS requests', async () => {
  const preflight = await call('/cors', 'OPTIONS', {
    origin: 'https://app.example',
    'access-control-request-method': 'PATCH',
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS');
  const plain = await call('/cors', 'OPTIONS', { origin: 'https://app.example' });
  expect(plain.seen).toMatchObject({ method: 'OPTIONS', url: '/v1/cors' });
  expect(plain.headers['access-control-allow-origin']).toBe('https://app.example');
});
