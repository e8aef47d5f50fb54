/** The quickstart as `npm start` serves it, and as `cdktf synth` writes it. */
import { request } from 'undici';
import { once } from 'node:events';
import WebSocket from 'ws';
import { Testing } from 'cdktf';
import { DEMO_PARTNER_SECRET, serveLocal } from '../../examples/quickstart/serve-local';
import { signRequest } from '../../runtime/auth/sign';
import { QuickstartStack } from '../../examples/quickstart/stack';

describe('quickstart', () => {
  let served: Awaited<ReturnType<typeof serveLocal>>;
  beforeAll(async () => {
    served = await serveLocal({
      APIGW_PORT: '0',
      APIGW_SAMPLE_HTTP_PORT: '0',
      APIGW_SAMPLE_WS_PORT: '0',
      APIGW_ACCESS_LOG: 'off',
    });
  });
  afterAll(() => served.stop());

  const get = async (path: string, method: 'GET' | 'POST' = 'GET') => {
    const res = await request(`http://127.0.0.1:${served.port}${path}`, { method });
    return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
  };

  it('serves every backend kind locally', async () => {
    expect(await get('/status')).toEqual({ status: 200, json: { status: 'ok' } });
    expect((await get('/pets/42')).json).toMatchObject({ id: 42, name: 'Rex' });
    expect((await get('/hello?name=you')).json).toMatchObject({ message: 'hello, you', function: 'hello' });
    expect((await get('/orders/7', 'POST')).json).toMatchObject({ method: 'PUT', url: '/v1/orders/7' });
    expect((await get('/static/app.js')).json).toMatchObject({ url: '/files/app.js' });
    expect((await get('/pets/abc')).status).toBe(400);
    expect((await get('/partner/report')).status).toBe(401);
    const signed = signRequest({ secretId: 'partner', secretKey: DEMO_PARTNER_SECRET, headers: { source: 'test' } });
    const report = await request(`http://127.0.0.1:${served.port}/partner/report`, { headers: signed });
    expect(await report.body.json()).toEqual({ report: 'for partners only' });
    const ws = new WebSocket(`ws://127.0.0.1:${served.port}/chat`);
    await once(ws, 'open');
    ws.send('hi');
    const [msg] = (await once(ws, 'message')) as [Buffer];
    expect(msg.toString()).toBe('hi');
    ws.close();
  });

  it('synthesizes a valid config, the image and the container', () => {
    const stack = new QuickstartStack(Testing.app(), 'quickstart');
    const out = JSON.parse(Testing.synth(stack, true)) as { resource: Record<string, Record<string, unknown>> };
    expect(Object.keys(out.resource.docker_image ?? {})).toHaveLength(1);
    expect(Object.keys(out.resource.docker_container ?? {})).toHaveLength(1);
    const config = stack.service.toConfig();
    expect(config.apis.map((a) => `${a.frontend.match}:${a.backend.type}`)).toEqual([
      'exact:mock',
      'param:http',
      'prefix:http',
      'regex:http',
      'exact:mock',
      'exact:scf',
      'exact:websocket',
      'plain:mock',
    ]);
  });
});
