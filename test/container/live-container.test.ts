/**
 * The default target on a real Docker engine, driven by the real cdktf CLI:
 * the image is built from a DockerContainerTarget synth's build context
 * exactly as the docker provider would (cwd the stack directory, explicit
 * Dockerfile path, build arguments) and run with the synthesized container's
 * settings (environment with the admin token, the state volume as a named
 * volume, health check, stop signal and grace, labels) on host networking —
 * the docker provider itself cannot be downloaded here, so `cdktf deploy`
 * cannot create the Docker resources. An ExistingGatewayTarget stack then
 * takes the flow through the container's admin port; replacing the container
 * on the same volume keeps the applied config.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';
import { describeWithDocker, docker, testBaseImage } from '../helpers/docker';
import { synthDockerTarget, type DockerSynth } from '../helpers/docker-synth';
import { ADMIN_TOKEN, liveFlow, type FlowFigures } from '../helpers/live-flow';
import { freePort } from '../helpers/servers';
import { describeWithTerraform } from '../helpers/terraform';

describeWithTerraform(
  'cdktf deploy to the gateway container (DockerContainerTarget image, ExistingGatewayTarget flow)',
  () =>
    describeWithDocker('on a Docker engine', () => {
      let port: number;
      let adminPort: number;
      let synth: DockerSynth;
      let volume: string;
      let current: string | undefined;
      const containers: string[] = [];
      const figures: FlowFigures = { timings: {} };

      async function start(): Promise<void> {
        const name = `${synth.container.name}-${port}-${containers.length}`;
        containers.push(name);
        const c = synth.container;
        const run = ['run', '-d', '--name', name, '--network', 'host', '--restart', c.restart];
        run.push('--stop-signal', c.stop_signal, '--stop-timeout', String(c.destroy_grace_seconds));
        for (const e of c.env) run.push('-e', e.replace('${var.pets_admin_token}', ADMIN_TOKEN));
        for (const l of c.labels) run.push('--label', `${l.label}=${l.value}`);
        for (const m of c.mounts) {
          // The state volume's name is a reference to the docker_volume resource; a named volume of the test's.
          const source = m.source.startsWith('${docker_volume.') ? volume : m.source;
          run.push('--mount', `type=${m.type},source=${source},target=${m.target}${m.read_only ? ',readonly' : ''}`);
        }
        // Health: the image's HEALTHCHECK, which is the synthesized one (checked in beforeAll). The docker CLI cannot
        // give an exec-form command (`--health-cmd` runs /bin/sh, which the base image may not have).
        docker([...run, synth.image.name]);
        current = name;
        // wait: true in the container settings: the deploy waits for health.
        const deadline = Date.now() + 60_000;
        for (;;) {
          const health = docker(['inspect', '-f', '{{.State.Health.Status}}', name]);
          if (health === 'healthy') break;
          if (Date.now() > deadline) {
            const logs = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
            const checks = docker(['inspect', '-f', '{{json .State.Health.Log}}', name]);
            throw new Error(`container not healthy: ${health}\n${checks}\n${logs.stdout}${logs.stderr}`);
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      }

      beforeAll(async () => {
        if (!process.env.APIGW_BASE_IMAGE) {
          const r = spawnSync(
            'bash',
            [join(__dirname, '..', '..', 'scripts', 'local-base-image.sh'), testBaseImage()],
            {
              encoding: 'utf8',
            },
          );
          if (r.status !== 0) throw new Error(`local base image: ${r.stderr}`);
        }
        port = await freePort();
        adminPort = await freePort();
        synth = synthDockerTarget(
          'pets',
          { httpPort: port, baseImage: testBaseImage(), limits: { shutdownGraceMs: 2000 } },
          { hostNetwork: true, adminPort, containerName: 'apigw-live-flow' },
        );
        volume = `apigw-live-flow-state-${port}`;
        expect(synth.container.network_mode).toBe('host');
        expect(synth.startConfig.service.admin).toEqual({
          host: '127.0.0.1',
          port: adminPort,
          token: { env: 'APIGW_ADMIN_TOKEN' },
        });
        expect(synth.startConfig.apis).toEqual([]);
        const b = synth.image.build;
        const args = ['build', '-q', '-f', b.dockerfile, '-t', synth.image.name];
        for (const [k, v] of Object.entries(b.build_args)) args.push('--build-arg', `${k}=${v}`);
        docker([...args, b.context], { cwd: synth.dir });
        const imageTest = JSON.parse(
          docker(['image', 'inspect', '-f', '{{json .Config.Healthcheck.Test}}', synth.image.name]),
        ) as string[];
        expect(imageTest).toEqual(synth.container.healthcheck.test);
        await start();
        // The image holds no API: the start config's health path only.
        const res = await request(`http://127.0.0.1:${port}/status`);
        await res.body.dump();
        expect(res.statusCode).toBe(404);
      }, 240_000);

      afterAll(() => {
        for (const c of containers) spawnSync('docker', ['rm', '-f', c]);
        spawnSync('docker', ['volume', 'rm', '-f', volume]);
        spawnSync('docker', ['rmi', '-f', synth?.image.name ?? 'none']);
        console.log(
          `cdktf flow against the gateway container (ms): ${JSON.stringify(figures.timings)}; requests during the deploy: ${JSON.stringify(figures.load)}\n` +
            `one-API change, as cdktf diff printed it:\n${figures.oneApiDiff}`,
        );
      });

      liveFlow(
        {
          gateway: () => ({ base: `http://127.0.0.1:${port}`, adminEndpoint: `http://127.0.0.1:${adminPort}` }),
          replace: async () => {
            // As a changed image would: the container goes, a new one starts on the same volume.
            docker(['rm', '-f', current!]);
            await start();
          },
          replaced: 'a replaced container (same state volume)',
        },
        figures,
      );
    }),
);
