/**
 * `apigw diff BASE HEAD [--format text|markdown|json]`: what changed for API
 * consumers between two synthesized gateways (config files or synth output
 * folders). Exit 0 when identical, 1 when different, 2 on error, like diff.
 */
import { diffGateways } from '../../review/diff';
import { loadConfigs } from '../../review/load';
import { renderDiff, type DiffFormat } from '../../review/render';
import type { Command } from '../command';

export const diffCommand: Command = {
  async run(args) {
    let format: DiffFormat = 'text';
    const paths: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as string;
      if (a === '--format') {
        const f = args[++i];
        if (f !== 'text' && f !== 'markdown' && f !== 'json') return fail('--format must be text, markdown or json');
        format = f;
      } else if (a === '--help') {
        process.stdout.write('usage: apigw diff BASE HEAD [--format text|markdown|json]\n');
        return 0;
      } else paths.push(a);
    }
    if (paths.length !== 2) return fail('usage: apigw diff BASE HEAD [--format text|markdown|json]');
    try {
      const diff = diffGateways(loadConfigs(paths[0] as string), loadConfigs(paths[1] as string));
      process.stdout.write(renderDiff(diff, format, format === 'text' && process.stdout.isTTY === true));
      return diff.identical ? 0 : 1;
    } catch (err) {
      return fail((err as Error).message);
    }
  },
};

function fail(message: string): number {
  process.stderr.write(`apigw diff: ${message}\n`);
  return 2;
}
