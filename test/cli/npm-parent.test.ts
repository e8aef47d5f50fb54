/**
 * Regression: under load, `npm start` could be stopped between the gateway
 * announcing `listening` and the gateway starting to watch npm. The gateway
 * then read the process that adopted it as its parent and served on as an
 * orphan. The parents are now read when the watcher's module loads, at start.
 *
 * Here a stand-in for npm starts a process that loads the module, and exits;
 * only then does that process start watching: it must still notice.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../hardening/raw';
import { adopt, repoRoot, run } from '../helpers/processes';
import { tempDir } from '../helpers/temp';

/** Loads the watcher's module, waits until its parent is gone, then watches; writes what happened to `out`. */
const WATCHER = `
const { appendFileSync, readFileSync } = require('node:fs');
const { stopWithNpm } = require(${JSON.stringify(join(repoRoot, 'dist', 'cli', 'npm-parent.js'))});
const out = process.argv[2];
const say = (line) => appendFileSync(out, line + '\\n');
const ppid = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[1]);
const first = ppid();
say('pid ' + process.pid);
process.stdout.write('loaded\\n'); // the parent exits on this
const waitForOrphan = setInterval(() => {
  if (ppid() === first) return;
  clearInterval(waitForOrphan);
  say('orphaned');
  stopWithNpm({ npm_lifecycle_event: 'start' }, (parent) => {
    say('noticed ' + parent);
    process.exit(0);
  });
  setTimeout(() => { say('still watching'); process.exit(1); }, 5000);
}, 20);
setTimeout(() => { say('never orphaned'); process.exit(1); }, 15000);
`;

/** The stand-in for npm: starts the watcher and exits once the watcher has loaded the module. */
const PARENT = `
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, process.argv.slice(2), { stdio: ['ignore', 'pipe', 'ignore'] });
child.stdout.once('data', () => {
  console.log(process.pid);
  process.exit(0);
});
`;

it('notices a parent that exited before the watch began', async () => {
  const dir = tempDir('apigw-npm-parent-');
  const out = join(dir, 'out.txt');
  writeFileSync(join(dir, 'watcher.js'), WATCHER);
  writeFileSync(join(dir, 'parent.js'), PARENT);
  writeFileSync(out, '');
  const parent = await run(process.execPath, [join(dir, 'parent.js'), join(dir, 'watcher.js'), out]);
  const said = (): string => readFileSync(out, 'utf8');
  await eventually(() => /^pid \d+$/m.test(said()), 'the watcher to start', 10_000);
  adopt(Number(/^pid (\d+)$/m.exec(said())?.[1]));
  await eventually(() => /noticed|still watching|never orphaned/.test(said()), 'the watcher to decide', 20_000);
  expect(said()).toContain('orphaned');
  expect(said()).toContain(`noticed ${parent.stdout.trim()}`);
});
