/**
 * `apigw docs [CONFIG] --out DIR [--service NAME]`: per service, a
 * documentation site that works offline — `DIR/<service>/index.html` (Redoc,
 * rendered by `@redocly/cli build-docs` with its scripts inlined: no CDN, no
 * font or other request leaves the page) and `DIR/<service>/openapi.json`
 * (the strict OpenAPI 3.1 document of `apigw openapi`). The page is rendered
 * from review/docs.ts, which adds what a reader needs (every route, how it
 * matches, worked authentication examples, error codes).
 *
 * `@redocly/cli` is an optional peer dependency: resolved from the current
 * folder first, then next to this package.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadConfigs } from '../../review/load';
import { docsDocument } from '../../review/docs';
import { toOpenApi } from '../../review/openapi';
import { parseCommandArgs, usageError } from '../args';
import type { Command } from '../command';

const USAGE = `usage: apigw docs [CONFIG] --out DIR [--service NAME]

Writes, per service, an offline documentation site: DIR/<service>/index.html
(every API with its route and match mode, parameters, authentication with
worked examples, success and failure samples, error codes) and
DIR/<service>/openapi.json. CONFIG is a config file or a cdktf.out folder
(default: cdktf.out). Needs @redocly/cli (npm install --save-dev @redocly/cli).

options:
  -o, --out DIR        where to write the sites (required)
  -s, --service NAME   only this service
  -h, --help           show this help
`;

export const docsCommand: Command = {
  async run(args) {
    const parsed = parseCommandArgs('docs', USAGE, args, {
      out: { type: 'string', short: 'o' },
      service: { type: 'string', short: 's' },
    });
    if (parsed.exit !== undefined) return parsed.exit;
    const [input = 'cdktf.out', extra] = parsed.positionals;
    if (extra !== undefined) return usageError('docs', 'give at most one CONFIG', USAGE).exit;
    const out = parsed.values.out as string | undefined;
    if (!out) return usageError('docs', '--out DIR is required', USAGE).exit;
    const only = parsed.values.service as string | undefined;
    let cli: string;
    try {
      cli = redoclyCli();
    } catch (err) {
      process.stderr.write(`apigw docs: ${(err as Error).message}\n`);
      return 2;
    }
    let configs;
    try {
      configs = loadConfigs(input);
    } catch (err) {
      process.stderr.write(`apigw docs: ${(err as Error).message}\n`);
      return 2;
    }
    if (only !== undefined && !configs.has(only)) {
      process.stderr.write(`apigw docs: ${input} has no service "${only}" (${[...configs.keys()].join(', ')})\n`);
      return 2;
    }
    const work = mkdtempSync(join(tmpdir(), 'apigw-docs-'));
    try {
      for (const [name, config] of configs) {
        if (only !== undefined && name !== only) continue;
        const dir = resolve(out, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'openapi.json'), JSON.stringify(toOpenApi(config), null, 2) + '\n');
        const source = join(work, `${name}.json`);
        writeFileSync(source, JSON.stringify(docsDocument(config)));
        const page = join(dir, 'index.html');
        const result = await buildDocs(cli, source, page, name, work);
        if (result.code !== 0) {
          process.stderr.write(`apigw docs: rendering ${name} failed (@redocly/cli build-docs):\n${result.output}\n`);
          return 1;
        }
        writeFileSync(page, offlineOnly(readFileSync(page, 'utf8')));
        process.stdout.write(`${name}: ${page}\n`);
      }
      return 0;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};

/**
 * Redoc's sidebar shows Redocly's logo, loaded from their CDN even when the
 * scripts are inlined (no option turns it off): the page would call out each
 * time it is opened. The logo's address becomes an empty inline image.
 */
const REMOTE_LOGOS = ['https://cdn.redoc.ly/redoc/logo-mini-full.svg', 'https://cdn.redoc.ly/redoc/logo-mini.svg'];
const EMPTY_IMAGE = 'data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E';

export function offlineOnly(html: string): string {
  return REMOTE_LOGOS.reduce((text, url) => text.split(url).join(EMPTY_IMAGE), html);
}

/** The `@redocly/cli` entry point: from the current folder's dependencies, else next to this package. */
function redoclyCli(): string {
  for (const from of [process.cwd(), __dirname]) {
    try {
      return join(dirname(require.resolve('@redocly/cli/package.json', { paths: [from] })), 'bin', 'cli.js');
    } catch {
      // not there
    }
  }
  throw new Error('apigw docs renders with @redocly/cli, which is not installed: npm install --save-dev @redocly/cli');
}

function buildDocs(
  cli: string,
  source: string,
  page: string,
  title: string,
  cwd: string,
): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [cli, 'build-docs', source, '--output', page, '--title', title, '--inlineBundle', '--lint-config', 'off'],
      {
        // In an empty folder, so that no redocly.yaml changes what is rendered; no telemetry, no update check.
        cwd,
        env: {
          ...process.env,
          REDOCLY_TELEMETRY: 'off',
          REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
          REDOCLY_SUPPRESS_NOTIFICATIONS: 'true',
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (err) => done({ code: -1, output: err.message }));
    child.on('close', (code) => done({ code: code ?? -1, output }));
  });
}
