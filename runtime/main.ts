/**
 * The gateway process (the image's entry point, and `apigw serve`); the
 * command line is in `command-line.ts`:
 *
 *   gateway [serve] [FILE | --config FILE] [--port P] [--host A] [--state-dir DIR] [--log-level L]   serve FILE
 *   gateway check [FILE | --config FILE] [--no-secrets]   load the config as serve does, without listening
 *                                     (exit 0 valid, 1 not); --no-secrets: schema and rules only (image builds)
 *   gateway healthcheck [--config F]         GET the health path on 127.0.0.1 (the image's HEALTHCHECK)
 *
 * Exit 2 on a usage error (usage on stderr); `--help` prints it and exits 0.
 * Signals: SIGHUP reloads the config file while it serves, or recompiles the
 * config applied through the admin API while that serves (a refused reload is
 * logged and the running config keeps serving); SIGTERM and SIGINT drain and exit.
 *
 * `serve` runs `service.workers` worker threads (default: the CPUs the process
 * may use), each a full gateway on the same listeners, under a coordinator on
 * the main thread (`cluster/`); with one worker, the gateway runs on the main
 * thread as it always did.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { EventLog } from './access-log';
import { formatIssues } from '../model';
import { Coordinator } from './cluster/coordinator';
import { parseFaults } from './cluster/faults';
import { defaultWorkers, reusePortUnsupported } from './cluster/worker-count';
import { commandOf, gatewayUsage, parseGatewayArgs, type GatewayArgs } from './command-line';
import { ConfigError, loadConfigFile, type LoadedConfig } from './config-loader';
import { Gateway } from './gateway';

/**
 * The worker threads' script: compiled next to the coordinator, or the bundle's
 * `gateway-worker.js` (which loads `gateway.js`, whose entry runs the worker).
 */
const WORKER_ENTRY = join(__dirname, 'gateway-worker.js');
const WORKER_ENTRY_COMPILED = join(__dirname, 'cluster', 'gateway-worker.js');

export async function runGateway(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  program = 'gateway',
): Promise<number> {
  let args: GatewayArgs;
  try {
    args = parseGatewayArgs(argv, env);
  } catch (err) {
    const command = commandOf(argv);
    process.stderr.write(`${program} ${command}: ${(err as Error).message}\n\n${gatewayUsage(program, command)}`);
    return 2;
  }
  const { command, file } = args;
  if (args.help) {
    // `gateway --help` names no command: show them all.
    process.stdout.write(gatewayUsage(program, argv[0] === command ? command : undefined));
    return 0;
  }

  if (command === 'check') {
    // Everything `serve` does before it listens (schema, rules, secrets, certificates, regexes, function
    // code), so that a config `check` passes is one `serve` starts with. `--no-secrets` checks the
    // schema and rules only: for the image build, where secrets and certificates are not present.
    if (args.noSecrets) {
      try {
        const loaded = await loadConfigFile(file);
        process.stdout.write(
          `config ${loaded.file} is valid (secrets not checked): ${loaded.config.apis.length} APIs\n`,
        );
        const warnings = loaded.warnings ?? [];
        if (warnings.length > 0) process.stdout.write(`warnings:\n${formatIssues(warnings)}\n`);
        return 0;
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        return 1;
      }
    }
    try {
      const gateway = await Gateway.fromFile(file, { env, accessLog: null, events: new EventLog(args.logLevel) });
      await gateway.close();
      const { config, file: resolved, warnings = [] } = gateway.config;
      process.stdout.write(`config ${resolved} is valid: ${config.apis.length} APIs\n`);
      if (warnings.length > 0) process.stdout.write(`warnings:\n${formatIssues(warnings)}\n`);
      return 0;
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
  }
  if (command === 'healthcheck') return healthcheck(file, args.http.port);

  const events = new EventLog(args.logLevel);
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigFile(file);
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else events.error('start_failed', { reason: (err as Error).message });
    return 1;
  }
  if (!loaded.config.service.listeners.http && Object.keys(args.http).length > 0) {
    process.stderr.write(`${program} serve: --port and --host set the HTTP listener, and ${file} has none\n`);
    return 2;
  }
  const workers = workerCount(loaded, events);
  if (workers > 1) return serveOnWorkers(loaded, args, env, events, workers);
  let gateway: Gateway;
  try {
    gateway = Gateway.fromConfig(loaded, { env, http: args.http, stateDir: args.stateDir, events });
  } catch (err) {
    events.error('start_failed', { reason: (err as Error).message });
    return 1;
  }
  let addresses: Awaited<ReturnType<Gateway['listen']>>;
  try {
    addresses = await gateway.listen();
  } catch (err) {
    // A listener that cannot bind (port taken) stops the start: never serve HTTP only when HTTPS was asked for.
    events.error('start_failed', { reason: (err as Error).message });
    await gateway.close();
    return 1;
  }
  events.info('listening', {
    pid: process.pid,
    service: gateway.config.config.service.name,
    apis: gateway.config.config.apis.length,
    http: addresses.http && `${addresses.http.address}:${addresses.http.port}`,
    https: addresses.https && `${addresses.https.address}:${addresses.https.port}`,
    admin: addresses.admin && `${addresses.admin.address}:${addresses.admin.port}`,
    metrics: addresses.metrics && `${addresses.metrics.address}:${addresses.metrics.port}`,
    stateDir: args.stateDir,
    generation: gateway.metrics.generation,
    maxConnections: gateway.clientConnections.cap,
    workers: 1,
  });
  handleSignals(gateway, events);
  return -1;
}

/** Worker threads to run: `service.workers`, else the CPUs; one (with `workers_unavailable` logged once) when more cannot run. */
function workerCount(loaded: LoadedConfig, events: EventLog): number {
  const configured = loaded.config.service.workers;
  const wanted = configured ?? defaultWorkers();
  if (wanted <= 1) return 1;
  const reason =
    reusePortUnsupported() ??
    (workerEntry() === undefined
      ? 'the gateway runs from its TypeScript sources; worker threads need the built runtime (npm run build)'
      : undefined);
  if (reason === undefined) return wanted;
  // A warning when `workers` asked for more; only news when the default did (Node 20 is still supported).
  const fields = { workers: wanted, configured: configured !== undefined, serving: 1, reason };
  if (configured !== undefined) events.warn('workers_unavailable', fields);
  else events.info('workers_unavailable', fields);
  return 1;
}

function workerEntry(): string | undefined {
  return [WORKER_ENTRY, WORKER_ENTRY_COMPILED].find((f) => existsSync(f));
}

/** `serve` with several worker threads: the coordinator on this thread, the gateways on the workers. */
async function serveOnWorkers(
  loaded: LoadedConfig,
  args: GatewayArgs,
  env: NodeJS.ProcessEnv,
  events: EventLog,
  workers: number,
): Promise<number> {
  let coordinator: Coordinator;
  try {
    coordinator = await Coordinator.start(loaded, {
      workers,
      entry: workerEntry() as string,
      env,
      events,
      logLevel: args.logLevel,
      http: args.http,
      stateDir: args.stateDir,
      faults: parseFaults(env),
    });
  } catch (err) {
    events.error('start_failed', { reason: (err as Error).message });
    return 1;
  }
  let addresses: Awaited<ReturnType<Coordinator['listen']>>;
  try {
    addresses = await coordinator.listen();
  } catch (err) {
    events.error('start_failed', { reason: (err as Error).message });
    await coordinator.close();
    return 1;
  }
  const served = coordinator.served;
  events.info('listening', {
    pid: process.pid,
    service: served.service.name,
    apis: served.apis.length,
    http: addresses.http && `${addresses.http.address}:${addresses.http.port}`,
    https: addresses.https && `${addresses.https.address}:${addresses.https.port}`,
    admin: addresses.admin && `${addresses.admin.address}:${addresses.admin.port}`,
    metrics: addresses.metrics && `${addresses.metrics.address}:${addresses.metrics.port}`,
    stateDir: args.stateDir,
    generation: coordinator.generation,
    maxConnections: coordinator.connectionCap,
    workers,
  });
  handleSignals(coordinator, events);
  return -1;
}

/** SIGHUP reloads; SIGTERM and SIGINT drain, then the process exits 0. */
function handleSignals(gateway: { reload(): Promise<boolean>; close(): Promise<void> }, events: EventLog): void {
  process.on('SIGHUP', () => void gateway.reload());
  const stop = (signal: string): void => {
    events.info('draining', { signal });
    void gateway.close().then(() => {
      events.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function healthcheck(file: string, port?: number): Promise<number> {
  const { config } = await loadConfigFile(file);
  const http = config.service.listeners.http;
  if (!http) return 0; // HTTPS-only: the TLS handshake needs a server name; the process being up is the check.
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port: port ?? http.port, path: config.service.healthPath, timeout: 3000 },
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
