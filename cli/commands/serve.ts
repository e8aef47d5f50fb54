/** `apigw serve [--config FILE] [--state-dir DIR]` and `apigw check [--config FILE]`: the runtime, from the CLI. */
import { runGateway } from '../../runtime/main';
import type { Command } from '../command';

export const serveCommand: Command = { run: (args) => runGateway(['serve', ...args]) };
export const checkCommand: Command = { run: (args) => runGateway(['check', ...args]) };
