/**
 * The gateway process (the image's entry point, and `apigw serve`):
 *
 *   gateway [serve] [--config FILE]   serve; FILE defaults to $APIGW_CONFIG, then ./config/gateway.json
 *   gateway check [--config FILE]     load the config as serve does, without listening (exit 0 valid, 1 not);
 *                                     --no-secrets: schema and rules only (image builds have no secrets)
 *   gateway healthcheck [--config F]  GET the health path on 127.0.0.1 (the image's HEALTHCHECK)
 *
 * Signals: SIGHUP reloads the config file (a bad file is refused and logged,
 * the running config keeps serving); SIGTERM and SIGINT drain and exit.
 */
import { request } from 'node:http';
import { logEvent } from './access-log';
import { ConfigError, loadConfigFile } from './config-loader';
import { Gateway } from './gateway';

export async function runGateway(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = [...argv];
  const command = args[0] && !args[0].startsWith('-') ? (args.shift() as string) : 'serve';
  const i = args.indexOf('--config');
  const file = (i >= 0 ? args[i + 1] : undefined) ?? env.APIGW_CONFIG ?? 'config/gateway.json';

  if (command === 'check') {
    // Everything `serve` does before it listens (schema, rules, secrets, certificates, regexes, function
    // code), so that a config `check` passes is one `serve` starts with. `--no-secrets` checks the
    // schema and rules only: for the image build, where secrets and certificates are not present.
    if (args.includes('--no-secrets')) {
      try {
        const loaded = await loadConfigFile(file);
        process.stdout.write(
          `config ${loaded.file} is valid (secrets not checked): ${loaded.config.apis.length} APIs\n`,
        );
        return 0;
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        return 1;
      }
    }
    try {
      const gateway = await Gateway.fromFile(file, { env, accessLog: null });
      await gateway.close();
      const { config, file: resolved } = gateway.config;
      process.stdout.write(`config ${resolved} is valid: ${config.apis.length} APIs\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
  }
  if (command === 'healthcheck') return healthcheck(file);
  if (command !== 'serve') {
    process.stderr.write(`unknown command "${command}" (serve, check, healthcheck)\n`);
    return 2;
  }

  let gateway: Gateway;
  try {
    gateway = await Gateway.fromFile(file, { env });
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else logEvent('start_failed', { reason: (err as Error).message });
    return 1;
  }
  let addresses: Awaited<ReturnType<Gateway['listen']>>;
  try {
    addresses = await gateway.listen();
  } catch (err) {
    // A listener that cannot bind (port taken) stops the start: never serve HTTP only when HTTPS was asked for.
    logEvent('start_failed', { reason: (err as Error).message });
    await gateway.close();
    return 1;
  }
  logEvent('listening', {
    service: gateway.config.config.service.name,
    apis: gateway.config.config.apis.length,
    http: addresses.http && `${addresses.http.address}:${addresses.http.port}`,
    https: addresses.https && `${addresses.https.address}:${addresses.https.port}`,
    maxConnections: gateway.clientConnections.cap,
  });
  process.on('SIGHUP', () => void gateway.reload());
  const stop = (signal: string): void => {
    logEvent('draining', { signal });
    void gateway.close().then(() => {
      logEvent('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return -1;
}

async function healthcheck(file: string): Promise<number> {
  const { config } = await loadConfigFile(file);
  const http = config.service.listeners.http;
  if (!http) return 0; // HTTPS-only: the TLS handshake needs a server name; the process being up is the check.
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: http.port, path: config.service.healthPath, timeout: 3000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? 0 : 1);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(1));
    req.end();
  });
}
