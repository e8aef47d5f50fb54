/**
 * `apigw sign --id ID (--secret-env VAR | --secret-file FILE) [--header 'Name: value']... [--algorithm hmac-sha1]
 *   [--request-target 'GET /path?query']`
 * prints the headers of a signed key-pair request as curl `-H` arguments.
 * The secret is read from the environment or a file, never from the command line (shell history).
 */
import { readFileSync } from 'node:fs';
import { signRequest } from '../../runtime/auth/sign';
import type { HmacAlgorithm } from '../../runtime/auth/signature';
import { parseCommandArgs, usageError } from '../args';
import type { Command } from '../command';

const USAGE = `usage: apigw sign --id ID (--secret-env VAR | --secret-file FILE) [--header 'Name: value']... [--algorithm ALG] [--request-target 'GET /path?query']

Prints the headers of a signed key-pair request (X-Date, Authorization and the
given headers) as curl -H arguments. The secret is read from the environment or
a file, never from the command line.

options:
  --id ID              the key pair's secretId
  --secret-env VAR     read the secret from environment variable VAR
  --secret-file FILE   read the secret from FILE (surrounding whitespace is trimmed)
  --header 'N: v'      a header to sign and send (repeatable)
  --algorithm ALG      hmac-sha256 (default) or hmac-sha1
  --request-target 'METHOD /path?query'
                       sign the request line too, as (request-target)
  -h, --help           show this help
`;

export const signCommand: Command = {
  async run(args) {
    const parsed = parseCommandArgs('sign', USAGE, args, {
      id: { type: 'string' },
      'secret-env': { type: 'string' },
      'secret-file': { type: 'string' },
      header: { type: 'string', multiple: true },
      algorithm: { type: 'string' },
      'request-target': { type: 'string' },
    });
    if (parsed.exit !== undefined) return parsed.exit;
    const { values, positionals } = parsed;
    const fail = (message: string): number => usageError('sign', message, USAGE).exit;
    if (positionals.length > 0) return fail(`unexpected argument "${positionals[0]}"`);
    const id = values.id as string | undefined;
    const secretEnv = values['secret-env'] as string | undefined;
    const secretFile = values['secret-file'] as string | undefined;
    const algorithm = (values.algorithm as string | undefined) ?? 'hmac-sha256';
    if (!id) return fail('--id is required');
    if (secretEnv !== undefined && secretFile !== undefined)
      return fail('--secret-env and --secret-file exclude each other');
    if (algorithm !== 'hmac-sha1' && algorithm !== 'hmac-sha256') {
      return fail(`--algorithm must be hmac-sha1 or hmac-sha256, got "${algorithm}"`);
    }
    const headers: Record<string, string> = {};
    for (const header of (values.header as string[] | undefined) ?? []) {
      const colon = header.indexOf(':');
      if (colon <= 0) return fail(`--header "${header}" must be "Name: value"`);
      headers[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
    let secret: string | undefined;
    try {
      secret =
        secretEnv !== undefined
          ? process.env[secretEnv]
          : secretFile !== undefined
            ? readFileSync(secretFile, 'utf8').trim()
            : undefined;
    } catch (err) {
      process.stderr.write(`apigw sign: cannot read --secret-file: ${(err as Error).message}\n`);
      return 2;
    }
    if (!secret) return fail('the secret is empty: pass --secret-env VAR (set) or --secret-file FILE');
    let requestTarget: { method: string; path: string } | undefined;
    const target = values['request-target'] as string | undefined;
    if (target !== undefined) {
      // The request line to sign: the method, then the path and query exactly as the request sends them.
      const m = /^([A-Za-z]+) (\/\S*)$/.exec(target.trim());
      if (!m) return fail(`--request-target "${target}" must be "METHOD /path?query"`);
      requestTarget = { method: m[1] as string, path: m[2] as string };
    }
    const signed = signRequest({
      secretId: id,
      secretKey: secret,
      algorithm: algorithm as HmacAlgorithm,
      headers,
      requestTarget,
    });
    process.stdout.write(
      Object.entries(signed)
        .map(([k, v]) => `-H '${k}: ${v.replace(/'/g, "'\\''")}'`)
        .join(' ') + '\n',
    );
    return 0;
  },
};
