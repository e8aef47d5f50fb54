/** `apigw openapi CONFIG [--service NAME]`: the OpenAPI 3.1 document of a service, on stdout. */
import { loadConfigs } from '../../review/load';
import { toOpenApi } from '../../review/openapi';
import { parseCommandArgs, usageError } from '../args';
import type { Command } from '../command';

const USAGE = `usage: apigw openapi CONFIG [--service NAME]

Writes the OpenAPI 3.1 document of one service on stdout. CONFIG is a config
file or a cdktf.out folder; name the service when the folder holds several.

options:
  -s, --service NAME   the service to describe
  -h, --help           show this help
`;

export const openapiCommand: Command = {
  async run(args) {
    const parsed = parseCommandArgs('openapi', USAGE, args, { service: { type: 'string', short: 's' } });
    if (parsed.exit !== undefined) return parsed.exit;
    const [path, extra] = parsed.positionals;
    if (path === undefined || extra !== undefined) return usageError('openapi', 'give one CONFIG', USAGE).exit;
    const service = parsed.values.service as string | undefined;
    try {
      const configs = loadConfigs(path);
      const config = service ? configs.get(service) : configs.size === 1 ? [...configs.values()][0] : undefined;
      if (!config) {
        const known = [...configs.keys()].join(', ');
        const problem = service ? `${path} has no service "${service}"` : `${path} holds several services`;
        process.stderr.write(`apigw openapi: ${problem}; choose one with --service (${known})\n`);
        return 2;
      }
      process.stdout.write(JSON.stringify(toOpenApi(config), null, 2) + '\n');
      return 0;
    } catch (err) {
      process.stderr.write(`apigw openapi: ${(err as Error).message}\n`);
      return 2;
    }
  },
};
