/**
 * Argument parsing shared by every `apigw` command: `node:util` parseArgs in
 * strict mode (through the runtime's `parseStrict`, so the CLI and the image
 * word mistakes alike). `--help`/`-h` prints the command's usage on stdout and
 * exits 0; a mistake prints it on stderr and exits 2.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseStrict, type ArgValue } from '../runtime/command-line';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What parsing decided: the parsed arguments, or the exit code to return now. */
export type Parsed =
  | { readonly exit: number }
  | { readonly exit?: undefined; readonly values: Readonly<Record<string, ArgValue>>; readonly positionals: string[] };

export function parseCommandArgs(command: string, usage: string, argv: readonly string[], options: Options): Parsed {
  try {
    const parsed = parseStrict(argv, { ...options, help: { type: 'boolean', short: 'h' } });
    const { values } = parsed;
    if (values.help) {
      process.stdout.write(usage);
      return { exit: 0 };
    }
    return { values, positionals: parsed.positionals };
  } catch (err) {
    return usageError(command, (err as Error).message, usage);
  }
}

/** Reports a usage mistake: the message and the usage on stderr, exit 2. */
export function usageError(command: string, message: string, usage: string): { exit: number } {
  process.stderr.write(`apigw ${command}: ${message}\n\n${usage}`);
  return { exit: 2 };
}
