// The tests' environment: Node's, plus removal of the temp folders a test file made with tempDir()
// (test/helpers/temp.ts) once the file is done, after all of its own afterAll hooks (which close the
// servers and function workers that may still write into them).
const { rmSync } = require('node:fs');
const { TestEnvironment } = require('jest-environment-node');

class GatewayTestEnvironment extends TestEnvironment {
  async teardown() {
    const dirs = this.global.__APIGW_TEMP_DIRS__ ?? [];
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    await super.teardown();
  }
}

module.exports = GatewayTestEnvironment;
