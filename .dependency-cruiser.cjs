// The dependency rules of ARCHITECTURE.md#packages-and-what-each-may-import, checked by
// `npm run lint` (dependency-cruiser) on every `npm test`. Paths are of the resolved module, so a
// workspace package (`@dvc/x`) is seen where it lives: shared/x/… or services/x/….
// tests/src/rules.unit.spec.ts cruises a fixture with a forbidden import for each rule.

/** Test code: a tier's spec files, and the end-to-end package (tests/) as a whole. */
const TEST_CODE = ['\\.spec\\.ts$', '^tests/'];

const nodeModule = (names) => `(^|/)node_modules/(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles, inside a package or between packages.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-no-workspace-package',
      severity: 'error',
      comment: '@dvc/domain is the pure core: it imports nothing from the workspace.',
      from: { path: '^shared/domain/src/', pathNot: TEST_CODE },
      to: { path: '^(shared|services|tests)/', pathNot: '^shared/domain/' },
    },
    {
      name: 'domain-does-no-io',
      severity: 'error',
      comment: '@dvc/domain does no I/O: no node:* module and no client of the outside world; time is an argument.',
      from: { path: '^shared/domain/src/', pathNot: TEST_CODE },
      to: {
        dependencyTypesNot: ['local'],
        pathNot: '(^|/)node_modules/(@sinclair/typebox|luxon|@types/luxon)/',
      },
    },
    {
      name: 'service-imports-no-service',
      severity: 'error',
      comment: 'A service never imports another service: what two services share is a shared/ package.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'shared-imports-no-service',
      severity: 'error',
      comment: 'A shared package never imports a service.',
      from: { path: '^shared/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-deep-import',
      severity: 'error',
      comment: 'Another package is imported by its name (its package.json exports), never by a path into its src/ or dist/.',
      from: { path: '^(shared|services|tests)/([^/]+)/' },
      to: { path: '^(shared|services)/[^/]+/(src|dist)/', pathNot: ['^$1/$2/', '^(shared|services)/[^/]+/dist/(testing/)?index\\.(js|d\\.ts)$'] },
    },
    {
      name: 'production-imports-no-dev-dependency',
      severity: 'error',
      comment:
        'Shipped source (not *.spec.ts, not tests/) imports only its dependencies: a devDependency such as @dvc/testing is missing where the package is installed for production.',
      // A package's testing export (src/testing/, e.g. @dvc/eventstore/testing) runs under jest and
      // names jest's types; it still may not import @dvc/testing (next rule).
      from: { path: '^(shared|services)/[^/]+/src/', pathNot: [...TEST_CODE, '^shared/[^/]+/src/testing/'] },
      to: { dependencyTypes: ['npm-dev'] },
    },
    {
      name: 'production-imports-no-testing-package',
      severity: 'error',
      comment: '@dvc/testing is test support: only *.spec.ts files and tests/ import it.',
      from: { path: '^(shared|services)/', pathNot: [...TEST_CODE, '^shared/testing/'] },
      to: { path: '^shared/testing/' },
    },
    {
      name: 'ioredis-only-in-redis-packages',
      severity: 'error',
      comment: 'ioredis is imported only by @dvc/redis (the writer) and @dvc/read-model (the readers); others take their `Redis` type from them.',
      from: { pathNot: [...TEST_CODE, '^shared/(redis|read-model)/'] },
      to: { path: nodeModule(['ioredis']) },
    },
    {
      name: 'kafkajs-only-in-kafka-package',
      severity: 'error',
      comment: 'kafkajs (types included) is imported only by @dvc/kafka, so that another Kafka client touches one package (tests use @dvc/kafka/testing).',
      from: { pathNot: [...TEST_CODE, '^shared/kafka/'] },
      to: { path: nodeModule(['kafkajs']) },
    },
    {
      name: 'imports-declared',
      severity: 'error',
      comment: 'Every package imported is declared in the importing package.json (no reliance on hoisting).',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'unknown', 'undetermined'] },
    },
  ],
  options: {
    doNotFollow: { path: ['(^|/)node_modules/', '^(shared|services)/[^/]+/dist/'] },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
