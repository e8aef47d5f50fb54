/**
 * Live applies in the default target's image (runtime and start config): the
 * gateway user (10001) owns /var/lib/apigw, so a named volume mounted there
 * takes that ownership, and a config applied through the admin API (with a
 * function bundle) is served again by a new container on the same volume — a
 * container replacement reverts nothing.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { toAppliedConfig, type GatewayConfig } from '../../model';
import { api, gatewayConfig, mock } from '../helpers/config';
import { describeWithDocker, docker, testBaseImage } from '../helpers/docker';
import { synthDockerTarget } from '../helpers/docker-synth';
import { freePort } from '../helpers/servers';
import { TOKEN, admin, bundle, bundledTarget, upload } from '../runtime/admin/harness';

describeWithDocker('live applies in the gateway image, with the state on a named volume', () => {
  let port: number;
  let adminPort: number;
  let image: string;
  let volume: string;
  const containers: string[] = [];
  const target = (): { adminBase: string } => ({ adminBase: `http://127.0.0.1:${adminPort}` });

  beforeAll(async () => {
    if (!process.env.APIGW_BASE_IMAGE) {
      const r = spawnSync('bash', [join(__dirname, '..', '..', 'scripts', 'local-base-image.sh'), testBaseImage()], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`local base image: ${r.stderr}`);
    }
    port = await freePort();
    adminPort = await freePort();
    // The default target's image: the runtime and the start config, with the admin listener on 127.0.0.1
    // (host networking, as the test runs it).
    const synth = synthDockerTarget(
      'svgw',
      { httpPort: port, baseImage: testBaseImage() },
      { hostNetwork: true, adminPort },
    );
    const { dir } = synth;
    const { build } = synth.image;
    expect(synth.startConfig.service.admin).toEqual({
      host: '127.0.0.1',
      port: adminPort,
      token: { env: 'APIGW_ADMIN_TOKEN' },
    });
    image = `cdktf-apigw/state-volume-test:${port}`;
    volume = `apigw-state-test-${port}`;
    const args = ['build', '-q', '-f', build.dockerfile, '-t', image];
    for (const [k, v] of Object.entries(build.build_args)) args.push('--build-arg', `${k}=${v}`);
    docker([...args, build.context], { cwd: dir });
  }, 180_000);

  afterAll(() => {
    for (const c of containers) spawnSync('docker', ['rm', '-f', c]);
    spawnSync('docker', ['volume', 'rm', '-f', volume]);
    spawnSync('docker', ['rmi', '-f', image]);
  });

  async function start(): Promise<string> {
    const name = `apigw-state-test-${port}-${containers.length}`;
    containers.push(name);
    docker([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '-e',
      `APIGW_ADMIN_TOKEN=${TOKEN}`,
      '-v',
      `${volume}:/var/lib/apigw`,
      image,
    ]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await request(`http://127.0.0.1:${port}/__apigw/health`);
        await res.body.dump();
        if (res.statusCode === 200) return name;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`gateway did not start:\n${docker(['logs', name])}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const get = async (path: string): Promise<{ status: number; text: string }> => {
    const res = await request(`http://127.0.0.1:${port}${path}`);
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('sets APIGW_STATE_DIR and hands /var/lib/apigw (and so a fresh named volume) to the gateway user', async () => {
    expect(docker(['image', 'inspect', '-f', '{{json .Config.Env}}', image])).toContain(
      'APIGW_STATE_DIR=/var/lib/apigw',
    );
    const owner = docker([
      'run',
      '--rm',
      '-v',
      `${volume}:/var/lib/apigw`,
      '--entrypoint',
      'node',
      image,
      '-e',
      "const s = require('fs').statSync('/var/lib/apigw'); console.log(s.uid + ':' + s.gid + ' ' + (s.mode & 0o777).toString(8))",
    ]);
    expect(owner).toBe('10001:10001 700');
  }, 60_000);

  it('serves an applied config again from a new container on the same volume', async () => {
    const first = await start();
    // The start config has no APIs: they arrive with an apply.
    expect((await get('/status')).status).toBe(404);
    const code = bundle({ 'index.js': 'exports.hi = async () => "hi from a bundle";' });
    expect((await upload(target(), code)).status).toBe(200);
    const applied: GatewayConfig = gatewayConfig([
      api('live', '=/live', mock('"applied live"')),
      api('fn', '=/fn', { type: 'scf', function: bundledTarget(code.sha256, 'hi'), responseIntegration: false }),
    ]);
    const res = await admin(target(), 'PUT', '/v1/config', { config: toAppliedConfig(applied), secrets: {} });
    expect(res.status).toBe(200);
    expect(await get('/live')).toEqual({ status: 200, text: '"applied live"' });
    expect(await get('/fn')).toEqual({ status: 200, text: '"hi from a bundle"' });

    // Replace the container, as a changed image would.
    docker(['rm', '-f', first]);
    await start();
    expect(await get('/live')).toEqual({ status: 200, text: '"applied live"' });
    expect(await get('/fn')).toEqual({ status: 200, text: '"hi from a bundle"' });
    expect((await get('/status')).status).toBe(404);
    expect((await admin(target(), 'GET', '/v1/config')).body).toMatchObject({ source: 'applied', generation: 2 });
  }, 150_000);
});
