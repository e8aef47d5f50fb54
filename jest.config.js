/** @type {import('jest').Config} */
module.exports = {
  // Node's, removing each test file's temp folders after it (test/helpers/temp.ts).
  testEnvironment: '<rootDir>/test/environment.js',
  // examples/ holds tests users would write (examples/pets-testing), run with the others.
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  // The examples import the package by name, as users do: resolved to this checkout's sources.
  moduleNameMapper: {
    '^cdktf-apigw$': '<rootDir>/lib/index.ts',
    '^cdktf-apigw/testing$': '<rootDir>/testing/index.ts',
  },
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testTimeout: 60_000,
  // Builds dist/ and the runtime bundle once, and gives the run its own temp folder;
  // the teardown fails the run when a test left something in it.
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  // cdktf's Testing helpers leave a temp folder per synth: removed after each test file.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/cdktf-outdirs.ts'],
  collectCoverageFrom: [
    'model/**/*.ts',
    'lib/**/*.ts',
    'runtime/**/*.ts',
    'cli/**/*.ts',
    'review/**/*.ts',
    'dev/**/*.ts',
    'testing/**/*.ts',
    '!**/*.d.ts',
    // The coordinator of several worker threads runs only inside the gateway processes that
    // test/runtime/cluster/ starts (on Node.js >= 22.12), where jest does not count lines.
    '!runtime/cluster/{coordinator,channel,counter-slots,instance-state,faults,gateway-worker}.ts',
  ],
  coverageReporters: ['text-summary', 'lcov'],
  // Only goes up: raise it when coverage rises.
  coverageThreshold: { global: { lines: 90 } },
};
