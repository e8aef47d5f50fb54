/**
 * The gateway process (the image's entry point, and `apigw serve`):
 *
 *   gateway [serve] [--config FILE] [--state-dir DIR]   serve; FILE defaults to $APIGW_CONFIG, then
 *                                     ./config/gateway.json; DIR (applied configs) to $APIGW_STATE_DIR
 *   gateway check [--config FILE]     validate the config and exit (0 valid, 1 invalid)
 *   gateway healthcheck [--config F]  GET the health path on 127.0.0.1 (the image's HEALTHCHECK)
 *
 * Signals: SIGHUP reloads the config file while it serves, or recompiles the
 * config applied through the admin API while that serves (a refused reload is
 * logged and the running config keeps serving); SIGTERM and SIGINT drain and exit.
 */
import { request } from 'node:http';
import { logEvent } from './access-log';
import { ConfigError, loadConfigFile } from './config-loader';
import { Gateway } from './gateway';

export async function runGateway(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = [...argv];
  const command = args[0] && !args[0].startsWith('-') ? (args.shift() as string) : 'serve';
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const file = option('--config') ?? env.APIGW_CONFIG ?? 'config/gateway.json';
  // An empty APIGW_STATE_DIR means none.
  const stateDir = option('--state-dir') ?? (env.APIGW_STATE_DIR || undefined);

  if (command === 'check') {
    try {
      const loaded = await loadConfigFile(file);
      process.stdout.write(`config ${loaded.file} is valid: ${loaded.config.apis.length} APIs\n`);
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
    gateway = await Gateway.fromFile(file, { env, stateDir });
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else logEvent('start_failed', { reason: (err as Error).message });
    return 1;
  }
  const addresses = await gateway.listen();
  logEvent('listening', {
    service: gateway.config.config.service.name,
    apis: gateway.config.config.apis.length,
    http: addresses.http && `${addresses.http.address}:${addresses.http.port}`,
    https: addresses.https && `${addresses.https.address}:${addresses.https.port}`,
    admin: addresses.admin && `${addresses.admin.address}:${addresses.admin.port}`,
    stateDir,
    generation: gateway.metrics.generation,
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
