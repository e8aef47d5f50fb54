/**
 * cdktf's `Testing.app()` and `Testing.synth()` make a `cdktf.outdir.*`
 * folder in the OS temp folder each time and never remove it (about 40 per
 * `npm test`). Loaded before every test file (jest `setupFilesAfterEnv`): it
 * notes the folders cdktf makes while this file runs, and removes them after it.
 */
import fs from 'node:fs';
import { basename } from 'node:path';

const made: string[] = [];
const mkdtempSync = fs.mkdtempSync;

fs.mkdtempSync = function (this: unknown, ...args: Parameters<typeof fs.mkdtempSync>) {
  const dir = mkdtempSync.apply(this, args) as string;
  if (basename(dir).startsWith('cdktf.outdir.')) made.push(dir);
  return dir;
} as typeof fs.mkdtempSync;

afterAll(() => {
  fs.mkdtempSync = mkdtempSync;
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
