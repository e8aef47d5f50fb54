/**
 * `apigw dev [PROJECT] [--port [SERVICE=]PORT]... [--port-offset N] [--outdir DIR]`:
 * the developer loop (dev/dev-loop.ts). Runs until SIGINT or SIGTERM, which
 * stop the synth in progress and every gateway; the private output folder is
 * removed unless it was given with --outdir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { DevLoop } from '../../dev/dev-loop';
import { readCdktfProject } from '../../dev/synth';
import { watchSources } from '../../dev/watch';
import { DEV_ENV_FILE } from '../../dev/secrets';
import { EventLog, parseLogLevel } from '../../runtime/access-log';
import { parseCommandArgs, usageError } from '../args';
import type { Command } from '../command';
import { stopWithNpm } from '../npm-parent';

const USAGE = `usage: apigw dev [PROJECT] [options]

Runs the cdktf app of PROJECT (default: the current folder; the "app" command
of its cdktf.json) into a private output folder, serves every service on
127.0.0.1 without Docker, and on each save synthesizes again and applies the
change live through the admin API, as a deploy does: open connections stay
open; a synth error or a refused config is printed and the last good config
keeps serving. Secrets ({ env: NAME } references) come from the environment,
then from ${DEV_ENV_FILE} in PROJECT. SIGINT/SIGTERM stop everything.

options:
  -p, --port [SERVICE=]PORT   serve SERVICE (or, without SERVICE=, every service) on PORT; 0 picks a free port
      --port-offset N         add N to each service's own HTTP port (default 0)
      --outdir DIR            synthesize into DIR (default: a temp folder, removed at exit)
      --log-level LEVEL       the gateways' event log on stderr: error (default), warn, info, debug
      --access-log            print the gateways' access log (JSON lines) on stdout
  -h, --help                  show this help
`;

/** How long stopping may take before the process exits anyway (in-flight requests of a dev server). */
const STOP_TIMEOUT_MS = 3000;

export const devCommand: Command = {
  async run(args) {
    const parsed = parseCommandArgs('dev', USAGE, args, {
      port: { type: 'string', short: 'p', multiple: true },
      'port-offset': { type: 'string' },
      outdir: { type: 'string' },
      'log-level': { type: 'string' },
      'access-log': { type: 'boolean' },
    });
    if (parsed.exit !== undefined) return parsed.exit;
    const [dir = '.', extra] = parsed.positionals;
    if (extra !== undefined) return usageError('dev', 'give at most one PROJECT folder', USAGE).exit;
    const v = parsed.values;
    const overrides = new Map<string, number>();
    for (const p of (v.port as string[] | undefined) ?? []) {
      const m = /^(?:([^=]+)=)?(\d+)$/.exec(p);
      const port = Number(m?.[2]);
      if (!m || port > 65535)
        return usageError('dev', `--port takes [SERVICE=]PORT (0 to 65535), got "${p}"`, USAGE).exit;
      overrides.set(m[1] ?? '*', port);
    }
    const offsetText = (v['port-offset'] as string | undefined) ?? '0';
    const offset = Number(offsetText);
    if (!/^-?\d+$/.test(offsetText) || Math.abs(offset) > 65535)
      return usageError('dev', `--port-offset takes a whole number, got "${offsetText}"`, USAGE).exit;
    let events: EventLog;
    try {
      events = new EventLog(parseLogLevel((v['log-level'] as string | undefined) ?? 'error', '--log-level'));
    } catch (err) {
      return usageError('dev', (err as Error).message, USAGE).exit;
    }

    const projectDir = resolve(dir);
    let project;
    try {
      project = readCdktfProject(projectDir);
    } catch (err) {
      process.stderr.write(`apigw dev: ${(err as Error).message}\n`);
      return 2;
    }
    const given = v.outdir as string | undefined;
    if (given) {
      const out = resolve(given);
      // Synth rewrites the folder's stacks: never the project's own sources or its cdktf.out.
      if (out === projectDir || projectDir.startsWith(out + sep) || out === join(projectDir, 'cdktf.out'))
        return usageError('dev', `--outdir must be a folder of its own, not ${out}`, USAGE).exit;
    }
    const outdir = given ? resolve(given) : mkdtempSync(join(tmpdir(), 'apigw-dev-'));
    const print = (line: string): void => void process.stdout.write(`${line}\n`);
    const loop = new DevLoop({
      project,
      outdir,
      ports: { offset, overrides },
      events,
      accessLog: v['access-log'] ? (t: string) => void process.stdout.write(t) : null,
      print,
    });
    const watcher = watchSources(projectDir, outdir, (paths) => {
      print(`changed: ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''}`);
      void loop.cycle();
    });

    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      print(`stopping (${signal})`);
      const exit = (): void => {
        if (!given) rmSync(outdir, { recursive: true, force: true });
        process.exit(0);
      };
      const timer = setTimeout(exit, STOP_TIMEOUT_MS);
      void Promise.allSettled([watcher.close(), loop.stop()]).then(() => {
        clearTimeout(timer);
        exit();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    stopWithNpm(process.env);

    print(`apigw dev: ${projectDir} (pid ${process.pid}); synthesizing with "${project.app}"`);
    await watcher.ready;
    await loop.cycle();
    if (!stopping) print('watching for changes (Ctrl-C stops)');
    return -1;
  },
};
