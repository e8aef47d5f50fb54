/**
 * `service.workers: 2`: a reload (SIGHUP) or a live apply is compiled on every
 * worker before any serves it, and a refused one — a bad file, a config the
 * admin API refuses, or a worker that fails while compiling it — leaves both
 * workers on the config they served. Each worker is checked on a connection
 * the kernel gave it (its health answer names it and its generation).
 */
import type { Socket } from 'node:net';
import { toAppliedConfig } from '../../../model';
import { api, gatewayConfig, mock } from '../../helpers/config';
import { TOKEN, admin, apply, withAdmin } from '../admin/harness';
import {
  connectionToWorker,
  describeWithWorkers,
  healthOn,
  rawRequest,
  startWorkersGateway,
  type WorkersGateway,
} from '../../helpers/workers';

const config = (body: string) =>
  withAdmin(gatewayConfig([api('v', '=/v', mock(JSON.stringify(body)))], { workers: 2 }));

/** What worker `worker` serves on its pinned connection: the body of /v and its generation. */
async function served(socket: Socket) {
  const v = await rawRequest(socket, 'GET /v HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
  const health = await healthOn(socket);
  return { body: v.body, generation: health.body.generation, worker: health.body.worker };
}

describeWithWorkers('config changes with two workers', () => {
  let gw: WorkersGateway;
  let pinned: Socket[];
  const adminOf = () => ({ adminBase: `http://127.0.0.1:${gw.adminPort}` });

  beforeAll(async () => {
    gw = await startWorkersGateway(config('v1'), { APIGW_ADMIN_TOKEN: TOKEN });
    pinned = [await connectionToWorker(gw.port, 0), await connectionToWorker(gw.port, 1)];
  });
  afterAll(async () => {
    for (const s of pinned ?? []) s.destroy();
    await gw?.stop();
  });

  it('a SIGHUP with a bad file is refused and both workers keep serving the old config', async () => {
    gw.write({ ...config('v2'), apis: [api('v', '=/v', mock('"v2"')), api('dup', '=/v', mock('"dup"'))] });
    process.kill(gw.pid, 'SIGHUP');
    expect(await gw.waitForEvent('reload_refused')).toMatchObject({ reason: expect.stringContaining('/apis/1') });
    expect(await served(pinned[0]!)).toEqual({ body: '"v1"', generation: 1, worker: 0 });
    expect(await served(pinned[1]!)).toEqual({ body: '"v1"', generation: 1, worker: 1 });
  });

  it('a refused live apply changes neither worker', async () => {
    const bad = gatewayConfig([api('v', '=/v', mock('"v2"')), api('evil', '~^/(a+)+$', mock('"evil"'))]);
    const res = await apply(adminOf(), bad);
    expect(res.status).toBe(422);
    expect((await admin(adminOf(), 'GET', '/v1/config')).body).toMatchObject({ generation: 1, source: 'started' });
    expect(await served(pinned[0]!)).toEqual({ body: '"v1"', generation: 1, worker: 0 });
    expect(await served(pinned[1]!)).toEqual({ body: '"v1"', generation: 1, worker: 1 });
  });

  it('a good SIGHUP, then a good apply, reach both workers (the checks above can see a change)', async () => {
    gw.write(config('v2'));
    process.kill(gw.pid, 'SIGHUP');
    await gw.waitForEvent('reloaded');
    expect(await served(pinned[0]!)).toEqual({ body: '"v2"', generation: 2, worker: 0 });
    expect(await served(pinned[1]!)).toEqual({ body: '"v2"', generation: 2, worker: 1 });
    expect((await apply(adminOf(), toAppliedConfig(config('v3')))).status).toBe(200);
    expect(await served(pinned[0]!)).toEqual({ body: '"v3"', generation: 3, worker: 0 });
    expect(await served(pinned[1]!)).toEqual({ body: '"v3"', generation: 3, worker: 1 });
  });
});

describeWithWorkers('a worker that fails while compiling a change', () => {
  let gw: WorkersGateway;
  const sockets: Socket[] = [];
  const adminOf = () => ({ adminBase: `http://127.0.0.1:${gw.adminPort}` });

  beforeAll(async () => {
    // Worker 1 crashes whenever it is asked to compile a change (not its first config).
    gw = await startWorkersGateway(config('v1'), { APIGW_ADMIN_TOKEN: TOKEN, APIGW_TEST_FAULTS: 'crash-on-prepare:1' });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await gw?.stop();
  });

  it('refuses the reload: worker 0 never served it, and worker 1 is replaced on the old config', async () => {
    const zero = await connectionToWorker(gw.port, 0);
    sockets.push(zero);
    gw.write(config('v2'));
    process.kill(gw.pid, 'SIGHUP');
    expect(await gw.waitForEvent('reload_refused')).toMatchObject({
      reason: expect.stringMatching(/worker 1 stopped/),
    });
    expect(await served(zero)).toEqual({ body: '"v1"', generation: 1, worker: 0 });
    await gw.waitForEvent('worker_replaced');
    const one = await connectionToWorker(gw.port, 1);
    sockets.push(one);
    expect(await served(one)).toEqual({ body: '"v1"', generation: 1, worker: 1 });
  });

  it('refuses the live apply with 500 InternalError, nothing changed', async () => {
    const res = await apply(adminOf(), toAppliedConfig(config('v3')));
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'InternalError', message: expect.stringContaining('nothing changed') });
    expect(await served(sockets[0]!)).toEqual({ body: '"v1"', generation: 1, worker: 0 });
    await gw.waitForEvent('worker_replaced', 2);
    const one = await connectionToWorker(gw.port, 1);
    sockets.push(one);
    expect(await served(one)).toEqual({ body: '"v1"', generation: 1, worker: 1 });
  });
});
