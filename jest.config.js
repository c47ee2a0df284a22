/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.tools', '<rootDir>/.data'],
  // One real Temporal dev server for the whole suite; each test file uses its own task queue on it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  // The suite waits far more than it computes (on the dev server, on simulated Heroku time, on child processes):
  // two files at a time halve its wall time on a 2-core machine. Jest's default would be one (cores − 1).
  maxWorkers: 2,
};
