// @ts-check
/**
 * One jest run over every package, the example plugin and the cross-package suites.
 * Type-checking is done by `tsc -b` in `npm test`, so ts-jest only transpiles here (fast, per file).
 * ESM-only dependencies (p-retry and its own ESM dependency) are transpiled to CommonJS for jest's module
 * system; in production Node loads them through require(esm).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/', '<rootDir>/examples/.*/dist/'],
  moduleNameMapper: {
    '^@safemig/(core|backfill|compat|testkit|cli)$': '<rootDir>/packages/$1/src/index.ts',
  },
  transform: {
    '^.+\\.[cm]?[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(p-retry|is-network-error)/)'],
  testTimeout: 60_000,
};
