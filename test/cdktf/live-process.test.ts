/**
 * `cdktf deploy/diff/destroy` (the real CLI, offline, with terraform) of a
 * service on ExistingGatewayTarget, against a gateway the test starts as a
 * local process with the start config DockerContainerTarget synthesizes (its
 * HTTP and admin listeners moved to 127.0.0.1:0) and a state directory.
 */
import { describeWithTerraform } from '../helpers/terraform';
import { ADMIN_TOKEN, liveFlow, type FlowFigures } from '../helpers/live-flow';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process';
import { synthDockerTarget } from '../helpers/docker-synth';
import { tempDir } from '../helpers/temp';
import type { GatewayConfig } from '../../model';

describeWithTerraform('cdktf deploy to a gateway process (ExistingGatewayTarget)', () => {
  let gw: GatewayProcess;
  let start: GatewayConfig;
  const stateDir = `${tempDir('apigw-flow-process-')}/state`;
  const figures: FlowFigures = { timings: {} };

  beforeAll(async () => {
    const synthesized = synthDockerTarget('pets', {}, { hostNetwork: true }).startConfig;
    const http = { ...synthesized.service.listeners.http!, host: '127.0.0.1', port: 0 };
    start = { ...synthesized, service: { ...synthesized.service, listeners: { http } } };
    gw = await startGatewayProcess(start, ADMIN_TOKEN, { stateDir, dir: tempDir('apigw-flow-gw-') });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    console.log(
      `cdktf flow against a gateway process (ms): ${JSON.stringify(figures.timings)}; requests during the deploy: ${JSON.stringify(figures.load)}\n` +
        `one-API change, as cdktf diff printed it:\n${figures.oneApiDiff}`,
    );
  });

  liveFlow(
    {
      gateway: () => ({ base: gw.base, adminEndpoint: gw.adminEndpoint }),
      replace: async () => {
        await gw.stop();
        gw = await startGatewayProcess(start, ADMIN_TOKEN, { stateDir, dir: tempDir('apigw-flow-gw-') });
      },
      replaced: 'a restarted gateway process (same state directory)',
    },
    figures,
  );
});
