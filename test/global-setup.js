// Bundles the runtime once per test run (the constructs copy it into build contexts),
// and the Terraform provider (the provider tests run it under real terraform).
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async () => {
  for (const script of ['bundle-runtime.mjs', 'bundle-provider.mjs'])
    execFileSync(process.execPath, [join(__dirname, '..', 'scripts', script)], { stdio: 'inherit' });
};
