/**
 * `apigw sign --id ID (--secret-env VAR | --secret-file FILE) [--header 'Name: value']... [--algorithm hmac-sha1]
 *   [--request-target 'GET /path?query']`
 * prints the headers of a signed key-pair request as curl `-H` arguments.
 * The secret is read from the environment or a file, never from the command line (shell history).
 */
import { readFileSync } from 'node:fs';
import { signRequest } from '../../runtime/auth/sign';
import type { HmacAlgorithm } from '../../runtime/auth/signature';
import type { Command } from '../command';

export const signCommand: Command = {
  async run(args) {
    let id: string | undefined;
    let secret: string | undefined;
    let algorithm: HmacAlgorithm = 'hmac-sha256';
    const headers: Record<string, string> = {};
    let requestTarget: { method: string; path: string } | undefined;
    for (let i = 0; i < args.length; i++) {
      const flag = args[i];
      const value = args[i + 1];
      if (flag === '--help') {
        process.stdout.write(
          "usage: apigw sign --id ID (--secret-env VAR | --secret-file FILE) [--header 'Name: value'] [--algorithm hmac-sha1|hmac-sha256] [--request-target 'GET /path?query']\n",
        );
        return 0;
      }
      if (value === undefined) return fail(`${flag} needs a value`);
      i++;
      if (flag === '--id') id = value;
      else if (flag === '--secret-env') secret = process.env[value];
      else if (flag === '--secret-file') secret = readFileSync(value, 'utf8').trim();
      else if (flag === '--algorithm') {
        if (value !== 'hmac-sha1' && value !== 'hmac-sha256')
          return fail('--algorithm must be hmac-sha1 or hmac-sha256');
        algorithm = value;
      } else if (flag === '--header') {
        const colon = value.indexOf(':');
        if (colon <= 0) return fail(`--header "${value}" must be "Name: value"`);
        headers[value.slice(0, colon).trim()] = value.slice(colon + 1).trim();
      } else if (flag === '--request-target') {
        // The request line to sign: the method, then the path and query exactly as the request sends them.
        const m = /^([A-Za-z]+) (\/\S*)$/.exec(value.trim());
        if (!m) return fail(`--request-target "${value}" must be "METHOD /path?query"`);
        requestTarget = { method: m[1] as string, path: m[2] as string };
      } else return fail(`unknown option ${flag}`);
    }
    if (!id) return fail('--id is required');
    if (!secret) return fail('the secret is empty: pass --secret-env VAR (set) or --secret-file FILE');
    const signed = signRequest({ secretId: id, secretKey: secret, algorithm, headers, requestTarget });
    process.stdout.write(
      Object.entries(signed)
        .map(([k, v]) => `-H '${k}: ${v.replace(/'/g, "'\\''")}'`)
        .join(' ') + '\n',
    );
    return 0;
  },
};

function fail(message: string): number {
  process.stderr.write(`apigw sign: ${message}\n`);
  return 2;
}
