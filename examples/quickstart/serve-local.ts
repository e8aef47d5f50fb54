/**
 * `npm start`: serves the quickstart stack on http://127.0.0.1:8080 with no
 * Docker. It stages the same build context the image is built from and runs
 * the gateway on it, next to the sample backends on 127.0.0.1:8081 (HTTP) and
 * :8082 (WebSocket). Ports: APIGW_PORT, APIGW_SAMPLE_HTTP_PORT, APIGW_SAMPLE_WS_PORT.
 */
import { App } from 'cdktf';
import { formatIssues, validateConfig } from '../../model';
import { Gateway } from '../../runtime/gateway';
import { startSampleBackends } from './sample-backends';
import { QuickstartStack } from './stack';

/** The demo signing secret of the "partner" key pair, for local use only. */
export const DEMO_PARTNER_SECRET = 'quickstart-partner-secret';

export async function serveLocal(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ gateway: Gateway; port: number; stop(): Promise<void> }> {
  const backends = await startSampleBackends(
    Number(env.APIGW_SAMPLE_HTTP_PORT ?? 8081),
    Number(env.APIGW_SAMPLE_WS_PORT ?? 8082),
  );
  const stack = new QuickstartStack(new App(), 'quickstart', {
    port: Number(env.APIGW_PORT ?? 8080),
    httpOrigin: `http://127.0.0.1:${backends.httpPort}`,
    wsOrigin: `ws://127.0.0.1:${backends.wsPort}`,
  });
  const result = validateConfig(stack.service.toConfig());
  if (!result.ok) throw new Error(`the quickstart config is invalid:\n${formatIssues(result.issues)}`);
  const context = stack.service.buildContext();
  const gateway = await Gateway.fromFile(`${context.dir}/config/gateway.json`, {
    env: { ...env, APIGW_KEY_PARTNER: env.APIGW_KEY_PARTNER ?? DEMO_PARTNER_SECRET },
  });
  const { http } = await gateway.listen();
  const port = http?.port ?? 0;
  return {
    gateway,
    port,
    async stop() {
      await gateway.close();
      await backends.close();
    },
  };
}

if (require.main === module) {
  serveLocal().then(
    ({ port, stop }) => {
      const base = `http://127.0.0.1:${port}`;
      process.stderr.write(
        [
          '',
          `quickstart gateway on ${base} (Ctrl-C to stop)`,
          `  curl ${base}/status`,
          `  curl ${base}/pets/42`,
          `  curl '${base}/hello?name=you'`,
          `  curl -X POST ${base}/orders/7`,
          `  curl ${base}/pets/abc          # 400: petId must be an int`,
          `  key-pair API: see README "Authentication" (secret "${DEMO_PARTNER_SECRET}")`,
          '',
        ].join('\n') + '\n',
      );
      const shutdown = (): void => void stop().then(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
