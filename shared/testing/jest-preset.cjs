// One jest setup for every workspace: TypeScript through ts-jest as native ESM.
// Tests are named by tier (*.unit.spec.ts, *.int.spec.ts, *.e2e.spec.ts) and each
// package script picks its tier with --testPathPatterns.
module.exports = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: { isolatedModules: true }, diagnostics: false }],
  },
  reporters: ['default', require.resolve('./summary-reporter.cjs')],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
};
