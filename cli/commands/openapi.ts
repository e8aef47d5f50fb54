/** `apigw openapi CONFIG [--service NAME]`: the OpenAPI 3.1 document of a service, on stdout. */
import { loadConfigs } from '../../review/load';
import { toOpenApi } from '../../review/openapi';
import type { Command } from '../command';

export const openapiCommand: Command = {
  async run(args) {
    const i = args.indexOf('--service');
    const service = i >= 0 ? args[i + 1] : undefined;
    const path = args.filter((_, j) => (j !== i && j !== i + 1) || i < 0).find((a) => !a.startsWith('--'));
    if (!path) {
      process.stderr.write('usage: apigw openapi CONFIG [--service NAME]\n');
      return 2;
    }
    try {
      const configs = loadConfigs(path);
      const config = service ? configs.get(service) : configs.size === 1 ? [...configs.values()][0] : undefined;
      if (!config) {
        process.stderr.write(`apigw openapi: choose a service with --service (${[...configs.keys()].join(', ')})\n`);
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
