/** One jest run: unit tests (pure rules, signing) and integration tests on a real Temporal dev server and MariaDB. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  setupFiles: ['<rootDir>/test/support/quiet-runtime.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
  // Integration suites share one Temporal server and one MariaDB; two workers keep the 2-core box responsive.
  maxWorkers: 2,
  // The Temporal SDK's native runtime keeps a handle open after every worker and connection is closed.
  forceExit: true,
};
