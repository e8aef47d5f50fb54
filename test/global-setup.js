// Once per test run: builds dist/ (tests spawn the real `apigw`, so its bin is made executable, and the compiled quickstart), bundles the
// runtime (the constructs copy it into build contexts) and the Terraform provider (the provider tests run it
// under real terraform), and gives the run its own temp folder, so that
// global-teardown.js can tell what the tests left behind even while other runs share the machine.
const { execFileSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');

module.exports = async () => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const script of ['executable-bins.mjs', 'bundle-runtime.mjs', 'bundle-provider.mjs'])
    execFileSync(process.execPath, [join(root, 'scripts', script)], { stdio: 'inherit' });
  // Test workers start after this and inherit the variable; os.tmpdir() reads it on every call.
  const dir = mkdtempSync(join(tmpdir(), 'apigw-jest-run-'));
  process.env.APIGW_TEST_TMP_PARENT = process.env.TMPDIR ?? '';
  process.env.TMPDIR = dir;
  // npm and npx on Node >= 22 (the cli tests run them) keep a module compile cache in the temp folder: not a
  // test's leftover, and not wanted in the run's folder.
  process.env.NODE_DISABLE_COMPILE_CACHE = '1';
};
