/**
 * Temp folders for tests. Each is removed when its test file is done, after
 * the file's own afterAll hooks (by test/environment.js), and
 * test/global-teardown.js fails the run when something is left behind.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const registry = globalThis as { __APIGW_TEMP_DIRS__?: string[] };

/** A fresh folder under the OS temp folder, removed after this test file. */
export function tempDir(prefix = 'apigw-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  (registry.__APIGW_TEMP_DIRS__ ??= []).push(dir);
  return dir;
}
