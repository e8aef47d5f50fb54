// Bundles the runtime once per test run (the constructs copy it into build contexts).
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  execFileSync(process.execPath, [join(__dirname, '..', 'scripts', 'bundle-runtime.mjs')], { stdio: 'inherit' });
};
