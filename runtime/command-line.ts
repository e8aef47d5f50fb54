/**
 * The gateway process's command line (the image's entry point, `apigw serve`
 * and `apigw check`), parsed with `node:util` parseArgs: one parser for both,
 * so the image and the CLI accept the same flags and refuse the same mistakes.
 *
 *   [serve] [FILE | --config FILE] [--port PORT] [--host ADDRESS] [--state-dir DIR] [--log-level LEVEL]
 *   check [FILE | --config FILE] [--no-secrets]
 *   healthcheck [FILE | --config FILE] [--port PORT]
 *
 * `--port` and `--host` replace the port and address of the config's HTTP
 * listener for this process only: the config file is not changed, a reload
 * keeps them, and the HTTPS listener is not affected.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_LOG_LEVEL, LOG_LEVELS, parseLogLevel, type LogLevel } from './access-log';

export type GatewayCommand = 'serve' | 'check' | 'healthcheck';

export interface ListenerOverride {
  readonly port?: number;
  readonly host?: string;
}

export interface GatewayArgs {
  readonly command: GatewayCommand;
  readonly help: boolean;
  /** The config file: FILE, `--config`, `$APIGW_CONFIG`, then `config/gateway.json`. */
  readonly file: string;
  readonly http: ListenerOverride;
  /** Where applied configs are kept (`--state-dir`, else `$APIGW_STATE_DIR`; empty means none). */
  readonly stateDir: string | undefined;
  /** `check --no-secrets`: schema and rules only, for image builds (no secrets or certificates there). */
  readonly noSecrets: boolean;
  /** Events written to stderr (`--log-level`, else `$APIGW_LOG_LEVEL`, else info). */
  readonly logLevel: LogLevel;
}

const COMMANDS: readonly GatewayCommand[] = ['serve', 'check', 'healthcheck'];

const SYNOPSIS: Record<GatewayCommand, string> = {
  serve: 'serve [FILE | --config FILE] [--port PORT] [--host ADDRESS] [--state-dir DIR] [--log-level LEVEL]',
  check: 'check [FILE | --config FILE] [--no-secrets]',
  healthcheck: 'healthcheck [FILE | --config FILE] [--port PORT]',
};

const DESCRIPTION: Record<GatewayCommand, string> = {
  serve: 'Serves the gateway config FILE. SIGHUP reloads FILE; SIGTERM and SIGINT drain and exit.',
  check:
    'Loads FILE as serve does, without listening, and exits 0 when it serves, 1 when not (every bad field is named).',
  healthcheck: 'GETs the health path on 127.0.0.1 and exits 0 on 200 (the image HEALTHCHECK).',
};

const OPTIONS: Record<GatewayCommand, readonly string[]> = {
  serve: [
    '      --port PORT     listen on PORT instead of the HTTP listener port in FILE (0: any free port)',
    '      --host ADDRESS  bind ADDRESS instead of the HTTP listener host in FILE (for example 127.0.0.1)',
    '      --state-dir DIR keep configs applied through the admin API in DIR (default: $APIGW_STATE_DIR)',
    `      --log-level LEVEL  events written to stderr: ${LOG_LEVELS.join(', ')} (default: $APIGW_LOG_LEVEL, else info)`,
  ],
  check: ['      --no-secrets    check the schema and rules only (for image builds, which have no secrets)'],
  healthcheck: ['      --port PORT     the port serve was started with, when it had --port'],
};

const COMMON = [
  '  -c, --config FILE   the config file (default: $APIGW_CONFIG, then config/gateway.json)',
  '  -h, --help          show this help',
];

/** Usage of one command, or of all of them. */
export function gatewayUsage(program: string, command?: GatewayCommand): string {
  const commands = command ? [command] : COMMANDS;
  const lines = commands.map((c, i) => `${i === 0 ? 'usage: ' : '       '}${program} ${SYNOPSIS[c]}`);
  const description = commands.map((c) => DESCRIPTION[c]).join('\n');
  const options = [...new Set([...commands.flatMap((c) => OPTIONS[c]), ...COMMON])];
  return `${lines.join('\n')}\n\n${description}\n\noptions:\n${options.join('\n')}\n`;
}

/** The command the arguments name (`serve` when none does). */
export function commandOf(argv: readonly string[]): GatewayCommand {
  return COMMANDS.includes(argv[0] as GatewayCommand) ? (argv[0] as GatewayCommand) : 'serve';
}

/** Parses the arguments; throws an `Error` whose message is for the user (exit 2). */
export function parseGatewayArgs(argv: readonly string[], env: NodeJS.ProcessEnv): GatewayArgs {
  const { values, positionals } = parseStrict(argv, {
    config: { type: 'string', short: 'c' },
    port: { type: 'string' },
    host: { type: 'string' },
    'state-dir': { type: 'string' },
    'no-secrets': { type: 'boolean' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const rest = [...positionals];
  const command = commandOf(rest);
  if (rest[0] === command) rest.shift();
  const config = values.config as string | undefined;
  const portText = values.port as string | undefined;
  const host = values.host as string | undefined;
  if (values.help)
    return {
      command,
      help: true,
      file: '',
      http: {},
      stateDir: undefined,
      noSecrets: false,
      logLevel: DEFAULT_LOG_LEVEL,
    };
  if (rest.length > 1) throw new Error(`unexpected argument "${rest[1]}"`);
  const positional = rest[0];
  if (positional !== undefined && config !== undefined && positional !== config) {
    throw new Error(`two config files given: "${positional}" and --config "${config}"`);
  }
  const file = positional ?? config ?? env.APIGW_CONFIG ?? 'config/gateway.json';
  if (command === 'check' && (portText !== undefined || host !== undefined)) {
    throw new Error('--port and --host apply to serve, not check');
  }
  if (command === 'healthcheck' && host !== undefined) {
    throw new Error('--host applies to serve; healthcheck always asks 127.0.0.1');
  }
  const http: { port?: number; host?: string } = {};
  if (portText !== undefined) http.port = parsePort(portText);
  if (host !== undefined) {
    if (host.trim() === '') throw new Error('--host needs an address, for example 127.0.0.1');
    http.host = host;
  }
  const stateDirFlag = values['state-dir'] as string | undefined;
  if (command === 'healthcheck' && stateDirFlag !== undefined) throw new Error('--state-dir applies to serve');
  // An empty APIGW_STATE_DIR means none.
  const stateDir = stateDirFlag ?? (env.APIGW_STATE_DIR || undefined);
  const noSecrets = values['no-secrets'] === true;
  if (noSecrets && command !== 'check') throw new Error('--no-secrets applies to check');
  const logLevelFlag = values['log-level'] as string | undefined;
  if (logLevelFlag !== undefined && command !== 'serve') throw new Error('--log-level applies to serve');
  // The environment's level is read only by serve: a bad APIGW_LOG_LEVEL must not stop check or healthcheck.
  const logLevel =
    logLevelFlag !== undefined
      ? parseLogLevel(logLevelFlag, '--log-level')
      : command === 'serve' && env.APIGW_LOG_LEVEL
        ? parseLogLevel(env.APIGW_LOG_LEVEL, 'APIGW_LOG_LEVEL')
        : DEFAULT_LOG_LEVEL;
  return { command, help: false, file, http, stateDir, noSecrets, logLevel };
}

function parsePort(text: string): number {
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`--port must be a port number from 0 to 65535, got "${text}"`);
  return port;
}

export type ArgValue = string | boolean | (string | boolean)[] | undefined;

/**
 * `parseArgs` in strict mode (unknown flags are errors) with positionals,
 * its errors reworded to one short sentence for the user.
 */
export function parseStrict(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
): { values: Record<string, ArgValue>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
    return { values: values as Record<string, ArgValue>, positionals };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) throw new Error(`unknown option ${flag}`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag && /missing|ambiguous/.test(e.message))
      throw new Error(`${flag} needs a value`);
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) throw new Error(`${flag} takes no value`);
    throw new Error(e.message);
  }
}
