// Tests clean up after themselves: anything a test run leaves in its temp folder (see global-setup.js)
// fails the run, named. The folder is removed either way.
const { readdirSync, rmSync, statSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Left by `cdktf synth` itself (lib/build-context.ts stages into the OS temp folder and reuses it by
 * content hash), not by a test: reported, not failed.
 */
const SYNTH_STAGING = 'cdktf-apigw-contexts';

function size(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + size(join(path, name)), 0);
}

module.exports = async () => {
  const dir = process.env.TMPDIR;
  if (!dir || !/apigw-jest-run-/.test(dir)) return;
  process.env.TMPDIR = process.env.APIGW_TEST_TMP_PARENT || undefined;
  if (!process.env.TMPDIR) delete process.env.TMPDIR;
  const left = readdirSync(dir);
  const leaks = left.filter((name) => name !== SYNTH_STAGING);
  if (left.includes(SYNTH_STAGING)) {
    const staged = join(dir, SYNTH_STAGING);
    const mb = (size(staged) / 1e6).toFixed(1);
    process.stderr.write(`\nsynth staged ${readdirSync(staged).length} build contexts (${mb} MB) in the temp folder\n`);
  }
  rmSync(dir, { recursive: true, force: true });
  if (leaks.length > 0) {
    throw new Error(
      `tests left ${leaks.length} entries in the temp folder (remove them in afterAll): ${leaks.join(', ')}`,
    );
  }
};
