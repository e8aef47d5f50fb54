#!/usr/bin/env node
/**
 * `apigw`: the gateway's command line. Each command lives in its own module
 * under `cli/commands/` and is listed here once. Every command takes
 * `--help`; a usage mistake exits 2 with the usage on stderr.
 */
import type { Command } from './command';

interface Entry {
  readonly summary: string;
  // Loaded lazily so that `apigw sign` does not pay for the proxy's imports.
  readonly load: () => Promise<Command>;
}

const commands: Record<string, Entry> = {
  serve: {
    summary: 'serve a gateway config (SIGHUP reloads, SIGTERM/SIGINT drain)',
    load: async () => (await import('./commands/serve')).serveCommand,
  },
  check: {
    summary: 'validate a gateway config, naming every bad field',
    load: async () => (await import('./commands/serve')).checkCommand,
  },
  dev: {
    summary: 'serve your cdktf app locally and apply each saved change live',
    load: async () => (await import('./commands/dev')).devCommand,
  },
  docs: {
    summary: 'an offline documentation site per service, from its config',
    load: async () => (await import('./commands/docs')).docsCommand,
  },
  sign: {
    summary: 'print the headers of a signed key-pair request',
    load: async () => (await import('./commands/sign')).signCommand,
  },
  diff: {
    summary: 'what changed between two synthesized gateways, for review',
    load: async () => (await import('./commands/diff')).diffCommand,
  },
  openapi: {
    summary: 'the OpenAPI 3.1 document of a service',
    load: async () => (await import('./commands/openapi')).openapiCommand,
  },
  provider: {
    summary: 'install the Terraform provider for plain Terraform (HCL) configurations',
    load: async () => (await import('./commands/provider')).providerCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => `  ${name.padEnd(width)}   ${c.summary}`);
  return `usage: apigw <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "apigw <command> --help" for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(usage());
    return 2;
  }
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!entry) {
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
    process.stderr.write(`apigw: ${what}\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
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
