/**
 * `apigw diff BASE HEAD [--format text|markdown|json]`: what changed for API
 * consumers between two synthesized gateways (config files or synth output
 * folders). Exit 0 when identical, 1 when different, 2 on error, like diff.
 */
import { diffGateways } from '../../review/diff';
import { loadGateways } from '../../review/load';
import { renderDiff, type DiffFormat } from '../../review/render';
import { parseCommandArgs, usageError } from '../args';
import { useColor } from '../color';
import type { Command } from '../command';

const USAGE = `usage: apigw diff BASE HEAD [--format text|markdown|json]

Compares two synthesized gateways (config files, or cdktf.out folders) per
service: APIs added, removed and changed, risky and breaking changes, and the
deploy impact of each change. Exit 0 when identical, 1 when different, 2 on error.

options:
  -f, --format FORMAT   text (default; coloured on a terminal unless NO_COLOR is set), markdown or json
  -h, --help            show this help
`;

const FORMATS: readonly DiffFormat[] = ['text', 'markdown', 'json'];

export const diffCommand: Command = {
  async run(args) {
    const parsed = parseCommandArgs('diff', USAGE, args, { format: { type: 'string', short: 'f' } });
    if (parsed.exit !== undefined) return parsed.exit;
    const format = (parsed.values.format as string | undefined) ?? 'text';
    if (!FORMATS.includes(format as DiffFormat)) {
      return usageError('diff', `--format must be text, markdown or json, got "${format}"`, USAGE).exit;
    }
    const [base, head, extra] = parsed.positionals;
    if (base === undefined || head === undefined || extra !== undefined) {
      return usageError('diff', 'give two gateways to compare: BASE and HEAD', USAGE).exit;
    }
    try {
      const diff = diffGateways(loadGateways(base), loadGateways(head));
      process.stdout.write(
        renderDiff(diff, format as DiffFormat, format === 'text' && useColor(process.stdout, process.env)),
      );
      return diff.identical ? 0 : 1;
    } catch (err) {
      process.stderr.write(`apigw diff: ${(err as Error).message}\n`);
      return 2;
    }
  },
};
