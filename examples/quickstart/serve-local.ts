/**
 * `npm start`: serves the quickstart stack on http://127.0.0.1:8080 with no
 * Docker. It stages the service's whole config with the runtime and the
 * function code (`Service.buildContext()`, what a baked image holds; the
 * default target's image holds only the start config and takes the rest
 * live) and runs the gateway on it, next to the sample backends on
 * 127.0.0.1:8081 (HTTP) and
 * :8082 (WebSocket). Ports: APIGW_PORT, APIGW_SAMPLE_HTTP_PORT, APIGW_SAMPLE_WS_PORT.
 *
 * The gateway binds loopback (APIGW_HOST to change it): the stack's listener
 * host is the container's 0.0.0.0, which is right inside a container and
 * wrong on a laptop. SIGHUP synthesizes the stack again from the compiled
 * `stack.js` (after `npm run build`) and reloads; SIGINT and SIGTERM stop.
 */
import { App } from 'cdktf';
import { formatIssues, validateConfig } from '../../model';
import { Gateway } from '../../runtime/gateway';
import { stopWithNpm } from '../../cli/npm-parent';
import { startSampleBackends } from './sample-backends';

/** The demo signing secret of the "partner" key pair, for local use only. */
export const DEMO_PARTNER_SECRET = 'quickstart-partner-secret';

/** The staged config file of the quickstart stack: its whole config, as a baked image would hold it. */
async function stageQuickstart(port: number, httpPort: number, wsPort: number, fresh: boolean): Promise<string> {
  if (fresh) {
    // Forget the compiled example modules so that `import` reads the rebuilt stack.
    for (const id of Object.keys(require.cache)) if (id.startsWith(__dirname)) delete require.cache[id];
  }
  const { QuickstartStack } = await import('./stack');
  const stack = new QuickstartStack(new App(), 'quickstart', {
    port,
    httpOrigin: `http://127.0.0.1:${httpPort}`,
    wsOrigin: `ws://127.0.0.1:${wsPort}`,
  });
  const result = validateConfig(stack.service.toConfig());
  if (!result.ok) throw new Error(`the quickstart config is invalid:\n${formatIssues(result.issues)}`);
  return `${stack.service.buildContext().dir}/config/gateway.json`;
}

export async function serveLocal(env: NodeJS.ProcessEnv = process.env): Promise<{
  gateway: Gateway;
  /** The address and port the gateway's HTTP listener bound. */
  address: string;
  port: number;
  /** Synthesizes the stack again and serves it; resolves false when the new config was refused. */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}> {
  const backends = await startSampleBackends(
    Number(env.APIGW_SAMPLE_HTTP_PORT ?? 8081),
    Number(env.APIGW_SAMPLE_WS_PORT ?? 8082),
  );
  const configPort = Number(env.APIGW_PORT ?? 8080);
  const stage = (fresh: boolean): Promise<string> =>
    stageQuickstart(configPort, backends.httpPort, backends.wsPort, fresh);
  let gateway: Gateway;
  try {
    gateway = await Gateway.fromFile(await stage(false), {
      env: { ...env, APIGW_KEY_PARTNER: env.APIGW_KEY_PARTNER ?? DEMO_PARTNER_SECRET },
      http: { host: env.APIGW_HOST || '127.0.0.1' },
    });
  } catch (err) {
    await backends.close();
    throw err;
  }
  const { http } = await gateway.listen();
  return {
    gateway,
    address: http?.address ?? '',
    port: http?.port ?? 0,
    async reload() {
      let file: string;
      try {
        file = await stage(true);
      } catch (err) {
        gateway.events.warn('reload_refused', { reason: (err as Error).message });
        return false;
      }
      return gateway.reload(file);
    },
    async stop() {
      await gateway.close();
      await backends.close();
    },
  };
}

if (require.main === module) {
  serveLocal().then(
    ({ gateway, address, port, reload, stop }) => {
      const base = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
      process.stderr.write(
        [
          '',
          `quickstart gateway on ${base} (pid ${process.pid}; Ctrl-C stops; after "npm run build", kill -HUP ${process.pid} reloads)`,
          `  curl ${base}/status`,
          `  curl ${base}/pets/42`,
          `  curl '${base}/hello?name=you'`,
          `  curl -X POST ${base}/orders/7`,
          `  curl ${base}/pets/abc          # 400: petId must be an int`,
          `  key-pair API: see README "Authentication" (secret "${DEMO_PARTNER_SECRET}")`,
          '',
        ].join('\n') + '\n',
      );
      gateway.events.info('listening', {
        pid: process.pid,
        service: gateway.config.config.service.name,
        http: `${address}:${port}`,
      });
      process.on('SIGHUP', () => void reload());
      const shutdown = (signal: string): void => {
        gateway.events.info('draining', { signal });
        void stop().then(() => {
          gateway.events.info('stopped');
          process.exit(0);
        });
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      stopWithNpm(process.env);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
