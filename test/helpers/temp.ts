/**
 * Temp folders for tests, removed after the test file (global-teardown.js
 * fails the run when something is left behind).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A fresh folder under the OS temp folder; removed in this test file's afterAll. */
export function tempDir(prefix = 'apigw-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes the folders made so far (also run after every test file). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// Registered when a test file imports this module (at load time, where jest allows hooks).
if (typeof afterAll === 'function') afterAll(removeTempDirs);
