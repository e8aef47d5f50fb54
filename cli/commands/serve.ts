/**
 * `apigw serve` and `apigw check`: the runtime, from the CLI, with the
 * runtime's own command line (`runtime/command-line.ts`: `--config`,
 * `--state-dir`, `--port`, `--host`). Under npm or npx, `serve` also stops
 * when npm does (see `npm-parent.ts`).
 */
import { runGateway } from '../../runtime/main';
import type { Command } from '../command';
import { stopWithNpm } from '../npm-parent';

export const serveCommand: Command = {
  async run(args) {
    const code = await runGateway(['serve', ...args], process.env, 'apigw');
    if (code === -1) stopWithNpm(process.env);
    return code;
  },
};
export const checkCommand: Command = { run: (args) => runGateway(['check', ...args], process.env, 'apigw') };
