/** Tests are transpiled by SWC for speed; `npm run typecheck` type-checks them. */
const os = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  // The end-to-end suites mostly wait on timers and the simulator, so even a 2-core machine runs two at once (Jest's
  // default there is one worker, which doubles the suite's time).
  maxWorkers: Math.max(2, os.availableParallelism() - 1),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/emulators/functions/fake-core.ts' },
  clearMocks: true,
  // One in-memory Azurite for the run (storage tests and end-to-end tests use the real blob client).
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60000,
  // Suites skipped for a missing tool (Chromium, the Bicep compiler) are listed with the reason after the summary.
  reporters: ['default', '<rootDir>/test/support/skipped-suites-reporter.js'],
};
