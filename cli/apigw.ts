#!/usr/bin/env node
/**
 * `apigw`: the gateway's command line. Each command lives in its own module
 * under `cli/commands/` and is listed here once.
 */
import type { Command } from './command';

const commands: Record<string, () => Promise<Command>> = {
  // Loaded lazily so that `apigw sign` does not pay for the proxy's imports.
  serve: async () => (await import('./commands/serve')).serveCommand,
  check: async () => (await import('./commands/serve')).checkCommand,
  sign: async () => (await import('./commands/sign')).signCommand,
  diff: async () => (await import('./commands/diff')).diffCommand,
  openapi: async () => (await import('./commands/openapi')).openapiCommand,
  provider: async () => (await import('./commands/provider')).providerCommand,
};

function usage(): string {
  const lines = Object.keys(commands)
    .sort()
    .map((name) => `  apigw ${name}`);
  return `usage: apigw <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "apigw <command> --help" for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`apigw: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    // A long-running command (serve) resolves to -1 and keeps the process alive.
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`apigw: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
